"""Pixel-error baselines: mean squared error and peak signal-to-noise ratio.

The fast form for one image against many is :mod:`simlab.kernels.errors`, tested against these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_pair, check_same_scale, psnr_data_range, to_float

__all__ = ["mse", "psnr"]


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
    Over the n pixels::

        MSE = sum((a - b)**2) / n

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
    return float(np.mean((to_float(a) - to_float(b)) ** 2))


def psnr(a: Any, b: Any, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio between two images, in decibels.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    data_range : float, optional
        The peak value L (1.0 for images in [0, 1], 255 for 8-bit). Required for float images.
        For integer images, as scikit-image: the dtype's maximum when ``a`` (the reference,
        scikit-image's ``image_true``) has no negative values (255 for uint8, 32767 for int16),
        otherwise the dtype's span, max - min (65535 for int16). (SSIM always takes the span.)

    Returns
    -------
    psnr : float
        Higher is more similar; ``inf`` for identical images.

    Notes
    -----
    With L = data_range, the peak::

        PSNR = 10 log10(L**2 / MSE)

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
    peak = psnr_data_range(a, b, data_range)
    with np.errstate(divide="ignore"):  # identical images: inf
        return float(10 * np.log10(peak**2 / np.mean((to_float(a) - to_float(b)) ** 2)))
