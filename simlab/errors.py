"""Pixel-error baselines: mean squared error and peak signal-to-noise ratio."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_pair, check_same_scale, resolve_data_range

__all__ = ["mse", "psnr"]


def _mse_scores(query: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """MSE of one image (H, W) against each image of a stack (n, H, W), in float64."""
    diff = np.asarray(stack, dtype=np.float64) - np.asarray(query, dtype=np.float64)
    diff *= diff
    return diff.reshape(diff.shape[0], -1).mean(axis=1)


def _psnr_from_mse(mse_values: np.ndarray, data_range: float) -> np.ndarray:
    """PSNR = 10 log10(data_range**2 / MSE); +inf for identical images."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse_values)


def mse(a: Any, b: Any) -> float:
    """Mean squared error between two images.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape, any real or integer dtype (converted to
        float64 first, so uint8 images do not wrap around).

    Returns
    -------
    mse : float
        >= 0; 0 for identical images. Lower is more similar.

    Notes
    -----
    .. math:: \\mathrm{MSE} = \\frac{1}{n} \\sum_i (a_i - b_i)^2

    Equal to ``skimage.metrics.mean_squared_error``.

    References
    ----------
    .. [1] Wang, Z., & Bovik, A. C. (2009). Mean squared error: love it or leave it? IEEE
       Signal Processing Magazine, 26(1), 98-117.

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.array([[0, 255]], dtype=np.uint8), np.array([[255, 255]], dtype=np.uint8))
    32512.5
    """
    a, b = as_pair(a, b)
    check_same_scale(a, b, "mse")
    return float(_mse_scores(a, b[None])[0])


def _psnr_data_range(a: np.ndarray, b: np.ndarray, data_range: Any, func: str = "psnr") -> float:
    """scikit-image's peak_signal_noise_ratio rule for R.

    Given: as given. Integer ``a`` (image_true): the dtype's maximum when ``a`` has no negative
    values (255 for uint8, 32767 for int16), else the dtype's span (max - min). Floats: required.
    """
    if data_range is not None:
        return resolve_data_range(a, b, data_range, func)  # checked, with a warning for values beyond it
    r = resolve_data_range(a, b, None, func)  # same integer dtype, or a clear error
    if a.dtype == np.bool_ or (np.issubdtype(a.dtype, np.signedinteger) and a.min() < 0):
        return r  # the dtype's span
    return float(np.iinfo(a.dtype).max)


def psnr(a: Any, b: Any, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio between two images, in decibels.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    data_range : float, optional
        The peak value R (1.0 for images in [0, 1], 255 for 8-bit). Required for float images.
        For integer images, as scikit-image: the dtype's maximum when ``a`` (the reference,
        scikit-image's ``image_true``) has no negative values (255 for uint8, 32767 for int16),
        otherwise the dtype's span, max - min (65535 for int16). (SSIM always takes the span.)

    Returns
    -------
    psnr : float
        Higher is more similar; ``inf`` for identical images.

    Notes
    -----
    .. math:: \\mathrm{PSNR} = 10 \\log_{10} \\frac{R^2}{\\mathrm{MSE}}, \\quad R = \\text{data\\_range}

    Equal to ``skimage.metrics.peak_signal_noise_ratio`` with the same ``data_range``.

    References
    ----------
    .. [1] Wang, Z., & Bovik, A. C. (2009). Mean squared error: love it or leave it? IEEE
       Signal Processing Magazine, 26(1), 98-117.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((2, 2))
    >>> b = np.array([[0.0, 0.0], [0.0, 0.2]])
    >>> round(psnr(a, b, data_range=1.0), 6)
    20.0
    """
    a, b = as_pair(a, b)
    r = _psnr_data_range(a, b, data_range)
    return float(_psnr_from_mse(_mse_scores(a, b[None]), r)[0])
