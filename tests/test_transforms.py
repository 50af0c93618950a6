"""simlab.transforms: deterministic, in range, identity parameters, exact formulas, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from simlab import transforms as T

RNG = np.random.default_rng(12345)
FLOAT = RNG.random((28, 28))
FLOAT32 = RNG.random((28, 28)).astype(np.float32)
UINT8 = RNG.integers(0, 256, (28, 28), dtype=np.uint8)
INT16 = RNG.integers(-32768, 32768, (28, 28), dtype=np.int16)
IMAGES = {"float64": FLOAT, "float32": FLOAT32, "uint8": UINT8, "int16": INT16}

# every transform with parameters that change the image
CHANGING = {
    "shift": lambda x: T.shift(x, dx=3, dy=-2),
    "shift_fraction": lambda x: T.shift(x, dx=0.5, dy=1.25),
    "rotate": lambda x: T.rotate(x, 30),
    "noise": lambda x: T.noise(x, 0.2, seed=3),
    "brightness_up": lambda x: T.brightness(x, 0.4),
    "brightness_down": lambda x: T.brightness(x, -0.4),
    "contrast_up": lambda x: T.contrast(x, 3.0),
    "contrast_down": lambda x: T.contrast(x, 0.3),
    "invert": T.invert,
    "blur": lambda x: T.blur(x, 1.5),
    "apply": lambda x: T.apply(x, dx=1, dy=2, degrees=10, noise=0.1, brightness=0.2, contrast=1.5,
                               invert=True, blur=0.7, seed=9),
}
# every transform with its identity parameters
IDENTITY = {
    "shift": lambda x: T.shift(x, 0, 0),
    "rotate": lambda x: T.rotate(x, 0),
    "rotate_360": lambda x: T.rotate(x, 360),
    "noise": lambda x: T.noise(x, 0, seed=5),
    "brightness": lambda x: T.brightness(x, 0),
    "contrast": lambda x: T.contrast(x, 1),
    "blur": lambda x: T.blur(x, 0),
    "apply": lambda x: T.apply(x),
}


def _range(dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return info.min, info.max
    return 0.0, 1.0


@pytest.mark.parametrize("kind", sorted(IMAGES))
@pytest.mark.parametrize("name", sorted(CHANGING))
def test_output_keeps_shape_dtype_and_value_range(name, kind):
    image = IMAGES[kind]
    out = CHANGING[name](image)
    lo, hi = _range(image.dtype)
    assert out.shape == image.shape
    assert out.dtype == image.dtype
    assert out.min() >= lo and out.max() <= hi
    assert not np.array_equal(out, image), "these parameters must change the image"


@pytest.mark.parametrize("kind", sorted(IMAGES))
@pytest.mark.parametrize("name", sorted(CHANGING))
def test_transforms_are_deterministic(name, kind):
    image = IMAGES[kind]
    np.testing.assert_array_equal(CHANGING[name](image), CHANGING[name](image.copy()))


@pytest.mark.parametrize("kind", sorted(IMAGES))
@pytest.mark.parametrize("name", sorted(IDENTITY))
def test_identity_parameters_return_the_image_unchanged(name, kind):
    image = IMAGES[kind]
    out = IDENTITY[name](image)
    assert out.dtype == image.dtype
    np.testing.assert_array_equal(out, image)


def test_transforms_do_not_modify_their_input_and_accept_read_only_arrays():
    image = FLOAT.copy()
    image.setflags(write=False)
    for name, func in CHANGING.items():
        func(image)
    np.testing.assert_array_equal(image, FLOAT)
    out = T.apply(image)
    out[0, 0] = 0.5  # a fresh, writable array even for identity parameters


@pytest.mark.parametrize("dx, dy", [(2, 0), (0, 3), (-4, 1), (5, -6), (-1, -1)])
def test_whole_pixel_shift_moves_pixels_as_stated(dx, dy):
    image = FLOAT
    out = T.shift(image, dx=dx, dy=dy)
    h, w = image.shape
    # out[y + dy, x + dx] == image[y, x], everything else is the fill value 0
    moved = out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]
    source = image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    np.testing.assert_array_equal(moved, source)
    mask = np.ones_like(image, dtype=bool)
    mask[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = False
    assert mask.sum() == h * w - moved.size
    assert np.all(out[mask] == 0.0)


def test_shift_fill_and_shift_beyond_the_image():
    out = T.shift(UINT8, dx=2, fill=1.0)
    assert np.all(out[:, :2] == 255)
    assert np.all(T.shift(FLOAT, dx=28) == 0.0)
    assert np.all(T.shift(FLOAT, dy=-40, fill=0.5) == 0.5)


def test_fractional_shift_matches_scipy_linear_interpolation():
    expected = ndimage.shift(FLOAT, (0.25, -1.5), order=1, mode="constant", cval=0.0)
    np.testing.assert_allclose(T.shift(FLOAT, dx=-1.5, dy=0.25), expected, atol=1e-15)


def test_rotate_is_anticlockwise_and_quarter_turns_compose():
    image = np.zeros((5, 5))
    image[0, 2] = 1.0  # top middle
    assert np.argwhere(T.rotate(image, 90) > 0.5).tolist() == [[2, 0]]  # left middle
    assert np.argwhere(T.rotate(image, -90) > 0.5).tolist() == [[2, 4]]  # right middle
    square = FLOAT[:27, :27]  # odd size: the centre is a pixel, quarter turns are exact
    np.testing.assert_allclose(T.rotate(square, 90), np.rot90(square), atol=1e-12)


def test_invert_formula_and_invert_twice_is_identity():
    np.testing.assert_allclose(T.invert(FLOAT), 1.0 - FLOAT, atol=0)
    np.testing.assert_array_equal(T.invert(UINT8), 255 - UINT8.astype(int))
    np.testing.assert_array_equal(T.invert(INT16).astype(int), 32767 + (-32768) - INT16.astype(int))
    for image in (UINT8, INT16):  # integers: exactly
        np.testing.assert_array_equal(T.invert(T.invert(image)), image)
    for image in (FLOAT, FLOAT32):  # floats: up to the rounding of 1 - x
        twice = T.invert(T.invert(image))
        assert twice.dtype == image.dtype
        np.testing.assert_allclose(twice, image, rtol=0, atol=2 * np.finfo(image.dtype).eps)


def test_brightness_formula_with_clipping():
    np.testing.assert_allclose(T.brightness(FLOAT, 0.3), np.clip(FLOAT + 0.3, 0, 1))
    np.testing.assert_allclose(T.brightness(FLOAT, -0.3), np.clip(FLOAT - 0.3, 0, 1))
    expected = np.clip(np.rint(UINT8.astype(float) + 0.2 * 255), 0, 255)
    np.testing.assert_array_equal(T.brightness(UINT8, 0.2), expected)


def test_contrast_formula_about_mid_grey_with_clipping():
    for factor in (0.0, 0.4, 2.5):
        np.testing.assert_allclose(T.contrast(FLOAT, factor), np.clip((FLOAT - 0.5) * factor + 0.5, 0, 1))
    expected = np.clip(np.rint((UINT8.astype(float) - 127.5) * 0.5 + 127.5), 0, 255)
    np.testing.assert_array_equal(T.contrast(UINT8, 0.5), expected)


def test_noise_statistics_and_seed():
    grey = np.full((200, 200), 0.5)
    noisy = T.noise(grey, 0.05, seed=0)
    assert abs(float((noisy - grey).std()) - 0.05) < 0.002
    assert abs(float((noisy - grey).mean())) < 0.002
    assert not np.array_equal(T.noise(grey, 0.05, seed=0), T.noise(grey, 0.05, seed=1))


def test_blur_matches_scipy_gaussian_filter():
    np.testing.assert_allclose(T.blur(FLOAT, 1.2), ndimage.gaussian_filter(FLOAT, 1.2, mode="nearest"))


def test_apply_follows_the_documented_order():
    params = dict(dx=2, dy=-1, degrees=15, blur=0.8, contrast=1.7, brightness=-0.1, invert=True,
                  noise=0.05, seed=4)
    step = T.rotate(FLOAT, 15)
    step = T.shift(step, 2, -1)
    step = T.blur(step, 0.8)
    step = T.contrast(step, 1.7)
    step = T.brightness(step, -0.1)
    step = T.invert(step)
    step = T.noise(step, 0.05, seed=4)
    np.testing.assert_allclose(T.apply(FLOAT, **params), step, atol=1e-12)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: T.shift(FLOAT, dx="2"), TypeError, "dx must be a real number"),
        (lambda: T.shift(FLOAT, dy=np.nan), ValueError, "dy must be a finite number"),
        (lambda: T.shift(FLOAT, 1, fill=2), ValueError, "fill"),
        (lambda: T.rotate(FLOAT, np.inf), ValueError, "degrees must be a finite number"),
        (lambda: T.noise(FLOAT, -0.1), ValueError, "sigma must be >= 0"),
        (lambda: T.noise(FLOAT, 0.1, seed=-1), TypeError, "seed must be a non-negative integer"),
        (lambda: T.noise(FLOAT, 0.1, seed=1.5), TypeError, "seed"),
        (lambda: T.contrast(FLOAT, -1), ValueError, "factor must be >= 0"),
        (lambda: T.blur(FLOAT, -2), ValueError, "sigma must be >= 0"),
        (lambda: T.blur(FLOAT, 1e308), ValueError, "sigma=1e+308 is too large for a 28x28 image"),
        (lambda: T.apply(FLOAT, blur=113), ValueError, "use blur <= 112 (4 x the image size)"),
        (lambda: T.brightness(FLOAT, None), TypeError, "delta must be a real number"),
        (lambda: T.apply(FLOAT, invert=1), TypeError, "invert must be True or False"),
        (lambda: T.apply(FLOAT, contrast=-0.5), ValueError, "contrast must be >= 0"),
        (lambda: T.invert(FLOAT - 0.5), ValueError, "must lie in [0, 1]"),
        (lambda: T.blur(np.zeros((2, 28, 28)), 1), ValueError, "stack of images"),
        (lambda: T.shift(np.zeros((28, 28, 3)), 1), ValueError, "colour image"),
        (lambda: T.rotate(np.full((4, 4), np.nan), 1), ValueError, "NaN"),
    ],
)
def test_bad_parameters_raise_clear_errors(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)


def test_blur_at_the_sigma_bound_still_works_and_is_flat():
    out = T.blur(FLOAT, 112)  # the largest accepted sigma for a 28x28 image
    assert out.shape == FLOAT.shape and np.ptp(out) < 0.05 * np.ptp(FLOAT)


# ------------------------------------------------------------------------------ properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_images = st.one_of(
    arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.floats(0, 1)),
    arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12))),
    arrays(np.int16, st.tuples(st.integers(1, 12), st.integers(1, 12))),
)
_params = st.fixed_dictionaries({
    "dx": st.integers(-15, 15) | st.floats(-15, 15),
    "dy": st.integers(-15, 15),
    "degrees": st.floats(-360, 360),
    "noise": st.floats(0, 1),
    "brightness": st.floats(-2, 2),
    "contrast": st.floats(0, 5),
    "invert": st.booleans(),
    "blur": st.floats(0, 4),
    "seed": st.integers(0, 2**32),
})


@settings(max_examples=60, deadline=None)
@given(image=_images, params=_params)
def test_apply_keeps_shape_dtype_and_range_for_any_parameters(image, params):
    out = T.apply(image, **params)
    lo, hi = _range(image.dtype)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert out.min() >= lo and out.max() <= hi
    np.testing.assert_array_equal(out, T.apply(image, **params))  # deterministic


@settings(max_examples=40, deadline=None)
@given(image=_images, dx=st.integers(-6, 6), dy=st.integers(-6, 6))
def test_shifting_back_restores_the_pixels_that_stayed_inside(image, dx, dy):
    back = T.shift(T.shift(image, dx, dy), -dx, -dy)
    h, w = image.shape
    # pixel (y, x) survives the round trip when (y + dy, x + dx) lies inside the image
    rows = [y for y in range(h) if 0 <= y + dy < h]
    cols = [x for x in range(w) if 0 <= x + dx < w]
    inside = np.ix_(rows, cols)
    np.testing.assert_array_equal(back[inside], image[inside])
