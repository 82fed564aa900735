"""Creating a problem's issue exactly once, though Jira's search lags and answers get lost.

Before a create, a durable intent (`problem.jira_create_sent_at`) is committed. A create that
answered is stored at once. One whose answer was lost (a timeout, a cut connection, a 5xx)
leaves the intent: Jira may or may not have made the issue, and the search that would show
it can be tens of seconds behind (Jira Cloud's enhanced search is eventually consistent). So
until CONFIRM_WINDOW has passed since that create was sent, a sync only searches for the
per-problem label — adopting what it finds — and asks to come back a little later (2, 4,
8 … s; it never sleeps); only after the window, with nothing found, is a create sent again.
A refusal (400, 401, 403, 404, 429) clears the intent: Jira made nothing. Should an issue
still appear twice (an index slower than the window), reconcile's sweep settles it
(duplicates.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraError, JiraUnavailable
from voice_router.models import Problem
from voice_router.platform import schedule
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems.handover import hand_over
from voice_router.problems.impact import merge_group, survivor_of
from voice_router.problems.issue_labels import problem_label
from voice_router.tracker import search
from voice_router.tracker.rows import holder_of, load, store, store_if_no_issue

log = logging.getLogger(__name__)

CONFIRM_WINDOW = timedelta(seconds=90)  # longer than the search lag we plan for (30 s)
FIRST_CHECK = 2.0  # seconds after the create before the first confirming search


@dataclass(frozen=True)
class CreateStep:
    # created | adopted | confirming | kept (one given meanwhile) | handed (to the survivor
    # of a merge made while the create was on its way)
    action: str
    key: str | None = None
    retry_in: float | None = None


def create_or_adopt(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    problem: Problem,
    fields: dict[str, Any],
    install: str,
) -> CreateStep:
    """`fields`: the whole create (summary, description, labels, ...), project and type
    added here; `install`: this install's name, in the per-problem label."""
    jira = settings.jira
    merged = _merged_into(engine, problem.id)
    if _create_on_its_way(engine, merged):
        # The issue that create makes comes to this problem when it lands (_hand_up): a
        # create of its own now would leave the group two open issues.
        log.info("jira.sync.awaiting_merged_create", extra={"problem_id": problem.id})
        return CreateStep("confirming", retry_in=FIRST_CHECK)
    labelled = search.labelled(client, jira.project, problem_label(problem.id, install))
    found = unheld(engine, problem.id, labelled)
    if found:
        return adopt(engine, settings, client, problem.id, found, install)
    for member in merged_lost_creates(engine, merged):
        key = settle_lost_create(engine, settings, client, member, install)
        if key is not None:
            return CreateStep("adopted", key)
    now = utcnow()
    if problem.jira_create_sent_at is not None:
        elapsed = (now - to_utc(problem.jira_create_sent_at)).total_seconds()
        window = CONFIRM_WINDOW.total_seconds()
        if elapsed < window:
            wait = min(max(FIRST_CHECK, elapsed), window - elapsed)
            log.info(
                "jira.sync.confirming",
                extra={"problem_id": problem.id, "elapsed": round(elapsed, 1), "wait": wait},
            )
            return CreateStep("confirming", retry_in=wait)
    store(engine, problem.id, jira_create_sent_at=now)
    try:
        created = client.create_issue(
            {**fields, "project": {"key": jira.project}, "issuetype": {"name": jira.issue_type}}
        )
    except JiraError as exc:
        if not isinstance(exc, JiraUnavailable):  # refused: nothing was made
            store(engine, problem.id, jira_create_sent_at=None)
        raise
    if not store_if_no_issue(
        engine,
        problem.id,
        jira_key=created.key,
        jira_url=created.url,
        jira_issue_id=created.id,
        jira_status="To Do",
        jira_create_sent_at=None,
        jira_person_issue=False,
        jira_remote_link_at=None,
    ):
        return _made_meanwhile(engine, settings, client, problem.id, [created.key], install)
    survivor = _hand_up(engine, settings, problem.id)
    if survivor is not None:
        log.info(
            "jira.create.handed_over",
            extra={"problem_id": problem.id, "issue": created.key, "survivor": survivor},
        )
        return CreateStep("handed", created.key)
    return CreateStep("created", created.key)


def _merged_into(engine: Engine, problem_id: int) -> list[int]:
    """The problems merged into this one, directly or through others."""
    with Session(engine) as session:
        return [i for i in merge_group(session, problem_id) if i != problem_id]


def _create_on_its_way(engine: Engine, problem_ids: list[int]) -> bool:
    """Whether one of these problems (merged into the one syncing) sent a create that has
    not answered yet (and may still: within CONFIRM_WINDOW)."""
    if not problem_ids:
        return False
    since = utcnow() - CONFIRM_WINDOW
    with Session(engine) as session:
        sent = session.exec(
            select(Problem.id).where(
                col(Problem.id).in_(problem_ids),
                col(Problem.jira_key).is_(None),
                col(Problem.jira_create_sent_at) > since,
            )
        ).first()
    return sent is not None


def merged_lost_creates(engine: Engine, problem_ids: Iterable[int]) -> list[int]:
    """Those of `problem_ids` that are merged and sent a create whose answer was lost: no
    issue, and an intent older than CONFIRM_WINDOW (the window _create_on_its_way waits
    out; a create still on its way may yet land on the problem, which must not hold an
    issue another holds)."""
    ids = sorted(set(problem_ids))
    if not ids:
        return []
    with Session(engine) as session:
        return list(
            session.exec(
                select(Problem.id)
                .where(
                    col(Problem.id).in_(ids),
                    col(Problem.merged_into_id).is_not(None),
                    col(Problem.jira_key).is_(None),
                    col(Problem.jira_create_sent_at) <= utcnow() - CONFIRM_WINDOW,
                )
                .order_by(col(Problem.id))
            )
        )


def settle_lost_create(
    engine: Engine, settings: Settings, client: JiraClient, merged_id: int, install: str
) -> str | None:
    """A merged problem's create whose answer was lost may have made an issue, found under
    its label once the search shows it. The issue is the group's: the survivor takes it as
    a merge hands one over (remembered for an unmerge) if it has none, else it is settled
    as a duplicate of the survivor's. Returns the survivor's issue then; None while the
    search shows nothing."""
    from voice_router.tracker import duplicates

    labelled = search.labelled(client, settings.jira.project, problem_label(merged_id, install))
    found = unheld(engine, merged_id, labelled)
    if not found:
        return None
    survivor = _survivor_issue(engine, merged_id)
    if survivor is None:
        step = adopt(engine, settings, client, merged_id, found, install)
        if step.action != "adopted" or _hand_up(engine, settings, merged_id) is None:
            return None
        return step.key
    for issue in found:
        duplicates.close_duplicate(settings, client, merged_id, issue["key"], survivor, install)
    store(engine, merged_id, jira_create_sent_at=None)
    log.info(
        "jira.create.lost_settled",
        extra={"problem_id": merged_id, "issue": survivor, "duplicates": [i["key"] for i in found]},
    )
    return survivor


def _survivor_issue(engine: Engine, problem_id: int) -> str | None:
    """The issue of the survivor at the top of the problem's merge group, if it has one."""
    with Session(engine) as session:
        survivor = survivor_of(session, problem_id)
        return survivor.jira_key if survivor is not None else None


def _hand_up(engine: Engine, settings: Settings, problem_id: int) -> int | None:
    """The problem was merged while its create was on its way, so the merge found no issue
    to hand over: the issue goes to the survivor at the top of its group now, as the merge
    would have handed it (remembered for an unmerge), if that survivor has none. Returns
    the survivor."""
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.merged_into_id is None or problem.jira_key is None:
            return None
        survivor = survivor_of(session, problem_id)
        if survivor is None or survivor.jira_key is not None:
            return None
        hand_over(session, problem, survivor)
        schedule.sync_due(session, settings, [survivor.id], urgent=True)
        return survivor.id


def unheld(engine: Engine, problem_id: int, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leave out issues another problem holds (one issue, one problem)."""
    with Session(engine) as session:
        return [i for i in found if holder_of(session, i["key"], problem_id) is None]


def adopt(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    problem_id: int,
    found: list[dict[str, Any]],
    install: str,
) -> CreateStep:
    """Take the oldest issue carrying the problem's label (an earlier create whose answer
    was lost); any younger ones are settled as its duplicates."""
    from voice_router.tracker import duplicates

    key = found[0]["key"]
    status = ((found[0].get("fields") or {}).get("status") or {}).get("name")
    if not store_if_no_issue(
        engine,
        problem_id,
        jira_key=key,
        jira_url=client.browse_url(key),
        jira_issue_id=_text_or_none(found[0].get("id")),
        jira_status=(status or "")[:100] or None,
        jira_content_hash=None,  # rewritten in this sync
        jira_create_sent_at=None,
        jira_remote_link_at=None,
        jira_person_issue=False,
    ):
        keys = [i["key"] for i in found]
        return _made_meanwhile(engine, settings, client, problem_id, keys, install)
    log.info("jira.sync.adopted", extra={"problem_id": problem_id, "issue": key})
    for duplicate in found[1:]:
        duplicates.close_duplicate(settings, client, problem_id, duplicate["key"], key, install)
    return CreateStep("adopted", key)


def _made_meanwhile(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    problem_id: int,
    keys: list[str],
    install: str,
) -> CreateStep:
    """The problem got an issue while its own create (or search) was on its way: a merge
    handed it the merged problem's, or a person linked one. That issue stays; the ones made
    or found for the problem are settled as its duplicates (linked, commented, closed, our
    marks taken off), so the group keeps one live issue and none is left unkept."""
    from voice_router.tracker import duplicates

    problem = load(engine, problem_id)
    current = problem.jira_key if problem is not None else None
    if current is None:  # the problem is gone: nothing to keep the issue for
        return CreateStep("created", keys[0])
    for key in keys:
        if key != current:
            duplicates.close_duplicate(settings, client, problem_id, key, current, install)
    log.info(
        "jira.create.superseded",
        extra={"problem_id": problem_id, "issue": current, "duplicates": keys},
    )
    return CreateStep("kept", current)


def _text_or_none(value: object) -> str | None:
    return str(value)[:50] if value is not None else None
