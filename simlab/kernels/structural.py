"""SSIM of one query against a stack: pixel-major layout, the window as two matrix products.

A chunk is laid out pixel-major, (H, W, n) with the image index innermost, so each separable
window filter is two small matrix products over the whole chunk (:func:`_filter`), with the
border rows of the filter matrices built for ``scipy.ndimage``'s "reflect" extension and only the
rows SSIM's mean keeps. The query's local statistics are computed once; the images' local means
and variances do not depend on the query and are cached on a ``Dataset``. For large images (where
dense filter matrices would cost H**2 + W**2 per pixel row) the filters are
``scipy.ndimage.correlate1d`` instead. Tested against :func:`simlab.ssim` and
``skimage.metrics.structural_similarity``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .._validation import SSIMWindow, check_ssim_constants, check_ssim_window, resolve_data_range
from .base import Kernel

__all__ = ["SSIMKernel"]

_DENSE_MAX = 96  # sides up to this use dense filter matrices; larger ones ndimage's 1-D filters


def _filter_matrix(weights: np.ndarray, n: int, pad: int) -> np.ndarray:
    """The 1-D filter as an (n - 2 pad, n) matrix with "reflect" borders, rows of the valid region."""
    rows = np.arange(pad, n - pad)
    radius = len(weights) // 2
    out = np.zeros((len(rows), n))
    for k, w in enumerate(weights):
        j = np.mod(rows + k - radius, 2 * n)
        j = np.where(j < n, j, 2 * n - 1 - j)  # ndimage's "reflect": d c b a | a b c d | d c
        np.add.at(out, (np.arange(len(rows)), j), w)
    return out


class _Filter:
    """Windowed weighted mean of a pixel-major stack (H, W, n), at the valid pixels only."""

    def __init__(self, shape: tuple[int, int], window: SSIMWindow) -> None:
        self.weights = window.weights()
        self.pad = window.pad
        self.dense = max(shape) <= _DENSE_MAX
        if self.dense:
            self.fr = _filter_matrix(self.weights, shape[0], self.pad)
            self.fc = _filter_matrix(self.weights, shape[1], self.pad)
        self.out_shape = (shape[0] - 2 * self.pad, shape[1] - 2 * self.pad)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h, w, n = x.shape
        if self.dense:  # fr @ x @ fc.T per image
            t = (self.fr @ x.reshape(h, w * n)).reshape(self.fr.shape[0], w, n)
            return np.matmul(self.fc, t)
        p = self.pad
        t = ndimage.correlate1d(x, self.weights, axis=0, mode="reflect")[p : h - p]
        return ndimage.correlate1d(t, self.weights, axis=1, mode="reflect")[:, p : w - p]


def _centred(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pixel-major stack (H, W, n) in float64, each image shifted by its first pixel, and the shifts (n,).

    Variances and covariances do not change when an image is shifted by a constant, but
    w * x**2 - (w * x)**2 loses every digit to cancellation when the values share a large offset
    (1e6 + [0, 1]); the first pixel is a constant inside the image's range. A chunk whose first
    pixels are all 0 (a dark background) needs nothing.
    """
    out = np.array(x, dtype=np.float64, order="C")  # always a copy: the caller's images stay as they are
    c = out[0, 0].copy()
    if c.any():
        out -= c  # one broadcast subtraction (subtracting 0 is exact, so unshifted images stay as they are)
    return out, c


def _ssim_map(
    mu_a: np.ndarray, mu_b: np.ndarray, var_a: np.ndarray, var_b: np.ndarray, cov_ab: np.ndarray, C1: float, C2: float
) -> np.ndarray:
    """(2 mu_a mu_b + C1)(2 cov + C2) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2)), in place.

    The same operations in the same order as scikit-image (so the same rounding).
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


class SSIMKernel(Kernel):
    """Mean SSIM of one query against a stack; ``stats`` are the images' local means and variances."""

    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None, *, win_size: int | None,
                 gaussian_weights: bool, sigma: float, use_sample_covariance: bool, K1: float, K2: float) -> None:
        data_range = resolve_data_range(query, sample[None], data_range, "ssim")
        window = check_ssim_window(query.shape, win_size, gaussian_weights, sigma, use_sample_covariance)
        self.C1, self.C2 = check_ssim_constants(K1, K2, data_range)
        self.filter = _Filter(query.shape, window)
        self.cov_norm = window.cov_norm
        self.q, cq = _centred(np.asarray(query, dtype=np.float64)[:, :, None])
        self.mu_q, self.var_q = self._moments(self.q)
        self.lum_q = self.mu_q + cq  # the query's local means, for the luminance term
        self.key = ("ssim", window.win_size, tuple(self.filter.weights), window.cov_norm)
        self.nbytes_per_image = 2 * 8 * self.filter.out_shape[0] * self.filter.out_shape[1]

    def _moments(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = self.filter(x)
        return mu, self.cov_norm * (self.filter(x * x) - mu * mu)

    def prepare(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _centred(chunk.transpose(1, 2, 0))  # pixel-major, shifted, and the shifts

    def stats(self, prepared: tuple) -> tuple:
        return self._moments(prepared[0])

    def score(self, prepared: tuple, stats: tuple) -> np.ndarray:
        x, c = prepared
        mu_x, var_x = stats
        cov = self.cov_norm * (self.filter(self.q * x) - self.mu_q * mu_x)
        lum_x = mu_x + c if c.any() else mu_x  # the local means, shift added back
        smap = _ssim_map(self.lum_q, lum_x, self.var_q, var_x, cov, self.C1, self.C2)
        return smap.reshape(-1, smap.shape[2]).mean(axis=0)
