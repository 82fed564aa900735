"""Meaning similarity between merge groups (voice_router.problems.suggestions.nearness): the
same figures as centring every vector on the others' background, and the unit vectors of
all groups kept only while the vectors and the merges stay the same."""

from __future__ import annotations

import numpy as np

from voice_router.problems.suggestions import nearness


def _vectors(seed: int = 7, n: int = 12, dim: int = 16) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {pid: rng.normal(size=dim).astype(np.float32) for pid in range(1, n + 1)}


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _centred(sums: dict[int, np.ndarray], problem_id: int) -> dict[int, float]:
    """Row by row, as the suggestions computed it before the space was kept: every row and
    the problem's own normalised, the others' shrunk mean unit vector taken off, normalised
    again, then cosine."""
    others = [pid for pid in sums if pid != problem_id]
    matrix = np.stack([sums[pid] for pid in others])
    background = _unit(matrix).mean(axis=0) * (len(matrix) / (len(matrix) + nearness.PRIOR))
    rows = _unit(_unit(matrix) - background)
    alike = rows @ _unit(_unit(sums[problem_id][None, :]) - background)[0]
    return dict(zip(others, alike.tolist(), strict=True))


def test_the_same_as_centring_each_vector_on_the_others_background():
    vectors = _vectors()
    vectors[4] = np.zeros_like(vectors[4])  # a problem with no words yet
    roots = {pid: pid for pid in vectors}
    for problem_id in (1, 4, 12):
        found = nearness.similarities(vectors, roots, problem_id)
        expected = _centred(vectors, problem_id)
        assert found.keys() == expected.keys()
        assert all(abs(found[pid] - expected[pid]) < 1e-5 for pid in found), problem_id


def test_a_merge_or_a_new_vector_makes_a_new_space():
    vectors = _vectors()
    roots = {pid: pid for pid in vectors}
    before = nearness.similarities(vectors, roots, 1)

    merged = {**roots, 3: 1}  # problem 3 merged into 1: one group, its vectors added up
    after = nearness.similarities(vectors, merged, 1)
    sums = {pid: v for pid, v in vectors.items() if pid != 3} | {1: vectors[1] + vectors[3]}
    expected = _centred(sums, 1)
    assert after.keys() == expected.keys() == set(vectors) - {1, 3}
    assert all(abs(after[pid] - expected[pid]) < 1e-5 for pid in after)

    changed = {**vectors, 5: vectors[1].copy()}  # problem 5's vector made again, now like 1's
    again = nearness.similarities(changed, roots, 1)
    assert again[5] > 0.99 > before[5]
    assert nearness.similarities(vectors, roots, 1) == before


def test_a_problem_without_a_vector_yet_finds_nothing_nor_does_a_lone_group():
    vectors = _vectors(n=3)
    roots = {pid: pid for pid in vectors} | {99: 99}
    assert nearness.similarities(vectors, roots, 99) == {}
    assert nearness.similarities({1: vectors[1]}, {1: 1}, 1) == {}


def _csls(sums: dict[int, np.ndarray], problem_id: int, hubness: float) -> dict[int, float]:
    """The hubness correction the slow way: every group's similarities to all others, the
    mean of its HUB highest, cos(t, c) - hubness * (h(c) - h(t)) / 2."""

    def hub(pid: int) -> float:
        values = sorted(_centred(sums, pid).values(), reverse=True)[: nearness.HUB]
        return sum(values) / len(values)

    own = hub(problem_id)
    return {
        pid: value - hubness * (hub(pid) - own) / 2
        for pid, value in _centred(sums, problem_id).items()
    }


def test_the_hubness_correction_is_csls_over_each_groups_nearest():
    vectors = _vectors(n=nearness.SHORTLIST)  # every other group is in the shortlist
    roots = {pid: pid for pid in vectors}
    for problem_id in (1, 9):
        found = nearness.similarities(vectors, roots, problem_id, hubness=1.0)
        expected = _csls(vectors, problem_id, 1.0)
        assert found.keys() == expected.keys()
        assert all(abs(found[pid] - expected[pid]) < 1e-5 for pid in found), problem_id
    plain = nearness.similarities(vectors, roots, 1)
    assert nearness.similarities(vectors, roots, 1, hubness=0.0) == plain


def test_a_group_near_everything_counts_for_less():
    """A hub (near a dozen groups and the problem) ranks above a group near the problem
    only, until the correction takes its nearness to everything off."""
    rng = np.random.default_rng(3)
    vectors = {pid: rng.normal(size=32).astype(np.float32) for pid in range(1, 41)}
    others = _unit(np.stack([vectors[pid] for pid in range(4, 41)]))
    vectors[2] = (others[:12].sum(axis=0) + 3 * _unit(vectors[1][None, :])[0]).astype(np.float32)
    vectors[3] = (vectors[1] * 0.8 + rng.normal(size=32)).astype(np.float32)  # near 1 only
    roots = {pid: pid for pid in vectors}
    plain = nearness.similarities(vectors, roots, 1)
    corrected = nearness.similarities(vectors, roots, 1, hubness=1.0)
    assert plain[2] > plain[3]
    assert corrected[3] > corrected[2]
