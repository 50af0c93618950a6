"""Every metric against its reference implementation, on real and random images, in four dtypes.

References: scipy.stats.pearsonr, np.corrcoef, np.histogram2d, scikit-learn's mutual_info_score and
normalized_mutual_info_score, and scikit-image's structural_similarity, normalized_mutual_information,
mean_squared_error and peak_signal_noise_ratio. Integer and float32 images are compared with the
reference given the same values (the reference's own float32 arithmetic is less accurate than ours).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from scipy.stats import pearsonr
from skimage.data import camera
from skimage.metrics import (
    mean_squared_error,
    normalized_mutual_information,
    peak_signal_noise_ratio,
    structural_similarity,
)
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

import simlab
from simlab.correlation import constant_rows, corrcoef_blocks
from simlab.information import entropy, information_terms, joint_histogram
from simlab.structural import local_statistics, ssim_components

TOL = 1e-12  # float64 agreement with the references


def _pairs():
    """(name, a, b, data_range): real images (letters, digits, camera crops) and seeded random ones."""
    letters = simlab.load_dataset("letters")
    digits = simlab.load_dataset("digits")
    cam = camera()
    rng = np.random.default_rng(42)
    noise = rng.random((28, 28))
    out = [
        ("letters-same-class", letters.by_class("A").images[0], letters.by_class("A").images[3], 1.0),
        ("letters-other-class", letters.images[10], letters.by_class("J").images[1], 1.0),
        ("digits", digits.images[0], digits.images[5], 1.0),
        ("camera-crops-uint8", cam[100:128, 200:228], cam[110:138, 205:233], 255.0),
        ("random-float64", noise, np.clip(noise + 0.3 * rng.standard_normal((28, 28)), 0, 1), 1.0),
        ("random-int16", rng.integers(-3000, 3000, (28, 28)).astype(np.int16),
         rng.integers(-3000, 3000, (28, 28)).astype(np.int16), 65535.0),
        ("random-uint8", rng.integers(0, 256, (28, 28)).astype(np.uint8),
         rng.integers(0, 256, (28, 28)).astype(np.uint8), 255.0),
        ("random-nonsquare", rng.random((20, 31)), rng.random((20, 31)), 1.0),
    ]
    return out


PAIRS = _pairs()
IDS = [p[0] for p in PAIRS]


def _f64(x):
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_pearson_matches_scipy_pearsonr(name, a, b, data_range):
    expected = pearsonr(_f64(a).ravel(), _f64(b).ravel())[0]
    assert abs(simlab.pearson(a, b) - expected) <= TOL


@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_corrcoef_blocks_equal_np_corrcoef_with_nan_for_constant_rows(name, a, b, data_range):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.corrcoef(a, b)
    blocks = corrcoef_blocks(a, b)
    np.testing.assert_array_equal(np.isnan(blocks.matrix), np.isnan(expected))
    np.testing.assert_allclose(blocks.matrix, expected, rtol=0, atol=TOL)
    h = a.shape[0]
    np.testing.assert_array_equal(blocks.aa, blocks.matrix[:h, :h])
    np.testing.assert_array_equal(blocks.ab, blocks.matrix[:h, h:])
    np.testing.assert_array_equal(blocks.ba, blocks.matrix[h:, :h])
    np.testing.assert_array_equal(blocks.bb, blocks.matrix[h:, h:])
    np.testing.assert_array_equal(blocks.constant_rows_a, np.ptp(a, axis=1) == 0)
    np.testing.assert_array_equal(blocks.constant_rows_b, np.ptp(b, axis=1) == 0)


def test_letters_have_blank_rows_that_give_nan_in_np_corrcoef():
    img = simlab.load_dataset("letters").images[0]
    blank = constant_rows(img)
    assert blank.any()  # the reason notebook 01 exists
    blocks = corrcoef_blocks(img, img)
    assert np.isnan(blocks.aa[blank]).all() and not np.isnan(blocks.aa[np.ix_(~blank, ~blank)]).any()


SSIM_OPTIONS = [
    {},
    {"gaussian_weights": True},
    {"gaussian_weights": True, "use_sample_covariance": False},
    {"use_sample_covariance": False},
    {"win_size": 3},
    {"win_size": 5, "K1": 0.05, "K2": 0.1},
    {"win_size": 11},
    {"gaussian_weights": True, "sigma": 1.0},
    {"gaussian_weights": True, "win_size": 7},
]


@pytest.mark.parametrize("options", SSIM_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_ssim_mean_and_map_match_skimage(name, a, b, data_range, options):
    expected, expected_map = structural_similarity(_f64(a), _f64(b), data_range=data_range, full=True, **options)
    value, smap = simlab.ssim(a, b, data_range=data_range, full=True, **options)
    assert abs(value - expected) <= TOL
    assert np.abs(smap - expected_map).max() <= 1e-10
    assert abs(simlab.ssim(a, b, data_range=data_range, **options) - expected) <= TOL


def test_ssim_of_integer_images_takes_data_range_from_dtype_like_skimage():
    cam = camera()
    a, b = cam[:28, :28], cam[50:78, 60:88]
    assert abs(simlab.ssim(a, b) - structural_similarity(a, b)) <= TOL
    c, d = (x.astype(np.int16) for x in (a, b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skimage: "Setting data_range based on im1.dtype"
        expected = structural_similarity(c, d)
    assert abs(simlab.ssim(c, d) - expected) <= TOL


def test_ssim_of_float32_images_is_close_to_skimage_in_float32():
    letters = simlab.load_dataset("letters")
    a, b = letters.images[0], letters.images[1]
    assert a.dtype == np.float32
    assert abs(simlab.ssim(a, b, data_range=1.0) - structural_similarity(a, b, data_range=1.0)) < 1e-5


def test_ssim_components_multiply_to_the_map_and_local_statistics_match_ndimage():
    from scipy.ndimage import uniform_filter

    a, b = PAIRS[0][1].astype(np.float64), PAIRS[0][2].astype(np.float64)
    parts = ssim_components(a, b, data_range=1.0)
    np.testing.assert_allclose(parts.luminance * parts.contrast * parts.structure, parts.ssim_map, rtol=0, atol=1e-12)
    assert parts.C3 == parts.C2 / 2 and parts.C1 == pytest.approx(1e-4) and parts.pad == 3
    stats = local_statistics(a, b)
    np.testing.assert_allclose(stats.mu_a, uniform_filter(a, 7), atol=1e-14)
    cov = 49 / 48 * (uniform_filter(a * b, 7) - uniform_filter(a, 7) * uniform_filter(b, 7))
    np.testing.assert_allclose(stats.cov_ab, cov, atol=1e-14)


@pytest.mark.parametrize("bins", [2, 8, 16, 32, 100])
@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_joint_histogram_is_np_histogram2d(name, a, b, data_range, bins):
    counts, edges_a, edges_b = joint_histogram(a, b, bins)
    expected, ea, eb = np.histogram2d(a.ravel(), b.ravel(), bins)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(edges_a, ea)
    np.testing.assert_array_equal(edges_b, eb)


def test_joint_histogram_of_a_constant_image_uses_numpys_half_unit_edges():
    a = np.full((4, 4), 3.0)
    b = np.arange(16.0).reshape(4, 4)
    counts, ea, _ = joint_histogram(a, b, 4)
    expected, ea_np, _ = np.histogram2d(a.ravel(), b.ravel(), 4)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(ea, ea_np)


def _digitised(a, b, bins):
    _, ea, eb = np.histogram2d(a.ravel(), b.ravel(), bins)
    ia = np.clip(np.searchsorted(ea, a.ravel(), side="right") - 1, 0, bins - 1)
    ib = np.clip(np.searchsorted(eb, b.ravel(), side="right") - 1, 0, bins - 1)
    return ia, ib


@pytest.mark.parametrize("bins", [4, 16, 32])
@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_mutual_information_matches_histogram2d_entropies_and_sklearn(name, a, b, data_range, bins):
    counts = np.histogram2d(a.ravel(), b.ravel(), bins)[0]
    h_a = scipy_entropy(counts.sum(axis=1), base=2)
    h_b = scipy_entropy(counts.sum(axis=0), base=2)
    h_ab = scipy_entropy(counts.ravel(), base=2)
    terms = information_terms(a, b, bins)
    assert abs(terms.h_a - h_a) <= TOL and abs(terms.h_b - h_b) <= TOL and abs(terms.h_ab - h_ab) <= TOL
    mi = simlab.mutual_information(a, b, bins)
    assert abs(mi - (h_a + h_b - h_ab)) <= TOL
    ia, ib = _digitised(a, b, bins)
    assert abs(mi - mutual_info_score(ia, ib) / math.log(2)) <= TOL
    assert abs(simlab.mutual_information(a, b, bins, base=math.e) - mutual_info_score(ia, ib)) <= TOL


@pytest.mark.parametrize("bins", [4, 16, 32, 100])
@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_nmi_studholme_matches_skimage(name, a, b, data_range, bins):
    expected = normalized_mutual_information(a, b, bins=bins)
    # skimage divides a float32 histogram by float32 bin widths, which differ in their last bits
    tol = 1e-6 if a.dtype == np.float32 else TOL
    nmi = simlab.normalized_mutual_information(a, b, bins=bins)
    assert abs(nmi - expected) <= tol
    counts = np.histogram2d(a.ravel(), b.ravel(), bins)[0]  # exact counts: exact to TOL
    exact = (scipy_entropy(counts.sum(axis=0)) + scipy_entropy(counts.sum(axis=1))) / scipy_entropy(counts.ravel())
    assert abs(nmi - exact) <= TOL


@pytest.mark.parametrize("method", ["arithmetic", "geometric", "min", "max"])
@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_nmi_other_normalisations_match_sklearn(name, a, b, data_range, method):
    ia, ib = _digitised(a, b, 16)
    expected = normalized_mutual_info_score(ia, ib, average_method=method)
    assert abs(simlab.normalized_mutual_information(a, b, 16, method=method) - expected) <= TOL


@pytest.mark.parametrize("method", ["arithmetic", "geometric", "min", "max"])
def test_nmi_limit_cases_match_sklearn(method):
    flat = np.zeros((6, 6))
    img = np.arange(36.0).reshape(6, 6)
    for a, b in [(flat, flat), (flat, img), (img, flat)]:
        ia, ib = _digitised(a, b, 8)
        expected = normalized_mutual_info_score(ia, ib, average_method=method)
        assert simlab.normalized_mutual_information(a, b, 8, method=method) == expected


def test_entropy_matches_scipy_for_any_histogram():
    rng = np.random.default_rng(1)
    for shape in [(5,), (4, 6), (2, 3, 4)]:
        counts = rng.integers(0, 9, shape)
        assert abs(entropy(counts) - scipy_entropy(counts.ravel(), base=2)) <= TOL
        assert abs(entropy(counts / 7.0, base=math.e) - scipy_entropy(counts.ravel())) <= TOL


@pytest.mark.parametrize("name, a, b, data_range", PAIRS, ids=IDS)
def test_mse_and_psnr_match_skimage(name, a, b, data_range):
    a64, b64 = _f64(a), _f64(b)
    assert abs(simlab.mse(a, b) - mean_squared_error(a64, b64)) <= TOL * max(1.0, mean_squared_error(a64, b64))
    expected = peak_signal_noise_ratio(a64, b64, data_range=data_range)
    assert abs(simlab.psnr(a, b, data_range=data_range) - expected) <= TOL


def test_psnr_of_identical_images_is_infinite():
    a = np.eye(5)
    assert simlab.psnr(a, a, data_range=1.0) == math.inf


def test_uint8_images_are_converted_before_arithmetic():
    a = np.array([[0, 255, 10], [250, 5, 128]], dtype=np.uint8)
    b = np.array([[255, 0, 250], [10, 255, 0]], dtype=np.uint8)  # a - b wraps around in uint8
    ai, bi = a.astype(np.int64), b.astype(np.int64)
    assert simlab.mse(a, b) == np.mean((ai - bi) ** 2)
    assert abs(simlab.pearson(a, b) - pearsonr(ai.ravel(), bi.ravel())[0]) <= TOL
    expected_psnr = 10 * np.log10(255.0**2 / np.mean((ai - bi) ** 2))
    assert abs(simlab.psnr(a, b) - expected_psnr) <= TOL
    big_a = np.tile(a, (3, 3))
    big_b = np.tile(b, (3, 3))
    expected = structural_similarity(_f64(big_a), _f64(big_b), win_size=3, data_range=255)
    assert abs(simlab.ssim(big_a, big_b, win_size=3) - expected) <= TOL


def test_float32_images_give_the_float64_numbers():
    letters = simlab.load_dataset("letters")
    a, b = letters.images[3], letters.images[4]
    for func in (simlab.pearson, simlab.mse):
        assert func(a, b) == func(_f64(a), _f64(b))
    assert simlab.ssim(a, b, data_range=1.0) == simlab.ssim(_f64(a), _f64(b), data_range=1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bins", [3, 16, 32])
def test_joint_histogram_puts_values_on_edges_where_numpy_does(dtype, bins):
    rng = np.random.default_rng(bins)
    lo, hi = dtype(0.1), dtype(0.7)
    edges = np.linspace(lo, hi, bins + 1)
    nudged = np.concatenate([edges, np.nextafter(edges, dtype(-1)), np.nextafter(edges, dtype(2))])
    values = np.clip(np.concatenate([nudged, rng.uniform(lo, hi, 400).astype(dtype)]), lo, hi)
    a = rng.permutation(values)[:400].reshape(20, 20).astype(dtype)
    a.flat[:2] = lo, hi
    b = rng.permutation(values)[:400].reshape(20, 20).astype(dtype)
    np.testing.assert_array_equal(joint_histogram(a, b, bins)[0], np.histogram2d(a.ravel(), b.ravel(), bins)[0])


@pytest.mark.parametrize("bins", [16, 32])
def test_mi_of_independent_images_is_the_bias_the_docstring_states(bins):
    """DEFAULT_BINS's justification: plug-in MI of independent 28x28 images ~ (bins-1)^2 / (2 n ln 2)."""
    rng = np.random.default_rng(0)
    images = rng.random((201, 28, 28))
    measured = simlab.scores(images[0], images[1:], "mutual_information", bins=bins).mean()
    predicted = (bins - 1) ** 2 / (2 * 784 * math.log(2))
    assert measured == pytest.approx(predicted, rel=0.15)


def test_joint_histogram_matches_numpy_on_awkward_ranges():
    """Tiny ranges far from 0 (float32 edges that repeat), a few levels, many bins, one bin."""
    rng = np.random.default_rng(5)
    for case in range(600):
        dtype = (np.float32, np.float64)[case % 2]
        offset = rng.choice([0, 1e-3, 1, 100, 1e4, -5e3, 1e7])
        spread = rng.choice([1e-30, 1e-6, 1e-3, 1, 10, 1e3])
        levels = (rng.random((9, 11)), rng.integers(0, 7, (9, 11)) / 7,
                  np.round(rng.random((9, 11)) * 255) / 255)[case % 3]
        a = (offset + spread * levels).astype(dtype)
        b = rng.random((9, 11)).astype(dtype)
        bins = int(rng.choice([1, 2, 3, 5, 7, 16, 32, 100]))
        expected = np.histogram2d(a.ravel(), b.ravel(), bins)[0]
        np.testing.assert_array_equal(joint_histogram(a, b, bins)[0], expected, err_msg=f"{dtype} {offset} "
                                                                                        f"{spread} {bins}")


@pytest.mark.parametrize("contrast", [1e-3, 1e-6, 1e-9])
def test_pearson_of_almost_constant_images_matches_scipy(contrast):
    """Tiny contrast on a large offset: the variance would cancel in a naive sum-of-squares formula."""
    rng = np.random.default_rng(1)
    b = rng.random((28, 28))
    stack = np.stack([0.5 + contrast * rng.random((28, 28)), b, 1000 + contrast * b])
    expected = [pearsonr(b.ravel(), x.ravel())[0] for x in stack]
    np.testing.assert_allclose(simlab.scores(b, stack, "pearson"), expected, rtol=0, atol=1e-12)
    assert abs(simlab.pearson(b, stack[0]) - expected[0]) <= TOL


# -------------------------------------------------------------- references at the edges: peaks, extreme scales, float16


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint16, np.int32, np.uint8])
@pytest.mark.parametrize("negative", [False, True], ids=["non-negative", "with-negatives"])
def test_psnr_of_integer_images_takes_skimages_peak(dtype, negative):
    # scikit-image: the dtype's maximum when image_true has no negative values, else max - min
    rng = np.random.default_rng(7)
    lo = -50 if negative and np.issubdtype(dtype, np.signedinteger) else 0
    a, b = (rng.integers(lo, 100, (28, 28)).astype(dtype) for _ in "ab")
    assert abs(simlab.psnr(a, b) - peak_signal_noise_ratio(a, b)) <= TOL
    stack = np.stack([b, a, b[::-1]])
    expected = [peak_signal_noise_ratio(a, x) for x in stack]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # psnr(a, a) = inf
        assert np.abs(simlab.scores(a, stack, "psnr") - expected)[[0, 2]].max() <= TOL


def test_psnr_peak_follows_the_reference_image_as_skimage():
    a = np.full((8, 8), 10, dtype=np.int16)
    b = a.copy()
    b[0, 0] = -10  # only the test image is negative: the peak is still 32767
    assert abs(simlab.psnr(a, b) - peak_signal_noise_ratio(a, b)) <= TOL
    assert abs(simlab.psnr(b, a) - peak_signal_noise_ratio(b, a)) <= TOL  # reference negative: 65535


def test_ssim_of_signed_integers_keeps_the_dtype_span():
    rng = np.random.default_rng(8)
    a, b = (rng.integers(0, 1000, (28, 28)).astype(np.int16) for _ in "ab")
    assert abs(simlab.ssim(a, b) - structural_similarity(a, b, data_range=65535)) <= 1e-7


@pytest.mark.parametrize("scale", [1e160, 1e-160, 1e-170, 1e300, 1e306, 1e-300])
def test_pearson_at_extreme_scales_matches_scipy(scale):
    rng = np.random.default_rng(3)
    a = rng.random((28, 28))
    b = a + 0.2 * rng.random((28, 28))
    expected = pearsonr(a.ravel(), b.ravel())[0]  # r does not depend on the scale
    a, b = a * scale, b * scale
    if scale < 1e305:  # scipy itself overflows beyond
        assert abs(pearsonr(a.ravel(), b.ravel())[0] - expected) <= TOL
    assert abs(simlab.pearson(a, b) - expected) <= TOL
    stack = np.stack([b, a, -b])
    assert np.abs(simlab.scores(a, stack, "pearson") - [expected, 1.0, -expected]).max() <= TOL
    assert abs(simlab.pairwise(stack, "pearson")[0, 2] + 1.0) <= TOL
    blocks = corrcoef_blocks(a, b).matrix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.nanmax(np.abs(blocks - np.corrcoef(a / scale, b / scale))) <= TOL


def test_pearson_at_ordinary_scales_is_bit_for_bit_unchanged_by_the_rescaling():
    from simlab.correlation import standardize
    from simlab.kernels.correlation import unit_rows

    rng = np.random.default_rng(4)
    x = rng.random((5, 784)) * np.array([[1.0], [1e3], [1e-3], [255.0], [1e-12]])
    z = x - x.mean(axis=1, keepdims=True)
    assert np.array_equal(unit_rows(x), z / np.sqrt(np.einsum("ij,ij->i", z, z))[:, None])  # the kernel
    assert np.array_equal(standardize(x.reshape(5, 28, 28)), z / np.sqrt(np.sum(z * z, axis=1, keepdims=True)))


@pytest.mark.parametrize("bins", [2, 16, 100])
def test_float16_images_are_binned_in_float16_as_numpy(bins):
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = (rng.random((28, 28)).astype(np.float16) for _ in "ab")
        counts, ea, eb = joint_histogram(a, b, bins)
        ref, ra, rb = np.histogram2d(a.ravel(), b.ravel(), bins)
        assert np.array_equal(counts, ref) and np.array_equal(ea, ra) and np.array_equal(eb, rb)
        exact = (scipy_entropy(ref.sum(axis=1)) + scipy_entropy(ref.sum(axis=0))) / scipy_entropy(ref.ravel())
        assert abs(simlab.normalized_mutual_information(a, b, bins=bins) - exact) <= TOL
        # scikit-image divides its density=True histogram by float16 bin widths (documented difference)
        theirs = normalized_mutual_information(a, b, bins=bins)
        assert abs(simlab.normalized_mutual_information(a, b, bins=bins) - theirs) <= 1e-3
        stack = np.stack([b, a])
        assert np.abs(simlab.scores(a, stack, "mutual_information", bins=bins)
                      - [simlab.mutual_information(a, x, bins=bins) for x in stack]).max() <= TOL


def test_ssim_of_images_with_a_large_common_offset_is_exact():
    # the exact value: variances and covariance of the offset-free values (exact in float64, as
    # 1e6 + u - 1e6 is exact), the offset added back to the means for the luminance term
    from scipy.ndimage import uniform_filter

    rng = np.random.default_rng(0)
    u, v = rng.random((2, 28, 28))
    a, b = 1e6 + u, 1e6 + v
    x, y = a - 1e6, b - 1e6
    n = 49 / 48
    mx, my = uniform_filter(x, 7), uniform_filter(y, 7)
    vx, vy = n * (uniform_filter(x * x, 7) - mx**2), n * (uniform_filter(y * y, 7) - my**2)
    vxy = n * (uniform_filter(x * y, 7) - mx * my)
    mx, my = mx + 1e6, my + 1e6
    C1, C2 = 1e-4, 9e-4
    exact_map = (2 * mx * my + C1) * (2 * vxy + C2) / ((mx**2 + my**2 + C1) * (vx + vy + C2))
    expected = exact_map[3:-3, 3:-3].mean()
    assert abs(simlab.ssim(a, b, data_range=1.0) - expected) <= 1e-9
    assert abs(simlab.ssim(a, b, data_range=1.0, full=True)[0] - expected) <= 1e-9
    values = simlab.scores(a, np.stack([b, a]), "ssim", data_range=1.0)
    assert abs(values[0] - expected) <= 1e-9 and values[1] == pytest.approx(1.0, abs=1e-12)


def test_ssim_leaves_the_callers_images_unchanged():
    rng = np.random.default_rng(5)
    a, b = 5 + rng.random((2, 28, 28))
    a0, b0 = a.copy(), b.copy()
    simlab.ssim(a, b, data_range=1.0)
    simlab.ssim(a, b, data_range=1.0, full=True)
    simlab.scores(a, np.stack([b]), "ssim", data_range=1.0)
    local_statistics(a, b)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
