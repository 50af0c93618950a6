"""Batch functions equal the pair functions: scores, rank, pairwise, compare, and the Dataset cache."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import simlab
from simlab.datasets import Dataset

LETTERS = simlab.load_dataset("letters")
N = 300  # one full chunk of 256 and a partial one
STACK = LETTERS.images[:N]
QUERY = LETTERS.images[1000]

CASES = [
    ("pearson", {}),
    ("ssim", {}),
    ("ssim", {"gaussian_weights": True}),
    ("ssim", {"win_size": 5, "use_sample_covariance": False, "K1": 0.02, "K2": 0.05}),
    ("mutual_information", {}),
    ("mutual_information", {"bins": 32, "base": np.e}),
    ("normalized_mutual_information", {}),
    ("normalized_mutual_information", {"bins": 8, "method": "geometric"}),
    ("mse", {}),
    ("psnr", {}),
]
IDS = [m + "".join(f"-{k}={v}" for k, v in kw.items()) for m, kw in CASES]


def _pair(metric, a, b, options, data_range=1.0):
    kwargs = dict(options)
    if metric in ("ssim", "psnr"):
        kwargs["data_range"] = data_range
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return getattr(simlab, metric)(a, b, **kwargs)


def _n_cached(ds):
    """How many sets of per-image statistics a Dataset holds (not counting its 'checked finite' flag)."""
    return sum(isinstance(key[0], tuple) for key in ds._cache)


def _loop(metric, query, stack, options, data_range=1.0):
    return np.array([_pair(metric, query, x, options, data_range) for x in stack])


def test_metrics_lists_the_six_metrics_with_their_direction():
    assert {name: info.direction for name, info in simlab.METRICS.items()} == {
        "pearson": "higher",
        "ssim": "higher",
        "mutual_information": "higher",
        "normalized_mutual_information": "higher",
        "mse": "lower",
        "psnr": "higher",
    }


@pytest.mark.parametrize("metric, options", CASES, ids=IDS)
def test_scores_equal_a_loop_over_the_pair_function(metric, options):
    values = simlab.scores(QUERY, STACK, metric, data_range=1.0, **options)
    assert values.shape == (N,) and values.dtype == np.float64
    np.testing.assert_allclose(values, _loop(metric, QUERY, STACK, options), rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric, options", CASES, ids=IDS)
def test_scores_on_a_dataset_cached_and_uncached_are_equal(metric, options):
    ds = Dataset(STACK, LETTERS.labels[:N], LETTERS.classes)
    plain = simlab.scores(QUERY, STACK, metric, data_range=1.0, **options)
    first = simlab.scores(QUERY, ds, metric, **options)  # fills the cache
    assert _n_cached(ds) == (0 if metric in ("mse", "psnr") else 1)
    again = simlab.scores(QUERY, ds, metric, **options)  # uses it
    other = simlab.scores(LETTERS.images[2000], ds, metric, **options)
    np.testing.assert_allclose(first, plain, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(again, first)
    np.testing.assert_allclose(other, _loop(metric, LETTERS.images[2000], STACK, options), rtol=0, atol=1e-12)


def test_cache_is_keyed_on_the_metric_parameters():
    ds = Dataset(STACK[:40], LETTERS.labels[:40], LETTERS.classes)
    for options in ({"win_size": 7}, {"win_size": 3}, {"gaussian_weights": True}, {"win_size": 3}):
        got = simlab.scores(QUERY, ds, "ssim", **options)
        np.testing.assert_allclose(got, _loop("ssim", QUERY, STACK[:40], options), rtol=0, atol=1e-12)
    for bins in (16, 4, 16):
        got = simlab.scores(QUERY, ds, "mutual_information", bins=bins)
        expected = _loop("mutual_information", QUERY, STACK[:40], {"bins": bins})
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    for base in (np.e, 2, 10):  # the cached entropies serve every base
        got = simlab.scores(QUERY, ds, "mutual_information", bins=4, base=base)
        expected = _loop("mutual_information", QUERY, STACK[:40], {"bins": 4, "base": base})
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert _n_cached(ds) == 5  # ssim 7, 3, gaussian; mi 16, 4


def test_cached_mi_follows_the_query_dtype_like_histogram2d():
    ds = Dataset(STACK[:20], LETTERS.labels[:20], LETTERS.classes)
    for query in (QUERY, QUERY.astype(np.float64), QUERY.astype(np.float32)):
        got = simlab.scores(query, ds, "normalized_mutual_information", bins=32)
        expected = _loop("normalized_mutual_information", query, STACK[:20], {"bins": 32})
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_a_subset_of_a_dataset_has_its_own_cache():
    ds = Dataset(STACK, LETTERS.labels[:N], LETTERS.classes)
    simlab.scores(QUERY, ds, "pearson")
    sub = ds[10:20]
    expected = _loop("pearson", QUERY, STACK[10:20], {})
    np.testing.assert_allclose(simlab.scores(QUERY, sub, "pearson"), expected, atol=1e-12)


def test_dataset_supplies_its_data_range():
    ds = Dataset(STACK[:10], LETTERS.labels[:10], LETTERS.classes)
    np.testing.assert_allclose(simlab.scores(QUERY, ds, "psnr"), _loop("psnr", QUERY, STACK[:10], {}), atol=1e-12)


@pytest.mark.parametrize("dtype, data_range", [(np.uint8, 255.0), (np.int16, 65535.0)])
def test_scores_of_integer_stacks_use_the_dtype_range(dtype, data_range):
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    stack = rng.integers(max(info.min, -500), min(info.max, 500), (20, 16, 16)).astype(dtype)
    for metric in ("ssim", "psnr", "mse", "pearson"):
        np.testing.assert_allclose(
            simlab.scores(stack[0], stack, metric), _loop(metric, stack[0], stack, {}, data_range), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("n", [1, 255, 256, 257, 513])
def test_chunk_boundaries_do_not_change_the_scores(n):
    stack = np.concatenate([STACK, STACK])[:n]
    got = simlab.scores(QUERY, stack, "ssim", data_range=1.0)
    np.testing.assert_allclose(got, _loop("ssim", QUERY, stack, {}), rtol=0, atol=1e-12)


def test_rank_returns_the_best_first_by_direction():
    for metric in ("ssim", "mse"):
        values = simlab.scores(QUERY, STACK, metric, data_range=1.0)
        ranking = simlab.rank(QUERY, STACK, metric, k=7, data_range=1.0)
        order = np.argsort(-values if simlab.METRICS[metric].direction == "higher" else values, kind="stable")[:7]
        np.testing.assert_array_equal(ranking.indices, order)
        np.testing.assert_array_equal(ranking.scores, values[order])
        assert ranking.metric == metric
    top = simlab.rank(STACK[5], STACK, "ssim", k=1, data_range=1.0)
    assert top.indices.tolist() == [5]


def test_rank_is_stable_on_ties_and_puts_nan_last():
    a = np.eye(6)
    images = np.stack([np.zeros((6, 6)), a, 2 * a, np.ones((6, 6)), a, -a])
    with pytest.warns(RuntimeWarning, match="2 of the images are constant"):
        ranking = simlab.rank(a, images, "pearson", k=None)
    assert ranking.indices.tolist() == [1, 2, 4, 5, 0, 3]
    assert np.isnan(ranking.scores[-2:]).all()
    assert simlab.rank(a, images, "mse", k=10).indices.tolist() == [1, 4, 0, 2, 5, 3]


def test_pairwise_equals_the_pair_function_over_all_pairs_and_is_symmetric():
    images = LETTERS.images[::500][:12]
    for metric, options in CASES:
        matrix = simlab.pairwise(images, metric, data_range=1.0, **options)
        assert matrix.shape == (12, 12)
        expected = np.array([[_pair(metric, a, b, options) for b in images] for a in images])
        np.testing.assert_allclose(matrix, expected, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(matrix, matrix.T)


def test_pairwise_pearson_equals_np_corrcoef_of_the_flattened_stack():
    images = LETTERS.images[:1100]  # more than one block of rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        matrix = simlab.pairwise(images)
        expected = np.corrcoef(images.reshape(1100, -1).astype(np.float64))
    np.testing.assert_allclose(matrix, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(matrix, matrix.T)


def test_pairwise_on_a_dataset_reuses_its_cache():
    ds = LETTERS[:30]
    first = simlab.pairwise(ds, "ssim")
    assert _n_cached(ds) == 1
    np.testing.assert_array_equal(simlab.pairwise(ds, "ssim"), first)


def test_progress_bar_can_be_forced_and_switched_off(capsys):
    simlab.scores(QUERY, STACK, "mse", progress=True)
    assert "mse scores" in capsys.readouterr().err
    simlab.scores(QUERY, STACK, "mse", progress=False)
    assert capsys.readouterr().err == ""


def test_progress_bar_shows_by_default_when_a_job_is_expected_to_take_seconds(capsys, monkeypatch):
    import dataclasses

    simlab.pairwise(STACK[:40], "ssim", data_range=1.0)  # 820 pairs, well under a second: no bar
    assert capsys.readouterr().err == ""
    slow = dataclasses.replace(simlab.METRICS["ssim"], cost_us=50_000.0)  # as if each pair took 50 ms
    monkeypatch.setitem(simlab.METRICS, "ssim", slow)
    simlab.pairwise(STACK[:40], "ssim", data_range=1.0)
    assert "ssim pairwise" in capsys.readouterr().err
    simlab.scores(QUERY, STACK, "ssim", data_range=1.0)  # 300 pairs x 50 ms
    assert "ssim scores" in capsys.readouterr().err
    simlab.pairwise(STACK[:40], "ssim", data_range=1.0, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("metric, options", CASES, ids=IDS)
def test_pairwise_across_two_stacks_equals_the_pair_function(metric, options):
    rows, cols = STACK[:5], LETTERS.images[2000:2007]
    data_range = {"data_range": 1.0} if metric in ("ssim", "psnr") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = simlab.pairwise(rows, cols, metric, progress=False, **data_range, **options)
        from_dataset = simlab.pairwise(rows, LETTERS[2000:2007], metric, progress=False, **options)  # a Dataset
    expected = np.array([[_pair(metric, r, c, options) for c in cols] for r in rows])
    assert got.shape == (5, 7)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(from_dataset, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", ["ssim", "pearson", "mse"])
def test_scores_and_rank_of_a_stack_of_queries_give_one_row_each(metric):
    queries = LETTERS.images[[1000, 2000, 3000]]
    got = simlab.scores(queries, STACK, metric, data_range=1.0)
    assert got.shape == (3, N)
    for row, q in zip(got, queries):
        np.testing.assert_allclose(row, simlab.scores(q, STACK, metric, data_range=1.0), rtol=0, atol=1e-12)
    rankings = simlab.rank(queries, LETTERS, metric, k=4)
    assert [r.indices[0] for r in rankings] == [1000, 2000, 3000]
    assert rankings[1].indices.tolist() == simlab.rank(queries[1], LETTERS, metric, k=4).indices.tolist()


def test_compare_gives_every_pair_function_as_a_table():
    a, b = LETTERS.images[0], LETTERS.images[1]
    result = simlab.compare(a, b, data_range=1.0, bins=8)
    values = result.as_dict()
    assert list(values) == list(simlab.METRICS)
    expected = {m: _pair(m, a, b, {"bins": 8} if "mutual" in m else {}) for m in simlab.METRICS}
    assert values == expected
    text = str(result)
    for name, value in values.items():
        assert name in text and f"{value:.4f}" in text
    assert "<table" in result._repr_html_() and "ssim" in result._repr_html_()
    assert simlab.compare(a, b, metrics="mse").as_dict() == {"mse": simlab.mse(a, b)}


def test_ssim_batch_equals_pair_for_images_with_and_without_a_dark_first_pixel():
    # the stack mixes images that need a shift (first pixel != 0) and images that do not
    rng = np.random.default_rng(11)
    stack = rng.random((5, 28, 28)) + np.array([0.0, 3.0, 0.0, 1e6, 0.5])[:, None, None]
    stack[[0, 2], 0, 0] = 0.0
    q = stack[1]
    values = simlab.scores(q, stack, "ssim", data_range=1.0)
    expected = [simlab.ssim(q, x, data_range=1.0) for x in stack]
    assert np.abs(values - expected).max() <= 1e-12
