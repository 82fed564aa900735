"""The database reads behind merge suggestions: every unmerged problem's group with its
names, some ticket subjects, and the accounts and customers two groups share."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from voice_router.models import Customer, PainPoint, Problem
from voice_router.platform.errors import NotFound
from voice_router.problems.similarity import as_name, significant
from voice_router.problems.suggestions.signals import Group

SUBJECTS = 10  # ticket subjects read per problem


def load_groups(session: Session, problem_id: int) -> tuple[dict[int, Group], dict[int, int]]:
    """Every unmerged problem's group, and each problem's group (its root)."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
            Problem.id,
            Problem.key,
            Problem.title,
            Problem.status,
            Problem.merged_into_id,
            Problem.accounts,
            Problem.customers,
        )
    ).all()
    parent = {row[0]: row[4] for row in rows}
    if problem_id not in parent:
        raise NotFound(f"no problem {problem_id}")
    roots: dict[int, int] = {}
    for pid in parent:
        top, seen = pid, {pid}
        while parent.get(top) is not None and parent[top] not in seen:
            top = parent[top]
            seen.add(top)
        roots[pid] = top
    groups = {
        pid: Group(pid, status, accounts, customers)
        for pid, _, _, status, merged, accounts, customers in rows
        if merged is None
    }
    for pid, key, title, *_ in rows:
        names = groups[roots[pid]].names
        names.append(as_name(key))
        if title and as_name(title).words != names[-1].words:
            names.append(as_name(title))
    return groups, roots


def read_subjects(
    session: Session, problem_ids: list[int], groups: dict[int, Group], roots: dict[int, int]
) -> None:
    """Up to SUBJECTS ticket subjects of each of these problems, onto their groups. They are
    taken in index order, so each problem costs a few index steps, not a scan of all its
    pain points."""
    active = (col(PainPoint.removed_at).is_(None), col(PainPoint.subject).is_not(None))
    wanted = col(Problem.id).in_(problem_ids)
    if session.get_bind().dialect.name == "postgresql":
        some = (
            select(PainPoint.subject)
            .where(PainPoint.problem_id == Problem.id, *active)
            .limit(SUBJECTS)
            .lateral()
        )
        query = select(Problem.id, some.c.subject).join(some, sa.true()).where(wanted)
    else:  # SQLite has no LATERAL; a correlated IN does the same
        inner = aliased(PainPoint)
        some_ids = (
            select(inner.id)
            .where(inner.problem_id == Problem.id, col(inner.removed_at).is_(None))
            .where(col(inner.subject).is_not(None))
            .limit(SUBJECTS)
            .correlate(Problem)
        )
        query = select(Problem.id, PainPoint.subject).join(
            PainPoint, col(PainPoint.id).in_(some_ids)
        )
        query = query.where(wanted)
    for pid, subject in session.exec(query).all():
        group = groups[roots[pid]]
        if subject not in group.subjects:
            group.subjects.append(subject)
            group.words.update(significant(subject))


def shared_by_group(
    session: Session, members: list[int], roots: dict[int, int], accounts: bool
) -> tuple[int, dict[int, set[int]]]:
    """How many distinct accounts (or customers) this group's active pain points have, and
    for every other group the ones it shares with this one. Pain points are reached through
    their customer (indexed): for accounts, the customers of this group's accounts."""
    column = col(PainPoint.account_id) if accounts else col(PainPoint.customer_id)
    active = (col(PainPoint.removed_at).is_(None), column.is_not(None))
    mine = select(column).where(col(PainPoint.problem_id).in_(members), *active).distinct()
    own = len(session.exec(mine).all())
    found: dict[int, set[int]] = defaultdict(set)
    if not own:
        return 0, found
    customers = select(Customer.id).where(col(Customer.account_id).in_(mine)) if accounts else mine
    reach = col(PainPoint.customer_id).in_(customers)
    rows = session.exec(
        select(PainPoint.problem_id, column)
        .where(reach, column.in_(mine), col(PainPoint.problem_id).not_in(members), *active)
        .distinct()
    ).all()
    for pid, value in rows:
        found[roots[pid]].add(value)  # type: ignore[arg-type]  # the query drops nulls
    return own, found
