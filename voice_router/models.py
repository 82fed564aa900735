"""Table models. Every datetime is timezone-aware UTC.

Primary keys are typed `int` though they default to None: the database assigns them at the
first flush, so only a row built and not yet flushed lacks one, and code reads ids of rows it
loaded or flushed. (The column is NOT NULL either way: SQLModel makes a primary key so.)
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voice_router.platform.clock import utcnow
from voice_router.platform.ids import MAX_ID as MAX_ID  # where the id columns' bound was


def _today() -> date:
    """A new problem has no tickets, so its trend copy is right as of today (also for rows
    inserted without the ORM: a column default)."""
    return utcnow().date()


# The conditions of the delivery table's partial indexes. A query reads one of them only with
# the same condition written into its text, not as bound parameters (`pending` and `held`).
PENDING = "status = 'pending'"
HELD = "status IN ('failed', 'invalid')"


def pending() -> sa.TextClause:
    """`status = 'pending'`, as ix_delivery_pending is written (see PENDING)."""
    return sa.text(PENDING)


def held() -> sa.TextClause:
    """`status IN ('failed', 'invalid')`, as ix_delivery_held is written (see HELD)."""
    return sa.text(HELD)


class Delivery(SQLModel, table=True):
    """The inbox: one raw webhook delivery, stored before the 202."""

    __table_args__ = (
        sa.UniqueConstraint("source", "delivery_key", name="uq_delivery_source_key"),
        sa.Index(  # the claim's order, pending deliveries only (migration 0016)
            "ix_delivery_pending",
            "id",
            postgresql_where=sa.text(PENDING),
            sqlite_where=sa.text(PENDING),
        ),
        sa.Index(  # failed and invalid ones, listed, replayed, counted (migration 0018)
            "ix_delivery_held",
            "id",
            postgresql_where=sa.text(HELD),
            sqlite_where=sa.text(HELD),
        ),
    )

    id: int = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    delivery_key: str = Field(max_length=255)
    headers: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    received_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


# The largest MRR an account may have, from a webhook or an import: far above any real
# company's, far inside NUMERIC(20, 2), and summed over a problem's accounts still exact.
MAX_MRR = Decimal(10) ** 10
CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """`amount` as a money column (NUMERIC(20, 2)) keeps it: rounded to the cent. Decimal
    holds an amount written with a far exponent exactly (`1e-999999999`), and PostgreSQL
    refused to store it (value overflows numeric format)."""
    return amount.quantize(CENT)


class Account(SQLModel, table=True):
    """A paying company; `key` is its domain, or `name:<name>` when only a name is known."""

    id: int = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    domain: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    plan: str | None = Field(default=None, max_length=100)
    mrr: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(20, 2)))
    # When the information `mrr` came from is from: a delivery's occurred_at, an import's
    # moment. Older information never replaces it (a helpdesk's retry of an old delivery).
    mrr_at: datetime | None = None


class Customer(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, max_length=320, unique=True)
    name: str | None = Field(default=None, max_length=255)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow)


class CustomerIdentity(SQLModel, table=True):
    """The id a helpdesk gives a customer, so one person through two helpdesks is one row."""

    __table_args__ = (sa.UniqueConstraint("source", "external_id", name="uq_identity_source_ext"),)

    id: int = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    source: str = Field(max_length=100)
    external_id: str = Field(max_length=255)


class CustomerAlias(SQLModel, table=True):
    """An address a customer had before their helpdesk sent another (or a late delivery
    named one another row held, merged into them): the sha256 of it, lower-cased, as the
    audit names one, never the address. `forget` finds the person by it."""

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    email_hash: str = Field(max_length=64, primary_key=True, index=True)


class Problem(SQLModel, table=True):
    """A product problem; impact columns are recomputed from its active pain points."""

    id: int = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    title: str = Field(max_length=300)
    status: str = Field(default="open", max_length=20)
    merged_into_id: int | None = Field(default=None, foreign_key="problem.id", index=True)
    customers: int = 0
    accounts: int = 0
    mrr: Decimal = Field(
        default=Decimal(0),
        sa_column=sa.Column(sa.Numeric(20, 2), nullable=False, default=0, server_default="0"),
    )
    tickets: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    # A copy of the group's `impactday` rows the trend windows can reach, with the trends as
    # they stood on `trend_day`, so the list needs no second query (voice_router/trend_days).
    trend_day: date | None = Field(
        default_factory=_today, sa_column=sa.Column(sa.Date, nullable=True, default=_today)
    )
    trend_7d: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    trend_30d: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    recent: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    jira_key: str | None = Field(default=None, max_length=50, index=True, unique=True)
    jira_url: str | None = Field(default=None, max_length=500)
    jira_issue_id: str | None = Field(default=None, max_length=50, index=True)
    jira_status: str | None = Field(default=None, max_length=100)
    jira_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    jira_content_hash: str | None = Field(default=None, max_length=64)
    jira_merge_notice_for: int | None = None
    jira_status_category: str | None = Field(default=None, max_length=20)
    jira_resolution: str | None = Field(default=None, max_length=100)
    jira_event_at: datetime | None = None
    jira_unlinked_at: datetime | None = None
    shipped_at: datetime | None = None
    regressed_at: datetime | None = None
    regression_noticed_at: datetime | None = None
    jira_sync_due_at: datetime | None = Field(default=None, index=True)
    jira_sync_claimed_at: datetime | None = None
    jira_synced_at: datetime | None = None
    jira_sync_attempts: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    # A create was sent at this time and its answer not seen yet: no second create before
    # a search has had the chance to show the first one (tracker/create.py).
    jira_create_sent_at: datetime | None = None
    # Jira holds the remote link back to this problem on the linked issue.
    jira_remote_link_at: datetime | None = None
    # A person linked this issue: voice-router writes its block and labels only.
    jira_person_issue: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # Issues voice-router still has to take its block and per-problem label off
    # (unlinked, or replaced by another link), space-separated.
    jira_detach_keys: str | None = Field(default=None, max_length=500)
    # The issue this merged problem handed to its survivor, which had none: an unmerge
    # gives it back (problems/merging.py).
    jira_handed_key: str | None = Field(default=None, max_length=50)
    # The fix version(s) Jira names for the issue, for the notify list's message drafts.
    jira_fix_version: str | None = Field(default=None, max_length=255)
    # A PM renamed the problem: its title is theirs, no longer derived from the tag.
    renamed_by: str | None = Field(default=None, max_length=100)
    # Who merged this problem into `merged_into_id`: "auto" for the auto-merge job, else
    # empty (a person, through the API or the UI).
    merged_by: str | None = Field(default=None, max_length=20)


# The list's default order (problems.SORTS["impact"]) read off an index, not sorted.
_problems = Problem.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
sa.Index(
    "ix_problem_impact_rank",
    _problems.c.customers.desc(),
    _problems.c.accounts.desc(),
    _problems.c.mrr.desc(),
    _problems.c.tickets.desc(),
    _problems.c.id,
    postgresql_where=_problems.c.merged_into_id.is_(None),
    sqlite_where=_problems.c.merged_into_id.is_(None),
)


class ProblemVector(SQLModel, table=True):
    """The meaning of one problem's own words (its key and up to SUBJECTS ticket subjects) as
    an unnormalised sum of sentence vectors (voice_router.problems.meaning), cached for suggestions;
    `tickets` is the problem's ticket count when it was computed and `model` the encoder that
    computed it (stale once either differs)."""

    problem_id: int = Field(foreign_key="problem.id", primary_key=True)
    vector: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    tickets: int = 0
    model: str = Field(default="", max_length=40)
    updated_at: datetime = Field(default_factory=utcnow)


class Note(SQLModel, table=True):
    """A business note on a problem; posted once as a Jira comment."""

    id: int = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id", index=True)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    author: str = Field(max_length=100)
    arr_at_risk: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(20, 2)))
    created_at: datetime = Field(default_factory=utcnow)
    jira_comment_id: str | None = Field(default=None, max_length=50)


class PainPoint(SQLModel, table=True):
    """One helpdesk ticket tagged with one problem's pain tag. `problem_id` is the problem its
    tag names and never changes; merges are followed through Problem.merged_into_id."""

    __table_args__ = (
        sa.UniqueConstraint("source", "ticket_id", "problem_id", name="uq_painpoint_ticket"),
        sa.Index("ix_painpoint_trends", "problem_id", "removed_at", "reported_at"),
        sa.Index("ix_painpoint_account", "account_id"),
    )

    id: int = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    source: str = Field(max_length=100)
    ticket_id: str = Field(max_length=255)
    ticket_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    subject: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # The customer's first message on the ticket, where the payload carries it (admission.py).
    first_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    tag: str = Field(max_length=255)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    agent_email: str | None = Field(default=None, max_length=320)
    agent_name: str | None = Field(default=None, max_length=255)
    reported_at: datetime
    last_event_at: datetime
    removed_at: datetime | None = None


class ImpactMember(SQLModel, table=True):
    """How many active pain points of `owner_id`'s merge group (the problem and every problem
    merged into it, at any depth) name one customer (`kind` "c") or account ("a"); a tally
    whose count reaches zero is deleted. The problem's `customers` and `accounts` count its
    rows; processing keeps both by difference, `voice-router recompute` checks them against a
    recount. Merge suggestions find the groups that share a member through
    `ix_impactmember_shared`. `n` is in no index, and on PostgreSQL pages keep a fifth free
    (migration 0019), so moving a count writes no index entry."""

    __table_args__ = (sa.Index("ix_impactmember_shared", "kind", "member_id", "owner_id"),)

    owner_id: int = Field(foreign_key="problem.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=1)
    member_id: int = Field(primary_key=True)
    n: int


class ImpactDay(SQLModel, table=True):
    """Tickets of `owner_id`'s merge group first reported on `day` (UTC): a ticket counts once
    per group, on the day of its earliest active pain point there. Trends and sparklines
    read these instead of the pain points; they add up to the problem's `tickets`."""

    owner_id: int = Field(foreign_key="problem.id", primary_key=True)
    day: date = Field(primary_key=True)
    tickets: int


class ApiToken(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class UiSession(SQLModel, table=True):
    """A signed-in UI session. The cookie holds a random id whose SHA-256 is `session_hash`;
    sign-out sets `ended_at`, so a copied cookie stops working at once."""

    id: int = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    token_id: int = Field(foreign_key="apitoken.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class CustomerNotice(SQLModel, table=True):
    """An agent told this customer of the fix that shipped at `fix_shipped_at` (mark-sent)."""

    __table_args__ = (sa.UniqueConstraint("problem_id", "customer_id", name="uq_notice"),)

    id: int = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    customer_id: int = Field(foreign_key="customer.id")
    notified_at: datetime = Field(default_factory=utcnow)
    notified_by: str | None = Field(default=None, max_length=100)
    fix_shipped_at: datetime | None = None


class Outbound(SQLModel, table=True):
    """One message we owe someone because a problem shipped: an internal note on a ticket
    (`channel` writeback, `target` source:ticket) or an agent digest (`channel` digest,
    `target` agent e-mail). Unique, so it is sent at most once."""

    __table_args__ = (
        sa.UniqueConstraint("problem_id", "channel", "target", name="uq_outbound"),
        sa.Index("ix_outbound_due", "status", "next_attempt_at"),
    )

    id: int = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id", index=True)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=400)
    outcome: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    result_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # The fix versions the last shipped news that went out on this row named ("" for none;
    # None when none did), and, for shipped news owed after a warning (the fix came back, was
    # reopened, not released), that warning's news: the message says the earlier fix did not
    # hold (closing/corrections.py); on an agent's won't-fix digest, "shipped" when the
    # shipped news went out on it before (the digest then says "after all").
    fix_told: str | None = Field(default=None, max_length=255)
    amends: str | None = Field(default=None, max_length=20)
    # While `sending`: when its request went out (none yet: nothing to have arrived; sending.py)
    request_at: datetime | None = None


class DigestCustomer(SQLModel, table=True):
    """A customer a sent digest of a shipped fix named to its agent (`outbound_id`): the agent
    hears of a customer once per fix, whichever problem of a merge group told them. Let go
    when the fix regresses, or when the digest's news changes (closing/told.py)."""

    outbound_id: int = Field(foreign_key="outbound.id", primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)


class Lease(SQLModel, table=True):
    """Who may do a job that one process at a time must do (the job runner, a reconcile
    pass), until when. A holder that dies simply stops renewing it."""

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    expires_at: datetime


class Setting(SQLModel, table=True):
    """Small pieces of state the service keeps for itself (the reconcile cursor)."""

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Something done to personal data (`forget`), recorded without the personal data:
    `subject_hash` is the sha256 of the lower-cased e-mail, `details` a JSON object of
    counts."""

    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=50)
    subject_hash: str = Field(max_length=64, index=True)
    details: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    actor: str = Field(max_length=255)
