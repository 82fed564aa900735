"""Keeping one Jira issue per problem current: the decisions over the boring client.

A sync makes every side effect true, each confirmed in the database once Jira took it, and
is "unchanged" — makes no call at all — only when all of them are in place:

- the issue exists: created once a problem has `min_customers` customers, never twice
  (create.py), or linked by a person (links.py);
- issues the problem let go of lost voice-router's block and per-problem label;
- the fields, impact block and labels match what voice-router would write now (a content
  hash); on a person's issue only the block and the labels are voice-router's;
- the remote link back to the problem is there;
- each business note is a comment, and a regression was said (comments.py).

401/403/400 stop and put the error on the problem; 429 and 5xx are raised as transient (the
job comes back after Retry-After or a backoff). A sync that has to wait for Jira's search
(a create whose answer was lost) returns `retry_in` instead of sleeping.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraError
from integrations.jira.render import (
    AccountLine,
    Impact,
    QuoteLine,
    TicketLine,
    TooLong,
    fit_description,
    render_block,
)
from voice_router.models import Account, Note, PainPoint, Problem
from voice_router.platform.clock import iso, utcnow
from voice_router.platform.jira_client import client_for
from voice_router.platform.settings import JiraSettings, Settings
from voice_router.problems.impact import active_in, merge_group, trends
from voice_router.problems.issue_labels import install_of, others, problem_label
from voice_router.problems.quotes import mask_contacts, quotes_for
from voice_router.tracker import comments, links
from voice_router.tracker.create import create_or_adopt
from voice_router.tracker.rows import (
    TEXT_LIMIT,
    detach_keys,
    load,
    problem_url,
    record_error,
    remote_link_id,
    remote_link_problem,
    store_for_issue,
)

log = logging.getLogger(__name__)


@dataclass
class SyncOutcome:
    # off | gone | waiting | unlinked | created | adopted | updated | unchanged | merged |
    # kept (an issue given meanwhile, the one made for it settled as a duplicate) |
    # confirming (come back in `retry_in` seconds) | error
    action: str
    key: str | None = None
    retry_in: float | None = None


def _impact(session: Session, problem: Problem, base_url: str, currency: str) -> Impact:
    group = merge_group(session, problem.id)
    active = active_in(group)
    accounts = session.exec(
        select(Account)
        .where(col(Account.id).in_(select(PainPoint.account_id).where(*active)))
        .order_by(col(Account.mrr).desc().nulls_last(), col(Account.id))
        .limit(5)
    ).all()
    tickets = session.exec(
        select(PainPoint).where(*active).order_by(col(PainPoint.last_event_at).desc()).limit(5)
    ).all()
    notes_arr = session.exec(
        select(col(Note.arr_at_risk)).where(col(Note.problem_id).in_(group))
    ).all()
    trend7, trend30 = trends(session, [problem.id])[problem.id]
    return Impact(
        problem_url=problem_url(base_url, problem.id),
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
            TicketLine(t.subject and mask_contacts(t.subject), t.ticket_url, t.source, t.ticket_id)
            for t in tickets
        ],
        quotes=[QuoteLine(q.text, q.account, q.date) for q in quotes_for(session, group)],
        currency=currency,
    )


def _fields(jira: JiraSettings, problem: Problem) -> dict[str, object]:
    """What voice-router owns besides the block: on its own issues the summary (plain text,
    one line) and the optional impact field; on a person's issue nothing."""
    if problem.jira_person_issue:
        return {}
    fields: dict[str, object] = {"summary": " ".join(problem.title.split())[:250]}
    if jira.impact_field:
        fields[jira.impact_field] = problem.customers
    return fields


def _labels(jira: JiraSettings, problem_id: int, install: str) -> list[str]:
    return list(dict.fromkeys([*jira.labels, problem_label(problem_id, install)]))


def _content_hash(fields: dict[str, object], block: str, labels: list[str]) -> str:
    return hashlib.sha256(repr((sorted(fields.items()), block, labels)).encode()).hexdigest()


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
        record_error(engine, problem_id, f"{exc.reason}: {exc.message}")
        log.warning("jira.sync.error", extra={"problem_id": problem_id, "reason": exc.reason})
        return SyncOutcome("error")
    except TooLong as exc:
        record_error(engine, problem_id, f"too_long: the issue's description leaves no room: {exc}")
        log.warning("jira.sync.error", extra={"problem_id": problem_id, "reason": "too_long"})
        return SyncOutcome("error")


def _in_place(problem: Problem, digest: str) -> bool:
    return (
        problem.jira_key is not None
        and problem.jira_content_hash == digest
        and problem.jira_remote_link_at is not None
        and problem.jira_create_sent_at is None
        and not detach_keys(problem)
        and not comments.regression_due(problem)
    )


def _client(settings: Settings) -> JiraClient:
    return client_for(settings.jira, settings.outbound_timeout_seconds)


def _sync(engine: Engine, settings: Settings, problem_id: int) -> SyncOutcome:
    jira = settings.jira
    with Session(engine, expire_on_commit=False) as session:
        problem = session.get(Problem, problem_id)
        if problem is None:
            return SyncOutcome("gone")
        impact = None
        if problem.merged_into_id is None and (
            problem.jira_key is not None or problem.customers >= jira.min_customers
        ):
            impact = _impact(session, problem, settings.base_url, settings.currency)
    if detach_keys(problem):
        links.detach_pending(engine, settings, _client(settings), problem)
    if problem.merged_into_id is not None:
        return _merge_notice(engine, settings, problem)
    if problem.jira_key is None and problem.jira_unlinked_at is not None:
        return SyncOutcome("unlinked")  # a person unlinked it, or it was deleted: they decide
    if impact is None:
        return SyncOutcome("waiting")
    install = install_of(engine)
    fields, labels = _fields(jira, problem), _labels(jira, problem_id, install)
    digest = _content_hash(fields, render_block(impact), labels)
    if _in_place(problem, digest) and not comments.notes_pending(engine, problem_id):
        return SyncOutcome("unchanged", problem.jira_key)  # nothing to say: no call at all
    client = _client(settings)
    action = "unchanged"
    if problem.jira_key is None:
        description = fit_description(None, impact, TEXT_LIMIT)
        step = create_or_adopt(
            engine,
            settings,
            client,
            problem,
            {**fields, "labels": labels, "description": description},
            install,
        )
        if step.action == "confirming":
            return SyncOutcome("confirming", retry_in=step.retry_in)
        if step.action == "handed":  # merged meanwhile: the survivor's sync takes it on
            return SyncOutcome("merged", step.key)
        if step.action == "created":
            store_for_issue(engine, problem_id, step.key, jira_content_hash=digest)  # type: ignore[arg-type]  # a created step has its key
        action = step.action
        problem = load(engine, problem_id)
        if problem is None or problem.jira_key is None:
            return SyncOutcome("gone")
    key = problem.jira_key
    if problem.jira_content_hash != digest:
        _rewrite(engine, jira, client, problem, fields, impact, (labels, install), digest)
        action = "updated" if action == "unchanged" else action
    done = False
    if problem.jira_remote_link_at is None:
        done |= _link_back(engine, settings, client, problem, known_absent=action == "created")
    done |= comments.post_notes(engine, client, problem_id, key, settings.currency)
    done |= comments.regression_notice(engine, settings, client, problem, key)
    if done and action == "unchanged":
        action = "updated"
    store_for_issue(engine, problem_id, key, jira_error=None)
    log.info("jira.sync.%s", action, extra={"problem_id": problem_id, "issue": key})
    return SyncOutcome(action, key)


def _rewrite(
    engine: Engine,
    jira: JiraSettings,
    client: JiraClient,
    problem: Problem,
    fields: dict[str, object],
    impact: Impact,
    labelling: tuple[list[str], str],
    digest: str,
) -> None:
    """Splice the block into the issue's current description, add missing labels and take
    off other problems' (a merge handed the issue over, an unmerge gave it back), and (on
    voice-router's own issues) set the summary and impact field: one GET, one PUT."""
    key = problem.jira_key
    assert key is not None  # sync() syncs linked problems only
    labels, install = labelling
    current = client.get_issue(key, fields="description,labels,status")
    changes = [{"add": label} for label in labels if label not in current.labels]
    changes += [{"remove": label} for label in others(current.labels, problem.id, install)]
    links.edit(
        client,
        key,
        fields={**fields, "description": fit_description(current.description, impact, TEXT_LIMIT)},
        update={"labels": changes} if changes else None,
        notify=jira.notify_watchers,
    )
    store_for_issue(engine, problem.id, key, jira_content_hash=digest, jira_status=current.status)


def _link_back(
    engine: Engine, settings: Settings, client: JiraClient, problem: Problem, known_absent: bool
) -> bool:
    """The remote link from the issue to the problem page; an issue voice-router did not
    just create may have it already (linked before, without a global id), and may carry
    another problem's, which a merge handed it from or an unmerge gave it back from: that
    one comes off (one issue, one problem)."""
    key, url = problem.jira_key, problem_url(settings.base_url, problem.id)
    assert key is not None  # sync() syncs linked problems only
    current = [] if known_absent else client.remote_links(key)
    there = any((link.get("object") or {}).get("url") == url for link in current)
    for link in current:
        named = remote_link_problem(settings.base_url, link.get("globalId"))
        if named is not None and named != problem.id:
            client.delete_remote_link(key, str(link["globalId"]))
    if not there:
        client.add_remote_link(
            key,
            remote_link_id(settings.base_url, problem.id),
            url,
            f"voice-router problem #{problem.id}",
        )
    store_for_issue(engine, problem.id, key, jira_remote_link_at=utcnow())
    return not there


def _merge_notice(engine: Engine, settings: Settings, problem: Problem) -> SyncOutcome:
    with Session(engine) as session:
        survivor = session.get(Problem, problem.merged_into_id)
    if survivor is None or problem.jira_key is None:
        return SyncOutcome("merged", problem.jira_key)
    if problem.jira_merge_notice_for != survivor.id:
        comments.merge_notice(engine, settings, _client(settings), problem, survivor)
    return SyncOutcome("merged", problem.jira_key)


def note_transient(engine: Engine, problem_id: int, exc: JiraError) -> None:
    record_error(engine, problem_id, f"{exc.reason} (retrying): {exc.message}")
