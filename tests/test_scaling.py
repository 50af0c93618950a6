"""Issue 12: one scaling rule, and explicit data ranges that are honoured or refused, never ignored.

The Python API's half: pair functions and ``scores`` refuse what they cannot compare on one scale
(items 5, 11) and warn when the values do not fit the ``data_range`` they were given (item 6).
The loaders' and the command line's half is in test_loaders.py and test_cli.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import simlab

RNG = np.random.default_rng(12)


def _pair(shape=(28, 28)):
    a = RNG.random(shape)
    return a, np.clip(a + RNG.normal(0, 0.1, shape), 0, 1)


def test_mse_of_integer_and_float_images_is_refused_like_scores():
    a8 = RNG.integers(0, 256, (28, 28), dtype=np.uint8)
    b = RNG.random((28, 28))
    with pytest.raises(ValueError, match=r"mse: a is uint8 and b is float64: a holds integer values.*a / 255"):
        simlab.mse(a8, b)  # was a silent ~21,000: 0..255 compared with 0..1
    with pytest.raises(ValueError, match=r"mse: .*one scale"):
        simlab.scores(a8, b[None], "mse")
    assert simlab.mse(a8 / 255, b) == pytest.approx(np.mean((a8 / 255 - b) ** 2), rel=1e-12)
    assert simlab.mse(a8, a8.astype(np.int64)) == 0.0  # integer with integer: one scale


@pytest.mark.parametrize("metric", ["psnr", "ssim", "mse"])
def test_scores_refuses_a_data_range_other_than_the_datasets_own(metric):
    ds = simlab.load_dataset("digits")[:20]
    q = ds[3]
    with pytest.raises(ValueError, match=r"data_range=255 differs from the Dataset's own data_range=1"):
        simlab.scores(q, ds, metric, data_range=255)  # was silently used for PSNR / SSIM
    with pytest.raises(ValueError, match=r"data_range=255 differs"):
        simlab.pairwise(ds, metric=metric, data_range=255)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # psnr of the query with itself: inf
        same = simlab.scores(q, ds, metric, data_range=1.0)
        np.testing.assert_array_equal(same, simlab.scores(q, ds, metric))


@pytest.mark.parametrize("metric, reference", [("psnr", peak_signal_noise_ratio), ("ssim", structural_similarity)])
def test_values_beyond_the_given_data_range_warn_with_the_observed_range(metric, reference):
    a, b = _pair()
    pair = getattr(simlab, metric)
    with pytest.warns(RuntimeWarning, match=r"values span 0\.?\d*\.\.25\d.* more than the given data_range=1"):
        value = pair(a * 255, b * 255, data_range=1)  # psnr -198 dB, ssim 0.5: the skimage #6602 mistake
    assert value == pytest.approx(reference(a * 255, b * 255, data_range=1), rel=1e-9)  # still the reference's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pair(a * 255, b * 255, data_range=255)
        pair(a, b, data_range=1.0)
    with pytest.warns(RuntimeWarning, match=r"data_range=1\b.*e\.g\. data_range=255"):
        simlab.scores((a * 255).round(), np.stack([(b * 255).round()]), metric, data_range=1)


def test_trailing_channel_axis_gets_the_ellipsis_hint_not_a_row():
    a, b = _pair()
    for channels in (1, 2):
        with pytest.raises(ValueError, match=r"trailing channel axis of %d: pass its first channel, a\[\.\.\., 0\]"
                           % channels):
            simlab.ssim(np.repeat(a[..., None], channels, -1), b, data_range=1.0)
    with pytest.raises(ValueError, match=r"stack of images: pass one image, e\.g\. a\[0\]"):
        simlab.pearson(np.stack([a] * 5), b)


@pytest.mark.parametrize("metric", ["pearson", "ssim", "mse"])
def test_scores_accepts_a_trailing_channel_axis_of_one_as_load_dataset_does(metric):
    stack = RNG.random((6, 28, 28))
    q = stack[2]
    np.testing.assert_array_equal(simlab.scores(q, stack[..., None], metric, data_range=1.0),
                                  simlab.scores(q, stack, metric, data_range=1.0))


@pytest.mark.parametrize("side", [1, 2])
def test_ssim_on_images_smaller_than_3x3_says_ssim_needs_3x3(side):
    # issue 12 item 13: "pass an odd win_size <= 1", and then win_size=1 is refused (">= 3")
    a = np.zeros((side, side))
    with pytest.raises(ValueError, match=rf"SSIM needs images of at least 3x3 pixels \(7x7 with its default "
                                         rf"window\), got {side}x{side}: compare such small images with mse"):
        simlab.ssim(a, a, data_range=1.0)
    with pytest.raises(ValueError, match=r"at least 3x3"):
        simlab.ssim(a, a, data_range=1.0, gaussian_weights=True)


def test_ssim_on_5x5_images_names_the_window_that_fits():
    a = RNG.random((5, 5))
    with pytest.raises(ValueError, match=r"win_size 7 is larger than the image \(5x5\): pass an odd win_size <= 5 "
                                         r"\(SSIM needs images at least as large as its window: 7x7 by default, "
                                         r"3x3 at the smallest\)"):
        simlab.ssim(a, a, data_range=1.0)
    assert simlab.ssim(a, a, data_range=1.0, win_size=5) == pytest.approx(1.0)
