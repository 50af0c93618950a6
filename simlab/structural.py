"""Structural similarity (SSIM), built from local means, variances and covariance.

The pieces, in the order notebook 04 builds them: :func:`local_statistics` (windowed means,
variances and covariance, with ``scipy.ndimage`` filters as scikit-image does),
:func:`ssim_components` (luminance, contrast and structure maps and their product, the SSIM
map), then :func:`ssim` (the mean of the map away from the border). Same arguments, defaults and
numbers as ``skimage.metrics.structural_similarity``. The fast form for one image against many
is :mod:`simlab.kernels.structural`, tested against these.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from ._validation import SSIMWindow, check_local_statistics, check_ssim, to_float

__all__ = ["LocalStatistics", "SSIMComponents", "local_statistics", "ssim", "ssim_components"]

def _local_statistics(a: np.ndarray, b: np.ndarray, window: SSIMWindow) -> tuple[np.ndarray, ...]:
    """The maps mu_a, mu_b, var_a, var_b, cov_ab of two float64 images."""
    # the window's weighted mean of each image of a stack (the stack axis left alone)
    if window.sigma is None:
        local = functools.partial(ndimage.uniform_filter, size=(1, window.win_size, window.win_size))
    else:
        local = functools.partial(ndimage.gaussian_filter, sigma=(0, window.sigma, window.sigma),
                                  truncate=window.truncate)
    # Variances and the covariance do not change when an image is shifted by a constant, but
    # local(a * a) - mu_a**2 cancels to noise when the values share a large offset (1e6 + [0, 1]).
    # Shifting each image by its first pixel removes the offset; the means get it back.
    ca, cb = a[0, 0], b[0, 0]
    x = np.empty((5, *a.shape))  # the five images whose local means SSIM needs, filtered in one call
    a, b = np.subtract(a, ca, out=x[0]), np.subtract(b, cb, out=x[1])
    np.multiply(a, a, out=x[2])
    np.multiply(b, b, out=x[3])
    np.multiply(a, b, out=x[4])
    # local(a), local(b), local(a * a), local(b * b), local(a * b); written over x (ndimage's line
    # filters read each line before writing it, so in place gives the same numbers, without 5 more maps)
    mu_a, mu_b, aa, bb, ab = local(x, output=x)
    var_a = (aa - mu_a**2) * window.cov_norm
    var_b = (bb - mu_b**2) * window.cov_norm
    cov_ab = (ab - mu_a * mu_b) * window.cov_norm
    return mu_a + ca, mu_b + cb, var_a, var_b, cov_ab


def _ssim_map(mu_a: np.ndarray, mu_b: np.ndarray, var_a: np.ndarray, var_b: np.ndarray, cov_ab: np.ndarray,
              C1: float, C2: float) -> np.ndarray:
    """SSIM at every pixel, in scikit-image's order of operations (so the same rounding)."""
    A1, A2 = 2 * mu_a * mu_b + C1, 2 * cov_ab + C2
    B1, B2 = mu_a**2 + mu_b**2 + C1, var_a + var_b + C2
    return (A1 * A2) / (B1 * B2)


@dataclass(frozen=True, repr=False)
class LocalStatistics:
    """Windowed statistics of two images, each a map of the image's shape."""

    mu_a: np.ndarray
    mu_b: np.ndarray
    var_a: np.ndarray
    var_b: np.ndarray
    cov_ab: np.ndarray
    win_size: int
    pad: int

    def __repr__(self) -> str:
        return (f"LocalStatistics(maps mu_a, mu_b, var_a, var_b, cov_ab of shape {self.mu_a.shape}, "
                f"win_size={self.win_size}, pad={self.pad})")


def local_statistics(
    a: Any,
    b: Any,
    *,
    win_size: int | None = None,
    gaussian_weights: bool = False,
    sigma: float = 1.5,
    use_sample_covariance: bool = True,
) -> LocalStatistics:
    """Local means, variances and covariance of two images in a sliding window.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape (converted to float64).
    win_size : int, optional
        Odd side of the window: 7 for the uniform window, ``2 * int(3.5 * sigma + 0.5) + 1``
        (11 for sigma = 1.5) for the Gaussian one.
    gaussian_weights : bool, default False
        Weight the window with a Gaussian of width ``sigma`` (Wang et al.) instead of uniformly.
    sigma : float, default 1.5
        Width of the Gaussian window.
    use_sample_covariance : bool, default True
        Normalise (co)variances by N - 1 (N = win_size**2) instead of N.

    Returns
    -------
    stats : LocalStatistics
        Maps ``mu_a``, ``mu_b``, ``var_a``, ``var_b``, ``cov_ab`` of shape (H, W), computed at
        every pixel with the window mirrored at the border ("reflect"), and ``pad``, the
        border width that :func:`ssim` leaves out of its mean.

    Notes
    -----
    With ``w *`` the window's weighted mean (``scipy.ndimage.uniform_filter`` or
    ``gaussian_filter``) and c = N / (N - 1) for the sample covariance (1 otherwise)::

        mu_a   = w * a
        var_a  = c (w * a**2 - mu_a**2)
        cov_ab = c (w * (a b) - mu_a mu_b)

    Each image is first shifted by its first pixel, a constant that changes no variance or
    covariance (the shift is added back to the means): with values that share a large offset
    (1e6 + [0, 1]), ``w * a**2 - mu_a**2`` would otherwise lose every digit to cancellation.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones((7, 7))
    >>> stats = local_statistics(a, 2 * a)
    >>> round(float(stats.mu_b[3, 3]), 12), round(float(stats.var_a[3, 3]), 12)
    (2.0, 0.0)
    """
    a, b, window = check_local_statistics(a, b, win_size, gaussian_weights, sigma, use_sample_covariance)
    maps = _local_statistics(to_float(a), to_float(b), window)
    return LocalStatistics(*maps, win_size=window.win_size, pad=window.pad)


@dataclass(frozen=True, repr=False)
class SSIMComponents:
    """SSIM's luminance, contrast and structure maps, their product and the constants."""

    luminance: np.ndarray
    contrast: np.ndarray
    structure: np.ndarray
    ssim_map: np.ndarray
    C1: float
    C2: float
    C3: float
    pad: int

    def __repr__(self) -> str:
        return (
            f"SSIMComponents(maps luminance, contrast, structure, ssim_map of shape {self.ssim_map.shape}; "
            f"C1={self.C1:.6g}, C2={self.C2:.6g}, C3={self.C3:.6g}, pad={self.pad})"
        )


def ssim_components(
    a: Any,
    b: Any,
    *,
    data_range: float | None = None,
    win_size: int | None = None,
    gaussian_weights: bool = False,
    sigma: float = 1.5,
    use_sample_covariance: bool = True,
    K1: float = 0.01,
    K2: float = 0.03,
) -> SSIMComponents:
    """The luminance, contrast and structure maps whose product is the SSIM map.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    data_range : float, optional
        L, the span of the values the images can take (1.0 for [0, 1]); from the dtype for
        integer images, required for float images.
    win_size, gaussian_weights, sigma, use_sample_covariance
        The window, as in :func:`local_statistics`.
    K1, K2 : float, default 0.01 and 0.03
        Stabilising constants: C1 = (K1 L)**2, C2 = (K2 L)**2.

    Returns
    -------
    parts : SSIMComponents
        Maps (H, W) ``luminance``, ``contrast``, ``structure`` and ``ssim_map``; the constants
        ``C1``, ``C2``, ``C3 = C2 / 2``; ``pad``, the cropped border width.

    Notes
    -----
    From the local statistics (:func:`local_statistics`), with sd = standard deviation::

        luminance = (2 mu_a mu_b + C1) / (mu_a**2 + mu_b**2 + C1)
        contrast  = (2 sd_a sd_b + C2) / (var_a + var_b + C2)
        structure = (cov_ab + C3) / (sd_a sd_b + C3)

    With C3 = C2 / 2, the factor 2 sd_a sd_b + C2 = 2 (sd_a sd_b + C3) cancels between contrast
    and structure, so contrast * structure = (2 cov_ab + C2) / (var_a + var_b + C2) and
    SSIM = luminance * contrast * structure. ``ssim_map`` is computed in that folded form (as
    scikit-image does), which stays defined where a variance rounds to just below zero.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 9, 9))
    >>> p = ssim_components(a, b, data_range=1.0)
    >>> bool(np.allclose(p.luminance * p.contrast * p.structure, p.ssim_map))
    True
    """
    a, b, window, C1, C2 = check_ssim(a, b, data_range, win_size, gaussian_weights, sigma, use_sample_covariance,
                                      K1, K2, func="ssim_components")
    mu_a, mu_b, var_a, var_b, cov_ab = _local_statistics(to_float(a), to_float(b), window)
    C3 = C2 / 2
    sd_ab = np.sqrt(np.maximum(var_a, 0.0) * np.maximum(var_b, 0.0))
    return SSIMComponents(
        luminance=(2 * mu_a * mu_b + C1) / (mu_a**2 + mu_b**2 + C1),
        contrast=(2 * sd_ab + C2) / (var_a + var_b + C2),
        structure=(cov_ab + C3) / (sd_ab + C3),
        ssim_map=_ssim_map(mu_a, mu_b, var_a, var_b, cov_ab, C1, C2),
        C1=C1,
        C2=C2,
        C3=C3,
        pad=window.pad,
    )


def ssim(
    a: Any,
    b: Any,
    *,
    data_range: float | None = None,
    win_size: int | None = None,
    gaussian_weights: bool = False,
    sigma: float = 1.5,
    use_sample_covariance: bool = True,
    K1: float = 0.01,
    K2: float = 0.03,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Mean structural similarity of two images (same numbers as scikit-image).

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape, any real or integer dtype.
    data_range : float, optional
        L, the span of the values the images can take: 1.0 for images in [0, 1] (a simlab
        Dataset has ``.data_range``), 255 for 8-bit. From the dtype for integer images;
        required for float images.
    win_size : int, optional
        Odd side of the window; default 7 (uniform) or 11 (Gaussian, sigma = 1.5). On a 28x28
        image a 7x7 window leaves 22x22 windows, an 11x11 one only 18x18.
    gaussian_weights : bool, default False
        Gaussian-weighted window of width ``sigma`` (as Wang et al.) instead of a uniform one.
    sigma : float, default 1.5
        Width of the Gaussian window.
    use_sample_covariance : bool, default True
        Normalise by N - 1 (scikit-image's default); False for N (Wang et al.).
    K1, K2 : float, default 0.01 and 0.03
        Stabilising constants, C1 = (K1 L)**2 and C2 = (K2 L)**2.
    full : bool, default False
        Also return the SSIM map (H, W).

    Returns
    -------
    mssim : float
        In [-1, 1]; 1 only for identical images. Higher is more similar.
    ssim_map : ndarray, shape (H, W)
        Only with ``full=True``.

    Notes
    -----
    At every pixel, from the local means, variances and covariance (:func:`local_statistics`)::

        SSIM = (2 mu_a mu_b + C1) (2 cov_ab + C2) / ((mu_a**2 + mu_b**2 + C1) (var_a + var_b + C2))

    The mean leaves out a border of ``(win_size - 1) // 2`` pixels where the window would stick
    out of the image. Equal to ``skimage.metrics.structural_similarity`` with the same
    arguments (within 1e-12 for ordinary images).

    Each image is shifted by a constant inside its range (its first pixel) before the local
    statistics: variances and the covariance do not change, and the shift is added back to the
    means for the luminance term. So images that share a large offset stay exact: for
    ``1e6 + U[0, 1]`` values with ``data_range=1`` this gives the true 0.03276, where the raw
    values (scikit-image: 0.03182) lose the variances to cancellation. There, and only there,
    the two differ.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((28, 28))
    >>> round(ssim(a, a, data_range=1.0), 6)
    1.0
    >>> value, smap = ssim(a, 1 - a, data_range=1.0, full=True)
    >>> smap.shape, value < 0
    ((28, 28), True)
    """
    a, b, window, C1, C2 = check_ssim(a, b, data_range, win_size, gaussian_weights, sigma, use_sample_covariance,
                                      K1, K2, full=full)
    mu_a, mu_b, var_a, var_b, cov_ab = _local_statistics(to_float(a), to_float(b), window)
    ssim_map = _ssim_map(mu_a, mu_b, var_a, var_b, cov_ab, C1, C2)
    p = window.pad
    mssim = float(ssim_map[p:-p, p:-p].mean())
    return (mssim, ssim_map) if full else mssim

