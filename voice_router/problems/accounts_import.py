"""`voice-router import-accounts FILE.csv`: account revenue from a CSV (domain,name,plan,mrr).

Good rows are kept, bad rows are reported with their line numbers, and every problem that
counts one of those accounts has its MRR summed again from its account tallies, as a batch
does when a delivery changes an account's MRR (`impact_delta.apply`), so MRR sums are
current. Their Jira issues owe a sync, as after a batch (paced by
`[jira].update_interval_seconds`): the issue shows the MRR and the top accounts' names.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from voice_router.models import Account
from voice_router.platform import schedule
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems import impact_delta
from voice_router.problems.identity import is_free_mail

COLUMNS = ("domain", "name", "plan", "mrr")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CHUNK = 500


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    sync_due: set[int] = field(default_factory=set)  # problems whose Jira issue owes a sync


@dataclass(frozen=True)
class AccountRow:
    domain: str
    name: str | None
    plan: str | None
    mrr: Decimal | None


def parse_row(row: dict[str, str | None]) -> AccountRow:
    domain = (row.get("domain") or "").strip().lower()
    if not _DOMAIN.match(domain):
        raise ValueError(f"domain {domain!r} is not a domain name")
    if is_free_mail(domain):
        raise ValueError(f"{domain} is a free-mail domain, not a company")
    raw_mrr = (row.get("mrr") or "").strip().replace(",", "")
    mrr = None
    if raw_mrr:
        try:
            mrr = Decimal(raw_mrr)
        except InvalidOperation:
            raise ValueError(f"mrr {raw_mrr!r} is not a number") from None
        if not mrr.is_finite() or mrr < 0:
            raise ValueError(f"mrr {raw_mrr!r} must be zero or more")
    name = (row.get("name") or "").strip() or None
    plan = (row.get("plan") or "").strip() or None
    return AccountRow(domain, name, plan, mrr)


def read_rows(path: Path, report: ImportReport) -> Iterator[AccountRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
            return
        for row in reader:
            try:
                yield parse_row(row)
            except ValueError as exc:
                report.errors.append((reader.line_num, str(exc)))


def _store(engine: Engine, settings: Settings, rows: list[AccountRow]) -> set[int]:
    """Write the rows, sum MRR again where they are counted; returns the problems whose Jira
    issues owe a sync for it (none without Jira), marked due in the same transaction."""
    with session_scope(engine) as session:
        domains = [r.domain for r in rows]
        existing = {
            a.key: a for a in session.exec(select(Account).where(col(Account.key).in_(domains)))
        }
        for row in rows:
            account = existing.get(row.domain) or Account(key=row.domain, domain=row.domain)
            account.name = row.name or account.name
            account.plan = row.plan or account.plan
            account.mrr = row.mrr if row.mrr is not None else account.mrr
            session.add(account)
            existing[row.domain] = account
        session.flush()
        accounts = [a.id for a in existing.values()]
        moved = impact_delta.apply(
            session, [], impact_delta.problems_of_accounts(session, accounts)
        )
        schedule.sync_due(session, settings, moved)
    return moved if settings.jira.url else set()


def import_accounts(
    engine: Engine,
    settings: Settings,
    path: Path,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    report = ImportReport()
    chunk: list[AccountRow] = []
    for row in read_rows(path, report):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            _chunk_stored(engine, settings, chunk, report, progress)
            chunk = []
    if chunk:
        _chunk_stored(engine, settings, chunk, report, progress)
    return report


def _chunk_stored(
    engine: Engine,
    settings: Settings,
    chunk: list[AccountRow],
    report: ImportReport,
    progress: Callable[[int], object] | None,
) -> None:
    report.sync_due |= _store(engine, settings, chunk)
    report.imported += len(chunk)
    if progress:
        progress(len(chunk))
