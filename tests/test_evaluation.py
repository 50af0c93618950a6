"""Leave-one-out retrieval and retained similarity (simlab.evaluation).

The expected values come from first principles (hand-made cases whose answer is stated in the
test) or from a brute-force loop over :func:`simlab.rank`, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import simlab
from simlab import evaluation

DISTANCES = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])


def test_nearest_neighbour_of_hand_made_distances_skips_the_query_itself():
    # 0's nearest other is 1 (distance 1), 1's is 0 (1), 2's is 1 (2); the diagonal (0) is never used
    assert evaluation.nearest_neighbours(DISTANCES, direction="lower").ravel().tolist() == [1, 0, 1]
    # 0: 1 hit of 1; 1: hit; 2: finds 1, of another class -> 2 / 3
    assert evaluation.precision_at_k(DISTANCES, [0, 0, 1], direction="lower") == pytest.approx(2 / 3)


def test_higher_is_better_reverses_the_order():
    similarity = -DISTANCES
    assert evaluation.nearest_neighbours(similarity, direction="higher").ravel().tolist() == [1, 0, 1]
    # read as 'higher is better', the raw distances pick the farthest image instead: 0->2, 1->2, 2->0
    assert evaluation.nearest_neighbours(DISTANCES, direction="higher").ravel().tolist() == [2, 2, 0]


def test_ties_keep_the_images_order():
    flat = np.ones((4, 4))  # every pair equally similar
    assert evaluation.nearest_neighbours(flat, 3, direction="higher").tolist() == [
        [1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]
    ]


def test_nan_scores_come_last():
    m = np.array([[1.0, np.nan, 0.2], [np.nan, 1.0, np.nan], [0.2, np.nan, 1.0]])
    assert evaluation.nearest_neighbours(m, 2, metric="pearson").tolist() == [[2, 1], [0, 2], [0, 1]]
    assert evaluation.nearest_neighbours(m, 2, direction="lower").tolist() == [[2, 1], [0, 2], [0, 1]]


def test_precision_at_all_candidates_equals_the_chance_level():
    # with k = N - 1 every candidate is counted, whatever the ranking: exactly the chance level
    rng = np.random.default_rng(1)
    m = rng.random((12, 12))
    labels = rng.integers(0, 3, 12)
    assert evaluation.precision_at_k(m, labels, 11, direction="higher") == pytest.approx(
        evaluation.chance_precision(labels), abs=1e-12
    )


def test_chance_precision_of_hand_made_labels():
    assert evaluation.chance_precision([0, 0, 1, 1]) == pytest.approx(1 / 3)  # 1 of 3 candidates
    assert evaluation.chance_precision(["a", "a", "a", "b"]) == pytest.approx((3 * 2 / 3 + 0) / 4)
    assert evaluation.chance_precision(np.repeat(np.arange(10), 50)) == pytest.approx(49 / 499)


def test_two_clear_classes_are_found_by_every_metric():
    # class 0: a bright left half, class 1: a bright top half, each with small noise (not a mirror
    # image: a bright right half is the left half inverted, which MI cannot tell apart)
    rng = np.random.default_rng(0)
    left = np.zeros((8, 8))
    left[:, :4] = 0.8
    images = np.stack([np.clip((left if i < 4 else left.T) + rng.normal(0, 0.03, (8, 8)), 0, 1)
                       for i in range(8)])
    labels = [0] * 4 + [1] * 4
    for metric in simlab.METRICS:
        assert evaluation.precision_at_k(images, labels, 3, metric=metric, data_range=1.0) == 1.0, metric


@pytest.mark.parametrize("metric", list(simlab.METRICS))
def test_precision_matches_a_brute_force_loop_over_rank(metric):
    ds = simlab.load_dataset("letters", split="test")
    ds = ds[np.concatenate([np.flatnonzero(ds.labels == c)[:4] for c in range(10)])]  # 40 letters
    for k in (1, 5):
        hits = []
        for i in range(len(ds)):
            found = simlab.rank(ds[i], ds, metric=metric, k=None, progress=False).indices
            found = found[found != i][:k]  # leave one out
            hits.append(np.mean(ds.labels[found] == ds.labels[i]))
        assert evaluation.precision_at_k(ds, ds.labels, k, metric=metric) == pytest.approx(np.mean(hits), abs=1e-12)


def test_retained_similarity_of_flat_images_by_hand():
    x = np.stack([np.full((6, 6), v) for v in (0.0, 0.1, 0.3, 0.6)])
    copies = np.stack([x, x + 0.2], axis=1)  # identical copy, and +0.2
    r = evaluation.retained_similarity(x, copies, "mse", data_range=1.0)
    assert r.shape == (4, 2)
    np.testing.assert_allclose(r[:, 0], 1.0)  # an identical copy keeps everything
    # image 0: MSE to the others 0.01, 0.09, 0.36 -> median 0.09; MSE to its copy 0.04
    assert r[0, 1] == pytest.approx((0.04 - 0.09) / (0.0 - 0.09))
    # image 3 (0.6): others 0.36, 0.25, 0.09 -> median 0.25; copy 0.04
    assert r[3, 1] == pytest.approx((0.04 - 0.25) / (0.0 - 0.25))


def test_retained_pearson_forgives_contrast_and_inversion_reaches_the_formula():
    rng = np.random.default_rng(3)
    x = rng.random((5, 8, 8))
    np.testing.assert_allclose(evaluation.retained_similarity(x, 0.5 * x + 0.2, "pearson"), 1.0)
    p = simlab.pairwise(x, "pearson")
    u = np.median(p[~np.eye(5, dtype=bool)].reshape(5, 4), axis=1)
    # r(x, 1 - x) = -1, so retained = (-1 - u) / (1 - u)
    np.testing.assert_allclose(evaluation.retained_similarity(x, 1 - x, "pearson"), (-1 - u) / (1 - u))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 1], direction="lower"), "one entry per image"),
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 0, 1], 3, direction="lower"), "at most N - 1 = 2"),
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 0, 1], 0, direction="lower"), "k must be"),
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 0, 1]), "pass metric="),
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 0, 1], metric="mse", direction="higher"), "contradicts"),
        (lambda: evaluation.precision_at_k(DISTANCES, [0, 0, 1], metric="cosine"), "unknown metric"),
        (lambda: evaluation.precision_at_k(DISTANCES[:2], [0, 0], direction="lower"), "square"),
        (lambda: evaluation.precision_at_k(np.zeros((3, 4, 4)), [0, 0, 1], direction="lower"), "pass metric="),
        (lambda: evaluation.chance_precision([1]), "at least 2"),
        (lambda: evaluation.retained_similarity(np.zeros((3, 4, 4)), np.zeros((3, 4, 4)), "psnr"), "use metric='mse'"),
        (lambda: evaluation.retained_similarity(np.zeros((3, 4, 4)), np.zeros((2, 4, 4)), "mse"), "transformed must"),
        (lambda: evaluation.retained_similarity(np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), "mse"), "at least 2"),
    ],
)
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ------------------------------------------------------ per-query hits and their bootstrap interval


def test_nearest_hits_are_precision_at_1_query_by_query():
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 8, 8)), rng.integers(0, 3, 40)
    hits = evaluation.nearest_hits(images, labels, metric="pearson")
    assert hits.dtype == bool and hits.shape == (40,)
    assert hits.mean() == evaluation.precision_at_k(images, labels, 1, metric="pearson")


def test_bootstrap_interval_of_a_share_matches_the_normal_approximation():
    for share, n in ((0.744, 1000), (0.9, 359)):
        hits = np.r_[np.ones(round(share * n)), np.zeros(n - round(share * n))]
        low, high = evaluation.bootstrap_interval(hits)
        half = 1.96 * np.sqrt(hits.mean() * (1 - hits.mean()) / n)   # the textbook binomial interval
        assert abs(low - (hits.mean() - half)) < 0.01 and abs(high - (hits.mean() + half)) < 0.01
        assert evaluation.bootstrap_interval(hits) == (low, high)      # seeded: the same every run


def test_bootstrap_interval_of_a_paired_difference_contains_zero_only_when_undecided():
    tie = np.r_[np.ones(4), -np.ones(5), np.zeros(350)]          # 4 queries favour one metric, 5 the other
    low, high = evaluation.bootstrap_interval(tie)
    assert low < 0 < high
    clear = np.r_[np.ones(3), -np.ones(17), np.zeros(339)]       # 17 against 3
    assert evaluation.bootstrap_interval(clear)[1] < 0
    assert evaluation.bootstrap_interval(np.zeros(10)) == (0.0, 0.0)


def test_bootstrap_interval_refuses_bad_input_with_a_clear_message():
    with pytest.raises(ValueError, match="values must be a 1-D array"):
        evaluation.bootstrap_interval(np.ones((3, 3)))
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        evaluation.bootstrap_interval(np.r_[0.0, 1.0], confidence=95)
