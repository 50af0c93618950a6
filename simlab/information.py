"""Mutual information of two images, from their joint histogram.

The pieces, in the order notebook 03 builds them: :func:`joint_histogram` (equal-width bins over
each image's own min..max, exactly as ``np.histogram2d``), :func:`entropy` of any histogram,
:func:`information_terms` (H(A), H(B), H(A, B) and MI), then :func:`mutual_information` and
:func:`normalized_mutual_information`.

Why ``DEFAULT_BINS = 16``: a 28x28 image has only n = 784 pixels. The plug-in (histogram)
estimate of MI is biased upwards by about (bins - 1)**2 / (2 n ln 2) bits (Miller-Madow), the MI
it reports for two independent images: 0.21 bits with 16 bins, 0.88 bits with 32, and 9 bits
with scikit-image's default of 100 bins, more than the largest possible MI, log2(100) = 6.6 bits
(the formula saturates: the estimate is then mostly bias). 16 bins keeps the bias small while
still resolving the grey levels of anti-aliased glyphs and digits.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import as_pair, check_choice, check_positive_int

__all__ = [
    "DEFAULT_BINS",
    "NMI_METHODS",
    "InformationTerms",
    "MAX_BINS",
    "entropy",
    "information_terms",
    "joint_histogram",
    "mutual_information",
    "normalized_mutual_information",
]

#: Default number of bins per image for 28x28 images (see the module docstring).
DEFAULT_BINS = 16

#: Normalisations of MI accepted by :func:`normalized_mutual_information`.
NMI_METHODS = ("studholme", "arithmetic", "geometric", "min", "max")


# --------------------------------------------------------------------------------------------
# private stack kernels: one implementation, used by the pair functions (a stack of one) and by
# simlab.batch (chunks of many)
# --------------------------------------------------------------------------------------------


#: Largest accepted ``bins``: a joint histogram has bins**2 cells (16.8 million, 134 MB of counts,
#: at 4096), and a 28x28 image has only 784 pixels, so far fewer bins already estimate nothing.
MAX_BINS = 4096


def _check_bins(bins: Any) -> int:
    """``bins`` as an int in 1..MAX_BINS, or a clear error."""
    bins = check_positive_int(bins, "bins")
    if bins > MAX_BINS:
        raise ValueError(
            f"bins must be at most {MAX_BINS}, got {bins}: the joint histogram has bins**2 cells "
            f"({bins**2:,} here, {8 * bins**2 / 1e9:.3g} GB of counts), and with more bins than pixels "
            f"the estimate is mostly bias; use DEFAULT_BINS ({DEFAULT_BINS}) or a few dozen"
        )
    return bins


def _hist_dtype(*dtypes: np.dtype) -> np.dtype:
    """The dtype in which np.histogram2d computes the edges and compares values for these inputs.

    histogram2d stacks a and b into one array (their common dtype): float16, float32 and float64
    are binned in that float type, integers and booleans in float64.
    """
    dt = np.result_type(*dtypes)
    return dt if dt in (np.float16, np.float32, np.float64) else np.dtype(np.float64)


def _digitize(stack: np.ndarray, bins: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
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


def _joint_counts(idx_a: np.ndarray, idx_b: np.ndarray, bins: int) -> np.ndarray:
    """Joint histograms (n, bins, bins) of one digitised image (P,) against n digitised ones."""
    n = idx_b.shape[0]
    flat = idx_b + (idx_a * bins)[None, :]
    flat += (np.arange(n, dtype=np.intp) * (bins * bins))[:, None]
    counts = np.bincount(flat.ravel(), minlength=n * bins * bins)
    return counts.reshape(n, bins, bins)


def _marginal_counts(idx: np.ndarray, bins: int) -> np.ndarray:
    """Histograms (n, bins) of n digitised images (n, P)."""
    n = idx.shape[0]
    flat = idx + (np.arange(n, dtype=np.intp) * bins)[:, None]
    return np.bincount(flat.ravel(), minlength=n * bins).reshape(n, bins)


def _entropy(counts: np.ndarray, base: float) -> np.ndarray:
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


def _terms_from_entropies(h_a: np.ndarray, h_b: np.ndarray, h_ab: np.ndarray) -> np.ndarray:
    """MI = H(A) + H(B) - H(A, B), never below 0 (rounding)."""
    return np.maximum(h_a + h_b - h_ab, 0.0)


def _normalize(mi: np.ndarray, h_a: np.ndarray, h_b: np.ndarray, h_ab: np.ndarray, method: str) -> np.ndarray:
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


def _check_base(base: Any) -> float:
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


def _pair_terms(a: Any, b: Any, bins: Any, base: Any) -> tuple[np.ndarray, ...]:
    """Checked inputs -> (h_a, h_b, h_ab, mi) as length-1 arrays, via the stack kernels."""
    a, b = as_pair(a, b)
    bins = _check_bins(bins)
    base = _check_base(base)
    dtype = _hist_dtype(a.dtype, b.dtype)
    idx_a, _ = _digitize(a[None], bins, dtype)
    idx_b, _ = _digitize(b[None], bins, dtype)
    counts = _joint_counts(idx_a[0], idx_b, bins)
    h_a = _entropy(counts.sum(axis=2), base)
    h_b = _entropy(counts.sum(axis=1), base)
    h_ab = _entropy(counts.reshape(1, -1), base)
    return h_a, h_b, h_ab, _terms_from_entropies(h_a, h_b, h_ab)


# --------------------------------------------------------------------------------------------
# public pieces
# --------------------------------------------------------------------------------------------


def joint_histogram(a: Any, b: Any, bins: int = DEFAULT_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint histogram of two images, exactly as ``np.histogram2d(a.ravel(), b.ravel(), bins)``.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    bins : int, default DEFAULT_BINS (16)
        Number of equal-width bins over each image's own min..max, 1 to ``MAX_BINS`` (4096).

    Returns
    -------
    counts : ndarray, shape (bins, bins), float64
        ``counts[i, j]`` = number of pixels whose value in ``a`` falls in bin i and in ``b`` in
        bin j.
    edges_a, edges_b : ndarray, shape (bins + 1,)
        The bin edges of each image.

    Notes
    -----
    Bin i of an image covers ``[edges[i], edges[i + 1])``; the last bin also holds the maximum.
    A constant image gets the edges ``min - 0.5 .. max + 0.5``, as in NumPy. As NumPy, the edges
    are computed and compared in the images' common float type (float16 images are binned in
    float16); integer images in float64.

    References
    ----------
    .. [1] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.).
       Wiley. Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0], [1, 1]])
    >>> counts, ea, eb = joint_histogram(a, 1 - a, bins=2)
    >>> counts
    array([[0., 2.],
           [2., 0.]])
    """
    a, b = as_pair(a, b)
    bins = _check_bins(bins)
    dtype = _hist_dtype(a.dtype, b.dtype)
    idx_a, edges_a = _digitize(a[None], bins, dtype)
    idx_b, edges_b = _digitize(b[None], bins, dtype)
    counts = _joint_counts(idx_a[0], idx_b, bins)[0].astype(np.float64)
    return counts, edges_a[0], edges_b[0]


def entropy(counts: Any, base: float = 2) -> float:
    """Shannon entropy of a histogram of any shape (normalised inside).

    Parameters
    ----------
    counts : array_like
        Non-negative counts (or probabilities) of a 1-D, 2-D (joint) or n-D histogram.
    base : float, default 2
        Logarithm base, a finite number > 1: 2 gives bits, ``math.e`` nats. (A base below 1
        would only flip every sign, so it is refused with a ValueError.)

    Returns
    -------
    h : float

    Notes
    -----
    With :math:`p_k = c_k / \\sum_j c_j`, :math:`H = -\\sum_k p_k \\log p_k` (empty bins add 0).

    References
    ----------
    .. [1] Shannon, C. E. (1948). A mathematical theory of communication. Bell System Technical
       Journal, 27, 379-423.
    .. [2] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.). Wiley.

    Examples
    --------
    >>> entropy([1, 1, 1, 1])
    2.0
    >>> entropy([[5, 0], [0, 5]])
    1.0
    """
    c = np.asarray(counts)
    if c.dtype == object or not (np.issubdtype(c.dtype, np.number) or c.dtype == np.bool_):
        raise TypeError(f"counts must be an array of numbers, got dtype {c.dtype}")
    if c.size == 0:
        raise ValueError("counts is empty: pass a histogram with at least one bin")
    c = c.reshape(1, -1)
    if c.dtype == np.bool_:
        c = c.astype(np.int64)
    if c.dtype.kind == "f" and not np.isfinite(c).all():
        raise ValueError("counts contains NaN or infinite values: pass finite, non-negative counts")
    if (c < 0).any() or c.sum() <= 0:
        raise ValueError("counts must be non-negative with a positive total: pass a histogram")
    return float(_entropy(c, _check_base(base))[0])


@dataclass(frozen=True)
class InformationTerms:
    """The entropies of two images and their mutual information (in the chosen base)."""

    h_a: float
    h_b: float
    h_ab: float
    mi: float


def information_terms(a: Any, b: Any, bins: int = DEFAULT_BINS, base: float = 2) -> InformationTerms:
    """H(A), H(B), H(A, B) and MI = H(A) + H(B) - H(A, B) of two images.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    bins : int, default DEFAULT_BINS (16)
        Bins per image (see the module docstring for the choice).
    base : float, default 2
        Logarithm base, a finite number > 1 (2: bits; below 1 is refused, see :func:`entropy`).

    Returns
    -------
    terms : InformationTerms
        ``h_a``, ``h_b`` (marginal entropies), ``h_ab`` (joint entropy), ``mi``.

    Notes
    -----
    All from the joint histogram :math:`c_{ij}` of :func:`joint_histogram`: H(A) is the
    entropy of its row sums, H(B) of its column sums, H(A, B) of the whole table.

    References
    ----------
    .. [1] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.).
       Wiley. Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0], [1, 1]])
    >>> information_terms(a, a, bins=2)
    InformationTerms(h_a=1.0, h_b=1.0, h_ab=1.0, mi=1.0)
    """
    h_a, h_b, h_ab, mi = _pair_terms(a, b, bins, base)
    return InformationTerms(float(h_a[0]), float(h_b[0]), float(h_ab[0]), float(mi[0]))


def mutual_information(a: Any, b: Any, bins: int = DEFAULT_BINS, base: float = 2) -> float:
    """Mutual information of two images from their joint histogram, in bits by default.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape, any real or integer dtype.
    bins : int, default DEFAULT_BINS (16)
        Equal-width bins per image over its own min..max. With only 784 pixels in a 28x28
        image, the plug-in estimate is biased upwards by about (bins - 1)**2 / (2 * 784 * ln 2)
        bits: 0.21 bits for 16 bins, 0.88 for 32, 9 (saturating) for 100; hence the default 16.
        At most ``MAX_BINS`` (4096).
    base : float, default 2
        Logarithm base, a finite number > 1: 2 gives bits, ``math.e`` nats (as scikit-learn).
        A base below 1 (MI would come out negative) is refused with a ValueError.

    Returns
    -------
    mi : float
        >= 0; 0 when the images share no information, H(A) when b is a function of a.

    Notes
    -----
    .. math:: I(A; B) = H(A) + H(B) - H(A, B)
              = \\sum_{ij} p_{ij} \\log \\frac{p_{ij}}{p_i\\, p_j}

    Equal to ``sklearn.metrics.mutual_info_score`` of the digitised images (in nats) divided
    by ln 2. Unchanged by any strictly increasing remapping of intensities that maps bins onto
    bins.

    References
    ----------
    .. [1] Shannon, C. E. (1948). A mathematical theory of communication. Bell System Technical
       Journal, 27, 379-423.
    .. [2] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.).
       Wiley. Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0], [1, 1]])
    >>> mutual_information(a, 1 - a, bins=2)
    1.0
    """
    return float(_pair_terms(a, b, bins, base)[3][0])


def normalized_mutual_information(
    a: Any, b: Any, bins: int = DEFAULT_BINS, method: str = "studholme"
) -> float:
    """Normalised mutual information of two images.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    bins : int, default DEFAULT_BINS (16)
        Bins per image (see :func:`mutual_information`).
    method : {"studholme", "arithmetic", "geometric", "min", "max"}
        ``"studholme"``: (H(A) + H(B)) / H(A, B), in [1, 2], as
        ``skimage.metrics.normalized_mutual_information``. The others divide MI by the
        mean, geometric mean, min or max of H(A) and H(B), in [0, 1], as
        ``sklearn.metrics.normalized_mutual_info_score(average_method=...)``.

    Returns
    -------
    nmi : float
        Studholme: 2 for an image with itself, 1 for independent images; ``nan`` (with a
        ``RuntimeWarning``) when both images are constant. Others: 1 for identical images; as
        scikit-learn, 1 for two constant images and 0 when only one is constant.

    Notes
    -----
    .. math:: \\mathrm{NMI}_{Studholme} = \\frac{H(A) + H(B)}{H(A, B)} = 1 + \\frac{I(A;B)}{H(A,B)},
              \\qquad \\mathrm{NMI}_{avg} = \\frac{I(A;B)}{\\mathrm{avg}(H(A), H(B))}

    The ratio does not depend on the logarithm base. Studholme's equals scikit-image's
    ``normalized_mutual_information(a, b, bins=bins)`` (1e-12) except where scikit-image's
    ``density=True`` histogram divides the counts by bin widths in a low-precision float type:
    a float32 image paired with an integer one (about 1e-7 off), and float16 images (about 1e-4
    off). The value here is the exact one from ``np.histogram2d``'s counts.

    References
    ----------
    .. [1] Studholme, C., Hill, D. L. G., & Hawkes, D. J. (1999). An overlap invariant entropy
       measure of 3D medical image alignment. Pattern Recognition, 32(1), 71-86.
    .. [2] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.). Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0], [1, 1]])
    >>> normalized_mutual_information(a, a, bins=2)
    2.0
    >>> normalized_mutual_information(a, a, bins=2, method="arithmetic")
    1.0
    """
    check_choice(method, "method", NMI_METHODS)
    h_a, h_b, h_ab, mi = _pair_terms(a, b, bins, 2)
    value = float(_normalize(mi, h_a, h_b, h_ab, method)[0])
    if math.isnan(value):
        _warn_both_constant()
    return value


def _warn_both_constant() -> None:
    warnings.warn(
        "normalized_mutual_information: both images are constant, so H(A, B) = 0 and "
        "(H(A) + H(B)) / H(A, B) is 0/0: returning nan",
        RuntimeWarning,
        stacklevel=3,
    )
