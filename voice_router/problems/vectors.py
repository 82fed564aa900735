"""The meaning vector of each problem (table `problemvector`), for merge suggestions.

Written only by jobs: `update` runs after each inbox drain and in each reconcile pass
(workers/jobs.py) and recomputes the vectors that are missing, made by another encoder
(`meaning.MODEL`, after an upgrade), made at more tickets than the problem has now (a pain
point removed by `forget`, a replay), or behind the problem's growth (`_stale`).

Read by suggestions without writing: `load` keeps every vector in memory per process,
keyed by (problem id, the row's `updated_at`), and reads from the database only the
problems whose row changed since. A problem with no current row yet has no vector there
until a job stores one (the drain after its first pain point, missing ones first): reads
never encode, so web processes never load the encoder (docs/benchmarks.md, section 6).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import PainPoint, Problem, ProblemVector
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.upsert import insert_missing
from voice_router.problems.meaning import DIM, MODEL, text_vectors
from voice_router.problems.tags import title_from_key

SUBJECTS = 10  # ticket subjects per problem that make its vector (the latest ones)
CHUNK = 500
ENCODE_CHUNK = 100  # problems whose texts are encoded together (~1,200 texts, 2 MB of vectors)
REFRESH = timedelta(hours=1)  # a big problem's vector is made again at most this often

# database identity -> problem id -> (version: the row's updated_at, vector)
_CACHE: dict[str, dict[int, tuple[object, np.ndarray]]] = {}
_STAMPS: dict[str, tuple[object, ...]] = {}  # (vectors, their latest write, problems)
_LOCK = threading.Lock()


def update(engine: Engine, limit: int | None = None) -> int:
    """Recompute and store the vectors that are missing or stale (`_stale`), missing ones
    first, at most `limit` (a drain does a few each time, so encoding never costs more than
    the batch; reconcile catches up). Encoding (milliseconds a problem) happens between two
    transactions, never inside one: on SQLite a write transaction holds the lock every
    webhook waits for. Returns how many were written."""
    now = utcnow()
    with Session(engine) as session:
        rows = session.exec(select(Problem.id, Problem.key, Problem.tickets)).all()
        stored = {
            pid: (tickets, made_at)
            for pid, tickets, made_at in session.exec(
                select(
                    ProblemVector.problem_id, ProblemVector.tickets, ProblemVector.updated_at
                ).where(col(ProblemVector.model) == MODEL)
            ).all()
        }
        stale = [
            (pid in stored, pid, key, tickets)
            for pid, key, tickets in rows
            if _stale(tickets, stored.get(pid), now)
        ]
        due = {pid: (key, tickets) for _, pid, key, tickets in sorted(stale)[:limit]}
        texts = _texts(session, due) if due else {}
    if not due:
        return 0
    vectors: dict[int, np.ndarray] = {}
    ids = list(texts)
    for start in range(0, len(ids), ENCODE_CHUNK):  # a reconcile may make thousands
        vectors.update(text_vectors({pid: texts[pid] for pid in ids[start : start + ENCODE_CHUNK]}))
    with session_scope(engine) as session:
        _store(session, vectors, due)
    return len(due)


def _stale(tickets: int, stored: tuple[int, datetime] | None, now: datetime) -> bool:
    """Whether a problem's vector is to be made again: none yet (or another encoder's);
    fewer tickets than when it was made (`forget`, a removal: their subjects must go);
    while the problem is small, any new ticket; later, once the tickets grew by a tenth, or
    REFRESH after it was made. A big problem's latest subjects say the same thing ticket
    after ticket, and encoding it anew for each batch would cost more than the batch."""
    if stored is None:
        return True
    made_for, made_at = stored
    if tickets == made_for:
        return False
    if tickets < made_for or tickets <= 2 * SUBJECTS:
        return True
    return (tickets - made_for) * 10 >= made_for or to_utc(made_at) + REFRESH <= now


def load(session: Session) -> dict[int, np.ndarray]:
    """problem id -> its vector (unnormalised), for every problem with a current stored one.
    Reads only: two small counts when nothing was written since the last call, else the
    rows that changed. Never encodes."""
    stamp = (
        *session.exec(
            select(sa.func.count(), sa.func.max(ProblemVector.updated_at))
            .select_from(ProblemVector)
            .where(col(ProblemVector.model) == MODEL)
        ).one(),
        session.exec(select(sa.func.count()).select_from(Problem)).one(),
    )
    identity = _identity(session)
    with _LOCK:
        seen = _STAMPS.get(identity)
        cache = _CACHE.setdefault(identity, {})
        if seen == stamp:
            return {pid: vector for pid, (_, vector) in cache.items()}
        known = {pid: version for pid, (version, _) in cache.items()}
    versions = dict(
        session.exec(
            select(ProblemVector.problem_id, ProblemVector.updated_at).where(
                col(ProblemVector.model) == MODEL
            )
        ).all()
    )
    changed = [pid for pid, version in versions.items() if known.get(pid) != version]
    fresh: dict[int, tuple[object, np.ndarray]] = {}
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start : start + CHUNK]
        for pid, version, blob in session.exec(
            select(ProblemVector.problem_id, ProblemVector.updated_at, ProblemVector.vector).where(
                col(ProblemVector.problem_id).in_(chunk)
            )
        ).all():
            fresh[pid] = (version, np.frombuffer(blob, dtype=np.float32, count=DIM))
    with _LOCK:
        cache.update(fresh)
        for pid in [pid for pid, (v, _) in cache.items() if versions.get(pid) != v]:
            del cache[pid]
        _STAMPS[identity] = stamp
        return {pid: vector for pid, (_, vector) in cache.items()}


def _identity(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _texts(session: Session, problems: dict[int, tuple[str, int]]) -> dict[int, list[str]]:
    """What each problem's vector is made of (id -> (key, ticket count)): its name, twice,
    and its latest subjects."""
    subjects = _subjects(session, list(problems))
    texts = {}
    for pid, (key, _) in problems.items():
        name = title_from_key(key)
        texts[pid] = [name, name, *subjects.get(pid, [])]
    return texts


def _store(
    session: Session, vectors: dict[int, np.ndarray], problems: dict[int, tuple[str, int]]
) -> None:
    now = utcnow()
    ids = list(vectors)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(sa.delete(ProblemVector).where(col(ProblemVector.problem_id).in_(chunk)))
    rows = [
        {"problem_id": pid, "vector": vector.tobytes(), "tickets": problems[pid][1],
         "model": MODEL, "updated_at": now}
        for pid, vector in vectors.items()
    ]  # fmt: skip
    insert_missing(session, ProblemVector, rows)


def _subjects(session: Session, problem_ids: list[int]) -> dict[int, list[str]]:
    """Up to SUBJECTS distinct subjects of each problem's active pain points, latest first."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(problem_ids), CHUNK):
        chunk = problem_ids[start : start + CHUNK]
        ranked = (
            select(
                PainPoint.problem_id,
                PainPoint.subject,
                sa.func.row_number()
                .over(partition_by=col(PainPoint.problem_id), order_by=col(PainPoint.id).desc())
                .label("n"),
            )
            .where(col(PainPoint.problem_id).in_(chunk), col(PainPoint.removed_at).is_(None))
            .where(col(PainPoint.subject).is_not(None))
            .subquery()
        )
        query = select(ranked.c.problem_id, ranked.c.subject).where(ranked.c.n <= SUBJECTS * 2)
        for pid, subject in session.exec(query).all():
            mine = found.setdefault(pid, [])
            if subject not in mine and len(mine) < SUBJECTS:
                mine.append(subject)
    return found
