"""Meaning similarity between merge groups, from the cached problem vectors
(voice_router.problems.vectors).

A group's vector is the sum of its problems' vectors. The problem's group is compared with
every other group by cosine similarity after both are normalised and the background (the
other groups' mean unit vector, shrunk towards zero while there are few) is taken off,
so what every problem shares stops counting.

Hubness: some groups (broad ones: "everything is slow") sit close to many others, and
would be suggested for all of them. With `hubness` > 0 each similarity is corrected as in
CSLS (cross-domain similarity local scaling): cos(t, c) - hubness * (h(c) - h(t)) / 2, where
h(x) is the mean of x's HUB highest similarities to the other groups — a candidate near
everything counts for less, a problem near nothing is helped. h is computed only for the
problem and its SHORTLIST most similar groups (the only ones a correction can bring to the
top); the others get the shortlist's mean h.

The unit vectors of all groups depend only on the vectors and the merges, not on the
problem asked about: they are kept while both stay the same, with each row's product
with their sum, and a call costs one matrix-vector product per row asked about (the problem,
and with hubness its shortlist). With u the unit rows, b the background and t the problem's row,
(u - b) . (t - b) = u.t - u.b - b.t + b.b and |u - b|^2 = u.u - 2 u.b + b.b, so the rows
never need centring one by one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

KEPT = 4  # spaces kept (one per database and state of the vectors)
HUB = 10  # a group's hubness: the mean of its this many highest similarities
SHORTLIST = 30  # groups whose hubness is computed per call, the most similar first
PRIOR = 20  # with n groups, the mean is shrunk by n / (n + PRIOR): with two groups, taking
# off their full mean would leave them exact opposites


@dataclass(frozen=True)
class Space:
    index: dict[int, int]  # group root -> row
    rows: np.ndarray  # unit vectors (zero for a zero sum)
    squares: np.ndarray  # each row's squared norm: 1, or 0 for a zero row
    total: np.ndarray  # the rows' sum
    with_total: np.ndarray  # each row . total (u.s below), the same for every call
    total_square: float  # total . total
    vectors: tuple[np.ndarray, ...]  # held so that the ids in the cache key stay theirs


_SPACES: OrderedDict[tuple[object, ...], Space] = OrderedDict()
_LOCK = threading.Lock()


def similarities(
    vectors: dict[int, np.ndarray],
    roots: dict[int, int],
    problem_id: int,
    hubness: float = 0.0,
) -> dict[int, float]:
    """Group root -> its meaning similarity to `problem_id`'s group, for every other group
    with a vector (problem id -> vector in `vectors`, problem id -> its group root in
    `roots`), corrected for hubness (see the module docstring) when `hubness` > 0."""
    space = _space(vectors, roots)
    row = space.index.get(problem_id)
    if row is None or len(space.index) < 2:
        return {}
    alike = _centred(space, np.array([row]))[0]
    if hubness > 0 and len(space.index) > 2:
        alike = _corrected(space, row, alike, hubness)
    values = alike.tolist()
    return {root: values[i] for root, i in space.index.items() if root != problem_id}


def _centred(space: Space, rows: np.ndarray) -> np.ndarray:
    """Each of `rows`' similarities to every row, the background of the others taken off
    (one row of the result per row asked for; its own entry is meaningless). With b = (s -
    t) / c the target's background (s the rows' sum), u.b = (u.s - u.t) / c, t.b and b.b
    likewise: one matrix product, u.t, for all of them."""
    c = len(space.index) - 1 + PRIOR
    us = space.with_total  # (n,)
    # (m, n) as m matrix-vector products: a matrix product goes to the BLAS's threads,
    # several times the CPU time (and more wall time) on a busy machine of few cores
    ut = np.stack([space.rows @ space.rows[row] for row in rows])
    tt = space.squares[rows][:, None]  # |t|^2: 1, or 0 for a zero row
    ts = us[rows][:, None]
    ub = (us[None, :] - ut) / c
    tb = (ts - tt) / c
    bb = (space.total_square - 2 * ts + tt) / (c * c)
    t_norm = np.sqrt(np.maximum(tt - 2 * tb + bb, 0.0))
    norms = np.sqrt(np.maximum(space.squares[None, :] - 2 * ub + bb, 0.0)) * t_norm
    dots = ut - ub - tb + bb
    alike: np.ndarray = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    return alike


def _corrected(space: Space, row: int, alike: np.ndarray, hubness: float) -> np.ndarray:
    """`alike` (row's similarities) with the CSLS hubness correction."""
    n = len(alike)
    ranked = np.argsort(-np.where(np.arange(n) == row, -np.inf, alike), kind="stable")
    near = ranked[: min(SHORTLIST, n - 1)]
    hubs = _hubs(_centred(space, near), near)
    own = _hubs(alike[None, :], np.array([row]))[0]
    hub = np.full(n, hubs.mean(), dtype=alike.dtype)
    hub[near] = hubs
    corrected: np.ndarray = alike - hubness * (hub - own) / 2
    return corrected


def _hubs(alike: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The mean of each row's HUB highest similarities to the other rows."""
    alike = alike.copy()
    alike[np.arange(len(rows)), rows] = -np.inf  # not itself
    k = min(HUB, alike.shape[1] - 1)
    top = np.partition(alike, alike.shape[1] - k, axis=1)[:, -k:]
    means: np.ndarray = top.mean(axis=1)
    return means


def _space(vectors: dict[int, np.ndarray], roots: dict[int, int]) -> Space:
    key = tuple((pid, roots.get(pid), id(v)) for pid, v in vectors.items())
    with _LOCK:
        if key in _SPACES:
            _SPACES.move_to_end(key)
            return _SPACES[key]
    sums: dict[int, np.ndarray] = {}
    for pid, vector in vectors.items():
        root = roots.get(pid)
        if root is not None:
            sums[root] = sums[root] + vector if root in sums else vector.astype(np.float32)
    index = {root: i for i, root in enumerate(sums)}
    matrix = np.stack(list(sums.values())) if sums else np.zeros((0, 1), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    rows = np.zeros_like(matrix)
    np.divide(matrix, norms, out=rows, where=norms > 0)
    squares = (norms[:, 0] > 0).astype(matrix.dtype)
    total = rows.sum(axis=0)
    space = Space(
        index, rows, squares, total, rows @ total, float(total @ total), tuple(vectors.values())
    )
    with _LOCK:
        _SPACES[key] = space
        while len(_SPACES) > KEPT:
            _SPACES.popitem(last=False)
    return space
