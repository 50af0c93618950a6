"""One query against many images, all pairs of a stack, and every metric for one pair.

:func:`scores` computes a metric of one query against a whole stack, vectorised over chunks of
images (bounded memory, no Python loop per image) with the same kernels the pair functions use
(a pair is a stack of one), so ``scores(q, X)[i] == metric(q, X[i])`` up to rounding (< 1e-12).
Given a simlab ``Dataset``, the per-image statistics that do not depend on the query (standardised
images for Pearson, digitised images and their entropies for MI, local means and variances for
SSIM) are cached on the data set, keyed by the metric's parameters, so repeated queries (the live
app's neighbour search, notebook 06's retrieval) only compute what involves the query. A
``Dataset``'s images are read-only, so the cache cannot go stale.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import correlation, errors, information, structural
from ._validation import (
    _describe,
    as_image,
    as_stack,
    check_choice,
    check_data_range,
    check_positive_int,
    dataset_data_range,
    drop_channel_axis,
    resolve_data_range,
)
from .information import DEFAULT_BINS

__all__ = ["METRICS", "Comparison", "Ranking", "compare", "pairwise", "rank", "scores"]

#: Metric name -> "higher" or "lower": which direction means more similar.
METRICS = {
    "pearson": "higher",
    "ssim": "higher",
    "mutual_information": "higher",
    "normalized_mutual_information": "higher",
    "mse": "lower",
    "psnr": "higher",
}

_OPTIONS = {
    "pearson": (),
    "ssim": ("win_size", "gaussian_weights", "sigma", "use_sample_covariance", "K1", "K2"),
    "mutual_information": ("bins", "base"),
    "normalized_mutual_information": ("bins", "method"),
    "mse": (),
    "psnr": (),
}

_CHUNK = 256  # images per chunk: a chunk's working set stays in the CPU cache
_WORKERS = 2  # threads over chunks (at most the number of cores)
_CACHE_BUDGET = 1 << 30  # bytes of cached statistics per data set, at most
_COST_US = {"pearson": 1, "mse": 1, "psnr": 1, "ssim": 6, "mutual_information": 6, "normalized_mutual_information": 6}
_JOINT_CELLS = 1 << 22  # joint-histogram cells per block in MI batches (32 MB of counts)
_PROGRESS_SECONDS = 2.0  # progress=None shows a bar for jobs expected to take longer than this


# --------------------------------------------------------------------------------------------
# kernels: per-image statistics that do not depend on the query (cacheable), and the scores
# --------------------------------------------------------------------------------------------


class _Kernel:
    """A metric for one query: ``stats(chunk)`` (query-independent) and ``score(chunk, stats)``."""

    key: tuple | None = None  # cache key of the per-image statistics (None: nothing to cache)
    nbytes_per_image = 0

    def prepare(self, chunk: np.ndarray) -> Any:
        return chunk

    def stats(self, prepared: Any) -> tuple:
        return ()

    def score(self, prepared: Any, stats: tuple) -> np.ndarray:
        raise NotImplementedError

    def score_once(self, prepared: Any) -> np.ndarray:
        """Scores when the statistics are not kept (no cache)."""
        return self.score(prepared, self.stats(prepared))

    def finish(self, values: np.ndarray) -> np.ndarray:
        return values


class _Pearson(_Kernel):
    def __init__(self, query: np.ndarray, pixels: int) -> None:
        self.zq = correlation._unit_rows(query.reshape(1, -1))[0]
        self.key = ("pearson",)
        self.nbytes_per_image = 8 * pixels
        self.query_constant = bool(np.isnan(self.zq[0]))

    def prepare(self, chunk: np.ndarray) -> np.ndarray:
        return chunk.reshape(chunk.shape[0], -1)

    def stats(self, prepared: np.ndarray) -> tuple:
        return (correlation._unit_rows(prepared),)

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        return correlation._pearson_scores(self.zq, stats[0])

    def score_once(self, prepared: np.ndarray) -> np.ndarray:
        return correlation._pearson_rows(self.zq, prepared)  # as the pair function

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


class _Information(_Kernel):
    def __init__(
        self, query: np.ndarray, stack_dtype: np.dtype, pixels: int, bins: int, base: float, method: str | None
    ) -> None:
        self.bins, self.base, self.method = bins, base, method
        self.dtype = information._hist_dtype(query.dtype, stack_dtype)
        self.idx_q = information._digitize(query[None], bins, self.dtype)[0][0]
        self.h_q = self._entropy(information._marginal_counts(self.idx_q[None], bins))
        self.key = ("information", bins, self.dtype.str)
        self.small = np.uint8 if bins <= 256 else np.intp
        self.nbytes_per_image = pixels * np.dtype(self.small).itemsize + 8

    def _entropy(self, counts: np.ndarray) -> np.ndarray:
        return information._entropy(counts, self.base)

    def stats(self, prepared: np.ndarray) -> tuple:
        idx = information._digitize(prepared, self.bins, self.dtype)[0]
        h_nats = information._entropy(information._marginal_counts(idx, self.bins), math.e)
        return idx.astype(self.small), h_nats  # in nats, whatever the base: the cache serves all

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        idx, h_nats = stats
        h_x = h_nats / math.log(self.base)  # bit for bit _entropy(..., base)
        return self._score_idx(idx, h_x)

    def score_once(self, prepared: np.ndarray) -> np.ndarray:
        return self._score_idx(information._digitize(prepared, self.bins, self.dtype)[0], None)

    def _score_idx(self, idx: np.ndarray, h_x: np.ndarray | None) -> np.ndarray:
        """Scores of digitised images (n, P), a few at a time when bins**2 is large (bounded memory)."""
        step = max(1, _JOINT_CELLS // (self.bins * self.bins))
        out = []
        for s in range(0, idx.shape[0], step):
            counts = information._joint_counts(self.idx_q, idx[s : s + step].astype(np.intp, copy=False), self.bins)
            # without cached entropies: H(x) from the joint histogram, as the pair function
            h = self._entropy(counts.sum(axis=1)) if h_x is None else h_x[s : s + step]
            out.append(self._from_counts(counts, h))
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _from_counts(self, counts: np.ndarray, h_x: np.ndarray) -> np.ndarray:
        h_ab = self._entropy(counts.reshape(counts.shape[0], -1))
        mi = information._terms_from_entropies(self.h_q, h_x, h_ab)
        if self.method is None:
            return mi
        return information._normalize(mi, self.h_q, h_x, h_ab, self.method)

    def finish(self, values: np.ndarray) -> np.ndarray:
        if self.method == "studholme" and np.isnan(values).any():
            warnings.warn(
                f"normalized_mutual_information: {int(np.isnan(values).sum())} images are constant "
                "like the query, so H(A, B) = 0 and the ratio is 0/0: their scores are nan",
                RuntimeWarning,
                stacklevel=4,
            )
        return values


class _SSIM(_Kernel):
    def __init__(self, query: np.ndarray, data_range: float, options: dict) -> None:
        win = structural._window(query.shape, options.get("win_size"), options.get("gaussian_weights", False),
                                 options.get("sigma", 1.5), options.get("use_sample_covariance", True))
        C1, C2 = structural._constants(options.get("K1", 0.01), options.get("K2", 0.03), data_range)
        self.scorer = structural._Scorer(query, win, C1, C2)  # as the pair function
        self.key = ("ssim", win.win_size, tuple(win.weights), win.cov_norm)
        self.nbytes_per_image = 2 * 8 * self.scorer.fr.shape[0] * self.scorer.fc.shape[0]

    def prepare(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return structural._centred(chunk.transpose(1, 2, 0))  # pixel-major, shifted, and the shifts

    def stats(self, prepared: tuple) -> tuple:
        return self.scorer.stats(prepared[0])

    def score(self, prepared: tuple, stats: tuple) -> np.ndarray:
        return self.scorer.scores(*prepared, *stats)


class _Errors(_Kernel):
    def __init__(self, query: np.ndarray, data_range: float | None) -> None:
        self.q = query
        self.data_range = data_range

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        values = errors._mse_scores(self.q, prepared)
        return values if self.data_range is None else errors._psnr_from_mse(values, self.data_range)


def _make_kernel(metric: str, query: np.ndarray, stack: np.ndarray, data_range: Any, options: dict) -> _Kernel:
    allowed = _OPTIONS[metric]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise TypeError(f"{metric} does not take {', '.join(map(repr, unknown))}: its options are {accepted}")
    if data_range is not None:
        data_range = check_data_range(data_range)  # checked even for the metrics that ignore it
    pixels = query.size
    if metric == "pearson":
        return _Pearson(query, pixels)
    if metric in ("mutual_information", "normalized_mutual_information"):
        bins = information._check_bins(options.get("bins", DEFAULT_BINS))
        if metric == "mutual_information":
            return _Information(query, stack.dtype, pixels, bins, information._check_base(options.get("base", 2)), None)
        method = check_choice(options.get("method", "studholme"), "method", information.NMI_METHODS)
        return _Information(query, stack.dtype, pixels, bins, 2.0, method)
    if metric == "ssim":
        return _SSIM(query, resolve_data_range(query, stack[:1], data_range, "ssim"), options)
    if metric == "psnr":
        return _Errors(query, errors._psnr_data_range(query, stack[:1], data_range))
    return _Errors(query, None)


# --------------------------------------------------------------------------------------------
# the chunked engine
# --------------------------------------------------------------------------------------------


def _is_dataset(x: Any) -> bool:
    return hasattr(x, "images") and hasattr(x, "_cache") and not isinstance(x, np.ndarray)


def _checked_stack(images: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Dtype, dimensions and shape checked now; finiteness chunk by chunk (see ``_chunks``)."""
    arr = drop_channel_axis(images.images if _is_dataset(images) else np.asarray(images))  # (N, H, W, 1) too
    if arr.ndim != 3 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
        as_stack(arr, "images", shape)  # raises the right message
    as_stack(arr[:1], "images", shape)
    return arr


def _chunks(stack: np.ndarray, start: int = 0, check: bool = True) -> Iterator[tuple[int, int, np.ndarray]]:
    """(first, last, chunk) on the global grid of ``_CHUNK`` images, from the chunk holding ``start``."""
    n = stack.shape[0]
    for s in range((start // _CHUNK) * _CHUNK, n, _CHUNK):
        e = min(s + _CHUNK, n)
        chunk = stack[s:e]
        if check and chunk.dtype.kind == "f":
            as_stack(chunk, f"images[{s}:{e}]")  # NaN / inf, named by position
        yield s, e, chunk


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, show: bool, desc: str) -> Any:
    """A tqdm.auto progress bar (notebook or terminal), or one that shows nothing."""
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _progress(iterable: Iterable, total: int, show: bool, desc: str) -> Iterator:
    bar = _bar(total, show, desc)
    for item in iterable:
        yield item
        bar.update()
    bar.close()


def _want_progress(progress: Any, metric: str, pairs: float) -> bool:
    """progress as given, or (None) whether the job is expected to take more than a couple of seconds."""
    if progress is None:
        return pairs * _COST_US[metric] * 1e-6 > _PROGRESS_SECONDS
    return bool(progress)


def _one_blas_thread(n: int) -> Any:
    """Pin BLAS to one thread for the many small products of a batch (robust on a loaded machine)."""
    if n < 4 * _CHUNK:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _run(
    kernel: _Kernel, stack: np.ndarray, cache: dict | None, start: int = 0, progress: bool = False, desc: str = ""
) -> np.ndarray:
    """Scores of the query against ``stack[start:]``, chunk by chunk, reusing cached statistics."""
    n = stack.shape[0]
    out = np.empty(n - start)
    key = None if cache is None or kernel.key is None else (kernel.key, _CHUNK, stack.shape)
    cached = cache.get(key) if key is not None else None
    fill: list | None = None
    if key is not None and cached is None and start == 0:
        used = sum(v[1] for v in cache.values() if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], int))
        if used + kernel.nbytes_per_image * n <= _CACHE_BUDGET:
            fill = []
    n_chunks = -(-(n - (start // _CHUNK) * _CHUNK) // _CHUNK)
    finite_key = ("finite", stack.shape)  # a Dataset's read-only images are checked only once
    checked = cache is not None and cache.get(finite_key, False)

    def work(item: tuple[int, int, np.ndarray]) -> tuple[int, int, tuple | None, np.ndarray]:
        s, e, chunk = item
        prepared = kernel.prepare(chunk)
        if cached is not None:
            return s, e, None, kernel.score(prepared, cached[0][s // _CHUNK])
        if fill is not None:
            stats = kernel.stats(prepared)
            return s, e, stats, kernel.score(prepared, stats)
        return s, e, None, kernel.score_once(prepared)

    chunks = _chunks(stack, start, check=not checked)
    workers = min(_WORKERS, os.cpu_count() or 1, n_chunks)
    with contextlib.ExitStack() as stack_of_contexts:
        if workers > 1:  # numpy and BLAS release the GIL: one chunk per core at a time
            pool = stack_of_contexts.enter_context(ThreadPoolExecutor(workers))
            results: Iterable = pool.map(work, chunks)
        else:
            results = map(work, chunks)
        for s, e, stats, values in _progress(results, n_chunks, progress, desc):
            if fill is not None:
                fill.append(stats)
            lo = max(start - s, 0)
            out[s + lo - start : e - start] = values[lo:]
    if fill is not None:
        cache[key] = (fill, kernel.nbytes_per_image * n)
    if cache is not None and start == 0:
        cache[finite_key] = True
    return out


_VALUE_METRICS = ("mse", "psnr", "ssim")  # compare pixel values, so both sides need one scale


def _check_same_scale(metric: str, query: np.ndarray, stack: np.ndarray, data_range: Any, dataset: bool) -> None:
    """Integer against float images: a clear error for the metrics that compare values.

    A uint8 query (0..255) against float images (a Dataset's are in [0, 1]) would otherwise be
    compared on two scales (a Dataset's data_range=1.0 silently applied to 0..255 values). SSIM and
    PSNR accept the mix when data_range is passed explicitly (as the pair functions do).
    """
    if metric not in _VALUE_METRICS or (query.dtype.kind == "f") == (stack.dtype.kind == "f"):
        return
    if metric != "mse" and data_range is not None:
        return
    what = "a Dataset's images (in [0, 1])" if dataset else "the images"
    if query.dtype.kind != "f":
        divisor = 1 if query.dtype == np.bool_ else np.iinfo(query.dtype).max
        received = f"the query is {query.dtype} (integer values) but {what} are {stack.dtype}"
        todo = f"convert the query first, e.g. query / {divisor}"
    else:
        received = f"the query is {query.dtype} but {what} are {stack.dtype} (integer values)"
        todo = "convert both to one scale first (e.g. images / 255 for 8-bit images and a query in [0, 1])"
    explicit = "" if metric == "mse" else ", or pass data_range= explicitly if both are already on one scale"
    raise ValueError(f"{metric}: {received}: {metric} compares pixel values, so both must be on one scale; "
                     f"{todo}{explicit}")


def _setup(
    query: Any, images: Any, metric: str, data_range: Any, options: dict
) -> tuple[_Kernel, np.ndarray, dict | None]:
    metric = check_choice(metric, "metric", METRICS)
    query = as_image(query, "query")
    stack = _checked_stack(images, query.shape)
    _check_same_scale(metric, query, stack, data_range, _is_dataset(images))
    data_range = dataset_data_range(images, data_range, metric)  # a Dataset's own, or a refusal
    kernel = _make_kernel(metric, query, stack, data_range, options)
    return kernel, stack, images._cache if _is_dataset(images) else None


def scores(
    query: Any,
    images: Any,
    metric: str = "ssim",
    *,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """A metric of one query image against every image of a stack.

    Parameters
    ----------
    query : array_like, shape (H, W)
        The query image.
    images : array_like, shape (N, H, W), or a simlab Dataset
        The images to score. A ``Dataset`` supplies its ``data_range`` and keeps the per-image
        statistics of this metric (and these options) for the next query.
    metric : str, default "ssim"
        One of :data:`METRICS`.
    data_range : float, optional
        For ``"ssim"`` and ``"psnr"``: span of the values (from the dtype for integer images, as
        the pair functions; from a ``Dataset``; otherwise required). Checked (a positive finite
        number) for every metric, even those that do not use it. For ``"mse"``, ``"psnr"`` and
        ``"ssim"``, an integer query against float images (e.g. uint8 0..255 against a Dataset in
        [0, 1]) or the reverse raises a ValueError: convert the query (``query / 255``) first, or,
        for SSIM and PSNR, pass ``data_range`` explicitly if both are on one scale.
    progress : bool, optional
        Show a ``tqdm`` progress bar; None (default) shows one only for long jobs.
    **metric_kwargs
        Options of the metric: ``win_size``, ``gaussian_weights``, ``sigma``,
        ``use_sample_covariance``, ``K1``, ``K2`` for SSIM; ``bins`` and ``base`` for MI;
        ``bins`` and ``method`` for NMI.

    Returns
    -------
    values : ndarray, shape (N,), float64
        ``values[i]`` equals the pair function ``metric(query, images[i], ...)`` (within 1e-12).

    Notes
    -----
    Chunks of 256 images are processed at a time, so extra memory stays bounded (under 16 MB)
    whatever N is. The formulas are those of the pair functions (:func:`simlab.pearson`,
    :func:`simlab.ssim`, :func:`simlab.mutual_information`, ...), applied to a stack.

    With a ``Dataset``, the first query also stores what does not depend on the query, keyed by
    the options that change it: per 28x28 image, 6.3 kB for Pearson (the standardised image),
    0.8 kB for MI/NMI (bin indices and entropy, per ``bins``), 7.7 kB for SSIM with the 7x7
    window (local means and variances; 5.2 kB for the Gaussian one). At most 1 GiB is kept per
    data set; beyond that, queries are computed one-off.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((5, 28, 28))
    >>> s = scores(images[2], images, "pearson")
    >>> int(np.argmax(s)), round(float(s[2]), 6)
    (2, 1.0)
    """
    kernel, stack, cache = _setup(query, images, metric, data_range, metric_kwargs)
    show = _want_progress(progress, metric, stack.shape[0])
    with _one_blas_thread(stack.shape[0]):
        values = _run(kernel, stack, cache, progress=show, desc=f"{metric} scores")
    return kernel.finish(values)


@dataclass(frozen=True, repr=False)
class Ranking:
    """The k most similar images, best first."""

    indices: np.ndarray
    scores: np.ndarray
    metric: str

    def __repr__(self) -> str:
        pairs = ", ".join(f"{i}: {s:.4g}" for i, s in zip(self.indices[:5], self.scores[:5]))
        more = ", ..." if len(self.indices) > 5 else ""
        return f"Ranking({self.metric}, {METRICS[self.metric]} is more similar; {pairs}{more})"


def rank(
    query: Any,
    images: Any,
    metric: str = "ssim",
    k: int | None = 10,
    *,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> Ranking:
    """The ``k`` images most similar to the query, best first.

    Parameters
    ----------
    query, images, metric, data_range, progress, **metric_kwargs
        As :func:`scores`.
    k : int or None, default 10
        How many to return (all of them if None or larger than N).

    Returns
    -------
    ranking : Ranking
        ``indices`` (k,) into ``images`` and their ``scores``, best first according to
        :data:`METRICS`; ties keep the images' order; ``nan`` scores (e.g. Pearson of a blank
        image) come last.

    Notes
    -----
    A stable sort of the scores (negated when higher is better).

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.stack([np.eye(8) * v for v in (1.0, 0.5, 0.0)])
    >>> r = rank(np.eye(8), images, "mse", k=2)
    >>> r.indices.tolist(), r.scores.tolist()
    ([0, 1], [0.0, 0.03125])
    """
    k = None if k is None else check_positive_int(k, "k")
    values = scores(query, images, metric, data_range=data_range, progress=progress, **metric_kwargs)
    key = -values if METRICS[metric] == "higher" else values
    order = np.argsort(key, kind="stable")  # nan sorts last
    order = order[:k]
    return Ranking(indices=order, scores=values[order], metric=metric)


def pairwise(
    images: Any,
    metric: str = "pearson",
    *,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """The (N, N) matrix of a metric between every pair of images of a stack.

    Parameters
    ----------
    images : array_like, shape (N, H, W), or a simlab Dataset
        The images.
    metric, data_range, progress, **metric_kwargs
        As :func:`scores`.

    Returns
    -------
    matrix : ndarray, shape (N, N), float64
        Symmetric; ``matrix[i, j]`` equals ``metric(images[i], images[j])`` (within 1e-12).

    Notes
    -----
    Pearson: the images are standardised once (:func:`simlab.correlation.standardize`) and
    :math:`R = Z Z^T`. Other metrics: each image's statistics are computed once, and each row
    is scored against the images after it (the matrix is mirrored).

    References
    ----------
    .. [1] Pearson, K. (1895). Notes on regression and inheritance in the case of two parents.
       Proceedings of the Royal Society of London, 58, 240-242.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((3, 8, 8))
    >>> m = pairwise(images, "pearson")
    >>> m.shape, bool(np.allclose(np.diag(m), 1.0)), bool(np.array_equal(m, m.T))
    ((3, 3), True, True)
    """
    metric = check_choice(metric, "metric", METRICS)
    stack = _checked_stack(images)
    n = stack.shape[0]
    cache = images._cache if _is_dataset(images) else {}
    data_range = dataset_data_range(images, data_range, metric)  # a Dataset's own, or a refusal
    # Pearson's matrix is one product (~0.05 us a pair); other metrics score row by row
    show = _want_progress(progress, metric, n * (n + 1) / 2 * (0.05 if metric == "pearson" else 1))
    if metric == "pearson":
        _make_kernel(metric, stack[0], stack, data_range, metric_kwargs)  # checks the options
        return _pairwise_pearson(stack, show)
    if metric == "psnr" and data_range is None and stack.dtype.kind == "i":
        negative = stack.min(axis=(1, 2)) < 0
        if negative.any() and not negative.all():
            raise ValueError(
                f"pairwise psnr of {stack.dtype} images: some have negative values and some do not, so "
                "psnr's default peak (the dtype's maximum, or its span when the reference has negative "
                "values) would differ between psnr(a, b) and psnr(b, a): pass data_range= explicitly"
            )
    matrix = np.empty((n, n))
    with warnings.catch_warnings(), _one_blas_thread(n):
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in _progress(range(n), n, show, f"{metric} pairwise"):
            kernel = _make_kernel(metric, stack[i], stack, data_range, metric_kwargs)
            row = _run(kernel, stack, cache, start=i)
            matrix[i, i:] = row
            matrix[i:, i] = row
    return matrix


def _pairwise_pearson(stack: np.ndarray, show: bool) -> np.ndarray:
    """R = Z Z^T from the standardised stack: one symmetric matrix product (BLAS syrk)."""
    n = stack.shape[0]
    kernel = _Pearson(stack[0], stack[0].size)
    z = np.empty((n, stack[0].size))
    n_chunks = -(-n // _CHUNK)
    bar = _bar(n_chunks + 1, show, "pearson pairwise")
    for s, e, chunk in _chunks(stack):
        z[s:e] = kernel.stats(kernel.prepare(chunk))[0]
        bar.update()
    matrix = z @ z.T  # numpy recognises z and z.T: a symmetric product, half the work
    np.clip(matrix, -1.0, 1.0, out=matrix)
    bar.update()
    bar.close()
    n_constant = int(np.isnan(z[:, 0]).sum())
    if n_constant:
        warnings.warn(
            f"pearson: {n_constant} of the images are constant, so their rows and columns are nan",
            RuntimeWarning,
            stacklevel=3,
        )
    return matrix


@dataclass(frozen=True, repr=False)
class Comparison:
    """Every metric for one pair of images; prints as a table."""

    values: dict

    def as_dict(self) -> dict:
        """{metric name: value}."""
        return dict(self.values)

    def _rows(self) -> list[tuple[str, str, str]]:
        return [(name, f"{value:.4f}", f"{METRICS[name]} is more similar") for name, value in self.values.items()]

    def __str__(self) -> str:
        rows = [("metric", "value", "")] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}".rstrip() for a, b, c in rows]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Comparison(\n" + str(self) + "\n)"

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><td>{a}</td><td "
                       f"style='text-align:right'>{b}</td><td>{c}</td></tr>" for a, b, c in self._rows())
        return (
            "<table class='simlab-compare'><thead><tr><th>metric</th><th>value</th><th></th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )


def _metric_names(metrics: Any) -> list[str]:
    """``compare``'s metrics: None (all), one name, or an iterable of names."""
    if metrics is None:
        return list(METRICS)
    if isinstance(metrics, str):
        return [check_choice(metrics, "metric", METRICS)]
    try:
        items = list(metrics)
    except TypeError:
        raise TypeError(
            f"metrics must be None (all), a metric name or a list of names from {', '.join(map(repr, METRICS))}; "
            f"got {_describe(metrics)}"
        ) from None
    if not items:
        raise ValueError("metrics is empty: pass None for every metric, or a list of names")
    return [check_choice(m, "metric", METRICS) for m in items]


def compare(
    a: Any,
    b: Any,
    *,
    data_range: float | None = None,
    metrics: Iterable[str] | None = None,
    bins: int = DEFAULT_BINS,
) -> Comparison:
    """Every similarity metric for one pair of images, as one record that prints as a table.

    Parameters
    ----------
    a, b : array_like, shape (H, W)
        Two grey-level images of the same shape.
    data_range : float, optional
        Span of the values, for SSIM and PSNR (from the dtype for integer images; required for
        float images unless those metrics are left out).
    metrics : iterable of str, optional
        Which metrics (names of :data:`METRICS`); all by default.
    bins : int, default DEFAULT_BINS (16)
        Bins per image for the mutual information metrics.

    Returns
    -------
    comparison : Comparison
        ``str()`` / ``_repr_html_()`` give a table; ``.as_dict()`` gives {metric name: value}.

    Notes
    -----
    Each value is the pair function's: :func:`simlab.pearson`, :func:`simlab.ssim`,
    :func:`simlab.mutual_information`, :func:`simlab.normalized_mutual_information`,
    :func:`simlab.mse`, :func:`simlab.psnr`.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R., & Simoncelli, E. P. (2004). Image quality
       assessment: from error visibility to structural similarity. IEEE Transactions on Image
       Processing, 13(4), 600-612.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> c = compare(a, a, metrics=["pearson", "mse"])
    >>> {name: round(value, 6) for name, value in c.as_dict().items()}
    {'pearson': 1.0, 'mse': 0.0}
    >>> print(c)
    metric    value
    ---------------
    pearson  1.0000  higher is more similar
    mse      0.0000  lower is more similar
    """
    names = _metric_names(metrics)
    if data_range is not None:
        check_data_range(data_range)  # checked even if no chosen metric uses it
    information._check_bins(bins)
    funcs = {
        "pearson": lambda: correlation.pearson(a, b),
        "ssim": lambda: structural.ssim(a, b, data_range=data_range),
        "mutual_information": lambda: information.mutual_information(a, b, bins=bins),
        "normalized_mutual_information": lambda: information.normalized_mutual_information(a, b, bins=bins),
        "mse": lambda: errors.mse(a, b),
        "psnr": lambda: errors.psnr(a, b, data_range=data_range),
    }
    return Comparison({name: float(funcs[name]()) for name in names})
