"""Pearson's r of one query against a stack: standardise once, then dot products.

Each image is centred and scaled to unit length (:func:`unit_rows`), so r is a dot product. A
one-off query does not standardise the stack at all: it reads each image twice (sums and sums of
squares against the standardised query), falling back to the exact form for almost constant
images. Tested against :func:`simlab.pearson` and ``scipy.stats.pearsonr``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .base import Kernel

__all__ = ["PearsonKernel", "constant_rows", "unit_rows"]


def constant_rows(x: np.ndarray) -> np.ndarray:
    """True where every value along the last axis equals the first one."""
    return (x == x[..., :1]).all(axis=-1)


def _pow2_scaled(z: np.ndarray) -> np.ndarray:
    """Each row of z times a power of two that brings its largest |value| into [0.5, 1) (exact)."""
    peak = np.maximum(z.max(axis=-1, keepdims=True), -z.min(axis=-1, keepdims=True))
    _, exponent = np.frexp(peak)
    return np.ldexp(z, -exponent)  # a zero row keeps exponent 0


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (..., P) centred and scaled to unit length, in float64; constant rows -> nan.

    Rows whose sum or sum of squares would overflow or underflow (values near 1e300 or 1e-170)
    are first scaled by a power of two (exact); other rows are computed as they are.
    """
    z = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = z.mean(axis=-1, keepdims=True)
    if not np.isfinite(mean).all():  # the sum overflowed
        z = _pow2_scaled(z)
        mean = z.mean(axis=-1, keepdims=True)
    z = z - mean
    with np.errstate(over="ignore", under="ignore"):
        squares = np.einsum("...i,...i->...", z, z)
    bad = ~(squares >= 1e-280) | ~np.isfinite(squares)  # squares overflowed, or lost to underflow
    if bad.any():
        z[bad] = _pow2_scaled(z[bad])
        squares[bad] = np.einsum("...i,...i->...", z[bad], z[bad])
    norm = np.sqrt(squares)
    norm[constant_rows(x)] = np.nan  # exact test: a constant row may centre to tiny rounding noise
    z /= norm[..., None]
    return z


def _pearson_rows(zq: np.ndarray, x: np.ndarray) -> np.ndarray:
    """r of one standardised query (P,) against raw rows x (n, P), without standardising x.

    The same r = z_x . z_q, arranged so that x is read twice instead of centred and scaled:
    sum(x), sum(x^2) and x . z_q give the centred dot product and norm (since sum(z_q) = 0).
    Rows where sum(x^2) - n mean^2 would lose more than two digits to cancellation (an almost
    constant image) are standardised exactly instead; constant rows give nan.
    """
    x64 = np.asarray(x, dtype=np.float64)
    weights = np.empty((x64.shape[1], 2))
    weights[:, 0] = 1.0
    weights[:, 1] = zq
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # such rows are redone below
        sums = x64 @ weights
        squares = np.einsum("ij,ij->i", x64, x64)
        mean = sums[:, 0] / x64.shape[1]
        var = squares - sums[:, 0] * mean
    ill = ~(100 * var > squares)
    ill |= ~(squares > 1e-200) | ~np.isfinite(squares)  # x**2 underflows or overflows: scale exactly
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sums[:, 1] - mean * zq.sum()) / np.sqrt(var)
    if ill.any():
        r[ill] = unit_rows(x[ill]) @ zq
    return np.clip(r, -1.0, 1.0)


class PearsonKernel(Kernel):
    """Pearson's r of one query against a stack; ``stats`` are the standardised images."""

    gram = True  # r = z_a . z_b: a whole matrix is one product of the standardised stacks

    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None) -> None:
        self.zq = unit_rows(query.reshape(1, -1))[0]
        self.key = ("pearson",)
        self.nbytes_per_image = 8 * query.size
        self.query_constant = bool(np.isnan(self.zq[0]))

    def prepare(self, chunk: np.ndarray) -> np.ndarray:
        return chunk.reshape(chunk.shape[0], -1)

    def stats(self, prepared: np.ndarray) -> tuple:
        return (unit_rows(prepared),)

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        return np.clip(stats[0] @ self.zq, -1.0, 1.0)

    def score_once(self, prepared: np.ndarray) -> np.ndarray:
        return _pearson_rows(self.zq, prepared)

    def finish(self, values: np.ndarray) -> np.ndarray:
        n_nan = int(np.isnan(values).sum())
        if self.query_constant:
            warnings.warn(
                "pearson: the query is constant (every pixel has the same value), so its standard "
                "deviation is 0 and Pearson's r is undefined: every score is nan",
                RuntimeWarning,
                stacklevel=4,
            )
        elif n_nan:
            warnings.warn(
                f"pearson: {n_nan} of the images are constant (every pixel has the same value), so "
                "their standard deviation is 0 and Pearson's r is undefined: their scores are nan "
                "(rank puts them last)",
                RuntimeWarning,
                stacklevel=4,
            )
        return values
