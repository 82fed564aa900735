"""`voice-router import-accounts FILE.csv`: account revenue from a CSV (domain,name,plan,mrr).

Good rows are kept, bad rows are reported with their line numbers, and every problem that
counts one of those accounts has its MRR summed again from its account tallies, as a batch
does when a delivery changes an account's MRR (`impact_delta.apply`), so MRR sums are
current. Their Jira issues owe a sync, as after a batch (paced by
`[jira].update_interval_seconds`): the issue shows the MRR and the top accounts' names.
An imported MRR is the newest word on the account ("now", `Account.mrr_at`): a delivery that
happened before the import, processed after it, leaves it as it is.

The file must be UTF-8 (Excel: "CSV UTF-8"), separated by commas. An MRR is a plain number
with a point for decimals, at most MAX_MRR as webhooks take it; commas are read only as
thousands separators in groups of three (`1,234.50`), any other comma (`1,5`, `1.234,56`)
makes the row bad rather than a number ten or a thousand times off.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from voice_router.models import MAX_MRR, Account, to_cents
from voice_router.platform import schedule
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems import impact_delta
from voice_router.problems.identity import is_free_mail

COLUMNS = ("domain", "name", "plan", "mrr")
_THOUSANDS = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")
_NAME_CHARS = Account.__table__.c.name.type.length  # type: ignore[attr-defined]  # typed FromClause, is a Table
_PLAN_CHARS = Account.__table__.c.plan.type.length  # type: ignore[attr-defined]  # typed FromClause, is a Table
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CHUNK = 500


@dataclass
class ImportReport:
    imported: int = 0
    refused: int = 0  # data rows not imported: each is in `errors`
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
    mrr = parse_mrr((row.get("mrr") or "").strip())
    name = (row.get("name") or "").strip()[:_NAME_CHARS] or None
    plan = (row.get("plan") or "").strip()[:_PLAN_CHARS] or None
    return AccountRow(domain, name, plan, mrr)


def parse_mrr(raw: str) -> Decimal | None:
    if not raw:
        return None
    digits = raw
    if "," in raw:
        if not _THOUSANDS.fullmatch(raw):
            raise ValueError(
                f"mrr {raw!r} is ambiguous: write it with a point for decimals and no other "
                "separator (1234.50)"
            )
        digits = raw.replace(",", "")
    try:
        mrr = Decimal(digits)
    except InvalidOperation:
        raise ValueError(f"mrr {raw!r} is not a number") from None
    if not mrr.is_finite() or mrr < 0:
        raise ValueError(f"mrr {raw!r} must be zero or more")
    if mrr > MAX_MRR:
        raise ValueError(f"mrr {raw!r} is over {MAX_MRR:,.0f}")
    return to_cents(mrr)


class NotCsvText(ValueError):
    """The file cannot be read as CSV text at all; one line, without the file's name."""


def count_rows(path: Path) -> int:
    """The file's data rows (lines after the header), checking it is UTF-8 on the way:
    Excel's plain "CSV" is the Windows code page (cp1252), which Python would stop on
    part-way with a traceback."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = offset = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = offset - len(pending) + exc.start
                byte = (pending + chunk)[exc.start]
                raise NotCsvText(
                    f'not UTF-8 text (byte 0x{byte:02x} at offset {where}): save it as "CSV UTF-8"'
                ) from None
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk
    if offset and not last.endswith(b"\n"):
        lines += 1
    return max(0, lines - 1)


def read_rows(path: Path, report: ImportReport) -> Iterator[AccountRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            report.errors.append((1, f"missing column(s): {', '.join(missing)}{_hint(header)}"))
            return
        try:
            for row in reader:
                try:
                    yield parse_row(row)
                except ValueError as exc:
                    report.refused += 1
                    report.errors.append((reader.line_num, str(exc)))
        except csv.Error as exc:  # a NUL byte, a field over csv's limit
            report.errors.append((reader.line_num, f"not CSV ({exc}); the rest was not read"))


def _hint(header: Sequence[str]) -> str:
    """Excel in most of Europe separates with `;` (or a tab): say so."""
    for separator, said in ((";", "';'"), ("\t", "tabs")):
        parts = {part.strip() for name in header for part in name.split(separator)}
        if any(separator in name for name in header) and set(COLUMNS) & parts:
            return f" (the columns look separated by {said}: save the file with commas)"
    return ""


def _store(engine: Engine, settings: Settings, rows: list[AccountRow]) -> set[int]:
    """Write the rows, sum MRR again where they are counted; returns the problems whose Jira
    issues owe a sync for it (none without Jira), marked due in the same transaction."""
    now = utcnow()
    with session_scope(engine) as session:
        domains = [r.domain for r in rows]
        existing = {
            a.key: a for a in session.exec(select(Account).where(col(Account.key).in_(domains)))
        }
        for row in rows:
            account = existing.get(row.domain) or Account(key=row.domain, domain=row.domain)
            account.name = row.name or account.name
            account.plan = row.plan or account.plan
            if row.mrr is not None:  # the newest word: a delivery older than now changes it no more
                account.mrr, account.mrr_at = row.mrr, now
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
    """`progress` is told of every data row read, the refused ones too (a bar counting only
    the imported ones stopped short of its total, as if the import had not finished)."""
    report = ImportReport()
    chunk: list[AccountRow] = []
    told = 0
    for row in read_rows(path, report):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            _chunk_stored(engine, settings, chunk, report)
            told = _tell(progress, report, told)
            chunk = []
    if chunk:
        _chunk_stored(engine, settings, chunk, report)
    _tell(progress, report, told)
    return report


def _tell(progress: Callable[[int], object] | None, report: ImportReport, told: int) -> int:
    read = report.imported + report.refused
    if progress and read > told:
        progress(read - told)
    return read


def _chunk_stored(
    engine: Engine, settings: Settings, chunk: list[AccountRow], report: ImportReport
) -> None:
    report.sync_due |= _store(engine, settings, chunk)
    report.imported += len(chunk)
