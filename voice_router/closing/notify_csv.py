"""The notify list as a CSV file (the API's and the UI's `notify.csv`): one row per customer,
grouped by agent, with nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session

from voice_router.closing.notify import notify_json

CSV_COLUMNS = (
    "agent_email",
    "customer_email",
    "customer_name",
    "account",
    "source",
    "ticket_id",
    "ticket_url",
    "reported_at",
    "notified",
    "draft",
)


def notify_csv(session: Session, problem_id: int) -> str:
    """The notify list as CSV, grouped by agent (rows sorted by agent, then customer)."""
    data = notify_json(session, problem_id)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in data["recipients"]:
        writer.writerow({k: _csv_safe(row.get(k)) for k in CSV_COLUMNS})
    return buffer.getvalue()


def _csv_safe(value: Any) -> str:
    """Customer text must not become a spreadsheet formula."""
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
