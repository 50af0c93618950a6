"""Exact and near duplicates equal brute force, and find the copies recorded in the ``overlap`` data set.

Brute force here is the plain definition: every pair compared with ``np.array_equal`` (exact) or
scored with the metric's public pair function (``simlab.mse(a[i], b[j])``...) and compared with the
threshold. The blockwise searches must return exactly those pairs.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import simlab
from simlab import duplicates as dup
from simlab.duplicates import exact_duplicates, ground_truth, near_duplicates

PAIR = {"mse": simlab.mse, "psnr": simlab.psnr, "pearson": simlab.pearson, "ssim": simlab.ssim,
        "mutual_information": simlab.mutual_information,
        "normalized_mutual_information": simlab.normalized_mutual_information}
HIGHER = {"psnr", "pearson", "ssim", "mutual_information", "normalized_mutual_information"}


def _brute_exact(a, b=None):
    if b is None:
        return sorted((i, j) for i, j in itertools.combinations(range(len(a)), 2) if np.array_equal(a[i], a[j]))
    return sorted((i, j) for i in range(len(a)) for j in range(len(b)) if np.array_equal(a[i], b[j]))


def _brute_near(a, b, metric, threshold, **kw):
    other = a if b is None else b
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(len(a)):
            for j in range(i + 1 if b is None else 0, len(other)):
                v = PAIR[metric](a[i], other[j], **kw)
                if (v >= threshold) if metric in HIGHER else (v <= threshold):
                    found.append((i, j))
    return sorted(found)


def _planted(seed=0, n=60, m=45, shape=(7, 7)):
    """Random images with planted exact and near copies within and across the two sets."""
    rng = np.random.default_rng(seed)
    a = rng.random((n, *shape))
    b = rng.random((m, *shape))
    a[5] = a[2]  # within a
    a[9] = a[2]
    b[3] = a[2]  # across, a group of four
    b[7] = a[11]
    b[8] = a[12] + rng.normal(0, 0.01, shape)  # near
    b[10] = a[13] * 0.9 + 0.05  # same up to brightness and contrast: Pearson 1
    a[20] = a[21] + rng.normal(0, 0.02, shape)
    b[0] = 0.5  # constant: Pearson is nan
    a[0] = 0.5
    return a, b


def test_exact_duplicates_equal_the_nested_array_equal_loop_within_and_across():
    a, b = _planted()
    assert _brute_exact(a) == [(2, 5), (2, 9), (5, 9)]
    assert exact_duplicates(a).pairs.tolist() == [list(p) for p in _brute_exact(a)]
    found = exact_duplicates(a, b)
    assert sorted(map(tuple, found.pairs.tolist())) == _brute_exact(a, b)
    assert len(found) == 5 and (found.scores == 0).all()
    # b[3] copies a[2], a[5], a[9]; b[7] copies a[11]; b[0] equals a[0] (both constant 0.5)
    assert found.counts() == {"pairs": 5, "a": 5, "b": 3, "groups": 3}


def test_exact_duplicates_confirm_bytes_so_a_hash_collision_makes_no_pair(monkeypatch):
    a, b = _planted()
    monkeypatch.setattr(dup, "_digests", lambda stack, dtype: np.zeros(len(stack), dtype=np.uint64))
    assert sorted(map(tuple, exact_duplicates(a, b).pairs.tolist())) == _brute_exact(a, b)
    assert exact_duplicates(a).pairs.tolist() == [[2, 5], [2, 9], [5, 9]]


def test_exact_duplicates_treat_minus_zero_as_zero_and_compare_across_dtypes():
    a = np.zeros((3, 2, 2))
    a[1, 0, 0] = -0.0
    a[2, 0, 0] = 1.0
    assert exact_duplicates(a).pairs.tolist() == [[0, 1]]
    u8 = np.array([[[0, 255], [3, 4]]], dtype=np.uint8)
    assert exact_duplicates(u8, u8.astype(np.float64)).pairs.tolist() == [[0, 0]]


@pytest.mark.parametrize("metric, threshold", [("mse", 0.01), ("mse", 0.0), ("psnr", 20.0), ("pearson", 0.95),
                                               ("pearson", 1.0 - 1e-12)])
@pytest.mark.parametrize("within", [True, False])
def test_near_duplicates_by_products_equal_brute_force(metric, threshold, within):
    a, b = _planted()
    kw = {"data_range": 1.0} if metric == "psnr" else {}
    expected = _brute_near(a, None if within else b, metric, threshold, **kw)
    found = near_duplicates(a, None if within else b, metric=metric, threshold=threshold, progress=False, **kw)
    assert sorted(map(tuple, found.pairs.tolist())) == expected
    assert expected  # the planted copies are found
    for (i, j), score in zip(found.pairs, found.scores):
        assert score == PAIR[metric](a[i], (a if within else b)[j], **kw)


@pytest.mark.parametrize("metric", ["mse", "pearson"])
def test_near_duplicates_in_many_blocks_and_with_the_larger_set_second_equal_brute_force(metric, monkeypatch):
    monkeypatch.setattr(dup, "_BLOCK_ENTRIES", 300)  # blocks of 16 x 18 scores
    a, b = _planted(seed=3)
    threshold = 0.03 if metric == "mse" else 0.9
    for x, y in ((a, b), (b, a), (a, None)):
        found = near_duplicates(x, y, metric=metric, threshold=threshold, progress=False)
        assert sorted(map(tuple, found.pairs.tolist())) == _brute_near(x, y, metric, threshold)


def test_near_duplicates_at_a_threshold_equal_to_a_pair_score_include_that_pair():
    a, b = _planted()
    score = simlab.mse(a[12], b[8])
    found = near_duplicates(a, b, metric="mse", threshold=score)
    assert [12, 8] in found.pairs.tolist()
    assert [12, 8] not in near_duplicates(a, b, metric="mse", threshold=np.nextafter(score, 0)).pairs.tolist()


@pytest.mark.parametrize("metric, threshold", [("ssim", 0.5), ("normalized_mutual_information", 1.3),
                                               ("mutual_information", 1.5)])
def test_near_duplicates_with_every_candidate_equal_brute_force(metric, threshold):
    a, b = _planted(n=25, m=20)
    kw = {"data_range": 1.0} if metric == "ssim" else {}
    expected = _brute_near(a, b, metric, threshold, **kw)
    found = near_duplicates(a, b, metric=metric, threshold=threshold, candidates="all", **kw)
    assert sorted(map(tuple, found.pairs.tolist())) == expected and expected
    for (i, j), score in zip(found.pairs, found.scores):
        assert score == PAIR[metric](a[i], b[j], **kw)


def test_ssim_nearest_neighbour_candidates_find_every_near_copy_of_the_overlap_data():
    truth = ground_truth()
    train = simlab.load_dataset("overlap", split="train")
    test = simlab.load_dataset("overlap", split="test")
    copies = truth.pairs("train", "test")
    rows = np.unique(np.r_[copies[:60, 0], np.arange(150)])  # copies' originals and other letters
    cols = np.unique(np.r_[copies[:60, 1], np.arange(40)])
    a, b = train.images[rows], test.images[cols]
    expected = _brute_near(a, b, "ssim", 0.9, data_range=1.0)
    found = near_duplicates(a, b, metric="ssim", threshold=0.9, data_range=1.0)
    assert sorted(map(tuple, found.pairs.tolist())) == expected
    assert found.candidates < len(a) * len(b) / 5


def test_exact_duplicates_find_the_recorded_copies_of_the_overlap_data():
    truth = ground_truth()
    train = simlab.load_dataset("overlap", split="train")
    test = simlab.load_dataset("overlap", split="test")
    found = exact_duplicates(train, test)
    expected = truth.pairs("train", "test", "exact")
    assert sorted(map(tuple, found.pairs.tolist())) == sorted(map(tuple, expected.tolist()))
    assert found.counts()["b"] == 125  # 12.5 % of the 1,000 test images are also in train
    within = exact_duplicates(train)
    assert sorted(map(tuple, within.pairs.tolist())) == sorted(map(tuple, truth.pairs("train", kind="exact").tolist()))


def test_near_duplicates_by_mse_at_the_suggested_threshold_find_all_but_the_shifted_copies():
    truth = ground_truth()
    train = simlab.load_dataset("overlap", split="train")
    test = simlab.load_dataset("overlap", split="test")
    found = {tuple(p) for p in near_duplicates(train, test).pairs.tolist()}
    true = {tuple(p) for p in truth.pairs("train", "test").tolist()}
    test_kind = truth.kind[truth.split == "test"]
    missed = true - found
    assert found <= true  # no false pair at MSE <= 0.005
    assert missed and all(test_kind[j] == "shift" for _, j in missed)


def test_groups_are_connected_components_and_masks_mark_the_copied_images():
    a, b = _planted()
    found = exact_duplicates(a)
    groups = found.groups()
    assert len(groups) == 1 and groups[0].tolist() == [2, 5, 9]
    across = exact_duplicates(a, b)
    as_lists = [(x.tolist(), y.tolist()) for x, y in across.groups()]
    assert as_lists == [([2, 5, 9], [3]), ([0], [0]), ([11], [7])]
    mask = across.mask("b")
    assert mask.shape == (45,) and np.flatnonzero(mask).tolist() == [0, 3, 7]
    assert across.indices("a").tolist() == [0, 2, 5, 9, 11]


def test_repr_and_table_state_the_rule_and_list_the_best_pairs_first():
    a, b = _planted()
    found = near_duplicates(a, b, metric="pearson", threshold=0.95)
    text = repr(found)
    assert text.startswith("Duplicates(pearson >= 0.95 across 60 (a) x 45 (b) images:")
    lines = found.table().splitlines()
    assert lines[0].split() == ["rank", "i", "j", "score"]
    assert lines[1].split()[:3] == ["1", str(found.pairs[0, 0]), str(found.pairs[0, 1])]
    assert list(found.scores) == sorted(found.scores, reverse=True)


def test_bad_input_gets_an_error_naming_the_argument():
    a, b = _planted()
    with pytest.raises(ValueError, match=r"images of a and b must have the same shape, got \(7, 7\) and \(6, 6\)"):
        near_duplicates(a, b[:, :6, :6])
    with pytest.raises(ValueError, match=r"metric"):
        near_duplicates(a, metric="cosine")
    with pytest.raises(TypeError, match=r"threshold must be a number, got '0.1'"):
        near_duplicates(a, threshold="0.1")
    with pytest.raises(ValueError, match=r"data_range is required for ssim"):
        near_duplicates(a, metric="ssim", threshold=0.9)
    with pytest.raises(ValueError, match=r"mse must be >= 0"):
        near_duplicates(a, threshold=-1.0)
    with pytest.raises(ValueError, match=r"a must be a stack"):
        exact_duplicates(a[0])
    with pytest.raises(TypeError, match=r"candidates must be a positive integer or 'all'"):
        near_duplicates(a, metric="ssim", threshold=0.9, data_range=1.0, candidates="some")


def test_overlap_data_set_records_copies_that_match_their_pixels():
    ds = simlab.load_dataset("overlap")
    truth = ground_truth("overlap")
    copies = np.flatnonzero(truth.source >= 0)
    exact = copies[truth.kind[copies] == "exact"]
    near = copies[truth.kind[copies] != "exact"]
    assert all(np.array_equal(ds.images[i], ds.images[truth.source[i]]) for i in exact)
    assert not any(np.array_equal(ds.images[i], ds.images[truth.source[i]]) for i in near)
    assert (ds.labels[copies] == ds.labels[truth.source[copies]]).all()
    assert set(truth.kind[near]) == {"shift", "weight", "antialias", "intensity"}
    data = simlab.datasets.notmnist_dict("overlap")
    assert data["test_dataset"].shape == (1000, 28, 28) and data["train_dataset"].shape == (5000, 28, 28)
    with pytest.raises(ValueError, match="records no copies"):
        ground_truth("letters")
