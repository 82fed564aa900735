"""A merged problem's Jira issue handed to its survivor, and given back by an unmerge.

A merge into a problem that has no issue yet hands the merged problem's issue over (one
issue, one problem: the merged problem lets go of it first) and remembers which it was
(`problem.jira_handed_key`); a merged problem whose create was on its way at the merge
hands over the issue it makes as it lands (tracker/create.py), and meanwhile the survivor
makes none of its own. Unmerging gives it back, as long as a problem of the group it
leaves still holds it: the issue was made (or linked) for the merged problem, and its
comments, status and the people working it are about that problem. The holder goes back to
having no issue (it creates its own once it has the customers); the give-back's next syncs
rewrite the issue's block and labels for its problem and take the holder's per-problem
label and remote link off it (tracker/sync.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import Note, Problem

PENDING = "pending"  # a note whose comment was sent and not confirmed yet


def hand_over(session: Session, problem: Problem, survivor: Problem) -> None:
    """`survivor`, which has no issue, takes over `problem`'s."""
    key, url, status = problem.jira_key, problem.jira_url, problem.jira_status
    person, issue_id = problem.jira_person_issue, problem.jira_issue_id
    _let_go(problem)
    problem.jira_handed_key = key
    session.add(problem)
    session.flush()
    _take(survivor, key, url, status, issue_id, person)
    session.add(survivor)


def give_back(session: Session, problem: Problem, group: set[int]) -> int | None:
    """`problem`, unmerged from `group`, takes back the issue it handed over, if a problem
    of the group still holds it (none may: a person linked another meanwhile); returns
    the problem that gave it back."""
    key, problem.jira_handed_key = problem.jira_handed_key, None
    session.add(problem)
    if key is None or problem.jira_key is not None:
        return None
    holder = session.exec(
        select(Problem).where(col(Problem.jira_key) == key, col(Problem.id).in_(group))
    ).first()
    if holder is None:
        return None
    url, status, issue_id = holder.jira_url, holder.jira_status, holder.jira_issue_id
    person = holder.jira_person_issue
    _let_go(holder)
    holder.jira_status_category = holder.jira_resolution = None
    repost_notes(session, holder.id)  # its notes belong on the issue it gets next
    session.add(holder)
    session.flush()
    _take(problem, key, url, status, issue_id, person)
    return holder.id


def _take(
    problem: Problem,
    key: str | None,
    url: str | None,
    status: str | None,
    issue_id: str | None,
    person: bool,
) -> None:
    """`problem` holds the issue from now on; its next sync rewrites the block and labels
    and links it back."""
    problem.jira_key, problem.jira_url, problem.jira_status = key, url, status
    problem.jira_issue_id, problem.jira_person_issue = issue_id, person
    problem.jira_content_hash = problem.jira_remote_link_at = None
    problem.jira_create_sent_at = problem.jira_unlinked_at = None


def _let_go(problem: Problem) -> None:
    problem.jira_key = problem.jira_url = problem.jira_status = None
    problem.jira_issue_id = None
    problem.jira_person_issue = False
    problem.jira_content_hash = problem.jira_remote_link_at = None
    problem.jira_create_sent_at = None


def repost_notes(session: Session, problem_id: int) -> None:
    """The problem moved to another issue: its notes are to be posted there too (each looked
    for first, by its marker, so none is posted twice)."""
    session.execute(
        sa.update(Note)
        .where(col(Note.problem_id) == problem_id, col(Note.jira_comment_id).is_not(None))
        .values(jira_comment_id=PENDING)
    )
