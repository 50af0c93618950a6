"""Mutual information of two images, from their joint histogram.

The pieces, in the order notebook 03 builds them: :func:`joint_histogram` (equal-width bins over
each image's own min..max, exactly as ``np.histogram2d``), :func:`entropy` of any histogram,
:func:`information_terms` (H(A), H(B), H(A, B) and MI), then :func:`mutual_information` and
:func:`normalized_mutual_information`. The fast form for one image against many is
:mod:`simlab.kernels.information`, tested against these.

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

from ._validation import DEFAULT_BINS, MAX_BINS, NMI_METHODS, check_choice, check_histogram, check_information

__all__ = [
    "DEFAULT_BINS",
    "NMI_METHODS",
    "InformationTerms",
    "MAX_BINS",
    "entropy",
    "histogram_terms",
    "information_terms",
    "joint_histogram",
    "mutual_information",
    "normalized_mutual_information",
]

# DEFAULT_BINS (16): bins per image for 28x28 images (see above); MAX_BINS (4096): the largest
# accepted, a joint histogram of 16.8 million cells; NMI_METHODS: the normalisations of
# normalized_mutual_information. All three live in simlab._validation, which checks them.


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
    a, b, bins, _ = check_information(a, b, bins)
    return np.histogram2d(a.ravel(), b.ravel(), bins)


def _entropy(counts: np.ndarray, base: float) -> float:
    """-sum p log p over the non-empty cells, p = counts / total."""
    p = counts[counts > 0] / counts.sum()
    return max(-float(np.sum(p * np.log(p))), 0.0) / math.log(base)


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
    With p = counts / sum(counts), H = -sum(p log p) (empty bins add 0).

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
    counts, base = check_histogram(counts, base)
    return _entropy(counts, base)


@dataclass(frozen=True)
class InformationTerms:
    """The entropies of two images and their mutual information (in the chosen base)."""

    h_a: float
    h_b: float
    h_ab: float
    mi: float

    def normalized(self, method: str = "studholme") -> float:
        """Normalised MI from these terms; see :func:`normalized_mutual_information`."""
        method = check_choice(method, "method", NMI_METHODS)
        h_a, h_b, h_ab, mi = self.h_a, self.h_b, self.h_ab, self.mi
        if method == "studholme":
            if h_ab == 0:
                _warn_both_constant()
                return math.nan
            return (h_a + h_b) / h_ab
        # scikit-learn's limit cases: two constant images match perfectly, one constant image shares
        # no information with anything
        if h_a == 0 or h_b == 0:
            return 1.0 if h_a == h_b == 0 else 0.0
        norm = {"arithmetic": (h_a + h_b) / 2, "geometric": math.sqrt(h_a * h_b),
                "min": min(h_a, h_b), "max": max(h_a, h_b)}[method]
        return mi / norm


def histogram_terms(counts: Any, base: float = 2) -> InformationTerms:
    """H(A), H(B), H(A, B) and MI of a joint histogram (rows: A's bins, columns: B's).

    Parameters
    ----------
    counts : array_like, shape (bins_a, bins_b)
        A joint histogram, e.g. the counts of :func:`joint_histogram`.
    base : float, default 2
        Logarithm base, a finite number > 1 (2: bits).

    Returns
    -------
    terms : InformationTerms

    Notes
    -----
    H(A) is the entropy of the row sums, H(B) of the column sums, H(A, B) of the whole table,
    and MI = H(A) + H(B) - H(A, B) (never below 0: rounding).

    Examples
    --------
    >>> histogram_terms([[2, 0], [0, 2]])
    InformationTerms(h_a=1.0, h_b=1.0, h_ab=1.0, mi=1.0)
    """
    counts, base = check_histogram(counts, base, ndim=2)
    return _terms(counts, base)


def _terms(counts: np.ndarray, base: float) -> InformationTerms:
    h_a = _entropy(counts.sum(axis=1), base)
    h_b = _entropy(counts.sum(axis=0), base)
    h_ab = _entropy(counts, base)
    return InformationTerms(h_a, h_b, h_ab, max(h_a + h_b - h_ab, 0.0))


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
    All from the joint histogram of :func:`joint_histogram` (:func:`histogram_terms`): H(A) is the
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
    a, b, bins, base = check_information(a, b, bins, base)
    counts, _, _ = np.histogram2d(a.ravel(), b.ravel(), bins)
    return _terms(counts, base)


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
    With p[i, j] the joint histogram divided by the number of pixels, p_a and p_b its row and
    column sums::

        I(A; B) = H(A) + H(B) - H(A, B) = sum(p[i, j] log(p[i, j] / (p_a[i] p_b[j])))

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
    return information_terms(a, b, bins, base).mi


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
    ::

        NMI_studholme = (H(A) + H(B)) / H(A, B) = 1 + I(A; B) / H(A, B)
        NMI_avg       = I(A; B) / avg(H(A), H(B))

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
    return information_terms(a, b, bins).normalized(method)


def _warn_both_constant() -> None:
    warnings.warn(
        "normalized_mutual_information: both images are constant, so H(A, B) = 0 and "
        "(H(A) + H(B)) / H(A, B) is 0/0: returning nan",
        RuntimeWarning,
        stacklevel=4,
    )
