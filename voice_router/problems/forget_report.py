"""What `voice-router forget` found and erased (voice_router.problems.privacy): counts only,
never personal data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ForgetReport:
    """What forget found and erased: counts only, never personal data."""

    dry_run: bool = False
    customers: int = 0
    identities: int = 0
    pain_points: int = 0
    deliveries: int = 0
    accounts: int = 0
    outbound: int = 0
    spooled: int = 0  # deliveries in files of SQLite's spool stubbed or cut (forget_chain.Beside)
    spool_unreadable: int = 0  # spool files it could not read, so could not look into
    scrubbed: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows
    # Beyond the database: already sent or posted, to be erased where they live.
    jira_comments: list[str] = field(default_factory=list)  # "PROD-12 comment 10001"
    writebacks_sent: int = 0
    digests_sent: int = 0
    jira_problems: list[int] = field(default_factory=list)  # descriptions worth a re-sync
    # Other people's rows that contain the same full name, left alone (a namesake's?).
    name_mentions_kept: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows
    # Jira deliveries received while it ran, stored after it read them, cut once it committed
    # (forget_late.Late); None when it did not look (no Jira webhooks, or it failed).
    late: int | None = None
    audit_id: int | None = None
    sqlite_file: str | None = None  # "compacted", "wal-busy", "not-compacted"

    @property
    def found(self) -> bool:
        counts = (self.customers, self.identities, self.pain_points, self.deliveries, self.spooled)
        return any(counts) or bool(self.accounts or self.outbound or self.scrubbed)

    def details(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("dry_run", "audit_id", "sqlite_file", "jira_problems", "late"):
            data.pop(name)
        data["jira_comments"] = len(self.jira_comments)
        data["found"] = self.found
        return data

    def add(self, other: ForgetReport) -> None:
        """`other`'s finds added to these: forget erases one person under each address they
        had (`privacy._erase_person`), one pass each."""
        for name in ("customers", "identities", "pain_points", "deliveries", "accounts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("outbound", "spooled", "writebacks_sent", "digests_sent"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for column, rows in other.scrubbed.items():
            self.scrubbed[column] = self.scrubbed.get(column, 0) + rows
        self.scrubbed = dict(sorted(self.scrubbed.items()))
        for column, rows in other.name_mentions_kept.items():  # the same rows, seen again
            self.name_mentions_kept[column] = max(self.name_mentions_kept.get(column, 0), rows)
        self.name_mentions_kept = dict(sorted(self.name_mentions_kept.items()))
        self.jira_comments += [c for c in other.jira_comments if c not in self.jira_comments]
        self.jira_problems = sorted({*self.jira_problems, *other.jira_problems})
