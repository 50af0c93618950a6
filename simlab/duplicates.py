"""Exact and near duplicates: which images of a set are copies of each other, or of another set's.

The notMNIST assignment asks "how much overlap is there between training, validation and test
samples?" and "what about near duplicates?". Both are threshold questions, and unlike "is this the
same letter?" they have a threshold that works (notebook 07 shows why):

- :func:`exact_duplicates` finds images with identical pixel values: each image's bytes are hashed,
  equal hashes are grouped, and every reported pair is confirmed byte for byte. Linear time.
- :func:`near_duplicates` finds pairs whose score by a metric of :data:`simlab.METRICS` is past a
  threshold. For MSE, PSNR and Pearson's r every pair is examined with blockwise matrix products (an
  exact all-pairs search whose cost is one BLAS product); for SSIM, MI and NMI a cheap candidate
  stage (the nearest neighbours by Pearson's r) is followed by exact rescoring.

Within one set (``b=None``) the pairs are ``(i, j)`` with ``i < j``; across two sets ``i`` indexes
``a`` and ``j`` indexes ``b``. Every reported score is the metric's pair function on that pair
(``simlab.mse(a[i], b[j])``...), so the result is the brute-force answer: the same pairs at the same
threshold (for SSIM, MI and NMI, of the candidates; ``candidates="all"`` examines every pair).

Examples
--------
>>> import numpy as np
>>> from simlab.duplicates import exact_duplicates, near_duplicates
>>> images = np.zeros((4, 3, 3)); images[1, 0, 0] = 1.0; images[3] = images[1]; images[2, 1, 1] = 0.01
>>> exact_duplicates(images).pairs.tolist()
[[1, 3]]
>>> near_duplicates(images, metric="mse", threshold=1e-4).pairs.tolist()
[[1, 3], [0, 2]]
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import as_stack, check_choice, check_data_range, check_positive_int, dtype_data_range

__all__ = ["THRESHOLDS", "Copies", "Duplicates", "exact_duplicates", "ground_truth", "near_duplicates",
           "precision_recall"]

#: Suggested thresholds for near-duplicates of 28x28 images in [0, 1] (notebook 07 measures what
#: each one finds and misses on the built-in ``notmnist`` data): ``score <= t`` for MSE, ``score >= t``
#: for the others.
THRESHOLDS = {
    "mse": 0.005,
    "psnr": 23.0,
    "pearson": 0.98,
    "ssim": 0.95,
    "mutual_information": 1.5,
    "normalized_mutual_information": 1.6,
}

_BLOCK_ENTRIES = 1 << 25  # scores per block of the product (128 MB of float32)
_UNIT = 2.0**-24  # unit roundoff of float32
_PROGRESS_SECONDS = 2.0
_FLOPS = 2e10  # a rough float32 product speed, only to decide whether to show a progress bar
_HASH_ROWS = 4096


# ---------------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------------


class Duplicates:
    """Pairs of duplicate images, best first: what :func:`exact_duplicates` and :func:`near_duplicates` return.

    Attributes
    ----------
    pairs : ndarray of int64, shape (n, 2)
        ``(i, j)``: within one set ``i < j``; across two sets ``i`` in ``a`` and ``j`` in ``b``.
    scores : ndarray of float64, shape (n,)
        The metric of each pair (for exact duplicates their MSE, 0.0), best first.
    metric : str
        ``"exact"`` or a name of :data:`simlab.METRICS`.
    threshold : float or None
        The threshold used (None for exact duplicates).
    direction : {"higher", "lower"}
        Which way is more similar; a pair is reported when ``score <= threshold`` ("lower") or
        ``score >= threshold`` ("higher").
    sizes : tuple of int
        ``(len(a),)`` within one set, ``(len(a), len(b))`` across two.
    candidates : int
        How many pairs were rescored exactly (for exact duplicates: pairs compared byte by byte).
    names : tuple of (list of str or None)
        File names of the images of ``a`` (and ``b``) when they came from a folder, shown in the table.
    """

    def __init__(self, pairs: np.ndarray, scores: np.ndarray, *, metric: str, threshold: float | None,
                 direction: str, sizes: tuple[int, ...], candidates: int, names: tuple = (None, None)) -> None:
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        key = scores if direction == "lower" else -scores
        order = np.lexsort((pairs[:, 1], pairs[:, 0], key))  # best first, ties by (i, j)
        self.pairs = pairs[order]
        self.scores = scores[order]
        self.pairs.flags.writeable = False
        self.scores.flags.writeable = False
        self.metric, self.threshold, self.direction = metric, threshold, direction
        self.sizes, self.candidates, self.names = tuple(sizes), int(candidates), tuple(names)

    @property
    def within(self) -> bool:
        """True for pairs within one set, False across two."""
        return len(self.sizes) == 1

    def __len__(self) -> int:
        return len(self.pairs)

    def indices(self, side: str = "b") -> np.ndarray:
        """The images that have a copy: sorted unique indices of one side of the pairs.

        Parameters
        ----------
        side : {"a", "b"}
            Across two sets, ``"b"`` (default) gives the images of ``b`` with a copy in ``a`` (e.g. the
            test images also in train), ``"a"`` those of ``a`` with a copy in ``b``. Within one set
            both give every image that has a copy in the set.

        Returns
        -------
        ndarray of int64
        """
        side = check_choice(side, "side", ("a", "b"))
        if self.within:
            return np.unique(self.pairs)
        return np.unique(self.pairs[:, 0 if side == "a" else 1])

    def mask(self, side: str = "b") -> np.ndarray:
        """A boolean mask over one set, True for the images that have a copy (see :meth:`indices`).

        ``~dups.mask("b")`` keeps the images of ``b`` without a copy in ``a``: a sanitised test set.
        """
        side = check_choice(side, "side", ("a", "b"))
        size = self.sizes[0] if self.within or side == "a" else self.sizes[1]
        out = np.zeros(size, dtype=bool)
        out[self.indices(side)] = True
        return out

    def groups(self) -> list:
        """The groups of copies: connected components of the graph whose edges are the pairs.

        Returns
        -------
        list
            Within one set, a list of sorted index arrays (each group has at least two images).
            Across two sets, a list of ``(indices in a, indices in b)`` tuples. Largest groups first.

        Notes
        -----
        Computed with :func:`scipy.sparse.csgraph.connected_components`; for near duplicates a group
        can chain images that are not all near each other (A near B, B near C).
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n_a = self.sizes[0]
        n = n_a if self.within else n_a + self.sizes[1]
        if not len(self):
            return []
        rows = self.pairs[:, 0]
        cols = self.pairs[:, 1] if self.within else self.pairs[:, 1] + n_a
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, component = connected_components(graph, directed=False)
        members = np.unique(np.concatenate([rows, cols]))
        labels = component[members]
        order = np.argsort(labels, kind="stable")
        members, labels = members[order], labels[order]
        cuts = np.flatnonzero(np.diff(labels)) + 1
        found = np.split(members, cuts)
        found.sort(key=lambda g: (-len(g), int(g[0])))
        if self.within:
            return found
        return [(g[g < n_a], g[g >= n_a] - n_a) for g in found]

    def counts(self) -> dict[str, int]:
        """A count summary: pairs, images with a copy on each side, and groups of copies.

        Returns
        -------
        dict of str to int
            ``pairs``; ``images`` (within one set) or ``a`` and ``b`` (across two); ``groups``.
        """
        out = {"pairs": len(self)}
        if self.within:
            out["images"] = int(len(self.indices("a")))
        else:
            out["a"] = int(len(self.indices("a")))
            out["b"] = int(len(self.indices("b")))
        out["groups"] = len(self.groups())
        return out

    def _describe(self) -> str:
        if self.metric == "exact":
            rule = "identical pixels"
        else:
            rule = f"{self.metric} {'<=' if self.direction == 'lower' else '>='} {self.threshold:.6g}"
        where = (f"within {self.sizes[0]} images" if self.within
                 else f"across {self.sizes[0]} (a) x {self.sizes[1]} (b) images")
        c = self.counts()
        who = (f"{c['images']} images with a copy" if self.within
               else f"{c['a']} images of a and {c['b']} of b with a copy")
        return f"{rule} {where}: {c['pairs']} pairs, {who}, {c['groups']} groups"

    def table(self, k: int | None = 10) -> str:
        """The first ``k`` pairs (all with ``k=None``) as a text table: rank, i, j, score (and file names)."""
        rows = range(len(self) if k is None else min(int(k), len(self)))
        name_a, name_b = self.names[0], self.names[1] if not self.within else self.names[0]
        header = ["rank", "i", "j", "score"]
        if name_a is not None or name_b is not None:
            header += ["file i", "file j"]
        lines = []
        for r in rows:
            i, j = (int(v) for v in self.pairs[r])
            line = [str(r + 1), str(i), str(j), f"{self.scores[r]:.6g}"]
            if len(header) > 4:
                line += [name_a[i] if name_a is not None else "", name_b[j] if name_b is not None else ""]
            lines.append(line)
        widths = [max([len(h)] + [len(x[c]) for x in lines]) for c, h in enumerate(header)]
        out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
        out += ["  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip() for line in lines]
        if k is not None and len(self) > k:
            out.append(f"... {len(self) - k} more")
        return "\n".join(out)

    def __repr__(self) -> str:
        body = self.table(5) if len(self) else "(no pairs)"
        return f"Duplicates({self._describe()})\n{body}"


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


def _is_dataset(x: Any) -> bool:
    from .datasets import Dataset

    return isinstance(x, Dataset)


def _operand(x: Any, name: str) -> tuple[np.ndarray, list[str] | None, float | None]:
    """(images, file names or None, data range or None) of a Dataset or an array of shape (N, H, W)."""
    if _is_dataset(x):
        files = getattr(x, "files", None)
        names = None if files is None else [os.path.join(*Path(f).parts[-2:]) for f in files]
        return x.images, names, float(x.data_range)
    stack = as_stack(x, name)
    return stack, None, dtype_data_range(stack.dtype)


def _operands(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray | None, tuple, float | None]:
    stack_a, names_a, range_a = _operand(a, "a")
    if b is None:
        return stack_a, None, (names_a, None), range_a
    stack_b, names_b, range_b = _operand(b, "b")
    if stack_a.shape[1:] != stack_b.shape[1:]:
        raise ValueError(
            f"the images of a and b must have the same shape, got {stack_a.shape[1:]} and {stack_b.shape[1:]}: "
            "resize or crop one set first"
        )
    return stack_a, stack_b, (names_a, names_b), range_a if range_a == range_b else None


def _direction(metric: str) -> str:
    from . import METRICS

    record = METRICS[metric]
    return str(getattr(record, "direction", record))


# ---------------------------------------------------------------------------------------------
# exact duplicates: hash the bytes, then confirm
# ---------------------------------------------------------------------------------------------


def _digests(stack: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A 64-bit hash of each image's bytes (in ``dtype``, with -0.0 made 0.0), as uint64.

    The bytes are read as 64-bit words ``w`` and hashed as ``sum(k_i * w_i) mod 2**64`` with fixed
    random odd multipliers ``k`` (a multiplicative hash, vectorised: no Python loop per image). Equal
    bytes give equal hashes; unequal bytes almost never do, and a collision is caught by the byte
    comparison that confirms every pair.
    """
    width = int(np.prod(stack.shape[1:])) * dtype.itemsize
    words = -(-width // 8)
    multipliers = np.random.default_rng(20240613).integers(0, 2**63, words, dtype=np.uint64) * np.uint64(2) + 1
    out = np.empty(len(stack), dtype=np.uint64)
    for start in range(0, len(stack), _HASH_ROWS):
        block = np.ascontiguousarray(stack[start : start + _HASH_ROWS], dtype=dtype)
        if dtype.kind == "f":
            block = block + dtype.type(0)  # -0.0 + 0.0 == +0.0: equal values, equal bytes
        raw = block.reshape(len(block), -1).view(np.uint8)
        if width % 8:
            raw = np.pad(raw, ((0, 0), (0, 8 * words - width)))
        out[start : start + len(block)] = raw.view(np.uint64) @ multipliers  # integer arithmetic wraps mod 2**64
    return out


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, run starts, run ends) of equal values of ``keys`` once sorted."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return order, starts, ends


def _confirmed(members: list[tuple[int, int]], rows: Callable[[int, int], bytes]) -> list[list[tuple[int, int]]]:
    """Split ``(side, index)`` members with one digest into groups of byte-identical images."""
    groups: dict[bytes, list[tuple[int, int]]] = {}
    for side, index in members:
        groups.setdefault(rows(side, index), []).append((side, index))
    return list(groups.values())


def exact_duplicates(a: Any, b: Any = None) -> Duplicates:
    """Pairs of images with identical pixel values, within one set or across two.

    Parameters
    ----------
    a : array_like, shape (N, H, W), or a simlab Dataset
        The images (e.g. the training set).
    b : array_like, shape (M, H, W), or a simlab Dataset, optional
        A second set (e.g. the test set). None (default) looks within ``a``.

    Returns
    -------
    Duplicates
        ``pairs``: ``(i, j)`` with ``i < j`` within ``a``, or ``i`` in ``a`` and ``j`` in ``b``;
        ``scores`` all 0.0 (the MSE of identical images); ``groups()``, ``counts()``, ``mask()``.

    Notes
    -----
    Each image is converted to the common dtype of ``a`` and ``b`` (``numpy.result_type``), ``-0.0``
    is made ``+0.0``, and its bytes are hashed to 64 bits (a multiplicative hash of the 8-byte words,
    vectorised over images, as [1]_). Images with equal hashes are compared byte for byte, so a hash
    collision can never create a pair. Time and memory are
    linear in the number of images (plus the pairs: a group of k copies gives k (k - 1) / 2 pairs
    within a set). ``np.array_equal(a[i], b[j])`` is true exactly for the reported pairs.

    The counting convention matters when comparing with published overlap numbers: ``counts()``
    gives pairs, images of ``a`` with a copy, images of ``b`` with a copy, and groups; "test images
    also in train" is ``counts()["b"]`` across (train, test); unique images in common are the groups.

    References
    ----------
    .. [1] Dietzfelbinger, M., Hagerup, T., Katajainen, J., Penttonen, M. (1997). A reliable
       randomized algorithm for the closest-pair problem. Journal of Algorithms, 25(1), 19-51
       (multiplicative hashing).

    Examples
    --------
    >>> import numpy as np
    >>> train = np.arange(24.0).reshape(6, 2, 2)
    >>> test = np.stack([train[4], np.ones((2, 2)), train[1]])
    >>> found = exact_duplicates(train, test)
    >>> found.pairs.tolist(), found.counts()
    ([[1, 2], [4, 0]], {'pairs': 2, 'a': 2, 'b': 2, 'groups': 2})
    """
    stack_a, stack_b, names, _ = _operands(a, b)
    stacks = [stack_a] if stack_b is None else [stack_a, stack_b]
    dtype = np.result_type(*(s.dtype for s in stacks))
    digests = [_digests(s, dtype) for s in stacks]
    sides = np.concatenate([np.full(len(d), k, dtype=np.int8) for k, d in enumerate(digests)])
    index = np.concatenate([np.arange(len(d)) for d in digests])
    order, starts, ends = _runs(np.concatenate(digests))

    def row_bytes(side: int, i: int) -> bytes:
        row = np.ascontiguousarray(stacks[side][i], dtype=dtype)
        return (row + dtype.type(0)).tobytes() if dtype.kind == "f" else row.tobytes()

    pairs: list[np.ndarray] = []
    compared = 0
    repeated = ends - starts >= 2
    for s, e in zip(starts[repeated].tolist(), ends[repeated].tolist()):
        chosen = order[s:e]
        if stack_b is not None and len(set(sides[chosen].tolist())) < 2:
            continue
        compared += e - s
        for group in _confirmed(list(zip(sides[chosen].tolist(), index[chosen].tolist())), row_bytes):
            in_a = np.array([i for side, i in group if side == 0], dtype=np.int64)
            if stack_b is None:
                if len(in_a) > 1:
                    ii, jj = np.triu_indices(len(in_a), k=1)
                    pairs.append(np.column_stack([in_a[ii], in_a[jj]]))
            else:
                in_b = np.array([i for side, i in group if side == 1], dtype=np.int64)
                if len(in_a) and len(in_b):
                    pairs.append(np.column_stack([np.repeat(in_a, len(in_b)), np.tile(in_b, len(in_a))]))
    found = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    sizes = (len(stack_a),) if stack_b is None else (len(stack_a), len(stack_b))
    return Duplicates(found, np.zeros(len(found)), metric="exact", threshold=None, direction="lower",
                      sizes=sizes, candidates=compared, names=names)


# ---------------------------------------------------------------------------------------------
# near duplicates: blockwise products (MSE, PSNR, Pearson), nearest neighbours (SSIM, MI, NMI)
# ---------------------------------------------------------------------------------------------


def _gamma(n: int) -> float:
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of an n-term float32 dot product."""
    return n * _UNIT / (1 - n * _UNIT)


def _standardised(block: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit length (float64 arithmetic, float32 result); constant rows 0."""
    x = block.reshape(len(block), -1).astype(np.float64)
    x -= x.mean(axis=1, keepdims=True)
    norm = np.sqrt(np.einsum("ij,ij->i", x, x))
    with np.errstate(invalid="ignore", divide="ignore"):
        x /= norm[:, None]
    x[~(norm > 0)] = 0.0
    return x.astype(np.float32)


class _Search:
    """The blockwise search over all pairs: rows of the larger set against columns of the smaller."""

    def __init__(self, stack_a: np.ndarray, stack_b: np.ndarray | None, progress: bool | None, desc: str) -> None:
        self.within = stack_b is None
        self.swapped = not self.within and len(stack_b) > len(stack_a)
        self.rows = stack_b if self.swapped else stack_a
        self.cols = self.rows if self.within else (stack_a if self.swapped else stack_b)
        self.pixels = int(np.prod(self.rows.shape[1:]))
        n, m = len(self.rows), len(self.cols)
        self.col_step = min(m, 16384, _BLOCK_ENTRIES)
        self.row_step = max(16, min(n, _BLOCK_ENTRIES // max(self.col_step, 1)))
        if self.within:
            self.row_step = self.col_step = max(16, min(n, math.isqrt(_BLOCK_ENTRIES)))
        seconds = 2.0 * n * m * self.pixels / _FLOPS / (2 if self.within else 1)
        self.show = seconds > _PROGRESS_SECONDS if progress is None else bool(progress)
        self.desc = desc

    def blocks(self, triangle: bool = True) -> Iterator[tuple[int, int, int, int]]:
        n, m = len(self.rows), len(self.cols)
        todo = [(r, c) for r in range(0, n, self.row_step) for c in range(0, m, self.col_step)
                if not (self.within and triangle and c + self.col_step <= r)]
        bar = _bar(len(todo), self.show, self.desc)
        try:
            for r, c in todo:
                yield r, min(r + self.row_step, n), c, min(c + self.col_step, m)
                bar.update(1)
        finally:
            bar.close()

    def pairs(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        """Global (i in a, j in b) pairs from (row, column) indices; within a set, i < j."""
        if self.within:
            return np.column_stack([np.minimum(ii, jj), np.maximum(ii, jj)])
        return np.column_stack([jj, ii] if self.swapped else [ii, jj])


def _bar(total: int, show: bool, desc: str) -> Any:
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="block")


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _keep_upper(ii: np.ndarray, jj: np.ndarray, r0: int, c0: int, within: bool) -> tuple[np.ndarray, np.ndarray]:
    ii, jj = ii + r0, jj + c0
    if within:
        keep = ii < jj
        ii, jj = ii[keep], jj[keep]
    return ii, jj


def _hits(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(mask)`` of a mostly-False block, looking for the True cells only in rows that have one."""
    rows = np.flatnonzero(mask.any(axis=1))
    ii, jj = np.nonzero(mask[rows])
    return rows[ii], jj


def _mse_candidates(search: _Search, limit_mse: float) -> np.ndarray:
    """Every pair whose MSE may be <= limit_mse, by blockwise products (a guaranteed superset).

    With squared norms, ``|x - y|^2 = |x|^2 + |y|^2 - 2 x.y``, so ``MSE <= T`` is
    ``x.y - |y|^2 / 2 >= (|x|^2 - P T) / 2``. The columns carry ``-|y|^2 / 2`` as an extra
    coordinate (and the rows a 1), so each block is one float32 product followed by one comparison
    with a per-row bound, lowered by a rigorous bound on the float32 rounding error.
    """
    p = search.pixels
    cols64 = search.cols.reshape(len(search.cols), -1)
    sq_cols = np.einsum("ij,ij->i", cols64, cols64, dtype=np.float64)
    cols = np.empty((len(search.cols), p + 1), dtype=np.float32)
    cols[:, :p] = cols64
    cols[:, p] = -sq_cols / 2
    norm_cols = np.sqrt(sq_cols)
    rounding = 0.0 if search.cols.dtype.itemsize <= 4 and search.rows.dtype.itemsize <= 4 else 1.0
    gamma = _gamma(p + 4) + 2 * _UNIT * rounding
    found = []
    for r0, r1, c0, c1 in search.blocks():
        rows64 = search.rows[r0:r1].reshape(r1 - r0, -1)
        sq_rows = np.einsum("ij,ij->i", rows64, rows64, dtype=np.float64)
        rows = np.empty((r1 - r0, p + 1), dtype=np.float32)
        rows[:, :p] = rows64
        rows[:, p] = 1.0
        bound = (sq_rows - p * limit_mse) / 2
        max_a, max_b = float(np.sqrt(sq_rows.max())), float(norm_cols[c0:c1].max())
        margin = 2 * (gamma * (max_a * max_b + max_b**2) + 2 * _UNIT * (float(np.abs(bound).max()) + max_b**2))
        product = rows @ cols[c0:c1].T
        ii, jj = _hits(product >= (bound - margin).astype(np.float32)[:, None])
        found.append(search.pairs(*_keep_upper(ii, jj, r0, c0, search.within)))
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _pearson_candidates(search: _Search, limit_r: float) -> np.ndarray:
    """Every pair whose Pearson r may be >= limit_r: blockwise products of standardised rows."""
    cols = _standardised(search.cols)
    margin = 2 * (_gamma(search.pixels) + 8 * _UNIT)
    found = []
    for r0, r1, c0, c1 in search.blocks():
        rows = cols[r0:r1] if search.within else _standardised(search.rows[r0:r1])
        ii, jj = _hits(rows @ cols[c0:c1].T >= np.float32(limit_r - margin))
        found.append(search.pairs(*_keep_upper(ii, jj, r0, c0, search.within)))
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _merge_top(best: np.ndarray, where: np.ndarray, values: np.ndarray, index: np.ndarray, k: int) -> None:
    """Keep in (best, where) the k largest of (best | values) per row, in place."""
    both = np.concatenate([best, values], axis=1)
    both_index = np.concatenate([where, index], axis=1)
    top = np.argpartition(-both, k - 1, axis=1)[:, :k]
    best[...] = np.take_along_axis(both, top, axis=1)
    where[...] = np.take_along_axis(both_index, top, axis=1)


def _neighbour_candidates(search: _Search, k: int, absolute: bool) -> np.ndarray:
    """Pairs where one image is among the k nearest of the other by Pearson r (by |r| if absolute)."""
    n, m = len(search.rows), len(search.cols)
    k_rows, k_cols = min(k, m - 1 if search.within else m), min(k, n)
    cols = _standardised(search.cols)
    row_best = np.full((n, k_rows), -np.inf, dtype=np.float32)
    row_where = np.zeros((n, k_rows), dtype=np.int64)
    col_best = np.full((m, k_cols), -np.inf, dtype=np.float32)
    col_where = np.zeros((m, k_cols), dtype=np.int64)
    for r0, r1, c0, c1 in search.blocks(triangle=False):
        rows = cols[r0:r1] if search.within else _standardised(search.rows[r0:r1])
        s = rows @ cols[c0:c1].T
        if absolute:
            np.abs(s, out=s)
        if search.within:
            ii = np.arange(r0, r1)
            inside = (ii >= c0) & (ii < c1)
            s[np.flatnonzero(inside), ii[inside] - c0] = -np.inf
        if k_rows:
            kk = min(k_rows, c1 - c0)
            top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
            _merge_top(row_best[r0:r1], row_where[r0:r1], np.take_along_axis(s, top, axis=1), top + c0, k_rows)
        if k_cols and not search.within:
            kk = min(k_cols, r1 - r0)
            top = np.argpartition(-s.T, kk - 1, axis=1)[:, :kk]
            _merge_top(col_best[c0:c1], col_where[c0:c1], np.take_along_axis(s.T, top, axis=1), top + r0, k_cols)
    parts = [np.column_stack([np.repeat(np.arange(n), k_rows), row_where.ravel()])[np.isfinite(row_best.ravel())]]
    if not search.within:
        part = np.column_stack([col_where.ravel(), np.repeat(np.arange(m), k_cols)])[np.isfinite(col_best.ravel())]
        parts.append(part)
    ij = np.concatenate(parts)
    return search.pairs(ij[:, 0], ij[:, 1])


def _all_candidates(stack_a: np.ndarray, stack_b: np.ndarray | None, metric: str, threshold: float,
                    direction: str, data_range: float | None, options: dict, progress: bool | None) -> np.ndarray:
    """Every pair scored with the batch kernels of simlab.scores, kept when within 1e-6 of passing."""
    from . import scores

    other = stack_a if stack_b is None else stack_b
    found = []
    rows = range(len(stack_a))
    show = (len(stack_a) * len(other) * 6e-6 > _PROGRESS_SECONDS) if progress is None else bool(progress)
    bar = _bar(len(stack_a), show, f"{metric} near-duplicates")
    extra = {} if data_range is None or metric not in ("ssim", "psnr") else {"data_range": data_range}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i in rows:
                start = i + 1 if stack_b is None else 0
                if start < len(other):
                    values = scores(stack_a[i], other[start:], metric, progress=False, **extra, **options)
                    ok = values <= threshold + 1e-6 if direction == "lower" else values >= threshold - 1e-6
                    jj = np.flatnonzero(ok) + start
                    found.append(np.column_stack([np.full(len(jj), i), jj]))
                bar.update(1)
    finally:
        bar.close()
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _pair_function(metric: str) -> Callable[..., float]:
    import simlab

    from . import METRICS

    record = METRICS[metric]
    function = getattr(record, "pair", None) or getattr(record, "function", None)
    return function if callable(function) else getattr(simlab, metric)


def _rescore(stack_a: np.ndarray, stack_b: np.ndarray | None, pairs: np.ndarray, metric: str,
             data_range: float | None, options: dict, passes: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The metric's pair function on each candidate pair (the exact, reported score); nan if it fails.

    For SSIM, MI and NMI (costly pair functions) the candidates are first scored with the batch
    kernels of :func:`simlab.scores` (equal to the pair function within 1e-12), and only those
    within 1e-9 of passing are rescored with the pair function; the others get nan (not reported).
    """
    from . import scores

    function = _pair_function(metric)
    other = stack_a if stack_b is None else stack_b
    extra = dict(options)
    if metric in ("ssim", "psnr") and data_range is not None:
        extra["data_range"] = data_range
    out = np.full(len(pairs), np.nan)
    todo = np.arange(len(pairs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant images: pearson is nan, never a pair
        if metric in ("ssim", "mutual_information", "normalized_mutual_information") and len(pairs):
            # one scores() call per query image, on the side with fewer distinct images (the metrics
            # are symmetric; only this pre-filter, with its 1e-9 margin, relies on it)
            side = 0 if len(np.unique(pairs[:, 0])) <= len(np.unique(pairs[:, 1])) else 1
            queries, stacks = (stack_a, other) if side == 0 else (other, stack_a)
            order = np.lexsort((pairs[:, 1 - side], pairs[:, side]))
            grouped = pairs[order]
            batch = np.empty(len(pairs))
            starts = np.flatnonzero(np.r_[True, grouped[1:, side] != grouped[:-1, side]])
            for s, e in zip(starts, np.r_[starts[1:], len(pairs)]):
                batch[order[s:e]] = scores(queries[grouped[s, side]], stacks[grouped[s:e, 1 - side]], metric,
                                           progress=False, **extra)
            lower, upper = batch - 1e-9, batch + 1e-9
            todo = np.flatnonzero(passes(lower) | passes(upper))
        for k in todo:
            i, j = pairs[k]
            out[k] = function(stack_a[i], other[j], **extra)
    return out


def near_duplicates(
    a: Any,
    b: Any = None,
    *,
    metric: str = "mse",
    threshold: float | None = None,
    data_range: float | None = None,
    candidates: int | str = 5,
    progress: bool | None = None,
    **options: Any,
) -> Duplicates:
    """Pairs of images whose score by a metric is past a threshold, within one set or across two.

    Parameters
    ----------
    a : array_like, shape (N, H, W), or a simlab Dataset
        The images (e.g. the training set).
    b : array_like, shape (M, H, W), or a simlab Dataset, optional
        A second set (e.g. the test set). None (default) looks within ``a`` (pairs ``i < j``).
    metric : str, default "mse"
        A name of :data:`simlab.METRICS`. Its direction decides the test: ``score <= threshold`` for
        ``"mse"`` (lower is more similar), ``score >= threshold`` for the others.
    threshold : float, optional
        Default: :data:`THRESHOLDS` ``[metric]`` (e.g. MSE 0.005 for images in [0, 1]).
    data_range : float, optional
        For SSIM and PSNR: the span of the values. A Dataset brings its own (1.0); integer images
        use their dtype's; float arrays must pass it.
    candidates : int or "all", default 5
        SSIM, MI and NMI only: how many nearest neighbours by Pearson's r (by ``|r|`` for MI and NMI)
        each image brings as candidates, or ``"all"`` to score every pair (with the batch kernels of
        :func:`simlab.scores`, then exactly). Ignored by MSE, PSNR and Pearson, which examine every
        pair.
    progress : bool, optional
        Show a progress bar (tqdm). None (default): only for searches expected to take over ~2 s.
    **options
        Options of the metric (``bins=`` for MI, ``win_size=`` for SSIM...).

    Returns
    -------
    Duplicates
        The pairs, best first, with their exact scores (the pair function's value).

    Notes
    -----
    MSE and PSNR (``MSE <= R^2 10^{-t/10}``): for images :math:`x, y` of :math:`P` pixels,

    .. math:: P\\,\\mathrm{MSE}(x, y) = \\lVert x\\rVert^2 + \\lVert y\\rVert^2 - 2\\,x\\cdot y,

    so all pairs of a block need one float32 matrix product. Pearson: with standardised rows
    :math:`z = (x - \\bar x) / \\lVert x - \\bar x\\rVert`, :math:`r = z_x\\cdot z_y`. The float32
    products are compared with the threshold loosened by a rigorous bound on their rounding error
    (Higham's :math:`\\gamma_P`), so no pair can be missed; every candidate is then rescored with
    the pair function in float64 and kept only if it passes. The result is the brute-force result.
    Memory: the smaller set (prepared) plus one block of at most 2**25 scores (128 MB).

    SSIM, MI and NMI have no such product form. Candidate rule: pair ``(i, j)`` is rescored when
    ``j`` is among the ``candidates`` images of the other set (of the set, within one) most
    correlated with ``i`` by Pearson's r, or ``i`` among those of ``j`` (``|r|`` for MI and NMI,
    which forgive inversion). Near-duplicates are nearly always each other's nearest neighbours,
    but a group of more than ``candidates`` copies can lose pairs: ``Duplicates.candidates`` tells
    how many pairs were rescored, notebook 07 and ``benchmarks/bench_duplicates.py`` measure the
    recall against brute force, and ``candidates="all"`` is exact.

    References
    ----------
    .. [1] Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed., SIAM,
       section 3.1 (the bound gamma_n on rounding errors of inner products).
    .. [2] Barz, B., Denzler, J. (2020). Do we train on test data? Purging CIFAR of near-duplicates.
       Journal of Imaging, 6(6), 41.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> train = rng.random((50, 8, 8))
    >>> test = np.concatenate([train[[3, 7]] + 0.01, rng.random((5, 8, 8))])
    >>> near_duplicates(train, test, metric="mse", threshold=0.001).pairs.tolist()
    [[3, 0], [7, 1]]
    >>> near_duplicates(train, test, metric="pearson", threshold=0.99).counts()
    {'pairs': 2, 'a': 2, 'b': 2, 'groups': 2}
    """
    from . import METRICS

    metric = check_choice(metric, "metric", list(METRICS))
    direction = _direction(metric)
    if threshold is None:
        threshold = THRESHOLDS[metric]
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"threshold must be a number, got {threshold!r}: e.g. threshold={THRESHOLDS[metric]}")
    threshold = float(threshold)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold!r}: e.g. threshold={THRESHOLDS[metric]}")
    if metric in ("mse",) and threshold < 0:
        raise ValueError(f"threshold for mse must be >= 0 (an MSE is never negative), got {threshold}")
    if not (candidates == "all" or (isinstance(candidates, (int, np.integer)) and not isinstance(candidates, bool))):
        raise TypeError(f"candidates must be a positive integer or 'all', got {candidates!r}")
    if candidates != "all":
        candidates = check_positive_int(candidates, "candidates")

    stack_a, stack_b, names, own_range = _operands(a, b)
    if data_range is not None:
        data_range = check_data_range(data_range)
    elif metric in ("ssim", "psnr"):
        data_range = own_range
        if data_range is None:
            raise ValueError(
                f"data_range is required for {metric} of float images: pass data_range=1.0 for images in "
                "[0, 1] (a simlab Dataset has .data_range)"
            )
    sizes = (len(stack_a),) if stack_b is None else (len(stack_a), len(stack_b))
    desc = f"{metric} near-duplicates"
    if metric in ("mse", "psnr"):
        limit = threshold if metric == "mse" else data_range**2 * 10 ** (-threshold / 10)
        found = _mse_candidates(_Search(stack_a, stack_b, progress, desc), limit)
    elif metric == "pearson":
        found = _pearson_candidates(_Search(stack_a, stack_b, progress, desc), threshold)
    elif candidates == "all":
        found = _all_candidates(stack_a, stack_b, metric, threshold, direction, data_range, options, progress)
    else:
        search = _Search(stack_a, stack_b, progress, desc)
        found = _neighbour_candidates(search, candidates, absolute=metric != "ssim")
    found = np.unique(found, axis=0) if len(found) else found.reshape(0, 2)
    def passes(values: np.ndarray) -> np.ndarray:
        return values <= threshold if direction == "lower" else values >= threshold

    values = _rescore(stack_a, stack_b, found, metric, data_range, options, passes)
    keep = passes(values)
    return Duplicates(found[keep], values[keep], metric=metric, threshold=threshold, direction=direction,
                      sizes=sizes, candidates=len(found), names=names)


# ---------------------------------------------------------------------------------------------
# ground truth of the built-in "overlap" data set
# ---------------------------------------------------------------------------------------------


class Copies:
    """Which image of a built-in data set copies which: the ground truth to score a search against.

    Built by :func:`ground_truth`. Index ``i`` is the image's position in
    ``load_dataset(name)``; :meth:`pairs` translates to positions within splits.

    Attributes
    ----------
    source : ndarray of int, shape (N,)
        The original that image ``i`` copies, or -1 for an original.
    kind : ndarray of str, shape (N,)
        ``""`` (an original), ``"exact"`` (the original's bytes again), or a near copy's kind:
        ``"shift"`` (1 px), ``"weight"`` (heavier stroke), ``"antialias"``, ``"intensity"``.
    split : ndarray of str, shape (N,)
    """

    def __init__(self, source: np.ndarray, kind: np.ndarray, split: np.ndarray) -> None:
        self.source, self.kind, self.split = np.asarray(source), np.asarray(kind), np.asarray(split)

    @property
    def root(self) -> np.ndarray:
        """The original of each image (itself for an original)."""
        return np.where(self.source >= 0, self.source, np.arange(len(self.source)))

    def pairs(self, a: str = "train", b: str | None = None, kind: str = "any") -> np.ndarray:
        """The true copy pairs, as positions within ``load_dataset(name, split=a)`` (and ``split=b``).

        Parameters
        ----------
        a, b : str
            Splits. ``b=None`` gives pairs ``i < j`` within split ``a``, else ``i`` in ``a``, ``j`` in ``b``.
        kind : {"any", "exact", "near"}
            Two images are copies when they come from the same original; the pair is "exact" when
            neither is a near copy (identical pixels), else "near".

        Returns
        -------
        ndarray of int64, shape (n, 2), sorted
        """
        kind = check_choice(kind, "kind", ("any", "exact", "near"))
        near = ~np.isin(self.kind, ("", "exact"))
        rows_a = np.flatnonzero(self.split == a)
        rows_b = rows_a if b is None else np.flatnonzero(self.split == b)
        root = self.root
        found = []
        for i_pos, i in enumerate(rows_a):
            j_pos = np.flatnonzero(root[rows_b] == root[i])
            if b is None:
                j_pos = j_pos[j_pos > i_pos]
            if kind != "any":
                is_near = near[i] | near[rows_b[j_pos]]
                j_pos = j_pos[is_near] if kind == "near" else j_pos[~is_near]
            found.append(np.column_stack([np.full(len(j_pos), i_pos), j_pos]))
        return np.concatenate(found).astype(np.int64) if found else np.empty((0, 2), dtype=np.int64)


def ground_truth(name: str = "overlap") -> Copies:
    """The recorded copies of a built-in data set made with copies (``"overlap"``).

    Parameters
    ----------
    name : str
        A built-in data set whose file records ``source`` and ``copy`` (only ``"overlap"`` does).

    Returns
    -------
    Copies

    Examples
    --------
    >>> truth = ground_truth()
    >>> len(truth.pairs("train", "test", kind="exact")) > 100
    True
    """
    from .datasets import BUILTINS, data_dir

    if name not in BUILTINS:
        raise ValueError(f"unknown built-in data set {name!r}: choose one of {', '.join(map(repr, BUILTINS))}")
    with np.load(data_dir() / BUILTINS[name][0], allow_pickle=False) as npz:
        if "source" not in npz.files:
            raise ValueError(f"the built-in {name!r} records no copies: use 'overlap', which is made with copies")
        return Copies(npz["source"], npz["copy"], npz["split"])


def precision_recall(found: Duplicates, true_pairs: Any, thresholds: Any) -> dict[str, np.ndarray]:
    """Precision and recall of a search against the true pairs, as the threshold moves.

    Parameters
    ----------
    found : Duplicates
        A search at the loosest threshold of interest (its pairs are a superset of every stricter one's).
    true_pairs : array_like of int, shape (n, 2)
        The pairs that really are copies (e.g. ``ground_truth().pairs("train", "test")``).
    thresholds : array_like of float
        Thresholds at least as strict as ``found.threshold``.

    Returns
    -------
    dict of str to ndarray
        ``threshold``, ``pairs`` (reported at each threshold), ``hits`` (of them true), ``precision``
        (hits / pairs; 1.0 when nothing is reported) and ``recall`` (hits / number of true pairs).

    Notes
    -----
    With :math:`F_t` the pairs reported at threshold :math:`t` and :math:`T` the true pairs,
    precision :math:`= |F_t \\cap T| / |F_t|` and recall :math:`= |F_t \\cap T| / |T|`.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((3, 2, 2)); images[1, 0, 0] = 0.1; images[2] = 1.0
    >>> found = near_duplicates(images, metric="mse", threshold=1.0)
    >>> curve = precision_recall(found, [[0, 1]], [0.001, 0.01, 1.0])
    >>> curve["pairs"].tolist(), curve["precision"].round(2).tolist(), curve["recall"].tolist()
    ([0, 1, 3], [1.0, 1.0, 0.33], [0.0, 1.0, 1.0])
    """
    true = {tuple(p) for p in np.asarray(true_pairs, dtype=np.int64).reshape(-1, 2).tolist()}
    is_true = np.array([tuple(p) in true for p in found.pairs.tolist()], dtype=bool)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if found.direction == "lower":
        passing = found.scores[None, :] <= thresholds[:, None]
    else:
        passing = found.scores[None, :] >= thresholds[:, None]
    pairs = passing.sum(axis=1)
    hits = (passing & is_true).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(pairs > 0, hits / np.maximum(pairs, 1), 1.0)
    recall = hits / max(len(true), 1)
    return {"threshold": thresholds, "pairs": pairs, "hits": hits, "precision": precision, "recall": recall}
