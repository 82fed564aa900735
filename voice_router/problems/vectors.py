"""The meaning vector of each problem (table `problemvector`), for merge suggestions.

A problem's vector is the sum of the unit sentence vectors of its title (twice), its latest
ticket subjects and those of its latest first customer messages that are about it: a message
joins when its cosine with the sum of the rest is at least AGREEMENT, so "see subject" and
side issues stay out (the recipe chosen on the tuning half of
tests/data/suggestions.json, docs/benchmarks.md section 5). Messages are read as quotes
are: one line, greeting dropped, contacts masked, cut at MESSAGE_CHARS.

Written only by jobs: `update` runs after each inbox drain (beside the batches of one
that finds a backlog) and in each reconcile pass (workers/jobs.py) and recomputes the
vectors that are missing, made by another encoder or recipe (`STAMP`, after an upgrade),
made at more tickets than the problem has now (a pain point removed by `forget`, a
replay), or behind the problem's growth (`_stale`).

Read by suggestions without writing: `load` keeps every vector in memory per process,
keyed by (problem id, the row's `updated_at`), and reads from the database only the
problems whose row changed since. A problem with no current row yet has no vector there
until a job stores one (the drain after its first pain point, missing ones first): reads
never encode, so web processes never load the encoder (docs/benchmarks.md, section 6).
numpy is imported where a vector is made or read, not here: a drain whose problems all have
current vectors, or whose due ones another worker is making, loads neither it nor the encoder.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import PainPoint, Problem, ProblemVector
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.upsert import among, insert_missing
from voice_router.problems.meaning import DIM, MODEL, embed
from voice_router.problems.quotes import excerpt
from voice_router.problems.tags import title_from_key

if TYPE_CHECKING:
    import numpy as np

SUBJECTS = 10  # ticket subjects per problem that make its vector (the latest ones)
MESSAGES = 10  # first customer messages per problem that may join it (the latest ones)
MESSAGE_CHARS = 500  # a message is cut here: the encoder reads 128 tokens at most
AGREEMENT = 0.4  # a message joins when its cosine with the rest of the texts is this or more
# Stamped on stored vectors (`problemvector.model`): another encoder or another recipe of
# texts means every stored vector is made again.
STAMP = f"{MODEL}+messages"
CHUNK = 500
ENCODE_CHUNK = 100  # problems whose texts are encoded together (at most ~2,100 texts)
REFRESH = timedelta(hours=1)  # a big problem's vector is made again at most this often
LOCKS = 0x5656  # the first key of the advisory locks of problems whose vector is being made

# database identity -> problem id -> (version: the row's updated_at, vector)
_CACHE: dict[str, dict[int, tuple[object, np.ndarray]]] = {}
_STAMPS: dict[str, tuple[object, ...]] = {}  # (vectors, their latest write, problems)
_LOCK = threading.Lock()


def update(engine: Engine, limit: int | None = None, newer_than: int | None = None) -> int:
    """Recompute and store the vectors that are missing or stale (`_stale`), missing ones
    first, at most `limit` (a drain does a few each time, so encoding costs about one batch
    per drain, not one per problem touched; reconcile catches up), leaving out those another
    process is making now (`_claimed`); with `newer_than`, only the missing vectors of
    problems whose id is above it. Encoding (tens of milliseconds a problem) happens between
    two transactions, never inside one: on SQLite a write transaction holds the lock every
    webhook waits for. Returns how many were written."""
    if limit is not None and limit <= 0:
        return 0
    now = utcnow()
    with Session(engine) as session:
        rows = sorted(_stale_rows(session, now))
    if newer_than is not None:
        rows = [row for row in rows if not row[0] and row[1] > newer_than]
    order = [pid for _, pid, _, _ in rows[:limit]]
    if not order:
        return 0
    with _claimed(engine, order) as mine:
        if not mine:
            return 0
        with Session(engine) as session:  # again: one made meanwhile is no longer stale
            due = {pid: (key, tickets) for _, pid, key, tickets in _stale_rows(session, now, mine)}
            texts = _texts(session, due) if due else {}
        if not due:
            return 0
        vectors: dict[int, np.ndarray] = {}
        ids = list(texts)
        for start in range(0, len(ids), ENCODE_CHUNK):  # a reconcile may make thousands
            chunk = ids[start : start + ENCODE_CHUNK]
            # The chunk's texts in one pass of runs of similar lengths, not a pass (and a
            # short last run) per problem.
            distinct = sorted({text for pid in chunk for part in texts[pid] for text in part})
            found = dict(zip(distinct, embed(distinct), strict=True))
            for pid in chunk:
                lines, messages = texts[pid]
                vectors[pid] = _joined(_rows(found, lines), _rows(found, messages))
        with session_scope(engine) as session:
            _store(session, vectors, due)
    return len(due)


def update_seeing(engine: Engine, limit: int) -> tuple[int, int]:
    """`update`, and the newest problem id as it began: it looked at every problem up to
    that one, so what it left for later is either beyond its `limit` or newer (for a drain
    that makes its vectors beside its batches, then only those of newer problems)."""
    with Session(engine) as session:
        newest = session.exec(select(sa.func.max(Problem.id))).one() or 0
    return update(engine, limit), newest


def _stale_rows(
    session: Session, now: datetime, ids: list[int] | None = None
) -> list[tuple[bool, int, str, int]]:
    """(has a current vector, id, key, tickets) of each problem whose vector is to be made
    (`_stale`): of all of them, or of `ids`."""
    found = []
    chunks = [None] if ids is None else [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    for chunk in chunks:
        problems = select(Problem.id, Problem.key, Problem.tickets)
        made = select(
            ProblemVector.problem_id, ProblemVector.tickets, ProblemVector.updated_at
        ).where(col(ProblemVector.model) == STAMP)
        if chunk is not None:
            problems = problems.where(among(session, Problem.id, chunk))
            made = made.where(among(session, ProblemVector.problem_id, chunk))
        stored = {pid: (tickets, made_at) for pid, tickets, made_at in session.exec(made).all()}
        found += [
            (pid in stored, pid, key, tickets)
            for pid, key, tickets in session.exec(problems).all()
            if _stale(tickets, stored.get(pid), now)
        ]
    return found


@contextmanager
def _claimed(engine: Engine, problem_ids: list[int]) -> Iterator[list[int]]:
    """The problems of `problem_ids` no other process is making a vector for, held until
    the block ends. Two workers whose drains end together would otherwise both load the
    encoder and make the same vectors; the second one now makes none of those (the next
    drain or reconcile makes the rest). On PostgreSQL a session advisory lock per problem on
    a connection of its own, which holds no transaction meanwhile; elsewhere (SQLite: one
    job runner) all of them."""
    if engine.dialect.name != "postgresql":
        yield problem_ids
        return
    with engine.connect() as connection:
        mine = list(
            connection.exec_driver_sql(
                "SELECT id FROM unnest(%s::int[]) AS id WHERE pg_try_advisory_lock(%s::int, id)",
                (problem_ids, LOCKS),
            ).scalars()
        )
        connection.commit()  # session locks outlive it; no transaction stays open
        try:
            yield mine
        finally:
            connection.exec_driver_sql(
                "SELECT pg_advisory_unlock(%s::int, id) FROM unnest(%s::int[]) AS id",
                (LOCKS, mine),
            )
            connection.commit()


def _stale(tickets: int, stored: tuple[int, datetime] | None, now: datetime) -> bool:
    """Whether a problem's vector is to be made again: none yet (or another encoder's);
    fewer tickets than when it was made (`forget`, a removal: their subjects must go);
    while the problem is small, any new ticket; later, once the tickets grew by a tenth, or
    REFRESH after it was made. A big problem's latest subjects and messages say the same
    thing ticket after ticket, and encoding it anew for each batch would cost more than the
    batch."""
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
            .where(col(ProblemVector.model) == STAMP)
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
                col(ProblemVector.model) == STAMP
            )
        ).all()
    )
    changed = [pid for pid, version in versions.items() if known.get(pid) != version]
    import numpy as np

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


def problem_vector(texts: list[str], messages: list[str]) -> np.ndarray:
    """The sum of the unit vectors of `texts` (the title, twice, and subjects) and of those
    `messages` whose cosine with the rest (the texts and the other messages) is at least
    AGREEMENT: a message that says what the problem's other texts say joins, "see subject" or
    a side issue does not; messages that agree with each other join under a tag that says
    little."""
    return _joined(embed(texts), embed(messages))


def _joined(texts: np.ndarray, messages: np.ndarray) -> np.ndarray:
    """`problem_vector` from the unit vectors of the texts and of the messages (a row each):
    a sum, unnormalised, so that the vectors of problems merged together add up."""
    import numpy as np

    core: np.ndarray = texts.sum(axis=0)
    if not len(messages):
        return core
    rest = core + messages.sum(axis=0) - messages
    norms = np.maximum(np.linalg.norm(rest, axis=1), 1e-9)
    agreement = (messages * rest).sum(axis=1) / norms
    joined: np.ndarray = core + messages[agreement >= AGREEMENT].sum(axis=0)
    return joined


def _rows(found: dict[str, np.ndarray], texts: list[str]) -> np.ndarray:
    import numpy as np

    return np.array([found[text] for text in texts], dtype=np.float32).reshape(-1, DIM)


def _texts(
    session: Session, problems: dict[int, tuple[str, int]]
) -> dict[int, tuple[list[str], list[str]]]:
    """What each problem's vector is made of (id -> (key, ticket count)): its name, twice,
    and its latest subjects; its latest first messages."""
    read = _read(session, list(problems))
    texts = {}
    for pid, (key, _) in problems.items():
        name = title_from_key(key)
        subjects, messages = read.get(pid, ([], []))
        texts[pid] = ([name, name, *subjects], messages)
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
         "model": STAMP, "updated_at": now}
        for pid, vector in vectors.items()
    ]  # fmt: skip
    insert_missing(session, ProblemVector, rows)


def _read(session: Session, problem_ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """Up to SUBJECTS distinct subjects and MESSAGES distinct first messages (as `excerpt`
    reads them) of each problem's active pain points, latest first."""
    found: dict[int, tuple[list[str], list[str]]] = {}
    most = max(SUBJECTS, MESSAGES) * 2
    for start in range(0, len(problem_ids), CHUNK):
        chunk = problem_ids[start : start + CHUNK]
        ranked = (
            select(
                PainPoint.problem_id,
                PainPoint.subject,
                PainPoint.first_message,
                sa.func.row_number()
                .over(partition_by=col(PainPoint.problem_id), order_by=col(PainPoint.id).desc())
                .label("n"),
            )
            .where(col(PainPoint.problem_id).in_(chunk), col(PainPoint.removed_at).is_(None))
            .where(col(PainPoint.subject).is_not(None) | col(PainPoint.first_message).is_not(None))
            .subquery()
        )
        query = select(ranked.c.problem_id, ranked.c.subject, ranked.c.first_message).where(
            ranked.c.n <= most
        )
        for pid, subject, message in session.exec(query).all():
            subjects, messages = found.setdefault(pid, ([], []))
            if subject is not None and subject not in subjects and len(subjects) < SUBJECTS:
                subjects.append(subject)
            said = excerpt(message, MESSAGE_CHARS)
            if said and said not in messages and len(messages) < MESSAGES:
                messages.append(said)
    return found
