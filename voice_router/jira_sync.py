"""Keeping one Jira issue per problem current: the decisions over the boring client.

- create once a problem has `min_customers` customers, after looking for an issue already
  labelled for it (a crash between "Jira created it" and "we stored the key" must not
  create a second one);
- rewrite the impact block only when its rendered content changed (no call otherwise);
- post each business note once, and one comment on a merged problem's issue;
- 401/403/400 stop and put the error on the problem; 429 and 5xx are raised as transient.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraError
from integrations.jira.render import AccountLine, Impact, TicketLine, escape, render_block, splice
from voice_router import impact as impact_mod
from voice_router import metrics
from voice_router.clock import iso, utcnow
from voice_router.db import session_scope
from voice_router.models import Account, Note, PainPoint, Problem
from voice_router.settings import JiraSettings, Settings

log = logging.getLogger(__name__)
PENDING = "pending"
CLIENT_TIMEOUT = 10.0  # seconds, on every call to Jira


@lru_cache(maxsize=4)
def _cached_client(url: str, email: str, api_token: str) -> JiraClient:
    return JiraClient(url, email, api_token, timeout=CLIENT_TIMEOUT, observe=metrics.jira_call)


def client_for(jira: JiraSettings) -> JiraClient:
    """One client per process and Jira site (construction calls the server)."""
    return _cached_client(jira.url, jira.email, jira.api_token)


def problem_label(problem_id: int) -> str:
    return f"vr-problem-{problem_id}"


@dataclass
class SyncOutcome:
    action: str  # off | gone | waiting | created | adopted | updated | unchanged | merged | error
    key: str | None = None


def _impact(session: Session, problem: Problem, base_url: str) -> Impact:
    group = impact_mod.group_of(problem.id, impact_mod.merge_children(session))
    active = (col(PainPoint.problem_id).in_(group), col(PainPoint.removed_at).is_(None))
    accounts = session.exec(
        select(Account)
        .where(col(Account.id).in_(select(PainPoint.account_id).where(*active)))
        .order_by(col(Account.mrr).desc().nulls_last(), col(Account.id))
        .limit(5)
    ).all()
    tickets = session.exec(
        select(PainPoint).where(*active).order_by(col(PainPoint.last_event_at).desc()).limit(5)
    ).all()
    notes_arr = session.exec(select(Note.arr_at_risk).where(col(Note.problem_id).in_(group))).all()
    trend7, trend30 = impact_mod.trends(session, [problem.id])[problem.id]
    return Impact(
        problem_url=f"{base_url.rstrip('/')}/problems/{problem.id}",
        customers=problem.customers,
        accounts=problem.accounts,
        mrr=Decimal(problem.mrr),
        tickets=problem.tickets,
        trend_7d=trend7,
        trend_30d=trend30,
        first_seen=iso(problem.first_seen),
        last_seen=iso(problem.last_seen),
        arr_at_risk=sum((a or Decimal(0) for a in notes_arr), Decimal(0)),
        top_accounts=[AccountLine(a.name or a.domain or a.key, a.mrr) for a in accounts],
        recent_tickets=[
            TicketLine(t.subject, t.ticket_url, t.source, t.ticket_id) for t in tickets
        ],
    )


def _fields(jira: JiraSettings, problem: Problem) -> dict[str, object]:
    """Summary (plain text in Jira, one line) and the optional impact field."""
    fields: dict[str, object] = {"summary": " ".join(problem.title.split())[:250]}
    if jira.impact_field:
        fields[jira.impact_field] = problem.customers
    return fields


def _content_hash(fields: dict[str, object], block: str) -> str:
    return hashlib.sha256(repr((sorted(fields.items()), block)).encode()).hexdigest()


def sync_problem(engine: Engine, settings: Settings, problem_id: int) -> SyncOutcome:
    """Bring the problem's Jira issue up to date. Transient Jira errors propagate."""
    jira = settings.jira
    if not jira.url:
        return SyncOutcome("off")
    try:
        return _sync(engine, settings, problem_id)
    except JiraError as exc:
        if exc.transient:
            raise
        _record_error(engine, problem_id, f"{exc.reason}: {exc.message}")
        log.warning("jira.sync.error", extra={"problem_id": problem_id, "reason": exc.reason})
        return SyncOutcome("error")


def _record_error(engine: Engine, problem_id: int, message: str) -> None:
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is not None:
            problem.jira_error = message[:2000]
            session.add(problem)


def _sync(engine: Engine, settings: Settings, problem_id: int) -> SyncOutcome:
    jira = settings.jira
    with Session(engine, expire_on_commit=False) as session:
        problem = session.get(Problem, problem_id)
        if problem is None:
            return SyncOutcome("gone")
        if problem.merged_into_id is not None:
            return _merge_notice(engine, settings, problem)
        if problem.jira_key is None and problem.jira_unlinked_at is not None:
            return SyncOutcome("unlinked")  # its issue was deleted: a person decides now
        if problem.jira_key is None and problem.customers < jira.min_customers:
            return SyncOutcome("waiting")
        block = render_block(_impact(session, problem, settings.base_url))
        fields = _fields(jira, problem)
        digest = _content_hash(fields, block)
    if (
        problem.jira_key is not None
        and problem.jira_content_hash == digest
        and not _notes_pending(engine, problem_id)
        and not _regression_due(problem)
    ):
        return SyncOutcome("unchanged", problem.jira_key)  # nothing to say: no call at all
    client = client_for(jira)
    action = "unchanged"
    if problem.jira_key is None:
        action = _create_or_adopt(engine, settings, client, problem, fields, block, digest)
    elif problem.jira_content_hash != digest:
        current = client.get_issue(problem.jira_key)
        client.update_fields(
            problem.jira_key, {**fields, "description": splice(current.description, block)}
        )
        _store(engine, problem_id, jira_content_hash=digest, jira_status=current.status)
        action = "updated"
    _post_notes(engine, client, problem_id)
    _regression_notice(engine, settings, client, problem_id)
    _store(engine, problem_id, jira_error=None)
    with Session(engine) as session:
        key = session.get(Problem, problem_id).jira_key
    log.info("jira.sync.%s", action, extra={"problem_id": problem_id, "issue": key})
    return SyncOutcome(action, key)


def _store(engine: Engine, problem_id: int, **values: object) -> None:
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        for name, value in values.items():
            setattr(problem, name, value)
        session.add(problem)


def _create_or_adopt(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    problem: Problem,
    fields: dict[str, object],
    block: str,
    digest: str,
) -> str:
    jira = settings.jira
    label = problem_label(problem.id)
    found = client.search_keys(f'project = "{jira.project}" AND labels = "{label}"', limit=1)
    if found:
        key = found[0]
        _store(engine, problem.id, jira_key=key, jira_url=client.browse_url(key))
        return "adopted"  # the next sync rewrites the block if it differs
    created = client.create_issue(
        {
            **fields,
            "project": {"key": jira.project},
            "issuetype": {"name": jira.issue_type},
            "labels": [*jira.labels, label],
            "description": block,
        }
    )
    _store(
        engine,
        problem.id,
        jira_key=created.key,
        jira_url=created.url,
        jira_content_hash=digest,
        jira_status="To Do",
    )
    client.add_link(
        created.key,
        f"{settings.base_url.rstrip('/')}/problems/{problem.id}",
        f"voice-router problem #{problem.id}",
    )
    return "created"


def _notes_pending(engine: Engine, problem_id: int) -> bool:
    with Session(engine) as session:
        return (
            session.exec(
                select(Note.id).where(
                    Note.problem_id == problem_id,
                    col(Note.jira_comment_id).is_(None) | (Note.jira_comment_id == PENDING),
                )
            ).first()
            is not None
        )


def _regression_due(problem: Problem) -> bool:
    return problem.status == "regressed" and problem.regression_noticed_at is None


def _note_text(note: Note) -> str:
    arr = f" ARR at risk: ${Decimal(note.arr_at_risk):,.0f}." if note.arr_at_risk else ""
    return (
        f"Business note from {escape(note.author, 80)}:{arr}\n"
        f"bq. {escape(note.body, 4000)}\n"
        f"_(voice-router note #{note.id})_"
    )


def _post_notes(engine: Engine, client: JiraClient, problem_id: int) -> None:
    """Each note exactly once: mark it pending before posting; a pending note found on a
    retry is looked up among the issue's comments before it is posted again."""
    with Session(engine) as session:
        problem = session.get(Problem, problem_id)
        notes = session.exec(
            select(Note)
            .where(
                Note.problem_id == problem_id,
                col(Note.jira_comment_id).is_(None) | (Note.jira_comment_id == PENDING),
            )
            .order_by(col(Note.id))
        ).all()
    if not notes or problem is None or problem.jira_key is None:
        return
    for note in notes:
        if note.jira_comment_id == PENDING:
            existing = client.find_comment(problem.jira_key, f"voice-router note #{note.id})")
            if existing:
                _set_note(engine, note.id, existing)
                continue
        _set_note(engine, note.id, PENDING)
        _set_note(engine, note.id, client.add_comment(problem.jira_key, _note_text(note)))


def _set_note(engine: Engine, note_id: int, value: str) -> None:
    with session_scope(engine) as session:
        note = session.get(Note, note_id)
        note.jira_comment_id = value
        session.add(note)


def _regression_notice(
    engine: Engine, settings: Settings, client: JiraClient, problem_id: int
) -> None:
    """A shipped problem that got new reports says so on its issue, once per ship."""
    with Session(engine) as session:
        problem = session.get(Problem, problem_id)
    if problem is None or problem.jira_key is None or problem.status != "regressed":
        return
    if problem.regression_noticed_at is not None:
        return
    client.add_comment(
        problem.jira_key,
        f"voice-router: customers reported this problem again after the fix shipped "
        f"({problem.customers} customers in all now). "
        f"[See the new reports|{settings.base_url.rstrip('/')}/problems/{problem_id}]",
    )
    _store(engine, problem_id, regression_noticed_at=utcnow())


def _merge_notice(engine: Engine, settings: Settings, problem: Problem) -> SyncOutcome:
    with Session(engine) as session:
        survivor = session.get(Problem, problem.merged_into_id)
    if survivor is None or problem.jira_key is None:
        return SyncOutcome("merged", problem.jira_key)
    if problem.jira_merge_notice_for == survivor.id:
        return SyncOutcome("merged", problem.jira_key)
    client = client_for(settings.jira)
    problem_url = f"{settings.base_url.rstrip('/')}/problems/{survivor.id}"
    where = (
        f"[{survivor.jira_key}|{survivor.jira_url}]"
        if survivor.jira_key
        else f"[voice-router problem #{survivor.id}|{problem_url}]"
    )
    client.add_comment(
        problem.jira_key,
        f"voice-router merged this problem into {where}; its customers are counted there now.",
    )
    _store(engine, problem.id, jira_merge_notice_for=survivor.id)
    return SyncOutcome("merged", problem.jira_key)


def link_issue(engine: Engine, settings: Settings, problem_id: int, key: str) -> Problem:
    """Link an existing issue (checked to exist) instead of creating one."""
    issue = client_for(settings.jira).get_issue(key)
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        problem.jira_key = issue.key
        problem.jira_url = issue.url
        problem.jira_status = issue.status
        problem.jira_content_hash = None
        problem.jira_error = None
        problem.jira_unlinked_at = None
        session.add(problem)
    return problem


def note_transient(engine: Engine, problem_id: int, exc: JiraError) -> None:
    _record_error(engine, problem_id, f"{exc.reason} (retrying): {exc.message}")
