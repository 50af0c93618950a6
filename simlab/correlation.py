"""Pearson's correlation of two images, and what ``np.corrcoef(a, b)`` computes instead.

``np.corrcoef(a, b)`` treats every *row* of ``a`` and of ``b`` as a variable: two 28x28 images give a
56x56 matrix made of four 28x28 blocks (a's rows against a's rows, a against b, b against a, b
against b), with ``nan`` wherever a row is constant. The one number people want is Pearson's r of
the two *flattened* images: :func:`pearson`.

Every correlation here comes from one formula: centre each vector, scale it to unit length, and
take dot products (:func:`standardize` then a matrix product). The fast form for one image
against many is :mod:`simlab.kernels.correlation`, tested against these.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import as_image, as_pair, as_stack

__all__ = ["CorrcoefBlocks", "constant_rows", "corrcoef_blocks", "pearson", "standardize"]


def _constant_rows(x: np.ndarray) -> np.ndarray:
    """True where every value along the last axis equals the first one."""
    return (x == x[..., :1]).all(axis=-1)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (..., P) centred and scaled to unit length, in float64; constant rows -> nan."""
    x = np.asarray(x, dtype=np.float64)
    # Scale each row by a power of two that brings its largest |value| near 1: exact (r cannot
    # change), and the sums below can then neither overflow (values near 1e300) nor underflow
    # (1e-170). For ordinary images the result is bit for bit that of the unscaled rows.
    _, exponent = np.frexp(np.abs(x).max(axis=-1, keepdims=True))
    x = np.ldexp(x, -exponent)
    z = x - x.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.sum(z * z, axis=-1, keepdims=True))
    norm[_constant_rows(x)] = np.nan  # exact test: a constant row may centre to tiny rounding noise
    return z / norm


def standardize(images: Any) -> np.ndarray:
    """Flatten each image, centre it and scale it to unit length.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        A stack of images (one image: ``image[None]``), any real or integer dtype.

    Returns
    -------
    z : ndarray, shape (N, H*W), float64
        ``z[i] = (x_i - mean(x_i)) / ||x_i - mean(x_i)||``; rows of constant images are ``nan``.

    Notes
    -----
    Pearson's r of two images is the dot product of their standardised vectors (the cosine of
    the angle between the centred images): r = z_a . z_b.

    Examples
    --------
    >>> import numpy as np
    >>> z = standardize(np.arange(8.0).reshape(2, 2, 2))
    >>> np.round(z @ z.T, 6)
    array([[1., 1.],
           [1., 1.]])
    """
    stack = as_stack(images, "images")
    return _unit_rows(stack.reshape(stack.shape[0], -1))


def _warn_constant(what: str) -> None:
    warnings.warn(
        f"pearson: {what} constant (every pixel has the same value), so its standard deviation "
        "is 0 and Pearson's r is undefined: returning nan",
        RuntimeWarning,
        stacklevel=3,
    )


def pearson(a: Any, b: Any) -> float:
    """Pearson's correlation coefficient of two images, flattened.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape, any real or integer dtype (integers are
        converted to float64 before any arithmetic).

    Returns
    -------
    r : float
        In [-1, 1]; ``nan`` (with a ``RuntimeWarning`` that says why) if either image is
        constant.

    Notes
    -----
    With x and y the flattened images of n pixels and x̄, ȳ their means::

        r = sum((x - x̄) (y - ȳ)) / (sqrt(sum((x - x̄)**2)) sqrt(sum((y - ȳ)**2))) = z_x . z_y,

    the dot product of the standardised vectors (:func:`standardize`). r is unchanged by
    ``alpha * image + beta`` with ``alpha > 0`` and changes sign for ``alpha < 0``.
    Equal to ``scipy.stats.pearsonr(a.ravel(), b.ravel())[0]``, also at extreme scales
    (images times 1e300 or 1e-300): each image is first scaled by a power of two (exact), as
    scipy's ``pearsonr`` scales by the largest value, so the sums cannot overflow or underflow.

    References
    ----------
    .. [1] Pearson, K. (1895). Notes on regression and inheritance in the case of two parents.
       Proceedings of the Royal Society of London, 58, 240-242.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 1], [2, 3]])
    >>> round(pearson(a, 10 - 2 * a), 6)
    -1.0
    """
    a, b = as_pair(a, b)
    x = np.stack([a.ravel(), b.ravel()])
    constant = _constant_rows(x)
    if constant.any():
        _warn_constant("a and b are" if constant.all() else ("a is" if constant[0] else "b is"))
        return float("nan")
    z_a, z_b = _unit_rows(x)
    return float(np.clip(z_a @ z_b, -1.0, 1.0))


def constant_rows(image: Any) -> np.ndarray:
    """Which rows of an image are constant (and so give ``nan`` in ``np.corrcoef``).

    Parameters
    ----------
    image : array_like, shape (H, W)

    Returns
    -------
    mask : ndarray of bool, shape (H,)

    Notes
    -----
    A constant row has zero variance, so its correlation with anything is 0/0.

    Examples
    --------
    >>> import numpy as np
    >>> constant_rows(np.array([[0, 0, 0], [0, 1, 0]]))
    array([ True, False])
    """
    return _constant_rows(as_image(image, "image"))


@dataclass(frozen=True, repr=False)
class CorrcoefBlocks:
    """The row-by-row correlation matrix of two images, ``np.corrcoef(a, b)``, and its blocks."""

    matrix: np.ndarray = field(metadata={"doc": "(2H, 2H), equal to np.corrcoef(a, b)"})
    aa: np.ndarray = field(metadata={"doc": "a's rows against a's rows"})
    ab: np.ndarray = field(metadata={"doc": "a's rows against b's rows"})
    ba: np.ndarray = field(metadata={"doc": "b's rows against a's rows"})
    bb: np.ndarray = field(metadata={"doc": "b's rows against b's rows"})
    constant_rows_a: np.ndarray = field(metadata={"doc": "rows of a that are constant (nan)"})
    constant_rows_b: np.ndarray = field(metadata={"doc": "rows of b that are constant (nan)"})

    def __repr__(self) -> str:
        h = self.aa.shape[0]
        return (
            f"CorrcoefBlocks(matrix {self.matrix.shape} = 2x2 blocks of {h}x{h}; "
            f"constant rows: {int(self.constant_rows_a.sum())} in a, "
            f"{int(self.constant_rows_b.sum())} in b; nan entries: {int(np.isnan(self.matrix).sum())})"
        )


def corrcoef_blocks(a: Any, b: Any) -> CorrcoefBlocks:
    """Split ``np.corrcoef(a, b)`` for two images into its four row-by-row blocks.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.

    Returns
    -------
    blocks : CorrcoefBlocks
        ``matrix`` (2H, 2H) equal to ``np.corrcoef(a, b)``; ``aa``, ``ab``, ``ba``, ``bb`` its
        four H x H blocks; ``constant_rows_a``, ``constant_rows_b`` the rows that give ``nan``.

    Notes
    -----
    ``np.corrcoef`` treats each row as one variable observed W times. Stacking the rows of a
    and b gives 2H variables and R[i, j] = z_i . z_j, with z_i the
    centred, unit-length row i. The diagonal is 1, ``ab`` is the transpose of ``ba``, and
    nothing in it is the similarity of the two images: that is :func:`pearson`.

    References
    ----------
    .. [1] Pearson, K. (1895). Notes on regression and inheritance in the case of two parents.
       Proceedings of the Royal Society of London, 58, 240-242.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[0, 1, 2], [5, 3, 1]])
    >>> blocks = corrcoef_blocks(img, img)
    >>> blocks.matrix.shape, bool(np.allclose(blocks.matrix, np.corrcoef(img, img)))
    ((4, 4), True)
    """
    a, b = as_pair(a, b)
    rows = np.concatenate([a, b]).astype(np.result_type(a.dtype, b.dtype), copy=False)
    z = _unit_rows(rows)
    matrix = np.clip(z @ z.T, -1.0, 1.0)
    h = a.shape[0]
    return CorrcoefBlocks(
        matrix=matrix,
        aa=matrix[:h, :h],
        ab=matrix[:h, h:],
        ba=matrix[h:, :h],
        bb=matrix[h:, h:],
        constant_rows_a=_constant_rows(a),
        constant_rows_b=_constant_rows(b),
    )
