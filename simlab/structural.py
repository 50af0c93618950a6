"""Structural similarity (SSIM), built from local means, variances and covariance.

The pieces, in the order notebook 04 builds them: :func:`local_statistics` (windowed means,
variances and covariance), :func:`ssim_components` (luminance, contrast and structure maps and
their product, the SSIM map), then :func:`ssim` (the mean of the map away from the border).
Same arguments, defaults and numbers as ``skimage.metrics.structural_similarity``.

The windowed sums are separable filters, applied as two small matrix products (the border uses
the same "reflect" extension as ``scipy.ndimage``); only numpy is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import as_pair, check_bool, check_positive_int, check_positive_number, resolve_data_range, to_float

__all__ = ["LocalStatistics", "SSIMComponents", "local_statistics", "ssim", "ssim_components"]

_TRUNCATE = 3.5  # scikit-image's Gaussian: an 11-tap filter for sigma = 1.5


@dataclass(frozen=True)
class _Window:
    """A checked SSIM window: its size, border crop, 1-D weights and covariance normalisation."""

    win_size: int
    pad: int
    weights: np.ndarray
    cov_norm: float

    def matrix(self, n: int, valid: bool) -> np.ndarray:
        """The 1-D filter as an (n_out, n) matrix with "reflect" borders (all rows or valid rows)."""
        rows = np.arange(self.pad, n - self.pad) if valid else np.arange(n)
        radius = len(self.weights) // 2
        out = np.zeros((len(rows), n))
        for k, w in enumerate(self.weights):
            j = np.mod(rows + k - radius, 2 * n)
            j = np.where(j < n, j, 2 * n - 1 - j)  # ndimage's "reflect": d c b a | a b c d | d c
            np.add.at(out, (np.arange(len(rows)), j), w)
        return out


def _window(
    shape: tuple[int, ...], win_size: Any, gaussian_weights: bool, sigma: Any, use_sample_covariance: bool
) -> _Window:
    """Check the window arguments against the image shape and build the window."""
    gaussian_weights = check_bool(gaussian_weights, "gaussian_weights")
    use_sample_covariance = check_bool(use_sample_covariance, "use_sample_covariance")
    sigma = check_positive_number(sigma, "sigma", 1.5)
    largest = min(shape) - (1 - min(shape) % 2)  # the largest odd window that fits
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
        x = np.arange(-radius, radius + 1, dtype=np.float64)
        weights = np.exp(-0.5 / (sigma * sigma) * x**2) if radius else np.ones(1)
        weights /= weights.sum()
        default = 2 * radius + 1
    else:
        default = 7
    win_size = default if win_size is None else check_positive_int(win_size, "win_size", minimum=3)
    if win_size % 2 == 0:
        raise ValueError(f"win_size must be odd (the window is centred on a pixel), got {win_size}: try {win_size + 1}")
    if win_size > min(shape):
        raise ValueError(
            f"win_size {win_size} is larger than the image ({shape[0]}x{shape[1]}): pass an odd "
            f"win_size <= {largest}"
        )
    if not gaussian_weights:
        weights = np.full(win_size, 1.0 / win_size)
    n_pixels = win_size**2
    cov_norm = n_pixels / (n_pixels - 1) if use_sample_covariance else 1.0
    return _Window(win_size, (win_size - 1) // 2, weights, cov_norm)


def _constants(K1: Any, K2: Any, data_range: float) -> tuple[float, float]:
    """C1 = (K1 R)**2 and C2 = (K2 R)**2, with K1, K2 finite positive numbers and C1, C2 finite."""
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


# --------------------------------------------------------------------------------------------
# private stack kernels, pixel-major: a stack is (H, W, n) with the image index innermost, so
# each separable filter is two matrix products over the whole stack
# --------------------------------------------------------------------------------------------


def _filter(x: np.ndarray, fr: np.ndarray, fc: np.ndarray) -> np.ndarray:
    """Separable filter of a pixel-major stack (H, W, n) -> (Hr, Wc, n): fr @ x @ fc.T per image."""
    h, w, n = x.shape
    t = (fr @ x.reshape(h, w * n)).reshape(fr.shape[0], w, n)
    return np.matmul(fc, t)


def _moments(x: np.ndarray, fr: np.ndarray, fc: np.ndarray, cov_norm: float) -> tuple[np.ndarray, np.ndarray]:
    """Local mean and variance of each image of a pixel-major stack."""
    mu = _filter(x, fr, fc)
    return mu, cov_norm * (_filter(x * x, fr, fc) - mu * mu)


def _covariance(
    q: np.ndarray, mu_q: np.ndarray, x: np.ndarray, mu_x: np.ndarray, fr: np.ndarray, fc: np.ndarray, cov_norm: float
) -> np.ndarray:
    """Local covariance of one image q (H, W, 1) with each image of a pixel-major stack."""
    return cov_norm * (_filter(q * x, fr, fc) - mu_q * mu_x)


def _ssim_map(
    mu_a: np.ndarray, mu_b: np.ndarray, var_a: np.ndarray, var_b: np.ndarray, cov_ab: np.ndarray, C1: float, C2: float
) -> np.ndarray:
    """SSIM = (2 mu_a mu_b + C1)(2 cov + C2) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2)).

    Evaluated in scikit-image's order (so the same rounding), in place to spare allocations.
    """
    num = np.multiply(mu_a, mu_b)
    num *= 2
    num += C1  # A1
    tmp = np.multiply(cov_ab, 2)
    tmp += C2  # A2
    num *= tmp
    den = np.square(mu_a) + np.square(mu_b)
    den += C1  # B1
    np.add(var_a, var_b, out=tmp)
    tmp += C2  # B2
    den *= tmp
    num /= den
    return num


def _centred(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pixel-major stack (H, W, n) in float64, each image shifted by its first pixel, and the shifts (n,).

    Variances and covariances do not change when an image is shifted by a constant, but
    w * x**2 - (w * x)**2 loses every digit to cancellation when the values share a large
    offset (1e6 + [0, 1]). Any constant inside the image's range removes the offset (then
    |x - c| <= max - min); the first pixel costs nothing to find. The shifts are added back to
    the local means for the luminance term, which is not shift-invariant.
    """
    out = np.array(x, dtype=np.float64, order="C")  # always a copy: the caller's images stay as they are
    c = out[0, 0].copy()
    shifted = np.flatnonzero(c)  # images whose first pixel is 0 (a dark background) need nothing
    if shifted.size == c.size:
        out -= c
    elif shifted.size:
        out[:, :, shifted] -= c[shifted]
    return out, c


def _pair_statistics(a: np.ndarray, b: np.ndarray, window: _Window, valid: bool) -> tuple[np.ndarray, ...]:
    """(mu_a, mu_b, var_a, var_b, cov_ab) maps (Hr, Wc) of two float64 images."""
    fr = window.matrix(a.shape[0], valid)
    fc = window.matrix(a.shape[1], valid)
    qa, ca = _centred(a[:, :, None])
    xb, cb = _centred(b[:, :, None])
    mu_a, var_a = _moments(qa, fr, fc, window.cov_norm)
    mu_b, var_b = _moments(xb, fr, fc, window.cov_norm)
    cov = _covariance(qa, mu_a, xb, mu_b, fr, fc, window.cov_norm)
    return tuple(m[:, :, 0] for m in (mu_a + ca, mu_b + cb, var_a, var_b, cov))


class _Scorer:
    """Mean SSIM of one query against pixel-major stacks, over the windows that fit in the image.

    The query's local statistics are computed once; ``stats`` (mu_x, var_x of the centred
    images) does not depend on the query and can be cached. A stack is passed centred, with its
    means (see :func:`_centred`). The pair function is this with a stack of one.
    """

    def __init__(self, query: np.ndarray, window: _Window, C1: float, C2: float) -> None:
        self.fr = window.matrix(query.shape[0], valid=True)
        self.fc = window.matrix(query.shape[1], valid=True)
        self.cov_norm = window.cov_norm
        self.q, cq = _centred(np.asarray(query, dtype=np.float64)[:, :, None])
        self.mu_q, self.var_q = _moments(self.q, self.fr, self.fc, self.cov_norm)
        self.lum_q = self.mu_q + cq  # the query's local means, for the luminance term
        self.C1, self.C2 = C1, C2

    def stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mu_x, var_x) of a centred pixel-major stack (H, W, n)."""
        return _moments(x, self.fr, self.fc, self.cov_norm)

    def scores(self, x: np.ndarray, c: np.ndarray, mu_x: np.ndarray, var_x: np.ndarray) -> np.ndarray:
        """Mean SSIM (n,) of the query against each image of a centred pixel-major stack (means c)."""
        cov = _covariance(self.q, self.mu_q, x, mu_x, self.fr, self.fc, self.cov_norm)
        lum_x = mu_x + c if c.any() else mu_x  # the local means, shift added back
        smap = _ssim_map(self.lum_q, lum_x, self.var_q, var_x, cov, self.C1, self.C2)
        return smap.reshape(-1, smap.shape[2]).mean(axis=0)


# --------------------------------------------------------------------------------------------
# public pieces
# --------------------------------------------------------------------------------------------


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
    With window weights :math:`w` (summing to 1), :math:`\\mu_a = w * a`,
    :math:`\\sigma_a^2 = c\\,(w * a^2 - \\mu_a^2)`, :math:`\\sigma_{ab} = c\\,(w * ab - \\mu_a \\mu_b)`,
    where :math:`c = N/(N-1)` for the sample covariance and 1 otherwise.

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
    a, b = as_pair(a, b)
    window = _window(a.shape, win_size, gaussian_weights, sigma, use_sample_covariance)
    maps = _pair_statistics(to_float(a), to_float(b), window, valid=False)
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
        Span of the values the images can take (1.0 for [0, 1]); from the dtype for integer
        images, required for float images.
    win_size, gaussian_weights, sigma, use_sample_covariance
        The window, as in :func:`local_statistics`.
    K1, K2 : float, default 0.01 and 0.03
        Stabilising constants: :math:`C_1 = (K_1 R)^2`, :math:`C_2 = (K_2 R)^2`, R = data_range.

    Returns
    -------
    parts : SSIMComponents
        Maps (H, W) ``luminance``, ``contrast``, ``structure`` and ``ssim_map``; the constants
        ``C1``, ``C2``, ``C3 = C2 / 2``; ``pad``, the cropped border width.

    Notes
    -----
    .. math::
        l = \\frac{2\\mu_a\\mu_b + C_1}{\\mu_a^2 + \\mu_b^2 + C_1},\\quad
        c = \\frac{2\\sigma_a\\sigma_b + C_2}{\\sigma_a^2 + \\sigma_b^2 + C_2},\\quad
        s = \\frac{\\sigma_{ab} + C_3}{\\sigma_a\\sigma_b + C_3}

    With :math:`C_3 = C_2/2`, :math:`2\\sigma_a\\sigma_b + C_2 = 2(\\sigma_a\\sigma_b + C_3)`
    cancels between c and s, so :math:`c\\,s = (2\\sigma_{ab} + C_2)/(\\sigma_a^2 + \\sigma_b^2 + C_2)`
    and :math:`\\mathrm{SSIM} = l\\,c\\,s`. ``ssim_map`` is computed in that folded form (as
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
    a, b = as_pair(a, b)
    r = resolve_data_range(a, b, data_range, "ssim_components")
    window = _window(a.shape, win_size, gaussian_weights, sigma, use_sample_covariance)
    C1, C2 = _constants(K1, K2, r)
    mu_a, mu_b, var_a, var_b, cov = _pair_statistics(to_float(a), to_float(b), window, valid=False)
    C3 = C2 / 2
    sd_ab = np.sqrt(np.maximum(var_a, 0.0) * np.maximum(var_b, 0.0))
    return SSIMComponents(
        luminance=(2 * mu_a * mu_b + C1) / (mu_a**2 + mu_b**2 + C1),
        contrast=(2 * sd_ab + C2) / (var_a + var_b + C2),
        structure=(cov + C3) / (sd_ab + C3),
        ssim_map=_ssim_map(mu_a, mu_b, var_a, var_b, cov, C1, C2),
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
        Span of the values the images can take: 1.0 for images in [0, 1] (a simlab Dataset
        has ``.data_range``), 255 for 8-bit. From the dtype for integer images; required for
        float images.
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
        Stabilising constants, :math:`C_1 = (K_1 R)^2`, :math:`C_2 = (K_2 R)^2`.
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
    .. math:: \\mathrm{SSIM}(a, b) = \\frac{(2\\mu_a\\mu_b + C_1)(2\\sigma_{ab} + C_2)}
              {(\\mu_a^2 + \\mu_b^2 + C_1)(\\sigma_a^2 + \\sigma_b^2 + C_2)}

    at every pixel, from :func:`local_statistics`; the mean leaves out a border of
    ``(win_size - 1) // 2`` pixels where the window would stick out of the image. Equal to
    ``skimage.metrics.structural_similarity`` with the same arguments (within 1e-12 for
    ordinary images).

    Each image is shifted by a constant inside its range (its first pixel) before the local
    statistics (variances and the covariance are shift-invariant; the shift is added back to the
    means for the luminance term, which is not). So images that share a large offset stay exact:
    for ``1e6 + U[0, 1]`` values with
    ``data_range=1`` this gives the true 0.03276, where computing ``w * x**2 - (w * x)**2`` on the
    raw values (scikit-image: 0.03182) loses the variances to cancellation. There, and only
    there, the two differ.

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
    a, b = as_pair(a, b)
    full = check_bool(full, "full")
    r = resolve_data_range(a, b, data_range, "ssim")
    window = _window(a.shape, win_size, gaussian_weights, sigma, use_sample_covariance)
    C1, C2 = _constants(K1, K2, r)
    if not full:
        scorer = _Scorer(a, window, C1, C2)
        x, c = _centred(to_float(b)[:, :, None])
        return float(scorer.scores(x, c, *scorer.stats(x))[0])
    smap = _ssim_map(*_pair_statistics(to_float(a), to_float(b), window, valid=False), C1, C2)
    p = window.pad
    return float(smap[p : smap.shape[0] - p, p : smap.shape[1] - p].mean()), smap
