"""The comments voice-router posts on a problem's issue: each business note once, one notice
when a shipped problem is reported again, one on a merged problem's issue. Each carries a
marker; a comment whose answer may have been lost is looked for by its marker before it is
posted again, so none appears twice."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from integrations.jira.client import JiraClient
from integrations.jira.render import QuoteLine, escape, fit_comment, money, quote_item
from voice_router.models import Note, Problem
from voice_router.platform.clock import iso, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems import impact
from voice_router.problems.handover import PENDING
from voice_router.problems.quotes import since_the_ship
from voice_router.tracker.rows import TEXT_LIMIT, problem_url, store_for_issue


def _unposted(session: Session, problem_id: int) -> SelectOfScalar[Note]:
    """The notes still to post on the problem's issue: its own and those of every problem
    merged into it, which has no issue of its own to speak on (a note a person adds to a
    merged problem was accepted and then never reached Jira: fault audit)."""
    group = impact.merge_group(session, problem_id)
    return select(Note).where(
        col(Note.problem_id).in_(group),
        col(Note.jira_comment_id).is_(None) | (Note.jira_comment_id == PENDING),
    )


def notes_pending(engine: Engine, problem_id: int) -> bool:
    with Session(engine) as session:
        return session.exec(_unposted(session, problem_id).limit(1)).first() is not None


def note_text(note: Note, currency: str) -> str:
    """The note's comment; its ARR in the `currency` setting, as the impact block has it."""
    arr = f" ARR at risk: {money(note.arr_at_risk)} {currency}." if note.arr_at_risk else ""
    return fit_comment(
        f"Business note from {escape(note.author, 80)}:{arr}\n"
        f"bq. {escape(note.body, 4000)}\n"
        f"_(voice-router note #{note.id})_",
        TEXT_LIMIT,
    )


def post_notes(
    engine: Engine, client: JiraClient, problem_id: int, key: str, currency: str
) -> bool:
    """Each note exactly once: mark it pending before posting; a pending note found on a
    retry is looked up among the issue's comments before it is posted again."""
    with Session(engine) as session:
        notes = session.exec(_unposted(session, problem_id).order_by(col(Note.id))).all()
    comments: list[tuple[str, str]] | None = None
    posted = False
    for note in notes:
        marker = f"voice-router note #{note.id})"
        if note.jira_comment_id == PENDING:
            if comments is None:
                comments = client.comments(key)
            existing = next((cid for cid, body in comments if marker in str(body)), None)
            if existing:
                _set_note(engine, note.id, existing)
                continue
        _set_note(engine, note.id, PENDING)
        _set_note(engine, note.id, client.add_comment(key, note_text(note, currency)))
        posted = True
    return posted


def _set_note(engine: Engine, note_id: int, value: str) -> None:
    with session_scope(engine) as session:
        note = session.get(Note, note_id)
        if note is not None:
            note.jira_comment_id = value
            session.add(note)


def comment_once(client: JiraClient, key: str, marker: str, body: str) -> str:
    """Post `body` (which carries `marker`) on the issue unless a comment with the marker is
    already there: a retry after a lost answer finds it instead of posting a second one.
    Returns the comment's id."""
    existing = client.find_comment(key, marker)
    return existing if existing is not None else client.add_comment(key, body)


def regression_due(problem: Problem) -> bool:
    return problem.status == "regressed" and problem.regression_noticed_at is None


def regression_notice(
    engine: Engine, settings: Settings, client: JiraClient, problem: Problem, key: str
) -> bool:
    """A shipped problem that got new reports says so on its issue, once per regression."""
    if not regression_due(problem):
        return False
    marker = f"(voice-router regression {iso(problem.regressed_at) or problem.id})"
    with Session(engine) as session:
        said = [
            quote_item(QuoteLine(q.text, q.account, q.date))
            for q in since_the_ship(session, problem)
        ]
    count = f"{problem.customers} customer{'' if problem.customers == 1 else 's'}"
    words = "In their words:\n" + "\n".join(said) + "\n" if said else ""
    comment_once(
        client,
        key,
        marker,
        f"voice-router: customers reported this problem again after the fix shipped "
        f"({count} in all now).\n{words}"
        f"[See the new reports|{problem_url(settings.base_url, problem.id)}] "
        f"_{marker}_",
    )
    store_for_issue(engine, problem.id, key, regression_noticed_at=utcnow())
    return True


def merge_notice(
    engine: Engine, settings: Settings, client: JiraClient, problem: Problem, survivor: Problem
) -> None:
    """One comment on a merged problem's issue pointing at the survivor's."""
    key = problem.jira_key
    if key is None or problem.jira_merge_notice_for == survivor.id:
        return
    marker = f"(voice-router merge #{problem.id}>{survivor.id})"
    where = (
        f"[{survivor.jira_key}|{survivor.jira_url}]"
        if survivor.jira_key
        else f"[voice-router problem #{survivor.id}|{problem_url(settings.base_url, survivor.id)}]"
    )
    comment_once(
        client,
        key,
        marker,
        f"voice-router merged this problem into {where}; its customers are counted there "
        f"now. _{marker}_",
    )
    store_for_issue(engine, problem.id, key, jira_merge_notice_for=survivor.id)
