"""Warning the agents who announced a fix that it has come back, that its issue was
reopened in Jira, or (`shipped_when = "released"`) that its fix version was unreleased.

Each agent hears about the customers they were told of for the fix (a sent digest of the
shipped news named them to the agent, table `digestcustomer`) or marked as told
(`mark-sent`, after the fix shipped), through any problem of the merge group; an agent who
marked customers told without ever getting a digest (or whose digest failed) hears by each
configured digest channel. Not about a customer who reported since the ship: nobody told
them it was fixed, and their report is what brought it back. An agent none of whose
customers was told hears nothing. Whom a warning is about is recorded with it (its
`digestcustomer` rows), since the records of who was told of the fix are let go when it is
owed (the next fix is news to everyone).

A reopen's heads-up (and an unrelease's) is owed at once but due only after
`[notify].reopen_grace_seconds`: the messages lane sends it when it comes due (outbound.py),
and a Done (a release) again before it goes puts everything back as it was
(`take_back_reopen`), so a mis-click sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from voice_router.closing import told
from voice_router.closing.notify import MAYBE_SENT, maybe_sent
from voice_router.models import CustomerNotice, Outbound, PainPoint, Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.problems import impact

Pair = tuple[str, str]  # (channel, agent)


def warn_of_regression(session: Session, root_id: int, channels: Sequence[str]) -> None:
    """The fix of this problem (a merge group's root) came back: every agent who heard of it
    is owed a warning about the customers they were told of (say nothing when that is
    nobody: the warning is recorded, and the next fix is new news to them). Told through
    any problem of the group (one since merged into this one), instead of a shipped
    message a merge owed them, not sent yet (fault audit)."""
    _warn(session, root_id, channels, "regressed", utcnow())


def warn_of_reopen(
    session: Session,
    root_id: int,
    channels: Sequence[str],
    due: datetime,
    news: str = "reopened",
) -> None:
    """The issue of this shipped problem (a merge group's root) was reopened in Jira, or
    (`news` "unreleased") its fix version was unreleased: the agents told of the fix are
    owed a heads-up, as for a regression, sent from `due` on."""
    _warn(session, root_id, channels, news, due)


def _warn(
    session: Session, root_id: int, channels: Sequence[str], outcome: str, due: datetime
) -> None:
    group = impact.merge_group(session, root_id)
    whom = _told(session, root_id, group, channels)
    told.let_go(
        session, session.exec(select(Outbound.id).where(col(Outbound.problem_id).in_(group)))
    )
    _owe(session, root_id, whom, None, outcome, due)
    cancel_unsent_news(session, group)


def take_back_reopen(session: Session, root_id: int) -> bool:
    """The issue is done (its version released) again before the heads-up of its reopen (its
    unrelease) went out (a mis-click, or second thoughts within the grace period): it is
    not sent, nor the tickets' follow-up notes (notes_back.py; nor those saying it was
    closed as won't fix, when it is Done as fixed again before they went). Each row that
    had carried the shipped news carries it again, sent (whom the heads-up was about count
    as told of the fix: they were), or given up as one that may have arrived; one made for
    the heads-up alone goes. True when there was one."""
    taken = False
    for row in session.exec(
        select(Outbound).where(
            Outbound.problem_id == root_id,
            col(Outbound.outcome).in_((*told.HEADS_UPS, told.WONT_FIX)),
            Outbound.status == "pending",
        )
    ):
        if not told.heads_up(row.channel, row.outcome):
            continue  # an agent's won't-fix digest: news of its own
        taken = True
        if row.sent_at is not None and MAYBE_SENT in (row.last_error or ""):
            # Given up after it went out: as it was (never sent again by itself, listed by
            # `outbound failed`); dropped, the Done owed it anew and it went twice (audit).
            row.outcome, row.status, row.sent_at = "shipped", "failed", None
            session.add(row)
        elif row.sent_at is not None:
            row.outcome, row.status = "shipped", "sent"
            session.add(row)
        else:
            told.let_go(session, [row.id])
            session.delete(row)
    return taken


def cancel_unsent_news(session: Session, group: list[int]) -> None:
    """The shipped news not sent yet (Slack or the helpdesk was down when the fix shipped)
    would tell that the fix "has shipped" while it is back (or closed as won't fix after
    all): it is not sent. Nobody heard
    it, so nobody is warned of it either. News given up (`failed`) is not kept for a
    resend either: `outbound resend --all` sent it, stale (fault audit); what may have
    arrived was taken for the warning already, or named nobody."""
    for row in session.exec(
        select(Outbound).where(
            col(Outbound.problem_id).in_(group),
            Outbound.outcome == "shipped",
            col(Outbound.status).in_(("pending", "failed")),
            col(Outbound.sent_at).is_(None),
        )
    ):
        row.status = "cancelled"
        session.add(row)


def warn_after_merge(
    session: Session, root_id: int, merged_id: int, channels: Sequence[str]
) -> bool:
    """A problem was merged into `root_id`, whose fix had already come back: the agents told
    of the merged problem's fix hear that it is back, about the customers they were told of
    and have not been warned about; the shipped news it still owed (a digest or a note not
    sent yet) is not sent. True when a warning is owed."""
    merged = impact.merge_group(session, merged_id)
    whom = _told(session, merged_id, merged, channels)
    warned = _warned(session, impact.merge_group(session, root_id))
    owed = _owe(session, root_id, whom, warned, "regressed", utcnow())
    shipped = session.exec(
        select(Outbound).where(col(Outbound.problem_id).in_(merged), Outbound.outcome == "shipped")
    ).all()
    told.let_go(session, [row.id for row in shipped])  # the next fix is news to them too
    cancel_unsent_news(session, merged)
    return owed


def _told(
    session: Session, root_id: int, group: list[int], channels: Sequence[str]
) -> dict[Pair, set[int]]:
    """(channel, agent) -> the customers the agent was told of for the fix of the group's
    problems: by a digest of the shipped news that named them, or a mark-sent since the
    problem shipped. A digest given up after it went out (no answer came) may have been
    read: it counts as sent, naming whom it was to name (only digests recorded sent did:
    its agent was never warned, fault audit). Every pair of a sent digest of the root's
    own is there (maybe with nobody), and of another problem's only when it names someone.
    An agent who marked customers told and had no digest of the fix is there by each of
    `channels` (only agents with a digest were warned: fault audit)."""
    digests, named = _digests(session, group, "shipped")
    whom: dict[Pair, set[int]] = defaultdict(set)
    for row in digests:
        maybe = maybe_sent(row)  # never recorded whom it named, nor let go of them
        own = (row.sent_at is not None or maybe) and row.problem_id == root_id
        # Only the root's own: another problem's digest may record nobody because a
        # regression of its group let go of whom it named.
        guess = own or maybe
        found = named.get(row.id) or (_named_before_records(session, row) if guess else set())
        if found or own:
            whom[(row.channel, row.target)] |= found
    for customer_id, agent in _marked_told(session, group):
        pairs = [pair for pair in whom if pair[1] == agent] or [(c, agent) for c in channels]
        for pair in pairs:
            whom[pair].add(customer_id)
    return whom


def _digests(
    session: Session, group: list[int], outcome: str
) -> tuple[list[Outbound], dict[int, set[int]]]:
    """The group's digests of this news, and the customers recorded for each."""
    rows = session.exec(
        select(Outbound).where(
            col(Outbound.problem_id).in_(group),
            col(Outbound.channel).in_(told.DIGESTS),
            Outbound.outcome == outcome,
        )
    ).all()
    return list(rows), told.named_by(session, [row.id for row in rows])


def _named_before_records(
    session: Session, row: Outbound, leave_out: Sequence[int] = ()
) -> set[int]:
    """Whom a sent digest that recorded nobody named (sent before whom a digest names was
    recorded, migration 0022; or naming nobody new): the agent's customers who reported the
    problem by the time it shipped (not through the problems `leave_out`)."""
    problem = session.get(Problem, row.problem_id)
    if problem is None or problem.shipped_at is None:
        return set()
    group = [p for p in impact.merge_group(session, row.problem_id) if p not in leave_out]
    return set(
        session.exec(
            select(PainPoint.customer_id).where(
                *impact.active_in(group),
                PainPoint.agent_email == row.target,
                col(PainPoint.reported_at) <= problem.shipped_at,
            )
        ).all()
    )


def count_maybe_told(
    session: Session, root_id: int, agents: set[str], merged: Sequence[int]
) -> None:
    """A merge into this shipped problem owes its agents the news for the customers it
    brought (`merged`: the merged problems). An agent whose digest of the fix may have
    arrived (given up after it went out, which records nobody) counts as told of whom it
    was to name, so the digest owed now names only the customers the merge brought: it
    named them all again (fault audit)."""
    for row in session.exec(
        select(Outbound).where(
            Outbound.problem_id == root_id,
            col(Outbound.channel).in_(told.DIGESTS),
            Outbound.outcome == "shipped",
            col(Outbound.target).in_(sorted(agents)),
        )
    ):
        if maybe_sent(row):
            told.record_named(session, row.id, _named_before_records(session, row, merged))


def _marked_told(session: Session, group: list[int]) -> set[tuple[int, str]]:
    """(customer, agent) for every customer marked told of a problem's fix since it shipped,
    with each agent they had reported it to by then."""
    notices = session.exec(
        select(CustomerNotice.customer_id, CustomerNotice.notified_at, Problem.shipped_at)
        .join(Problem, col(Problem.id) == CustomerNotice.problem_id)
        .where(col(CustomerNotice.problem_id).in_(group), col(Problem.shipped_at).is_not(None))
    ).all()
    marked: dict[int, datetime] = {}
    for customer_id, at, shipped_at in notices:
        if shipped_at is not None and to_utc(at) >= to_utc(shipped_at):
            marked[customer_id] = max(marked.get(customer_id, to_utc(at)), to_utc(at))
    if not marked:
        return set()
    reports = session.exec(
        select(PainPoint.customer_id, PainPoint.agent_email, PainPoint.reported_at).where(
            *impact.active_in(group), col(PainPoint.customer_id).in_(sorted(marked))
        )
    ).all()
    return {
        (customer_id, agent)
        for customer_id, agent, at in reports
        if agent and to_utc(at) <= marked[customer_id]
    }


def _warned(session: Session, group: list[int]) -> dict[Pair, set[int]]:
    """(channel, agent) -> the customers a warning of this regression is about already."""
    rows, named = _digests(session, group, "regressed")
    warned: dict[Pair, set[int]] = defaultdict(set)
    for row in rows:
        warned[(row.channel, row.target)] |= named.get(row.id, set())
    return warned


def _owe(
    session: Session,
    root_id: int,
    whom: dict[Pair, set[int]],
    warned: dict[Pair, set[int]] | None,
    outcome: str,
    due: datetime,
) -> bool:
    """The root's warning (`outcome`, sent from `due` on) to each agent, about the customers
    in `whom` not `warned` yet. A new one (`warned` None) owes each agent theirs, whoever it
    is about: the news the agent heard last is then that the fix came back (or was
    reopened, or not released)."""
    owed = False
    group = impact.merge_group(session, root_id)
    for (channel, target), customers in sorted(whom.items()):
        fresh = customers - (warned or {}).get((channel, target), set())
        if warned is not None and not fresh:
            continue
        row = session.exec(
            select(Outbound).where(
                Outbound.problem_id == root_id,
                Outbound.channel == channel,
                Outbound.target == target,
            )
        ).first()
        if row is None:
            row = Outbound(
                problem_id=root_id,
                channel=channel,
                target=target,
                outcome=outcome,
                next_attempt_at=due,
                fix_told=told.fix_told_in(session, group, channel, target),
            )
            session.add(row)
            session.flush()
        elif row.outcome != outcome or row.status != "pending":
            sent = row.sent_at
            rearm(session, row, outcome, due)
            if sent is not None:  # a warning sent already: this one is about the others
                told.let_go(session, [row.id])
        told.record_named(session, row.id, fresh)
        owed = True
    return owed


def rearm(session: Session, row: Outbound, outcome: str, due: datetime) -> None:
    """The message (a digest or a ticket's note) is owed again with this news from `due` on.
    A heads-up's row keeps the time the shipped news was sent (or went out and may have
    arrived, with the error that says so), for take_back_reopen."""
    sent, maybe = row.sent_at, maybe_sent(row)
    went, error = row.next_attempt_at, row.last_error  # when it was last tried, why
    told.rearm(session, row, outcome, due)
    if told.heads_up(row.channel, outcome) and sent is not None:
        row.sent_at = sent
    elif told.heads_up(row.channel, outcome) and maybe:
        # The shipped news may have arrived: kept for take_back_reopen, with when it went
        # out and the error that says so (should a failed try of the heads-up replace that
        # error, it is taken back as sent: still never sent again).
        row.sent_at, row.last_error = went, error
