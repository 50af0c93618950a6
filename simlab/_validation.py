"""Input checks, in one place, called at the public boundary.

Every public function of simlab that takes images calls one of these helpers first; the inner
functions then trust their inputs. Each error names the argument, says what was received and what to
do instead.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAX_BINS",
    "NMI_METHODS",
    "SSIMWindow",
    "as_image",
    "as_pair",
    "as_stack",
    "check_base",
    "check_bins",
    "check_bool",
    "check_choice",
    "check_local_statistics",
    "check_ssim_constants",
    "check_ssim_window",
    "check_data_range",
    "check_same_scale",
    "dataset_data_range",
    "drop_channel_axis",
    "check_positive_number",
    "check_positive_int",
    "dtype_data_range",
    "psnr_data_range",
    "resolve_data_range",
    "to_float",
]


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:200]


def _as_real_array(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "images") and not isinstance(x, np.ndarray):  # a simlab Dataset
        x = x.images
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and other oddities
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} ({exc})") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be an array of real numbers, got {_describe(arr)}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): pass an image with at least one pixel")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite values: similarity is undefined there; "
            f"replace them first (e.g. np.nan_to_num({name}) or a mask)"
        )
    return arr


def as_image(x: Any, name: str = "image") -> np.ndarray:
    """Return ``x`` as a non-empty, finite, real 2-D array (dtype unchanged)."""
    arr = _as_real_array(x, name)
    if arr.ndim != 2:
        if arr.ndim == 3 and arr.shape[-1] in (1, 2):
            hint = (
                f"this looks like one image with a trailing channel axis of {arr.shape[-1]}: pass its first "
                f"channel, {name}[..., 0]"
            )
        elif arr.ndim == 3 and arr.shape[-1] in (3, 4):
            hint = (
                "this looks like a colour image: convert it to grey first, "
                "e.g. skimage.color.rgb2gray(" + name + ")"
            )
        elif arr.ndim == 3:
            hint = (
                "this looks like a stack of images: pass one image, e.g. " + name + "[0], "
                "or use simlab.scores / simlab.pairwise for many"
            )
        else:
            hint = "pass one grey-level image as a 2-D array (height, width)"
        raise ValueError(f"{name} must be a 2-D grey-level image, got shape {arr.shape}: {hint}")
    return arr


def as_pair(a: Any, b: Any, names: tuple[str, str] = ("a", "b")) -> tuple[np.ndarray, np.ndarray]:
    """Check two images: each 2-D, finite, real, and of the same shape."""
    a = as_image(a, names[0])
    b = as_image(b, names[1])
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}: "
            "crop or resize one of them first (e.g. skimage.transform.resize)"
        )
    return a, b


def as_stack(x: Any, name: str = "images", image_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a non-empty, finite, real stack of images of shape (N, H, W).

    A trailing channel axis of 1, (N, H, W, 1), is dropped, as :func:`simlab.load_dataset` does.
    A single 2-D image is not accepted: a stack of one is ``image[None]``.
    """
    arr = drop_channel_axis(_as_real_array(x, name))
    if arr.ndim != 3:
        hint = "for one image use image[None]" if arr.ndim == 2 else "expected (N, height, width)"
        raise ValueError(f"{name} must be a stack of 2-D images of shape (N, H, W), got shape {arr.shape}: {hint}")
    if image_shape is not None and arr.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"the images in {name} must have the query's shape {tuple(image_shape)}, got {arr.shape[1:]}"
        )
    return arr


def drop_channel_axis(x: np.ndarray) -> np.ndarray:
    """An (N, H, W, 1) stack as (N, H, W) (a view); any other array unchanged."""
    return x[..., 0] if x.ndim == 4 and x.shape[-1] == 1 else x


def to_float(a: np.ndarray) -> np.ndarray:
    """Convert to float64 before any arithmetic (no uint8 wrap-around)."""
    return np.asarray(a, dtype=np.float64)


def dtype_data_range(dtype: np.dtype) -> float | None:
    """The span of an integer or boolean dtype (255 for uint8, 65535 for int16); None for floats."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 1.0
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return float(info.max) - float(info.min)
    return None


def check_data_range(data_range: Any) -> float:
    """``data_range`` as a positive finite float; booleans and non-numbers are refused."""
    if isinstance(data_range, np.ndarray) and data_range.ndim == 0 and data_range.dtype.kind in "iuf":
        data_range = data_range[()]
    if isinstance(data_range, (bool, np.bool_)) or not isinstance(data_range, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"data_range must be a number (the span of values the images can take, e.g. 1.0 or 255), "
            f"got {_describe(data_range)}"
        )
    value = float(data_range)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"data_range must be a positive finite number, got {data_range!r}: pass the span of values "
            "the images can take (1.0 for images in [0, 1], 255 for 8-bit)"
        )
    return value


def check_positive_number(value: Any, name: str, default: float) -> float:
    """``value`` as a positive finite float (a parameter such as SSIM's sigma, K1, K2); booleans and
    non-numbers are refused. Both errors name the parameter's ``default``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number (default {default}), got {_describe(value)}")
    number = float(value)
    if not (number > 0 and math.isfinite(number)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r} (default {default})")
    return number


def check_bool(value: Any, name: str) -> bool:
    """``value`` if it is True or False (Python or NumPy bool); anything else is a TypeError.

    Strings such as ``"no"`` are truthy, so they are refused rather than silently taken as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def _warn_if_outside(data_range: float, arrays: Iterable[np.ndarray], func: str, stacklevel: int = 4) -> None:
    """Warn when the values of ``arrays`` span more than ``data_range`` (scikit-image #6602, #7605)."""
    arrays = [np.asarray(x) for x in arrays]
    lo = min(float(x.min()) for x in arrays)
    hi = max(float(x.max()) for x in arrays)
    if hi - lo > data_range * (1 + 1e-6):
        warnings.warn(
            f"{func}: the images' values span {lo:g}..{hi:g} (a range of {hi - lo:g}), more than the given "
            f"data_range={data_range:g}: the result assumes values within a span of data_range. Pass the span "
            f"your values can take (e.g. data_range={_usual_range(arrays, lo, hi):g}), or rescale the images",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


def _usual_range(arrays: list[np.ndarray], lo: float, hi: float) -> float:
    """A span that holds lo..hi: 255 or 65535 for whole numbers within them, else hi - lo."""
    if lo >= 0 and all(x.dtype.kind in "biu" or bool(np.all(x == np.round(x))) for x in arrays):
        for span in (255.0, 65535.0):
            if hi <= span:
                return span
    return float(f"{hi - lo:.3g}")


def resolve_data_range(a: np.ndarray, b: np.ndarray, data_range: Any, func: str, stacklevel: int = 4) -> float:
    """``data_range`` as a positive float: as given, or from an integer dtype; floats must pass it.

    A given ``data_range`` smaller than the span of the values of ``a`` and ``b`` is used, with a
    ``RuntimeWarning`` that names the observed range.
    """
    if data_range is not None:
        value = check_data_range(data_range)
        _warn_if_outside(value, (a, b), func, stacklevel)  # the warning names the caller's caller
        return value
    ra, rb = dtype_data_range(a.dtype), dtype_data_range(b.dtype)
    if ra is not None and rb is not None:
        if a.dtype != b.dtype:
            raise ValueError(
                f"{func}: a and b have different integer dtypes ({a.dtype} and {b.dtype}), so their "
                "data_range is ambiguous: pass data_range= explicitly"
            )
        return ra
    raise ValueError(
        f"{func}: data_range is required for float images: pass data_range=1.0 for images in [0, 1] "
        "(a simlab Dataset has .data_range), 255 for 0..255 values, or the span of values your images "
        f"can take; got dtypes {a.dtype} and {b.dtype}"
    )


def check_same_scale(a: np.ndarray, b: np.ndarray, func: str, names: tuple[str, str] = ("a", "b")) -> None:
    """Integer against float images: a clear error for a metric that compares pixel values (MSE).

    ``mse(uint8_image, float_image_in_0_1)`` would otherwise compare 0..255 with 0..1 and return a
    large, meaningless number. Integer with integer, or float with float, passes.
    """
    if (a.dtype.kind == "f") == (b.dtype.kind == "f"):
        return
    ints, floats = (names[0], names[1]) if a.dtype.kind != "f" else (names[1], names[0])
    int_dtype = a.dtype if a.dtype.kind != "f" else b.dtype
    divisor = 1 if int_dtype == np.bool_ else np.iinfo(int_dtype).max
    raise ValueError(
        f"{func}: {names[0]} is {a.dtype} and {names[1]} is {b.dtype}: {ints} holds integer values and "
        f"{floats} floats, so they are probably on different scales (0..{divisor} and 0..1) and {func} "
        f"compares pixel values; convert them to one scale first, e.g. {ints} / {divisor}"
    )


def dataset_data_range(images: Any, data_range: Any, func: str) -> Any:
    """The data range to score a simlab ``Dataset`` with: its own, or a given one that equals it.

    For anything else ``data_range`` is returned unchanged. A different ``data_range`` for a
    ``Dataset`` (whose images are in [0, 1], ``data_range == 1.0``) is refused: it would score the
    data set's images on a scale they are not on.
    """
    if not (hasattr(images, "images") and hasattr(images, "data_range") and not isinstance(images, np.ndarray)):
        return data_range
    if data_range is None:
        return images.data_range
    value = check_data_range(data_range)
    if value != images.data_range:
        raise ValueError(
            f"{func}: data_range={data_range!r} differs from the Dataset's own data_range={images.data_range:g} "
            f"(its images are in [0, 1]): leave data_range out, and bring the query to the same scale first "
            f"(e.g. query / {value:g})"
        )
    return value


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """An integer >= minimum, or a ValueError naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (strings), or a ValueError that lists them (TypeError for a non-string)."""
    choices = list(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(repr, choices))}; got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(map(repr, choices))}")
    return value


# --------------------------------------------------------------------------------------------
# options of the metrics, checked once for the pair functions and the batch kernels alike
# --------------------------------------------------------------------------------------------

#: Default number of bins per image for mutual information (see simlab.information).
DEFAULT_BINS = 16

#: Largest accepted ``bins``: a joint histogram has bins**2 cells (16.8 million, 134 MB of counts,
#: at 4096), and a 28x28 image has only 784 pixels, so far fewer bins already estimate nothing.
MAX_BINS = 4096

#: Normalisations of MI accepted by ``normalized_mutual_information``.
NMI_METHODS = ("studholme", "arithmetic", "geometric", "min", "max")


def check_bins(bins: Any) -> int:
    """``bins`` as an int in 1..MAX_BINS, or a clear error."""
    bins = check_positive_int(bins, "bins")
    if bins > MAX_BINS:
        raise ValueError(
            f"bins must be at most {MAX_BINS}, got {bins}: the joint histogram has bins**2 cells "
            f"({bins**2:,} here, {8 * bins**2 / 1e9:.3g} GB of counts), and with more bins than pixels "
            f"the estimate is mostly bias; use DEFAULT_BINS ({DEFAULT_BINS}) or a few dozen"
        )
    return bins


def check_base(base: Any) -> float:
    """A logarithm base: a finite number > 1."""
    if isinstance(base, (bool, np.bool_)):
        raise TypeError(f"base must be a number such as 2 (bits) or math.e (nats), got {base!r}")
    try:
        value = float(base)
    except (TypeError, ValueError):
        raise TypeError(f"base must be a number such as 2 (bits) or math.e (nats), got {base!r}") from None
    if not (value > 1 and math.isfinite(value)):
        raise ValueError(
            f"base must be a finite number > 1 (2 for bits, math.e for nats, 10 for hartleys), got {base!r}: "
            "with a base below 1 every entropy and MI would be negative"
        )
    return value


def psnr_data_range(a: np.ndarray, b: np.ndarray, data_range: Any, func: str = "psnr") -> float:
    """scikit-image's peak_signal_noise_ratio rule for the peak L.

    Given: as given. Integer ``a`` (image_true): the dtype's maximum when ``a`` has no negative
    values (255 for uint8, 32767 for int16), else the dtype's span (max - min). Floats: required.
    """
    if data_range is not None:
        return resolve_data_range(a, b, data_range, func)  # checked, with a warning for values beyond it
    span = resolve_data_range(a, b, None, func)  # same integer dtype, or a clear error
    if a.dtype == np.bool_ or (np.issubdtype(a.dtype, np.signedinteger) and a.min() < 0):
        return span
    return float(np.iinfo(a.dtype).max)


_TRUNCATE = 3.5  # scikit-image's Gaussian window: radius int(3.5 * sigma + 0.5), 11 taps for sigma = 1.5


@dataclass(frozen=True)
class SSIMWindow:
    """A checked SSIM window: its side, the border that SSIM's mean leaves out, and its weights.

    ``sigma`` is None for the uniform window; ``cov_norm`` is N / (N - 1) (N = win_size**2) for the
    sample covariance, else 1.
    """

    win_size: int
    sigma: float | None
    cov_norm: float

    @property
    def pad(self) -> int:
        return (self.win_size - 1) // 2

    @property
    def truncate(self) -> float:
        return _TRUNCATE

    def weights(self) -> np.ndarray:
        """The 1-D weights (summing to 1) of the separable window."""
        if self.sigma is None:
            return np.full(self.win_size, 1.0 / self.win_size)
        radius = int(_TRUNCATE * self.sigma + 0.5)
        x = np.arange(-radius, radius + 1, dtype=np.float64)
        w = np.exp(-0.5 / (self.sigma * self.sigma) * x**2)
        return w / w.sum()


def check_ssim_window(
    shape: tuple[int, ...], win_size: Any, gaussian_weights: Any, sigma: Any, use_sample_covariance: Any
) -> SSIMWindow:
    """Check SSIM's window arguments against the image shape; the window they describe."""
    gaussian_weights = check_bool(gaussian_weights, "gaussian_weights")
    use_sample_covariance = check_bool(use_sample_covariance, "use_sample_covariance")
    sigma = check_positive_number(sigma, "sigma", 1.5)
    largest = min(shape) - (1 - min(shape) % 2)  # the largest odd window that fits
    if min(shape) < 3:  # no window fits: say so, rather than suggest a win_size that is then refused
        raise ValueError(
            f"SSIM needs images of at least 3x3 pixels (7x7 with its default window), got {shape[0]}x{shape[1]}: "
            "compare such small images with mse or pearson instead"
        )
    if gaussian_weights:
        if sigma > 4 * max(shape):
            raise ValueError(
                f"sigma={sigma!r} is too large for a {shape[0]}x{shape[1]} image: a Gaussian window wider "
                f"than the image is flat; use sigma <= {4 * max(shape)} (default 1.5)"
            )
        radius = int(_TRUNCATE * sigma + 0.5)
        if win_size is None and radius < 1:
            raise ValueError(
                f"sigma={sigma!r} gives a 1-pixel Gaussian window (win_size = 2 * int(3.5 * sigma + 0.5) + 1), "
                "which has no variance: use sigma >= 0.15 (default 1.5), or pass win_size=3 or larger"
            )
        if win_size is None and 2 * radius + 1 > min(shape):
            raise ValueError(
                f"sigma={sigma!r} gives a Gaussian window of win_size {2 * radius + 1} "
                f"(2 * int(3.5 * sigma + 0.5) + 1), larger than the image ({shape[0]}x{shape[1]}): use "
                f"sigma <= {(largest // 2 - 0.5) / _TRUNCATE:.3g}, or pass an odd win_size <= {largest}"
            )
        default = 2 * radius + 1
    else:
        default = 7
    win_size = default if win_size is None else check_positive_int(win_size, "win_size", minimum=3)
    if win_size % 2 == 0:
        raise ValueError(f"win_size must be odd (the window is centred on a pixel), got {win_size}: try {win_size + 1}")
    if win_size > min(shape):
        raise ValueError(
            f"win_size {win_size} is larger than the image ({shape[0]}x{shape[1]}): pass an odd win_size <= "
            f"{largest} (SSIM needs images at least as large as its window: 7x7 by default, 3x3 at the smallest)"
        )
    n_pixels = win_size**2
    cov_norm = n_pixels / (n_pixels - 1) if use_sample_covariance else 1.0
    return SSIMWindow(win_size, sigma if gaussian_weights else None, cov_norm)


def check_ssim_constants(K1: Any, K2: Any, data_range: float) -> tuple[float, float]:
    """C1 = (K1 L)**2 and C2 = (K2 L)**2 (L = data_range), with K1, K2 finite positive numbers."""
    out = []
    for name, value, default in (("K1", K1, 0.01), ("K2", K2, 0.03)):
        c = check_positive_number(value, name, default) * data_range
        if not c * c < math.inf:  # no OverflowError
            raise ValueError(
                f"data_range={data_range!r} with {name}={value!r} makes C{name[1]} = ({name} * data_range)**2 "
                "overflow: pass the real span of the images' values (1.0 for [0, 1], 255 for 8-bit)"
            )
        out.append(c * c)
    if not 16 * data_range**2 * data_range**2 < math.inf:  # the map multiplies two squared terms
        raise ValueError(
            f"data_range={data_range!r} is too large: SSIM multiplies terms of order data_range**4, "
            "which overflows float64 above about 1e76; pass the real span of the images' values "
            "(1.0 for [0, 1], 255 for 8-bit)"
        )
    return out[0], out[1]


def check_local_statistics(
    a: Any, b: Any, win_size: Any, gaussian_weights: Any, sigma: Any, use_sample_covariance: Any
) -> tuple[np.ndarray, np.ndarray, SSIMWindow]:
    """Every check of ``local_statistics``'s arguments: the images and the window."""
    a, b = as_pair(a, b)
    return a, b, check_ssim_window(a.shape, win_size, gaussian_weights, sigma, use_sample_covariance)


def check_ssim(
    a: Any, b: Any, data_range: Any, win_size: Any, gaussian_weights: Any, sigma: Any, use_sample_covariance: Any,
    K1: Any, K2: Any, func: str = "ssim", full: Any = False,
) -> tuple[np.ndarray, np.ndarray, SSIMWindow, float, float]:
    """Every check of SSIM's arguments: the images, the window, the constants C1, C2 (and ``full``)."""
    a, b = as_pair(a, b)
    check_bool(full, "full")
    data_range = resolve_data_range(a, b, data_range, func, stacklevel=5)
    window = check_ssim_window(a.shape, win_size, gaussian_weights, sigma, use_sample_covariance)
    C1, C2 = check_ssim_constants(K1, K2, data_range)
    return a, b, window, C1, C2


def check_information(a: Any, b: Any, bins: Any, base: Any = 2) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Every check of a mutual-information function's arguments: the images, ``bins``, ``base``."""
    a, b = as_pair(a, b)
    return a, b, check_bins(bins), check_base(base)


def check_histogram(counts: Any, base: Any, ndim: int | None = None) -> tuple[np.ndarray, float]:
    """A histogram of any shape (a joint one if ``ndim=2``) as float64 counts, and a checked ``base``."""
    c = np.asarray(counts)
    if c.dtype == object or not (np.issubdtype(c.dtype, np.number) or c.dtype == np.bool_):
        raise TypeError(f"counts must be an array of numbers, got dtype {c.dtype}")
    if c.size == 0:
        raise ValueError("counts is empty: pass a histogram with at least one bin")
    if ndim is not None and c.ndim != ndim:
        raise ValueError(
            f"counts must be a {ndim}-D joint histogram (rows: a's bins, columns: b's), got shape {c.shape}"
        )
    c = c.astype(np.float64)
    if not np.isfinite(c).all():
        raise ValueError("counts contains NaN or infinite values: pass finite, non-negative counts")
    if (c < 0).any() or c.sum() <= 0:
        raise ValueError("counts must be non-negative with a positive total: pass a histogram")
    return c, check_base(base)
