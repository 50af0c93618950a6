"""Bad input to the metrics raises an error that names the argument, what was received and what to do."""

from __future__ import annotations

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
    with pytest.raises(ValueError, match=r"b must be a 2-D grey-level image, got shape \(28, 28, 3\).*colour.*rgb2gray"):
        func(A, np.stack([B] * 3, axis=-1))


@pytest.mark.parametrize("func", FUNCS, ids=NAMES)
def test_stack_given_to_a_pair_function_points_to_scores(func):
    with pytest.raises(ValueError, match=r"a must be a 2-D grey-level image, got shape \(5, 28, 28\).*stack.*simlab.scores"):
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
    with pytest.raises(ValueError, match="unknown method 'mean': choose one of 'studholme', 'arithmetic', 'geometric', 'min', 'max'"):
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
    with pytest.raises(ValueError, match=r"sigma=1.5 gives a Gaussian window of win_size 11 .*larger than the image \(8x8\): use sigma <= 0.714, or pass an odd win_size <= 7"):
        simlab.ssim(A[:8, :8], B[:8, :8], data_range=1.0, gaussian_weights=True)


def test_bad_sigma_and_constants_are_refused():
    with pytest.raises(ValueError, match="sigma must be a positive finite number, got -1"):
        simlab.ssim(A, B, data_range=1.0, gaussian_weights=True, sigma=-1)
    with pytest.raises(ValueError, match="K2 must be a positive finite number, got -0.03"):
        simlab.ssim(A, B, data_range=1.0, K2=-0.03)


@pytest.mark.parametrize("func", [simlab.ssim, simlab.psnr, ssim_components], ids=["ssim", "psnr", "ssim_components"])
def test_float_images_without_data_range_say_how_to_choose_it(func):
    with pytest.raises(ValueError, match=r"data_range is required for float images: pass data_range=1.0 for images in \[0, 1\] \(a simlab Dataset has .data_range\)"):
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
    with pytest.raises(ValueError, match=r"images must be a stack of 2-D images of shape \(N, H, W\), got shape \(28, 28\): for one image use image\[None\]"):
        simlab.scores(A, B, "pearson")
    with pytest.raises(ValueError, match=r"the images in images must have the query's shape \(28, 28\), got \(28, 27\)"):
        simlab.scores(A, np.stack([B[:, :27]]), "pearson")
    with pytest.raises(ValueError, match=r"query must be a 2-D grey-level image"):
        simlab.scores(np.stack([A]), np.stack([B]), "pearson")
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
