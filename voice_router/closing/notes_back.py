"""The follow-up note on a helpdesk ticket whose note said the fix shipped, when the fix
comes back (the problem is `regressed`), when its Jira issue is reopened (`reopened`), when
its fix version is unreleased under `shipped_when = "released"` (`unreleased`), or when the
issue, Done, is closed as won't fix after all (`wont_fix`: its resolution changed to Won't
Do, say, through a looped transition; sent at once, as a regression's is, and taken back
like a reopen's should the issue be Done as fixed before it went).

The shipped note ("the fix … has shipped in 2.4.0") stays on the ticket for good; an agent
who opens the ticket after the fix came back would read that it is fixed. So each ticket
that got it gets one internal note more, saying the fix has come back: once per regression
(a later report on a regressed problem owes nothing more), only where the shipped note went
out (one still waiting is cancelled with the rest of the shipped news: nobody read it), and
never on a ticket none of whose customers is on the notify list any more (forgotten, or the
report withdrawn). A shipped note given up after it went out (no answer came) may be on the
ticket, and counts as sent. The note is a row like any other write-back (closing/outbound.py:
claimed, retried, refused for good): the ticket's own row when the root problem has one,
carrying the new news, else a row of the root's. When the fix ships again, the same rows
carry that news (closing/shipping.py), so the ticket's last note says what is true, and what
became of the fix the ticket heard of before (closing/corrections.py). A fix that came back
and is then reopened owes no note more: the ticket heard it is not fixed.

A reopen's (an unrelease's) note is owed when the agents' heads-up is, and due when it is,
after `[notify].reopen_grace_seconds`: taken back within it (Done, released again), it is not
sent and the ticket's row says the fix shipped again, as it did (regression.take_back_reopen).

Its words are the shipped note's with other news (closing/notes.py, `NEWS`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from voice_router.closing import regression, told
from voice_router.closing.notify import maybe_sent, recipients, writes_notes
from voice_router.models import Outbound
from voice_router.platform.clock import utcnow
from voice_router.platform.settings import Settings
from voice_router.problems import impact


def noted(session: Session, group: list[int]) -> set[str]:
    """The tickets (`source:ticket`) whose last note from any problem of the group said the
    fix shipped: a shipped note went out (or was given up after it went out: it may be on
    the ticket), and no follow-up (it came back, was reopened, not released, closed as won't
    fix) is owed or sent since."""
    rows = session.exec(
        select(Outbound).where(col(Outbound.problem_id).in_(group), Outbound.channel == "writeback")
    ).all()
    went = [row for row in rows if row.sent_at is not None or maybe_sent(row)]
    shipped = {row.target for row in went if row.outcome == "shipped"}
    return shipped - {row.target for row in rows if row.outcome in (*told.WARNINGS, told.WONT_FIX)}


def owe(
    session: Session,
    settings: Settings,
    root_id: int,
    news: str = "regressed",
    due: datetime | None = None,
) -> bool:
    """The fix of this problem (a merge group's root) came back (or, `news`, its issue was
    reopened, its version unreleased): each ticket whose note said it shipped, and whose
    customer is still listed, is owed the follow-up, from `due` on (now when None). True
    when one is."""
    group = impact.merge_group(session, root_id)
    shipped_notes = noted(session, group)
    if not shipped_notes:
        return False  # no ticket heard it shipped: nothing to follow up, no list to read
    listed = {
        f"{report.source}:{report.ticket_id}"
        for customer in recipients(session, root_id)
        for report in customer.reports
        if writes_notes(settings, report.source)
    }
    owed = False
    for target in sorted(shipped_notes & listed):
        row = session.exec(
            select(Outbound).where(
                Outbound.problem_id == root_id,
                Outbound.channel == "writeback",
                Outbound.target == target,
            )
        ).first()
        if row is None:  # the ticket's note went out for a problem merged into the root
            session.add(
                Outbound(
                    problem_id=root_id,
                    channel="writeback",
                    target=target,
                    outcome=news,
                    next_attempt_at=due or utcnow(),
                    fix_told=told.fix_told_in(session, group, "writeback", target),
                )
            )
        else:
            regression.rearm(session, row, news, due or utcnow())
        owed = True
    return owed
