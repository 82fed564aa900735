"""From Jira's word to a problem's status: shipped, won't fix, in progress, regressed.

Decided from the issue's state (status category, resolution, fix versions), so a webhook,
a replayed webhook and a reconcile pass all reach the same answer; events older than the
last one applied change nothing, and our own edits (description, labels) never move a
status because only status, resolution and fix-version changes are looked at.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.closing import fix_versions, notes_back, regression, told
from voice_router.models import Outbound, PainPoint, Problem
from voice_router.platform.clock import plausible, to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems import impact, issue_labels

log = logging.getLogger(__name__)

NOT_A_FIX = frozenset(
    {
        "won't do",
        "won't fix",
        "wont do",
        "wont fix",
        "duplicate",
        "cannot reproduce",
        "can't reproduce",
        "incomplete",
        "declined",
        "not a bug",
        "obsolete",
        "rejected",
        "cancelled",
        "canceled",
    }
)
_CATEGORIES = frozenset({"new", "indeterminate", "done"})
_DONE_NAMES = frozenset({"done", "closed", "resolved", "released", "shipped"})
_STATUS_FIELDS = frozenset({"status", "resolution", "fix version", "fixversions", "fixversion"})


@dataclass(frozen=True)
class IssueState:
    status_name: str | None
    status_category: str | None
    resolution: str | None
    fix_versions_released: tuple[bool, ...]
    at: datetime
    fix_version_names: tuple[str, ...] = ()  # in the order of fix_versions_released


def readable(settings: Settings, state: IssueState) -> bool:
    """Whether the state says where the issue is: Jira's status category, or a status name
    we know (`[jira].not_a_fix` names included). An older Jira's webhook may leave the
    category out, and a status named in another language ("Erledigt") then says nothing we
    can rely on."""
    known = _DONE_NAMES | _no_fix(settings) | {"to do", "open", "backlog", "in progress"}
    return state.status_category in _CATEGORIES or _name(state.status_name) in known


def _name(text: str | None) -> str:
    """A status or resolution name as compared: lower case, a typographic apostrophe (U+2019)
    as a straight one."""
    return (text or "").strip().lower().replace("\u2019", "'")


def category(settings: Settings, state: IssueState) -> str:
    if state.status_category in _CATEGORIES:
        return state.status_category
    name = _name(state.status_name)
    if name in _DONE_NAMES or name in _no_fix(settings):
        return "done"
    return "new" if name in ("to do", "open", "backlog", "") else "indeterminate"


def _no_fix(settings: Settings) -> frozenset[str]:
    """The names that say an issue was closed without a fix: ours and `[jira].not_a_fix`."""
    return NOT_A_FIX | {_name(name) for name in settings.jira.not_a_fix}


def not_a_fix(settings: Settings, state: IssueState) -> bool:
    """Closed without a fix: the resolution says so (Won't Do, Duplicate, ...), or the
    status does. A workflow may have a done status of its own for it ("Won't Do",
    "Declined", "Cancelled"), and a workflow that sets the resolution Done on entering any
    done status (as team-managed projects are reported to) makes an issue moved to its
    "Won't Do" column read as resolved Done."""
    names = _no_fix(settings)
    return _name(state.resolution) in names or _name(state.status_name) in names


def closed_as(settings: Settings, status_name: str | None, resolution: str | None) -> str | None:
    """What the issue was closed as, for the messages that say why: its resolution, but the
    status's name where that alone says it is no fix (resolved Done in a "Won't Do" status)."""
    names = _no_fix(settings)
    if _name(resolution) not in names and _name(status_name) in names:
        return status_name
    return resolution


def decide(settings: Settings, current: str, state: IssueState) -> str:
    """The problem status Jira's issue state means under the configured `shipped_when`."""
    cat = category(settings, state)
    if cat == "done":
        if not_a_fix(settings, state):
            return "wont_fix"
        if settings.jira.shipped_when == "done":
            return "shipped"
        return "shipped" if any(state.fix_versions_released) else "in_progress"
    if cat == "indeterminate":
        return "in_progress"
    # Back in "to do": a problem that had moved on (shipped, won't fix) is being worked again.
    return "open" if current in ("open", "in_progress") and cat == "new" else "in_progress"


def fix_version(state: IssueState) -> str | None:
    """The versions a fix is in, for the messages, as stored (fix_versions.stored): the
    released ones if any, else all Jira names; None when it names none."""
    pairs = list(zip(state.fix_version_names, state.fix_versions_released, strict=False))
    released = [name for name, done in pairs if done and name]
    return fix_versions.stored(released or [name for name, _ in pairs if name])


def touches_status(changed_fields: Iterable[str]) -> bool:
    return bool(_STATUS_FIELDS & {f.lower() for f in changed_fields})


@dataclass(frozen=True)
class Transition:
    problem_id: int
    before: str
    after: str


def apply_state(
    session: Session, settings: Settings, problem: Problem, state: IssueState
) -> Transition | None:
    """Move the problem to the status the issue state means; None when nothing changes or
    the state is older than one already applied."""
    now = utcnow()
    at = to_utc(plausible(state.at, now))
    # One event stamped years ahead (a Jira node's clock) outranked every later one, the
    # reconcile pass's reading of the issue included: the status froze for good.
    applied = to_utc(problem.jira_event_at) if problem.jira_event_at else None
    if applied is not None and plausible(applied, now) is applied and applied > at:
        return None
    problem.jira_event_at = at
    # Jira caps these names well below our columns; a signed body may still say anything.
    problem.jira_status = (state.status_name or problem.jira_status or "")[:100] or None
    problem.jira_status_category = category(settings, state)
    problem.jira_resolution = (state.resolution or "")[:100] or None
    problem.jira_fix_version = fix_version(state)
    if problem.merged_into_id is not None:
        # Its customers are its survivor's now, and hear when the survivor's issue moves: the
        # merged problem's own issue is typically closed as a duplicate, which is not "won't
        # fix" (nor, closed as Done, a shipped fix) for them.
        session.add(problem)
        return None
    before = problem.status
    after = decide(settings, before, state)
    if before == "regressed" and after == "shipped":
        after = "regressed"  # still shipped in Jira; the new reports keep it flagged
    session.add(problem)
    if after == before:
        return None
    problem.status = after
    if after in ("shipped", "wont_fix"):
        # Done again before the reopen's heads-up went out: the fix shipped when it first
        # did, so the customers marked told since then stay told (notify.marks).
        taken_back = regression.take_back_reopen(session, problem.id)
        if not (taken_back and after == "shipped" and problem.shipped_at is not None):
            problem.shipped_at = at
        problem.regressed_at = problem.regression_noticed_at = None
        if after == "wont_fix":
            # Closed as won't fix after it shipped (Done, then Won't Do): a note saying it is
            # fixed that has not gone out never goes; the tickets whose note did go out hear
            # that it no longer holds. The agents' digests say it won't be fixed.
            regression.cancel_unsent_news(session, impact.merge_group(session, problem.id))
            notes_back.owe(session, settings, problem.id, told.WONT_FIX)
        _queue_outbound(session, settings, problem, after)
    elif before in ("shipped", "wont_fix", "regressed"):
        # A fix that came back stays back while its issue is worked again: the warnings and
        # notes saying so, not sent yet, still go (reopened, it owes nothing more: a second
        # "came back" says nothing new); the next ship sends the shipped news instead.
        _cancel_outbound(session, problem.id, told.WARNINGS if before == "regressed" else ())
        if before == "shipped":
            # Out of done: reopened. Still done: under shipped_when = "released", its fix is
            # in no released version any more (unreleased, or the issue moved to another).
            news = "reopened" if category(settings, state) != "done" else "unreleased"
            grace = timedelta(seconds=settings.notify.reopen_grace_seconds)
            channels = told.channels(settings)
            # The tickets first, as for a regression: warn_of_reopen cancels the shipped news
            # not sent, a note given up that may have arrived among it.
            notes_back.owe(session, settings, problem.id, news, now + grace)
            regression.warn_of_reopen(session, problem.id, channels, now + grace, news)
    log.info(
        "problem.status_changed",
        extra={"problem_id": problem.id, "before": before, "after": after},
    )
    return Transition(problem.id, before, after)


def owe_after_merge(engine: Engine, settings: Settings, merged_id: int) -> bool:
    """A problem merged into one whose fix has shipped: its customers' tickets and agents
    are owed the shipped messages now (planned when the survivor shipped, they left them
    out for good: fault audit). An agent told already hears again for the customers the
    merge brought. Merged into one whose fix has come back (regressed): the agents told of
    the merged problem's own fix hear that it is back, and what it still owed (the shipped
    news) is not sent. True when messages were owed: the caller tells the sender, else they
    waited for its next sweep."""
    with session_scope(engine) as session:
        survivor = impact.survivor_of(session, merged_id)
        if survivor is not None and survivor.status == "regressed":
            noted = notes_back.owe(session, settings, survivor.id)
            channels = told.channels(settings)
            return regression.warn_after_merge(session, survivor.id, merged_id, channels) or noted
        if survivor is None or survivor.status != "shipped":
            return False
        _owe_merged(session, settings, survivor, merged_id)
    return True


def _owe_merged(session: Session, settings: Settings, survivor: Problem, merged_id: int) -> None:
    group = impact.merge_group(session, merged_id)
    agents = {
        a
        for a in session.exec(
            select(PainPoint.agent_email).where(*impact.active_in(group)).distinct()
        ).all()
        if a
    }
    regression.count_maybe_told(session, survivor.id, agents, group)
    _queue_outbound(session, settings, survivor, "shipped", agents)


def _queue_outbound(
    session: Session,
    settings: Settings,
    problem: Problem,
    outcome: str,
    again_for: set[str] | frozenset[str] = frozenset(),
) -> None:
    from voice_router.closing.notify import maybe_sent, plan_outbound

    noted = notes_back.noted(session, impact.merge_group(session, problem.id))
    for channel, target in plan_outbound(session, settings, problem, outcome):
        if channel == "writeback" and target in noted:
            continue  # its last note says so already (maybe a merged problem's: fault audit)
        existing = session.exec(
            select(Outbound).where(
                Outbound.problem_id == problem.id,
                Outbound.channel == channel,
                Outbound.target == target,
            )
        ).first()
        if existing is None:
            session.add(
                Outbound(problem_id=problem.id, channel=channel, target=target, outcome=outcome)
            )
        elif maybe_sent(existing) and existing.outcome == outcome and target not in again_for:
            # The same news may have reached them (given up after it went out): never sent
            # again by itself, as a sent one is not (a reopen taken back, a won't-fix again).
            continue
        elif existing.status in ("cancelled", "failed") and existing.sent_at is None:
            told.rearm(session, existing, outcome)
        elif existing.status == "pending" and existing.outcome != outcome:
            told.rearm(session, existing, outcome)  # a warning not sent yet: this news instead
        elif existing.sent_at is not None and existing.outcome != outcome:
            # The news changed since the agent heard (won't fix, then fixed after all; a
            # regression, then fixed again): they hear the new one. Same news, never twice.
            told.rearm(session, existing, outcome)
        elif existing.sent_at is not None and target in again_for:
            told.rearm(session, existing, outcome)


def _cancel_outbound(session: Session, problem_id: int, keep: tuple[str, ...] = ()) -> None:
    """The problem's messages not sent yet are not sent, but those carrying news in `keep`."""
    for row in session.exec(
        select(Outbound).where(
            Outbound.problem_id == problem_id,
            Outbound.status == "pending",
            col(Outbound.outcome).not_in(keep),
        )
    ):
        row.status = "cancelled"
        session.add(row)


def detect_regressions(
    session: Session, settings: Settings, attached: Iterable[tuple[int, datetime]]
) -> list[int]:
    """A new report on a shipped problem marks it regressed (its Jira issue hears once)."""
    attached = list(attached)
    if not attached:
        return []
    parents = impact.merge_parents(session)
    latest: dict[int, datetime] = {}  # root -> the newest report on it or its merged problems
    for problem_id, at in attached:
        when = to_utc(at)
        for root_id in impact.ancestors_in(parents, [problem_id]) - parents.keys():
            latest[root_id] = max(latest.get(root_id, when), when)
    if not latest:
        return []
    roots = session.exec(
        select(Problem)
        .where(
            col(Problem.id).in_(sorted(latest)),
            col(Problem.merged_into_id).is_(None),
            Problem.status == "shipped",
        )
        .order_by(col(Problem.id))
    ).all()
    regressed = []
    for root in roots:
        if root.shipped_at is not None and latest[root.id] > to_utc(root.shipped_at):
            root.status = "regressed"
            root.regressed_at = utcnow()
            session.add(root)
            notes_back.owe(session, settings, root.id)  # before the shipped news is let go
            regression.warn_of_regression(session, root.id, told.channels(settings))
            regressed.append(root.id)
            log.info("problem.regressed", extra={"problem_id": root.id})
    return regressed


def problems_for_issue(
    session: Session, key: str, issue_id: str | None = None, labels: Iterable[str] = ()
) -> list[Problem]:
    """The problems of the issue: by Jira's id, which never changes, then by key. An issue
    moved to another project (or whose project key was renamed) has a new key: its events
    reached no problem, which never shipped (fault audit); the problem takes the new key.
    By id only while the issue still carries the problem's own label (`vr-problem-<id>-…`,
    problems.issue_labels, this install's or the old spelling, since the issue is known by
    its id): an id alone could be another Jira site's."""
    if issue_id:
        found_by_id = session.exec(select(Problem).where(Problem.jira_issue_id == issue_id))
        install, named = issue_labels.install_name(session), set(labels)
        moved = [p for p in found_by_id if named & set(issue_labels.labels_of(p.id, install))]
        taken = key and session.exec(select(Problem.id).where(Problem.jira_key == key)).first()
        for problem in moved:
            if problem.jira_key != key and key and taken is None:
                old = problem.jira_key or ""
                url = problem.jira_url or ""
                problem.jira_url = url[: -len(old)] + key if old and url.endswith(old) else url
                problem.jira_key = key
                session.add(problem)
        if moved:
            return list(moved)
    found = list(session.exec(select(Problem).where(Problem.jira_key == key)).all())
    for problem in found:
        if issue_id and problem.jira_issue_id is None:  # linked before ids were kept
            problem.jira_issue_id = issue_id[:50]
            session.add(problem)
    return found


def unlink_deleted(session: Session, key: str, at: datetime) -> list[int]:
    """The issue was deleted in Jira: forget it, and do not create a new one by ourselves."""
    ids = []
    for problem in session.exec(select(Problem).where(col(Problem.jira_key) == key)):
        problem.jira_key = problem.jira_url = problem.jira_status = None
        problem.jira_issue_id = None
        problem.jira_content_hash = problem.jira_remote_link_at = None
        problem.jira_person_issue = False
        problem.jira_unlinked_at = to_utc(at)
        problem.jira_error = f"the linked issue {key} was deleted in Jira; link one again"
        session.add(problem)
        ids.append(problem.id)
    return ids
