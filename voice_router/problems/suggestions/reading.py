"""The database reads behind merge suggestions: every unmerged problem's group with its
names, some ticket subjects, and the accounts and customers two groups share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from voice_router.models import ImpactMember, PainPoint, Problem
from voice_router.platform.errors import NotFound
from voice_router.problems.similarity import as_name, significant
from voice_router.problems.suggestions.signals import Group

SUBJECTS = 10  # ticket subjects read per problem


def load_groups(session: Session, problem_id: int) -> tuple[dict[int, Group], dict[int, int]]:
    """Every unmerged problem's group, and each problem's group (its root). Read as plain
    rows (no ORM): this is one row per problem, on every call."""
    rows = (
        session.connection()
        .execute(
            sa.select(
                col(Problem.id),
                col(Problem.key),
                col(Problem.title),
                col(Problem.status),
                col(Problem.merged_into_id),
                col(Problem.accounts),
                col(Problem.customers),
            )
        )
        .all()
    )
    parent: dict[int, int | None] = {row[0]: row[4] for row in rows}
    if problem_id not in parent:
        raise NotFound(f"no problem {problem_id}")
    roots: dict[int, int] = {}
    for pid in parent:
        top, seen = pid, {pid}
        while (up := parent.get(top)) is not None and up not in seen:
            top = up
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
            for word in significant(subject):
                group.words[word] = group.words.get(word, 0) + 1


def _shared(problem_id: int) -> tuple[Any, Any]:
    """`impactmember` rows of other groups (`theirs`) naming a member of this problem's
    group, joined to this group's row for the member (`mine`): a tally exists only while its
    count is above zero, so neither side reads the count (both are read off indexes)."""
    mine, theirs = aliased(ImpactMember), aliased(ImpactMember)
    same = sa.and_(col(mine.kind) == col(theirs.kind), col(mine.member_id) == col(theirs.member_id))
    query = (
        sa.select(col(theirs.owner_id))
        .join(mine, same)
        .where(col(mine.owner_id) == problem_id, col(theirs.owner_id) != problem_id)
    )
    return query, theirs


def shared_counts(
    session: Session, problem_id: int, groups: dict[int, Group]
) -> dict[int, tuple[int, int]]:
    """For every other group, how many accounts and customers it shares with this problem's
    group: one query over the tallies `impactmember` keeps per merge group (a member counts
    while an active pain point of the group names it), found through its index on
    (kind, member_id)."""
    query, theirs = _shared(problem_id)
    query = query.add_columns(theirs.kind, sa.func.count()).group_by(theirs.owner_id, theirs.kind)
    found: dict[int, tuple[int, int]] = {}
    for owner, kind, n in session.exec(query).all():
        if owner in groups:  # a merged problem's own tallies are in its survivor's too
            accounts, customers = found.get(owner, (0, 0))
            found[owner] = (n, customers) if kind == "a" else (accounts, n)
    return found


def shared_members(
    session: Session, problem_id: int, owners: list[int]
) -> dict[int, tuple[set[int], set[int]]]:
    """The accounts and customers each of these groups shares with this problem's group,
    to name them."""
    query, theirs = _shared(problem_id)
    query = query.add_columns(theirs.kind, theirs.member_id)
    found: dict[int, tuple[set[int], set[int]]] = {owner: (set(), set()) for owner in owners}
    for owner, kind, member in session.exec(query.where(col(theirs.owner_id).in_(owners))).all():
        found[owner][0 if kind == "a" else 1].add(member)
    return found
