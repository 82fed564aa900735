"""Meaning similarity between merge groups (voice_router.problems.suggestions.nearness): the
background off, each group leaning towards its nearest, and the space kept only while the
vectors and the groups stay the same."""

from __future__ import annotations

import numpy as np

from voice_router.problems.suggestions import nearness


def _vectors(seed: int = 7, n: int = 12, dim: int = 16) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    found = {pid: rng.normal(size=dim).astype(np.float32) for pid in range(1, n + 1)}
    found[2] = found[1] + 0.3 * rng.normal(size=dim).astype(np.float32)  # 1 and 2: a pair
    return found


def test_two_groups_nearest_to_each_other_draw_together_and_the_measure_is_symmetric():
    vectors = _vectors()
    roots = {pid: pid for pid in vectors}
    plain = nearness.similarities(vectors, roots, 1, neighbour=0.0)
    leaning = nearness.similarities(vectors, roots, 1, neighbour=0.5)
    assert set(leaning) == set(vectors) - {1}
    assert max(plain, key=lambda pid: plain[pid]) == 2
    assert leaning[2] > plain[2]  # each other's nearest: closer
    assert max(leaning, key=lambda pid: leaning[pid]) == 2
    back = nearness.similarities(vectors, roots, 2, neighbour=0.5)
    assert abs(back[1] - leaning[2]) < 1e-6


def test_a_merge_or_a_new_vector_makes_a_new_space():
    vectors = _vectors()
    roots = {pid: pid for pid in vectors}
    before = nearness.similarities(vectors, roots, 1, neighbour=0.5)

    merged = {**roots, 3: 1}  # problem 3 merged into 1: one group, its vectors added up
    after = nearness.similarities(vectors, merged, 1, neighbour=0.5)
    assert 3 not in after and set(after) == set(vectors) - {1, 3}
    assert after != {pid: v for pid, v in before.items() if pid != 3}

    changed = {**vectors, 5: vectors[1].copy()}  # problem 5's vector made again, now like 1's
    again = nearness.similarities(changed, roots, 1, neighbour=0.5)
    assert again[5] > before[5] and again[5] > 0.99
    assert nearness.similarities(vectors, roots, 1, neighbour=0.5) == before


def test_a_problem_without_a_vector_yet_finds_nothing_and_one_group_has_no_neighbour():
    vectors = _vectors(n=3)
    roots = {pid: pid for pid in vectors} | {99: 99}
    assert nearness.similarities(vectors, roots, 99, neighbour=0.5) == {}
    alone = {1: vectors[1]}
    assert nearness.similarities(alone, {1: 1}, 1, neighbour=0.5) == {}
