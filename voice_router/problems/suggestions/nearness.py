"""Meaning similarity between merge groups, from the cached problem vectors
(voice_router.problems.vectors).

A group's vector is the sum of its problems' vectors. The problem's group is compared with
every other group by cosine similarity after both are normalised and the background (the
other groups' mean unit vector, shrunk towards zero while there are few) is taken off,
so what every problem shares stops counting.

The unit vectors of all groups depend only on the vectors and the merges, not on the
problem asked about: they are kept while both stay the same, and a call costs two
matrix-vector products. With u the unit rows, b the background and t the problem's row,
(u - b) . (t - b) = u.t - u.b - b.t + b.b and |u - b|^2 = u.u - 2 u.b + b.b, so the rows
never need centring one by one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

KEPT = 4  # spaces kept (one per database and state of the vectors)
PRIOR = 20  # with n groups, the mean is shrunk by n / (n + PRIOR): with two groups, taking
# off their full mean would leave them exact opposites


@dataclass(frozen=True)
class Space:
    index: dict[int, int]  # group root -> row
    rows: np.ndarray  # unit vectors (zero for a zero sum)
    squares: np.ndarray  # each row's squared norm: 1, or 0 for a zero row
    total: np.ndarray  # the rows' sum
    vectors: tuple[np.ndarray, ...]  # held so that the ids in the cache key stay theirs


_SPACES: OrderedDict[tuple[object, ...], Space] = OrderedDict()
_LOCK = threading.Lock()


def similarities(
    vectors: dict[int, np.ndarray], roots: dict[int, int], problem_id: int
) -> dict[int, float]:
    """Group root -> its meaning similarity to `problem_id`'s group, for every other group
    with a vector (problem id -> vector in `vectors`, problem id -> its group root in
    `roots`)."""
    space = _space(vectors, roots)
    row = space.index.get(problem_id)
    if row is None or len(space.index) < 2:
        return {}
    target = space.rows[row]
    others = len(space.index) - 1
    background = (space.total - target) / (others + PRIOR)  # the others' shrunk mean
    bb = float(background @ background)
    ub = space.rows @ background
    ut = space.rows @ target
    tb = float(target @ background)
    t_norm = np.sqrt(max(float(space.squares[row]) - 2 * tb + bb, 0.0))
    norms = np.sqrt(np.maximum(space.squares - 2 * ub + bb, 0.0)) * t_norm
    dots = ut - ub - tb + bb
    alike = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0).tolist()
    return {root: alike[i] for root, i in space.index.items() if root != problem_id}


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
    space = Space(index, rows, squares, rows.sum(axis=0), tuple(vectors.values()))
    with _LOCK:
        _SPACES[key] = space
        while len(_SPACES) > KEPT:
            _SPACES.popitem(last=False)
    return space
