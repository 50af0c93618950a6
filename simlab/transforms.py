"""Image transforms that similarity metrics reward or punish.

Each function takes one 2-D grey-level image and returns a new image of the same shape and dtype,
whose values stay in the input's value range: floats must lie in [0, 1] and stay there; integers
keep their dtype's range (0..255 for uint8, -32768..32767 for int16). Every transform works on the
image scaled to [0, 1] ("unit" values: 0 is black, 1 is white), then converts back (integers are
rounded, values beyond the range are clipped).

Everything is deterministic: the only random transform, :func:`noise`, takes a ``seed``.

======================  ==========================================  ==================
function                does                                        identity parameter
======================  ==========================================  ==================
:func:`shift`           moves the pixels ``dx`` right, ``dy`` down  ``dx=0, dy=0``
:func:`rotate`          turns the image anticlockwise, in degrees   ``degrees=0``
:func:`noise`           adds Gaussian noise of std ``sigma``        ``sigma=0``
:func:`brightness`      adds ``delta`` to every pixel               ``delta=0``
:func:`contrast`        scales the distance from mid-grey           ``factor=1``
:func:`invert`          swaps black and white                       (twice)
:func:`blur`            Gaussian blur of std ``sigma`` pixels       ``sigma=0``
:func:`apply`           all of the above, in a fixed order          the defaults
======================  ==========================================  ==================

Examples
--------
>>> import numpy as np
>>> from simlab import transforms
>>> image = np.zeros((5, 5)); image[1, 1] = 1.0
>>> moved = transforms.shift(image, dx=2, dy=1)
>>> np.argwhere(moved == 1.0).tolist()
[[2, 3]]
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._validation import as_image, check_bool

__all__ = ["apply", "blur", "brightness", "contrast", "invert", "noise", "rotate", "shift"]


# --------------------------------------------------------------------------------------------
# private helpers: parameter checks and conversion to / from unit values
# --------------------------------------------------------------------------------------------


def _number(value: Any, name: str, *, minimum: float | None = None) -> float:
    """A finite real number (bools refused), optionally >= minimum, or a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value!r}")
    return value


def _seed(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise TypeError(
            f"seed must be a non-negative integer (the same seed gives the same noise), got {value!r}"
        )
    return int(value)


def _to_unit(image: Any, name: str = "image") -> tuple[np.ndarray, np.dtype]:
    """Check ``image`` and return it as float64 in [0, 1], with its dtype for the way back."""
    arr = as_image(image, name)
    dtype = arr.dtype
    if dtype == np.bool_:
        return arr.astype(np.float64), dtype
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return (arr.astype(np.float64) - float(info.min)) / (float(info.max) - float(info.min)), dtype
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name} is a float image with values in [{lo:g}, {hi:g}], but float images must lie in "
            f"[0, 1] for the transforms to keep them in range: rescale first, e.g. "
            f"({name} - {name}.min()) / np.ptp({name}) (a notMNIST array in [-0.5, 0.5]: {name} + 0.5)"
        )
    return arr.astype(np.float64, copy=True), dtype


def _from_unit(unit: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Clip unit values to [0, 1] and convert back to ``dtype`` (integers are rounded)."""
    unit = np.clip(unit, 0.0, 1.0)
    if dtype == np.bool_:
        return unit >= 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.rint(unit * (float(info.max) - float(info.min)) + float(info.min))
        return np.clip(values, info.min, info.max).astype(dtype)
    return unit.astype(dtype)


# The unit-space operations: trusted inputs (float64 in [0, 1]), trusted parameters.


def _shift_unit(u: np.ndarray, dx: float, dy: float, fill: float) -> np.ndarray:
    if dx == 0 and dy == 0:
        return u
    if float(dx).is_integer() and float(dy).is_integer():
        dx, dy = int(dx), int(dy)
        h, w = u.shape
        out = np.full_like(u, fill)
        if abs(dx) < w and abs(dy) < h:
            src_rows = slice(max(0, -dy), h - max(0, dy))
            src_cols = slice(max(0, -dx), w - max(0, dx))
            dst_rows = slice(max(0, dy), h - max(0, -dy))
            dst_cols = slice(max(0, dx), w - max(0, -dx))
            out[dst_rows, dst_cols] = u[src_rows, src_cols]
        return out
    from scipy import ndimage

    return ndimage.shift(u, (dy, dx), order=1, mode="constant", cval=fill)


def _rotate_unit(u: np.ndarray, degrees: float, fill: float) -> np.ndarray:
    if degrees % 360 == 0:
        return u
    from scipy import ndimage

    return ndimage.rotate(u, degrees, reshape=False, order=1, mode="constant", cval=fill)


def _blur_unit(u: np.ndarray, sigma: float, name: str = "sigma") -> np.ndarray:
    if sigma == 0:
        return u
    limit = 4 * max(u.shape)
    if sigma > limit:  # the kernel would have ~8 sigma taps: memory and time without any effect
        raise ValueError(
            f"{name}={sigma!r} is too large for a {u.shape[0]}x{u.shape[1]} image: a blur wider than "
            f"the image already makes it flat; use {name} <= {limit} (4 x the image size)"
        )
    from scipy import ndimage

    return ndimage.gaussian_filter(u, sigma, mode="nearest")


def _contrast_unit(u: np.ndarray, factor: float) -> np.ndarray:
    return u if factor == 1 else np.clip((u - 0.5) * factor + 0.5, 0.0, 1.0)


def _brightness_unit(u: np.ndarray, delta: float) -> np.ndarray:
    return u if delta == 0 else np.clip(u + delta, 0.0, 1.0)


def _noise_unit(u: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    if sigma == 0:
        return u
    rng = np.random.default_rng(seed)
    return np.clip(u + rng.normal(0.0, sigma, size=u.shape), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# public transforms
# --------------------------------------------------------------------------------------------


def shift(image: Any, dx: float = 0, dy: float = 0, *, fill: float = 0.0) -> np.ndarray:
    """Move the image ``dx`` pixels to the right and ``dy`` pixels down.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    dx, dy : float, default 0
        Shift in pixels along the columns (positive: right) and the rows (positive: down).
        Whole numbers move pixels exactly; fractions interpolate bilinearly.
    fill : float, default 0.0
        Value of the uncovered pixels, as a fraction of the value range (0 black, 1 white).

    Returns
    -------
    numpy.ndarray
        Shifted image, same shape and dtype as ``image``.

    Notes
    -----
    For whole-pixel shifts, ``out[y + dy, x + dx] = image[y, x]`` wherever both positions lie inside the
    image; every other pixel of ``out`` is ``fill``. Fractional shifts use
    :func:`scipy.ndimage.shift` with linear interpolation.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(9, dtype=np.uint8).reshape(3, 3)
    >>> shift(image, dx=1)
    array([[0, 0, 1],
           [0, 3, 4],
           [0, 6, 7]], dtype=uint8)
    """
    u, dtype = _to_unit(image)
    dx = _number(dx, "dx")
    dy = _number(dy, "dy")
    fill = _fill(fill)
    return _from_unit(_shift_unit(u, dx, dy, fill), dtype)


def _fill(fill: Any) -> float:
    fill = _number(fill, "fill", minimum=0.0)
    if fill > 1.0:
        raise ValueError(f"fill is a fraction of the value range and must lie in [0, 1], got {fill!r}")
    return fill


def rotate(image: Any, degrees: float, *, fill: float = 0.0) -> np.ndarray:
    """Rotate the image anticlockwise about its centre.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    degrees : float
        Angle in degrees, anticlockwise as the image is displayed (row 0 at the top).
    fill : float, default 0.0
        Value of the pixels that come from outside the image, as a fraction of the range.

    Returns
    -------
    numpy.ndarray
        Rotated image, same shape and dtype (corners that leave the frame are cut off).

    Notes
    -----
    Bilinear interpolation (:func:`scipy.ndimage.rotate` with ``reshape=False, order=1``).
    A multiple of 360 degrees returns the image unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 5)); image[0, 2] = 1.0     # a dot at the top
    >>> np.argwhere(rotate(image, 90) > 0.5).tolist()    # goes to the left
    [[2, 0]]
    """
    u, dtype = _to_unit(image)
    degrees = _number(degrees, "degrees")
    return _from_unit(_rotate_unit(u, degrees, _fill(fill)), dtype)


def noise(image: Any, sigma: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise, reproducibly.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    sigma : float
        Standard deviation of the noise as a fraction of the value range (0.1 on a uint8 image is
        25.5 grey levels). ``sigma=0`` returns the image unchanged.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: the same seed gives the same noise.

    Returns
    -------
    numpy.ndarray
        Noisy image, clipped to the value range, same shape and dtype.

    Notes
    -----
    ``out = clip(u + n, 0, 1)`` with ``n ~ N(0, sigma^2)`` independently per pixel, where ``u`` is
    the image in unit values. Clipping makes the noise slightly non-Gaussian near black and white.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((4, 4), 0.5)
    >>> bool(np.array_equal(noise(image, 0.1, seed=1), noise(image, 0.1, seed=1)))
    True
    >>> bool(np.array_equal(noise(image, 0.1, seed=1), noise(image, 0.1, seed=2)))
    False
    """
    u, dtype = _to_unit(image)
    sigma = _number(sigma, "sigma", minimum=0.0)
    return _from_unit(_noise_unit(u, sigma, _seed(seed)), dtype)


def brightness(image: Any, delta: float) -> np.ndarray:
    """Add a constant to every pixel (make the image lighter or darker).

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    delta : float
        Amount added, as a fraction of the value range (-1 .. 1 is the useful span).

    Returns
    -------
    numpy.ndarray
        ``clip(u + delta, 0, 1)`` in the image's dtype.

    Notes
    -----
    ``out = clip(u + delta, 0, 1)``. Without clipping Pearson's r and SSIM's structure term would not
    change; clipping at white (or black) destroys information and they do change.

    Examples
    --------
    >>> import numpy as np
    >>> brightness(np.array([[0.0, 0.5, 0.9]]), 0.25)
    array([[0.25, 0.75, 1.  ]])
    """
    u, dtype = _to_unit(image)
    delta = _number(delta, "delta")
    return _from_unit(_brightness_unit(u, delta), dtype)


def contrast(image: Any, factor: float) -> np.ndarray:
    """Stretch (``factor > 1``) or flatten (``factor < 1``) the grey levels about mid-grey.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    factor : float
        Non-negative scale of the distance from mid-grey; 1 leaves the image unchanged, 0 makes it
        uniformly mid-grey.

    Returns
    -------
    numpy.ndarray
        ``clip((u - 0.5) * factor + 0.5, 0, 1)`` in the image's dtype.

    Notes
    -----
    ``out = clip((u - 0.5) * factor + 0.5, 0, 1)`` with ``u`` in unit values (0.5 is mid-grey,
    127.5 on a uint8 image). A linear map with positive slope: Pearson's r is unchanged unless pixels
    are clipped.

    Examples
    --------
    >>> import numpy as np
    >>> contrast(np.array([[0.0, 0.25, 0.5, 1.0]]), 0.5)
    array([[0.25 , 0.375, 0.5  , 0.75 ]])
    """
    u, dtype = _to_unit(image)
    factor = _number(factor, "factor", minimum=0.0)
    return _from_unit(_contrast_unit(u, factor), dtype)


def invert(image: Any) -> np.ndarray:
    """Swap black and white (a photographic negative).

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).

    Returns
    -------
    numpy.ndarray
        ``1 - u`` in the image's dtype: ``1 - x`` for floats, ``255 - x`` for uint8, and in general
        ``max + min - x`` for an integer dtype. Inverting twice gives the image back.

    Notes
    -----
    ``out = 1 - u``. Pearson's r of an image with its negative is -1; SSIM's structure term is -1 too;
    mutual information does not change (a one-to-one remapping of grey levels).

    Examples
    --------
    >>> import numpy as np
    >>> invert(np.array([[0, 100, 255]], dtype=np.uint8))
    array([[255, 155,   0]], dtype=uint8)
    """
    u, dtype = _to_unit(image)
    if dtype == np.bool_ or np.issubdtype(dtype, np.integer):
        # exact: bitwise NOT is max - x for unsigned and -1 - x = max + min - x for signed integers
        return np.invert(np.asarray(image))
    return _from_unit(1.0 - u, dtype)


def blur(image: Any, sigma: float) -> np.ndarray:
    """Gaussian blur.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    sigma : float
        Standard deviation of the Gaussian kernel in pixels; 0 leaves the image unchanged. At
        most 4 x the image's larger side (a wider blur is already flat; larger values raise).

    Returns
    -------
    numpy.ndarray
        Blurred image, same shape and dtype.

    Notes
    -----
    :func:`scipy.ndimage.gaussian_filter` with ``mode="nearest"`` (the border pixels are repeated),
    truncated at 4 sigma. A weighted mean of neighbours, so values stay in range.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((11, 11)); image[5, 5] = 1.0
    >>> blurred = blur(image, 1.0)      # the dot spreads, its total is kept
    >>> bool(blurred[5, 5] < 0.2), round(float(blurred.sum()), 6)
    (True, 1.0)
    """
    u, dtype = _to_unit(image)
    sigma = _number(sigma, "sigma", minimum=0.0)
    return _from_unit(_blur_unit(u, sigma), dtype)


def apply(
    image: Any,
    *,
    dx: float = 0,
    dy: float = 0,
    degrees: float = 0,
    noise: float = 0,
    brightness: float = 0,
    contrast: float = 1,
    invert: bool = False,
    blur: float = 0,
    seed: int = 0,
) -> np.ndarray:
    """Apply several transforms in one fixed order.

    The order is: rotate, shift, blur, contrast, brightness, invert, noise. (Geometry first, then
    the optics, then the grey levels, and the sensor's noise last.) The defaults change nothing.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grey-level image: floats in [0, 1], or integers (their dtype's range).
    dx, dy : float, default 0
        Shift right / down in pixels (:func:`shift`).
    degrees : float, default 0
        Anticlockwise rotation (:func:`rotate`).
    noise : float, default 0
        Standard deviation of Gaussian noise as a fraction of the range (:func:`noise`).
    brightness : float, default 0
        Added to every pixel, as a fraction of the range (:func:`brightness`).
    contrast : float, default 1
        Scale of the distance from mid-grey (:func:`contrast`).
    invert : bool, default False
        Swap black and white (:func:`invert`).
    blur : float, default 0
        Gaussian blur sigma in pixels (:func:`blur`).
    seed : int, default 0
        Seed of the noise.

    Returns
    -------
    numpy.ndarray
        Transformed image, same shape and dtype as ``image``.

    Notes
    -----
    The image is converted to unit values once, every step works on those (clipping to [0, 1] after
    each grey-level step), and the result is converted back once, so integer images are rounded only
    at the end. ``apply(x, dx=1, invert=True)`` therefore equals ``invert(shift(x, dx=1))``.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((4, 4)); image[0, 0] = 1.0
    >>> apply(image, dx=1, invert=True)[0].tolist()
    [1.0, 0.0, 1.0, 1.0]
    """
    u, dtype = _to_unit(image)
    dx, dy = _number(dx, "dx"), _number(dy, "dy")
    degrees = _number(degrees, "degrees")
    noise_sigma = _number(noise, "noise", minimum=0.0)
    delta = _number(brightness, "brightness")
    factor = _number(contrast, "contrast", minimum=0.0)
    blur_sigma = _number(blur, "blur", minimum=0.0)
    invert = check_bool(invert, "invert")
    seed = _seed(seed)

    u = _rotate_unit(u, degrees, 0.0)
    u = _shift_unit(u, dx, dy, 0.0)
    u = _blur_unit(u, blur_sigma, "blur")
    u = _contrast_unit(u, factor)
    u = _brightness_unit(u, delta)
    if invert:
        u = 1.0 - u
    u = _noise_unit(u, noise_sigma, seed)
    return _from_unit(u, dtype)
