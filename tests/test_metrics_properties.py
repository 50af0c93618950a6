"""Properties the notebooks claim, checked on generated images (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import simlab

SETTINGS = settings(max_examples=40, deadline=None)
TOL = 1e-12

shapes = st.tuples(st.integers(7, 12), st.integers(7, 12))


@st.composite
def image_pairs(draw, integer=False):
    """Two images of one shape: grey levels 0..255 (as float64 or uint8)."""
    shape = draw(shapes)
    dtype = np.uint8 if integer else np.float64
    elements = st.integers(0, 255)
    a = draw(arrays(np.int64, shape, elements=elements)).astype(dtype)
    b = draw(arrays(np.int64, shape, elements=elements)).astype(dtype)
    if not integer:
        a, b = a / 255, b / 255
    return a, b


def _not_constant(*images):
    for img in images:
        assume(np.ptp(img) > 0)


@SETTINGS
@given(image_pairs())
def test_every_metric_is_symmetric(pair):
    a, b = pair
    _not_constant(a, b)
    for name in simlab.METRICS:
        kwargs = {"data_range": 1.0} if name in ("ssim", "psnr") else {}
        forward = getattr(simlab, name)(a, b, **kwargs)
        backward = getattr(simlab, name)(b, a, **kwargs)
        assert abs(forward - backward) <= TOL or forward == backward, name


@SETTINGS
@given(image_pairs(integer=True))
def test_an_image_compared_with_itself(pair):
    a, _ = pair
    _not_constant(a)
    assert abs(simlab.pearson(a, a) - 1) <= TOL
    assert abs(simlab.ssim(a, a) - 1) <= TOL
    assert abs(simlab.normalized_mutual_information(a, a) - 2) <= TOL
    assert abs(simlab.normalized_mutual_information(a, a, method="arithmetic") - 1) <= TOL
    assert simlab.mse(a, a) == 0
    assert abs(simlab.mutual_information(a, a) - simlab.information.information_terms(a, a).h_a) <= TOL


@SETTINGS
@given(image_pairs(), st.sampled_from([2, 5, 16, 32]))
def test_bounds(pair, bins):
    a, b = pair
    _not_constant(a, b)
    assert -1 <= simlab.pearson(a, b) <= 1
    value, smap = simlab.ssim(a, b, data_range=1.0, full=True)
    assert -1 <= value <= 1 and (np.abs(smap) <= 1 + TOL).all()
    assert 1 - TOL <= simlab.normalized_mutual_information(a, b, bins) <= 2 + TOL
    for method in ("arithmetic", "geometric", "min", "max"):
        assert -TOL <= simlab.normalized_mutual_information(a, b, bins, method=method) <= 1 + TOL
    terms = simlab.information.information_terms(a, b, bins)
    assert 0 <= terms.mi <= min(terms.h_a, terms.h_b) + TOL
    assert simlab.mse(a, b) >= 0


@SETTINGS
@given(
    image_pairs(),
    st.floats(0.01, 100).map(lambda s: s * 1.0),
    st.floats(-50, 50),
    st.booleans(),
)
def test_pearson_is_unchanged_by_gain_and_offset_and_flips_sign_with_negative_gain(pair, gain, offset, negative):
    a, b = pair
    _not_constant(a, b)
    scale = -gain if negative else gain
    expected = -simlab.pearson(a, b) if negative else simlab.pearson(a, b)
    assert abs(simlab.pearson(scale * a + offset, b) - expected) <= 1e-9


@st.composite
def level_images_and_remap(draw):
    """An image with grey levels 0..L-1 (both ends present), and a strictly increasing remapping
    that puts each level in its own bin of the new range when bins = L.
    """
    levels = draw(st.integers(2, 12))
    shape = draw(shapes)
    a = draw(arrays(np.int64, shape, elements=st.integers(0, levels - 1)))
    a.flat[0], a.flat[1] = 0, levels - 1
    low = draw(st.floats(-100, 100))
    width = draw(st.floats(0.01, 10))  # width of one bin after the remapping
    inner = draw(st.lists(st.floats(0.05, 0.95), min_size=levels, max_size=levels))
    lut = low + (np.arange(levels) + np.array(inner)) * width
    lut[0], lut[-1] = low, low + levels * width  # the new min and max define the new edges
    assert (np.diff(lut) > 0).all()
    return a, lut, levels


@SETTINGS
@given(level_images_and_remap(), st.data())
def test_mutual_information_is_unchanged_by_an_increasing_remapping(case, data):
    a, lut, levels = case
    b = data.draw(arrays(np.int64, a.shape, elements=st.integers(0, 40))).astype(np.float64)
    remapped = lut[a]
    a = a.astype(np.float64)
    for func in (simlab.mutual_information, simlab.normalized_mutual_information):
        assert abs(func(remapped, b, bins=levels) - func(a, b, bins=levels)) <= TOL
    np.testing.assert_array_equal(
        simlab.information.joint_histogram(remapped, b, levels)[0], simlab.information.joint_histogram(a, b, levels)[0]
    )


@SETTINGS
@given(image_pairs(integer=True))
def test_batch_scores_equal_the_pair_functions(pair):
    a, b = pair
    stack = np.stack([b, a, 255 - b])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant images: nan, as tested elsewhere
        for name in simlab.METRICS:
            expected = [getattr(simlab, name)(a, x) for x in stack]
            np.testing.assert_allclose(simlab.scores(a, stack, name), expected, rtol=0, atol=TOL, err_msg=name)
