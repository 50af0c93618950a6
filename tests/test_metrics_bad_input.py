"""Bad input to the metrics raises an error that names the argument, what was received and what to do."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import simlab
from simlab.correlation import constant_rows, corrcoef_blocks
from simlab.information import entropy, joint_histogram
from simlab.structural import local_statistics, ssim_components

RNG = np.random.default_rng(0)
A = RNG.random((28, 28))
B = RNG.random((28, 28))

PAIR_FUNCS = {
    "pearson": lambda a, b: simlab.pearson(a, b),
    "ssim": lambda a, b: simlab.ssim(a, b, data_range=1.0),
    "mutual_information": lambda a, b: simlab.mutual_information(a, b),
    "normalized_mutual_information": lambda a, b: simlab.normalized_mutual_information(a, b),
    "mse": lambda a, b: simlab.mse(a, b),
    "psnr": lambda a, b: simlab.psnr(a, b, data_range=1.0),
    "corrcoef_blocks": corrcoef_blocks,
    "joint_histogram": joint_histogram,
    "local_statistics": local_statistics,
    "ssim_components": lambda a, b: ssim_components(a, b, data_range=1.0),
}
FUNCS = list(PAIR_FUNCS.values())
NAMES = list(PAIR_FUNCS)


@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_shape_mismatch_names_both_shapes(func):
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(28, 28\) and \(28, 27\)"):
        func(A, B[:, :27])


@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_colour_image_is_refused_with_a_hint(func):
    with pytest.raises(ValueError, match=r"b must be a 2-D grey-level image, got shape \(28, 28, "
                                         r"3\).*colour.*rgb2gray"):
        func(A, np.stack([B] * 3, axis=-1))


@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_stack_given_to_a_pair_function_points_to_scores(func):
    with pytest.raises(ValueError, match=r"a must be a 2-D grey-level image, got shape \(5, 28, "
                                         r"28\).*stack.*simlab.scores"):
        func(np.stack([A] * 5), B)


@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_empty_image_is_refused(func):
    with pytest.raises(ValueError, match=r"a is empty \(shape \(0, 0\)\)"):
        func(np.zeros((0, 0)), np.zeros((0, 0)))


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_nan_or_inf_is_refused(func, bad):
    b = B.copy()
    b[3, 4] = bad
    with pytest.raises(ValueError, match=r"b contains \d NaN and \d infinite values.*replace them first"):
        func(A, b)


def test_text_is_refused_with_a_type_error():
    with pytest.raises(TypeError, match="a must be an array of real numbers"):
        simlab.pearson(np.full((3, 3), "x"), B[:3, :3])


@pytest.mark.parametrize("bins", [0, -3])
def test_bins_below_one_is_refused(bins):
    for func in (simlab.mutual_information, simlab.normalized_mutual_information, joint_histogram):
        with pytest.raises(ValueError, match=rf"bins must be an integer >= 1, got {bins}"):
            func(A, B, bins=bins)
    with pytest.raises(ValueError, match=rf"bins must be an integer >= 1, got {bins}"):
        simlab.scores(A, np.stack([B]), "mutual_information", bins=bins)


def test_non_integer_bins_is_a_type_error():
    with pytest.raises(TypeError, match="bins must be an integer >= 1, got float 2.5"):
        simlab.mutual_information(A, B, bins=2.5)


def test_unknown_nmi_method_lists_the_choices():
    with pytest.raises(ValueError, match="unknown method 'mean': choose one of 'studholme', 'arithmetic', "
                                         "'geometric', 'min', 'max'"):
        simlab.normalized_mutual_information(A, B, method="mean")


def test_bad_entropy_base_and_counts():
    with pytest.raises(ValueError, match="base must be a finite number > 1 .*got 1"):
        simlab.mutual_information(A, B, base=1)
    with pytest.raises(ValueError, match="counts must be non-negative with a positive total"):
        entropy([1, -1, 2])
    with pytest.raises(ValueError, match="counts is empty"):
        entropy([])


@pytest.mark.parametrize("func", [simlab.ssim, local_statistics], ids=["ssim", "local_statistics"])
def test_even_win_size_is_refused(func):
    kwargs = {"data_range": 1.0} if func is simlab.ssim else {}
    with pytest.raises(ValueError, match="win_size must be odd .*got 6: try 7"):
        func(A, B, win_size=6, **kwargs)


def test_win_size_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match=r"win_size 7 is larger than the image \(5x6\): pass an odd win_size <= 5"):
        simlab.ssim(A[:5, :6], B[:5, :6], data_range=1.0)
    with pytest.raises(ValueError, match=r"sigma=1.5 gives a Gaussian window of win_size 11 .*larger than the "
                                         r"image \(8x8\): use sigma <= 0.714, or pass an odd win_size <= 7"):
        simlab.ssim(A[:8, :8], B[:8, :8], data_range=1.0, gaussian_weights=True)


def test_bad_sigma_and_constants_are_refused():
    with pytest.raises(ValueError, match="sigma must be a positive finite number, got -1"):
        simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=-1)
    with pytest.raises(ValueError, match="K2 must be a positive finite number, got -0.03"):
        simlab.ssim(A, B, data_range=1.0, K2=-0.03)


@pytest.mark.parametrize("func", [simlab.ssim, simlab.psnr, ssim_components], ids=["ssim", "psnr", "ssim_components"])
def test_float_images_without_data_range_say_how_to_choose_it(func):
    with pytest.raises(ValueError, match=r"data_range is required for float images: pass data_range=1.0 for "
                                         r"images in \[0, 1\] \(a simlab Dataset has .data_range\)"):
        func(A, B)


def test_bad_data_range_is_refused():
    with pytest.raises(ValueError, match="data_range must be a positive finite number, got -1"):
        simlab.ssim(A, B, data_range=-1)


def test_pearson_of_blank_image_is_nan_with_warning():
    blank = np.zeros((28, 28))
    with pytest.warns(RuntimeWarning, match="b is constant .*standard deviation is 0.*returning nan"):
        assert np.isnan(simlab.pearson(A, blank))
    with pytest.warns(RuntimeWarning, match="a and b are constant"):
        assert np.isnan(simlab.pearson(blank, blank + 1))


def test_pearson_of_constant_nonzero_image_is_nan_not_rounding_noise():
    flat = np.full((28, 28), 0.1)  # its mean is not exactly 0.1: centring leaves tiny noise
    with pytest.warns(RuntimeWarning, match="a is constant"):
        assert np.isnan(simlab.pearson(flat, A))


def test_studholme_nmi_of_two_constant_images_is_nan_with_warning():
    with pytest.warns(RuntimeWarning, match="both images are constant"):
        assert np.isnan(simlab.normalized_mutual_information(np.zeros((4, 4)), np.ones((4, 4))))


def test_constant_rows_checks_its_input():
    with pytest.raises(ValueError, match="image must be a 2-D grey-level image"):
        constant_rows(np.zeros(5))


# ---------------------------------------------------------------------------- batch functions


def test_unknown_metric_lists_the_metrics():
    names = ", ".join(repr(m) for m in simlab.METRICS)
    for call in (
        lambda: simlab.scores(A, np.stack([B]), "cosine"),
        lambda: simlab.rank(A, np.stack([B]), "cosine"),
        lambda: simlab.pairwise(np.stack([A, B]), "cosine"),
        lambda: simlab.compare(A, B, metrics=["cosine"]),
    ):
        with pytest.raises(ValueError, match=f"unknown metric 'cosine': choose one of {names}"):
            call()


def test_unknown_metric_option_names_the_accepted_ones():
    with pytest.raises(TypeError, match="ssim does not take 'bins': its options are win_size, gaussian_weights"):
        simlab.scores(A, np.stack([B]), "ssim", data_range=1.0, bins=8)
    with pytest.raises(TypeError, match="pearson does not take 'win_size': its options are none"):
        simlab.pairwise(np.stack([A, B]), "pearson", win_size=3)


def test_batch_query_and_images_are_checked():
    with pytest.raises(ValueError, match=r"images must be a stack of 2-D images of shape \(N, H, W\), got shape "
                                         r"\(28, 28\): for one image use image\[None\]"):
        simlab.scores(A, B, "pearson")
    with pytest.raises(ValueError, match=r"the images in images must have the query's shape \(28, 28\), got "
                                         r"\(28, 27\)"):
        simlab.scores(A, np.stack([B[:, :27]]), "pearson")
    with pytest.raises(ValueError, match=r"query must be a 2-D grey-level image"):
        simlab.scores(np.stack([A, B], axis=-1), np.stack([B]), "pearson")  # not a stack of (28, 28) queries
    with pytest.raises(ValueError, match="images is empty"):
        simlab.scores(A, np.zeros((0, 28, 28)), "pearson")


def test_nan_deep_in_a_stack_is_reported_with_its_position():
    stack = np.stack([B] * 300)
    stack[290, 1, 1] = np.nan
    with pytest.raises(ValueError, match=r"images\[256:300\] contains 1 NaN and 0 infinite values"):
        simlab.scores(A, stack, "mse")


def test_batch_float_images_without_data_range_raise_the_same_message():
    with pytest.raises(ValueError, match=r"ssim: data_range is required for float images"):
        simlab.scores(A, np.stack([B]), "ssim")
    with pytest.raises(ValueError, match=r"ssim: data_range is required for float images"):
        simlab.compare(A, B)


def test_rank_k_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        simlab.rank(A, np.stack([B]), "pearson", k=0)


def test_blank_images_in_a_batch_warn_once_and_rank_last():
    stack = np.stack([B, np.zeros((28, 28)), A, np.ones((28, 28))])
    with pytest.warns(RuntimeWarning, match="2 of the images are constant"):
        values = simlab.scores(A, stack, "pearson")
    assert np.isnan(values[[1, 3]]).all() and not np.isnan(values[[0, 2]]).any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ranking = simlab.rank(A, stack, "pearson", k=None)
    assert ranking.indices.tolist()[:2] == [2, 0] and sorted(ranking.indices[2:].tolist()) == [1, 3]
    with pytest.warns(RuntimeWarning, match="the query is constant"):
        assert np.isnan(simlab.scores(np.zeros((28, 28)), stack, "pearson")).all()


# ------------------------------------------------------------------ option checks: bins, base, method, SSIM window


def test_base_below_one_is_refused_with_the_reason():
    for base in (0.5, 0, -2, math.inf, math.nan):
        with pytest.raises(ValueError, match=r"base must be a finite number > 1 .*got"):
            simlab.mutual_information(A, B, base=base)
    with pytest.raises(ValueError, match="with a base below 1 every entropy and MI would be negative"):
        simlab.scores(A, np.stack([A, B]), "mutual_information", base=0.5)
    with pytest.raises(TypeError, match="base must be a number"):
        entropy([1, 2], base=True)


def test_too_many_bins_is_refused_before_allocating():
    for call in (lambda: simlab.mutual_information(A, B, bins=100_000),
                 lambda: joint_histogram(A, B, bins=4097),
                 lambda: simlab.scores(A, np.stack([A, B]), "normalized_mutual_information", bins=10**6),
                 lambda: simlab.compare(A, B, data_range=1.0, bins=5000)):
        with pytest.raises(ValueError, match=r"bins must be at most 4096, got \d+: the joint histogram has "
                                             r"bins\*\*2 cells"):
            call()


def test_large_bins_in_a_batch_equal_the_pair_function():
    stack = np.stack([A, B, A[::-1], B.T])
    values = simlab.scores(A, stack, "mutual_information", bins=1024, progress=False)
    expected = [simlab.mutual_information(A, x, bins=1024) for x in stack]
    assert np.abs(values - expected).max() <= 1e-12


@pytest.mark.parametrize("flag", ["gaussian_weights", "use_sample_covariance", "full"])
@pytest.mark.parametrize("value", ["no", 1, None, np.array([True])])
def test_ssim_flags_must_be_booleans(flag, value):
    with pytest.raises(TypeError, match=f"{flag} must be True or False, got"):
        simlab.ssim(A, B, data_range=1.0, **{flag: value})


def test_ssim_flags_accept_numpy_bools():
    expected = simlab.ssim(A, B, data_range=1.0, gaussian_weights=True)
    assert simlab.ssim(A, B, data_range=1.0, gaussian_weights=np.bool_(True), full=np.False_) == expected


def test_batch_ssim_flags_must_be_booleans():
    with pytest.raises(TypeError, match="gaussian_weights must be True or False, got str 'no'"):
        simlab.scores(A, np.stack([A, B]), "ssim", data_range=1.0, gaussian_weights="no")


def test_booleans_are_not_numbers_for_data_range_and_constants():
    with pytest.raises(TypeError, match="data_range must be a number .*got bool True"):
        simlab.ssim(A, B, data_range=True)
    with pytest.raises(TypeError, match="data_range must be a number .*got bool True"):
        simlab.psnr(A, B, data_range=True)
    with pytest.raises(TypeError, match="K1 must be a positive number .*got bool True"):
        simlab.ssim(A, B, data_range=1.0, K1=True)
    with pytest.raises(ValueError, match=r"K1 must be a positive finite number, got 0"):
        simlab.ssim(A, B, data_range=1.0, K1=0)
    with pytest.raises(ValueError, match=r"K2 must be a positive finite number, got inf"):
        simlab.ssim(A, B, data_range=1.0, K2=math.inf)


def test_huge_data_range_says_the_constants_overflow():
    with pytest.raises(ValueError, match=r"data_range=1e\+300 with K1=0.01 makes C1 = \(K1 \* data_range\)\*\*2 "
                                         r"overflow"):
        simlab.ssim(A, B, data_range=1e300)
    with pytest.raises(ValueError, match=r"data_range=1e\+150 is too large: SSIM multiplies terms of order "
                                         r"data_range\*\*4"):
        simlab.ssim(A, B, data_range=1e150)
    expected = simlab.ssim(A, B, data_range=1.0)
    assert simlab.ssim(A * 1e70, B * 1e70, data_range=1e70) == pytest.approx(expected, rel=1e-9)


def test_tiny_sigma_names_sigma_and_the_way_out():
    with pytest.raises(ValueError, match=r"sigma=1e-09 gives a 1-pixel Gaussian window .*use sigma >= 0.15 .*or "
                                         r"pass win_size=3"):
        simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=1e-9)
    # with an explicit window, a tiny sigma is a valid (identity) filter, as in scikit-image
    from skimage.metrics import structural_similarity

    ours = simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=1e-9, win_size=3)
    theirs = structural_similarity(A, B, data_range=1.0, gaussian_weights=True, sigma=1e-9, win_size=3)
    assert abs(ours - theirs) <= 1e-12


def test_window_derived_from_a_large_sigma_says_it_came_from_sigma():
    with pytest.raises(ValueError, match=r"sigma=100.0 gives a Gaussian window of win_size 701 "
                                         r"\(2 \* int\(3.5 \* sigma \+ 0.5\) \+ 1\), larger than the image "
                                         r"\(28x28\): use sigma <= 3.57, or pass an odd win_size <= 27"):
        simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=100)
    assert simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=3.57) < 1  # the bound it states works
    with pytest.raises(ValueError, match=r"sigma=1e\+308 is too large for a 28x28 image.*use sigma <= 112"):
        simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=1e308, win_size=7)


@pytest.mark.parametrize("metrics, error, words", [
    (5, TypeError, "metrics must be None (all), a metric name or a list of names"),
    ([5], TypeError, "metric must be a string"),
    (["ssim", None], TypeError, "metric must be a string"),
    ([], ValueError, "metrics is empty"),
    (["sim"], ValueError, "unknown metric 'sim'"),
])
def test_compare_metrics_must_be_names(metrics, error, words):
    with pytest.raises(error) as info:
        simlab.compare(A, B, data_range=1.0, metrics=metrics)
    assert words in str(info.value)


@pytest.mark.parametrize("metric", [np.array(["ssim", "mse"]), ["ssim"], None, 3])
def test_metric_must_be_one_name(metric):
    with pytest.raises(TypeError, match=r"metric must be a string, one of 'pearson', .*; got"):
        simlab.scores(A, np.stack([A, B]), metric)
    with pytest.raises(TypeError, match=r"metric must be a string"):
        simlab.pairwise(np.stack([A, B]), metric=metric)  # the second place is b, the other images


@pytest.mark.parametrize("metric", ["pearson", "mutual_information", "normalized_mutual_information", "mse"])
def test_data_range_is_checked_even_where_unused(metric):
    with pytest.raises(ValueError, match="data_range must be a positive finite number, got 0"):
        simlab.scores(A, np.stack([A, B]), metric, data_range=0)
    with pytest.raises(TypeError, match="data_range must be a number"):
        simlab.pairwise(np.stack([A, B]), metric, data_range="1")
    with pytest.raises(ValueError, match="data_range must be a positive finite number, got -1"):
        simlab.compare(A, B, data_range=-1, metrics=[metric])


@pytest.mark.parametrize("metric", ["mse", "psnr", "ssim"])
def test_integer_query_against_float_images_is_refused(metric):
    ds = simlab.load_dataset("letters")[:50]
    q = np.round(ds[0] * 255).astype(np.uint8)
    with pytest.raises(ValueError, match=rf"{metric}: the query is uint8 \(integer values\) but a Dataset's images "
                                         r"\(in \[0, 1\]\) are float32: .*convert the query first, e.g. query / 255"):
        simlab.scores(q, ds, metric)
    with pytest.raises(ValueError, match=r"the query is uint8"):
        simlab.rank(q, ds.images, metric)
    with pytest.raises(ValueError, match=r"the query is float32 but the images are uint8 \(integer values\)"):
        simlab.scores(ds[0], np.round(ds.images * 255).astype(np.uint8), metric)
    # the conversion the message suggests finds the query itself first
    assert simlab.rank(q / 255, ds, metric, k=1).indices[0] == 0


def test_integer_query_with_explicit_data_range_is_the_pair_function():
    X = np.random.default_rng(1).random((3, 28, 28)) * 255
    q = np.round(X[0]).astype(np.uint8)
    values = simlab.scores(q, X, "ssim", data_range=255)
    assert np.abs(values - [simlab.ssim(q, x, data_range=255) for x in X]).max() <= 1e-12


def test_value_free_metrics_accept_an_integer_query_against_floats():
    ds = simlab.load_dataset("letters")[:20]
    q = np.round(ds[0] * 255).astype(np.uint8)
    r = simlab.scores(q, ds, "pearson")
    assert np.abs(r - [simlab.pearson(q, x) for x in ds.images]).max() <= 1e-12


def test_pairwise_psnr_of_signed_images_with_and_without_negatives_asks_for_data_range():
    X = np.random.default_rng(2).integers(0, 100, (3, 8, 8)).astype(np.int16)
    X[1, 0, 0] = -5
    with pytest.raises(ValueError, match="some have negative values and some do not.*pass data_range= explicitly"):
        simlab.pairwise(X, "psnr")
    m = simlab.pairwise(X, "psnr", data_range=200)
    assert abs(m[0, 1] - simlab.psnr(X[0], X[1], data_range=200)) <= 1e-12
