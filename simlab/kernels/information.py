"""Mutual information of one query against a stack: digitise once, count with one bincount.

Every image is digitised on its own min..max into ``bins`` bins with exactly
``np.histogram2d``'s edges and rules (:func:`digitize`); a chunk's joint histograms with the
query are one ``np.bincount`` (:func:`joint_counts`), and the entropies of integer counts come
from a small table of p log p. The digitised images and their entropies do not depend on the
query and are cached on a ``Dataset``. Tested against :func:`simlab.mutual_information`,
:func:`simlab.normalized_mutual_information`, ``np.histogram2d`` and scikit-learn / scikit-image.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._validation import NMI_METHODS, check_base, check_bins, check_choice
from .base import Kernel

__all__ = ["MIKernel", "NMIKernel", "digitize", "entropy_rows", "hist_dtype", "joint_counts", "marginal_counts"]

_JOINT_CELLS = 1 << 22  # joint-histogram cells per block in MI batches (32 MB of counts)


def hist_dtype(*dtypes: np.dtype) -> np.dtype:
    """The dtype in which np.histogram2d computes the edges and compares values for these inputs.

    histogram2d stacks a and b into one array (their common dtype): float16, float32 and float64
    are binned in that float type, integers and booleans in float64.
    """
    dt = np.result_type(*dtypes)
    return dt if dt in (np.float16, np.float32, np.float64) else np.dtype(np.float64)


def digitize(stack: np.ndarray, bins: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Bin index (n, P) in 0..bins-1 of every pixel, and the edges (n, bins + 1), per image.

    Same edges and same bin for every value as ``np.histogram2d``/``np.histogramdd``: edges
    ``np.linspace(min, max, bins + 1)`` computed in ``dtype`` (min - 0.5 .. max + 0.5 for a
    constant image), a value goes to the bin whose left edge is <= value, and the maximum goes
    into the last bin. The bin is first computed arithmetically; values within rounding distance
    of an edge are then placed by comparing them with the actual edges, as NumPy does.
    """
    x = stack.reshape(stack.shape[0], -1).astype(dtype, copy=False)
    lo = x.min(axis=1)
    hi = x.max(axis=1)
    flat = lo == hi
    lo = np.where(flat, lo - dtype.type(0.5), lo)
    hi = np.where(flat, hi + dtype.type(0.5), hi)
    edges = np.linspace(lo, hi, bins + 1, axis=-1)
    if dtype == np.float16:  # rare: NumPy's own search, row by row (float16 arithmetic is too coarse)
        idx = np.empty(x.shape, dtype=np.intp)
        for i in range(x.shape[0]):
            e = np.linspace(lo[i], hi[i], bins + 1)  # as histogramdd: the scalar call
            edges[i] = e
            idx[i] = np.searchsorted(e, x[i], side="right") - 1
            idx[i][x[i] == e[-1]] -= 1  # the maximum goes into the last bin
        return np.clip(idx, 0, bins - 1), edges
    # position in units of bins (edges at 0, 1, ..., bins), computed in dtype
    with np.errstate(over="ignore", divide="ignore"):
        scale = (bins / (hi.astype(np.float64) - lo)).astype(dtype)
    degenerate = ~np.isfinite(scale)  # a range of a few ulps: every value is placed exactly below
    scale[degenerate] = 0
    t = x - lo[:, None]
    t *= scale[:, None]
    idx = t.astype(np.intp)
    np.minimum(idx, bins - 1, out=idx)
    # t and the edges (rounded to dtype) are off by a few ulps: settle values near an edge exactly
    eps = float(np.finfo(dtype).eps)
    slack = (16 * eps * (np.abs(lo) + np.abs(hi)) * scale + 8 * eps * bins + 1e-9).astype(dtype)
    dist = np.rint(t)
    dist -= t
    np.abs(dist, out=dist)
    near = dist < slack[:, None]
    near &= (t > 0) | (edges[:, 1] == edges[:, 0])[:, None]  # the minimum is in bin 0 unless edges repeat
    near &= x != hi[:, None]  # the maximum goes into the last bin
    near |= degenerate[:, None]
    rows, cols = np.nonzero(near)
    if rows.size:
        values = x[rows, cols]
        k = idx[rows, cols]
        for _ in range(bins + 1):  # a step or two at most
            below = values < edges[rows, k]
            above = (values >= edges[rows, k + 1]) & (k < bins - 1)
            if not (below.any() or above.any()):
                break
            k = k - below + above
        idx[rows, cols] = k
    return idx, edges


def joint_counts(idx_a: np.ndarray, idx_b: np.ndarray, bins: int) -> np.ndarray:
    """Joint histograms (n, bins, bins) of one digitised image (P,) against n digitised ones."""
    n = idx_b.shape[0]
    flat = idx_b + (idx_a * bins)[None, :]
    flat += (np.arange(n, dtype=np.intp) * (bins * bins))[:, None]
    counts = np.bincount(flat.ravel(), minlength=n * bins * bins)
    return counts.reshape(n, bins, bins)


def marginal_counts(idx: np.ndarray, bins: int) -> np.ndarray:
    """Histograms (n, bins) of n digitised images (n, P)."""
    n = idx.shape[0]
    flat = idx + (np.arange(n, dtype=np.intp) * bins)[:, None]
    return np.bincount(flat.ravel(), minlength=n * bins).reshape(n, bins)


def entropy_rows(counts: np.ndarray, base: float) -> np.ndarray:
    """Entropy of each row of ``counts`` (n, m), normalised inside: -sum p log p, p = c / sum(c)."""
    total = counts.sum(axis=1, dtype=np.float64)
    if counts.dtype.kind in "iu" and (total == total[0]).all():
        # integer counts with one total (the batch case): p log p from a small table
        table = np.arange(int(counts.max()) + 1, dtype=np.float64) / total[0]
        table[1:] *= np.log(table[1:])
        plogp = np.take(table, counts)
    else:
        p = counts / total[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(p), 0.0)
    return np.maximum(-plogp.sum(axis=1), 0.0) / math.log(base)


def _mi(h_a: np.ndarray, h_b: np.ndarray, h_ab: np.ndarray) -> np.ndarray:
    """MI = H(A) + H(B) - H(A, B), never below 0 (rounding)."""
    return np.maximum(h_a + h_b - h_ab, 0.0)


def _normalized(mi: np.ndarray, h_a: np.ndarray, h_b: np.ndarray, h_ab: np.ndarray, method: str) -> np.ndarray:
    """NMI from its terms; see :func:`normalized_mutual_information`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "studholme":
            return (h_a + h_b) / h_ab  # nan only if both images are constant
        if method == "arithmetic":
            norm = (h_a + h_b) / 2
        elif method == "geometric":
            norm = np.sqrt(h_a * h_b)
        elif method == "min":
            norm = np.minimum(h_a, h_b)
        else:
            norm = np.maximum(h_a, h_b)
        out = mi / norm
    # scikit-learn's limit cases: two constant images match perfectly, one constant image shares
    # no information with anything
    out = np.where((h_a == 0) | (h_b == 0), 0.0, out)
    return np.where((h_a == 0) & (h_b == 0), 1.0, out)


class _InformationKernel(Kernel):
    """MI (``method`` None) or NMI of one query against a stack."""

    def __init__(self, query: np.ndarray, sample: np.ndarray, bins: int, base: float, method: str | None) -> None:
        self.bins, self.base, self.method = bins, base, method
        self.dtype = hist_dtype(query.dtype, sample.dtype)
        self.idx_q = digitize(query[None], bins, self.dtype)[0][0]
        self.h_q = self._entropy(marginal_counts(self.idx_q[None], bins))
        self.key = ("information", bins, self.dtype.str)
        self.small = np.uint8 if bins <= 256 else np.intp
        self.nbytes_per_image = query.size * np.dtype(self.small).itemsize + 8

    def _entropy(self, counts: np.ndarray) -> np.ndarray:
        return entropy_rows(counts, self.base)

    def stats(self, prepared: np.ndarray) -> tuple:
        idx = digitize(prepared, self.bins, self.dtype)[0]
        h_nats = entropy_rows(marginal_counts(idx, self.bins), math.e)
        return idx.astype(self.small), h_nats  # in nats, whatever the base: the cache serves all

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        idx, h_nats = stats
        h_x = h_nats / math.log(self.base)  # bit for bit entropy_rows(..., base)
        return self._score_idx(idx, h_x)

    def score_once(self, prepared: np.ndarray) -> np.ndarray:
        return self._score_idx(digitize(prepared, self.bins, self.dtype)[0], None)

    def _score_idx(self, idx: np.ndarray, h_x: np.ndarray | None) -> np.ndarray:
        """Scores of digitised images (n, P), a few at a time when bins**2 is large (bounded memory)."""
        step = max(1, _JOINT_CELLS // (self.bins * self.bins))
        out = []
        for s in range(0, idx.shape[0], step):
            counts = joint_counts(self.idx_q, idx[s : s + step].astype(np.intp, copy=False), self.bins)
            # without cached entropies: H(x) from the joint histogram
            h = self._entropy(counts.sum(axis=1)) if h_x is None else h_x[s : s + step]
            out.append(self._from_counts(counts, h))
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _from_counts(self, counts: np.ndarray, h_x: np.ndarray) -> np.ndarray:
        h_ab = self._entropy(counts.reshape(counts.shape[0], -1))
        mi = _mi(self.h_q, h_x, h_ab)
        if self.method is None:
            return mi
        return _normalized(mi, self.h_q, h_x, h_ab, self.method)

    def finish(self, values: np.ndarray) -> np.ndarray:
        if self.method == "studholme" and np.isnan(values).any():
            warnings.warn(
                f"normalized_mutual_information: {int(np.isnan(values).sum())} images are constant "
                "like the query, so H(A, B) = 0 and the ratio is 0/0: their scores are nan",
                RuntimeWarning,
                stacklevel=4,
            )
        return values


class MIKernel(_InformationKernel):
    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None, *, bins: int,
                 base: float) -> None:
        super().__init__(query, sample, check_bins(bins), check_base(base), None)


class NMIKernel(_InformationKernel):
    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None, *, bins: int,
                 method: str) -> None:
        bins = check_bins(bins)
        super().__init__(query, sample, bins, 2.0, check_choice(method, "method", NMI_METHODS))
