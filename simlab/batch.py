"""One query against many images, and all pairs of one or two stacks: the chunked engine.

:func:`scores` computes a metric of one query against a whole stack, vectorised over chunks of
images (bounded memory, no Python loop per image) with the metric's fast kernel
(:data:`simlab.METRICS` names it; :mod:`simlab.kernels` holds them), an implementation apart from
the readable pair function and tested against it, so ``scores(q, X)[i] == metric(q, X[i])`` up
to rounding (< 1e-12). :func:`rank` sorts those scores; :func:`pairwise` fills a matrix of them.
Given a simlab ``Dataset``, the per-image statistics that do not depend on the query (standardised
images for Pearson, digitised images and their entropies for MI, local means and variances for
SSIM) are cached on the data set, keyed by the metric's parameters, so repeated queries (the live
app's neighbour search, notebook 06's retrieval) only compute what involves the query. A
``Dataset``'s images are read-only, so the cache cannot go stale. Every metric for one pair is
:func:`simlab.compare` (:mod:`simlab.comparison`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._dataset import is_dataset, statistics_cache
from ._validation import (
    as_image,
    as_stack,
    check_choice,
    check_data_range,
    check_positive_int,
    dataset_data_range,
    drop_channel_axis,
)
from .kernels import Kernel
from .metrics import METRICS

__all__ = ["Ranking", "pairwise", "rank", "scores"]

_CHUNK = 256  # images per chunk: a chunk's working set stays in the CPU cache
_WORKERS = 2  # threads over chunks (at most the number of cores)
_CACHE_BUDGET = 1 << 30  # bytes of cached statistics per data set, at most
_PROGRESS_SECONDS = 2.0  # progress=None shows a bar for jobs expected to take longer than this


def _kernel(metric: str, query: np.ndarray, sample: np.ndarray, data_range: Any, options: dict) -> Kernel:
    """The metric's kernel for one query, after checking the options' names and ``data_range``."""
    info = METRICS[metric]
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        accepted = ", ".join(info.options) if info.options else "none"
        raise TypeError(f"{metric} does not take {', '.join(map(repr, unknown))}: its options are {accepted}")
    if data_range is not None:
        data_range = check_data_range(data_range)  # checked even for the metrics that ignore it
    return info.kernel(query, sample, data_range, **{**info.options, **options})


# --------------------------------------------------------------------------------------------
# the chunked engine
# --------------------------------------------------------------------------------------------


def _checked_stack(images: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Dtype, dimensions and shape checked now; finiteness chunk by chunk (see ``_chunks``)."""
    arr = drop_channel_axis(images.images if is_dataset(images) else np.asarray(images))  # (N, H, W, 1) too
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


def _want_progress(progress: Any, cost_us: float, pairs: float) -> bool:
    """progress as given, or (None) whether the job is expected to take more than a couple of seconds."""
    if progress is None:
        return pairs * cost_us * 1e-6 > _PROGRESS_SECONDS
    return bool(progress)


def _one_blas_thread(pairs: float) -> Any:
    """Pin BLAS to one thread for the many small products of a batch (robust on a loaded machine).

    Two threads over chunks already use the cores; BLAS threads on top of them wait on each other
    (measured: pairwise SSIM of 400 letters 27-31 s without the pin on a loaded machine, 2 s with it).
    """
    if pairs <= _CHUNK:  # one chunk: no thread pool, BLAS may use the cores
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _run(
    kernel: Kernel, stack: np.ndarray, cache: dict | None, start: int = 0, progress: bool = False, desc: str = ""
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


def _check_same_scale(metric: str, query: np.ndarray, stack: np.ndarray, data_range: Any, dataset: bool) -> None:
    """Integer against float images: a clear error for the metrics that compare values.

    A uint8 query (0..255) against float images (a Dataset's are in [0, 1]) would otherwise be
    compared on two scales (a Dataset's data_range=1.0 silently applied to 0..255 values). SSIM and
    PSNR accept the mix when data_range is passed explicitly (as the pair functions do).
    """
    info = METRICS[metric]
    if not info.raw_values or (query.dtype.kind == "f") == (stack.dtype.kind == "f"):
        return
    if info.uses_data_range and data_range is not None:
        return
    what = "a Dataset's images (in [0, 1])" if dataset else "the images"
    if query.dtype.kind != "f":
        divisor = 1 if query.dtype == np.bool_ else np.iinfo(query.dtype).max
        received = f"the query is {query.dtype} (integer values) but {what} are {stack.dtype}"
        todo = f"convert the query first, e.g. query / {divisor}"
    else:
        received = f"the query is {query.dtype} but {what} are {stack.dtype} (integer values)"
        todo = "convert both to one scale first (e.g. images / 255 for 8-bit images and a query in [0, 1])"
    explicit = ", or pass data_range= explicitly if both are already on one scale" if info.uses_data_range else ""
    raise ValueError(f"{metric}: {received}: {metric} compares pixel values, so both must be on one scale; "
                     f"{todo}{explicit}")


def _setup(
    query: Any, images: Any, metric: str, data_range: Any, options: dict
) -> tuple[Kernel, np.ndarray, dict | None]:
    metric = check_choice(metric, "metric", METRICS)
    query = as_image(query, "query")
    stack = _checked_stack(images, query.shape)
    _check_same_scale(metric, query, stack, data_range, is_dataset(images))
    data_range = dataset_data_range(images, data_range, metric)  # a Dataset's own, or a refusal
    kernel = _kernel(metric, query, stack[0], data_range, options)
    return kernel, stack, statistics_cache(images)


def _is_query_stack(query: Any, images: Any) -> bool:
    """A stack of queries (M, H, W) of the images' own shape (not, say, one image with a channel axis)."""
    shape = np.shape(query.images if is_dataset(query) else query)
    image_shape = np.shape(images.images if is_dataset(images) else images)[1:]
    return len(shape) == 3 and shape[1:] == image_shape and len(image_shape) == 2


def scores(
    query: Any,
    images: Any,
    metric: str = "ssim",
    *,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """A metric of one query image (or of each of a stack of queries) against every image of a stack.

    Parameters
    ----------
    query : array_like, shape (H, W), or a stack of queries (M, H, W)
        The query image; a stack of queries of the images' shape gives one row of scores each
        (:func:`pairwise` of the queries and the images).
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
    values : ndarray, shape (N,) or (M, N), float64
        ``values[i]`` equals the pair function ``metric(query, images[i], ...)`` (within 1e-12);
        for a stack of queries, ``values[j, i]`` equals ``metric(query[j], images[i], ...)``.

    Notes
    -----
    Chunks of 256 images are processed at a time, so extra memory stays bounded (under 16 MB)
    whatever N is. The numbers are those of the pair functions (:func:`simlab.pearson`,
    :func:`simlab.ssim`, :func:`simlab.mutual_information`, ...), computed by the metric's kernel
    (:mod:`simlab.kernels`) for a whole chunk at once.

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
    if _is_query_stack(query, images):
        return pairwise(query, images, metric, data_range=data_range, progress=progress, **metric_kwargs)
    kernel, stack, cache = _setup(query, images, metric, data_range, metric_kwargs)
    show = _want_progress(progress, METRICS[metric].cost_us, stack.shape[0])
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
        return f"Ranking({self.metric}, {METRICS[self.metric].direction} is more similar; {pairs}{more})"


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
        As :func:`scores` (a stack of queries gives a list of rankings, one per query).
    k : int or None, default 10
        How many to return (all of them if None or larger than N).

    Returns
    -------
    ranking : Ranking, or a list of them for a stack of queries
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
    key = -values if METRICS[metric].direction == "higher" else values
    order = np.argsort(key, axis=-1, kind="stable")[..., :k]  # nan sorts last
    if values.ndim == 2:
        return [Ranking(indices=o, scores=v[o], metric=metric) for o, v in zip(order, values)]
    return Ranking(indices=order, scores=values[order], metric=metric)


def pairwise(
    a: Any,
    b: Any = None,
    metric: str = "pearson",
    *,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """The matrix of a metric between every pair of images of one stack, or across two stacks.

    Parameters
    ----------
    a : array_like, shape (N, H, W), or a simlab Dataset
        The images (the rows of the matrix).
    b : array_like, shape (M, H, W), or a simlab Dataset, optional
        Other images (the columns); by default ``a`` itself. (``pairwise(images, "ssim")``, the
        metric passed second, also works.)
    metric, data_range, progress, **metric_kwargs
        As :func:`scores`. ``progress=None`` shows a bar when the job is expected to take more
        than about two seconds; ``progress=False`` never.

    Returns
    -------
    matrix : ndarray, shape (N, N) or (N, M), float64
        ``matrix[i, j]`` equals ``metric(a[i], b[j])`` (within 1e-12); symmetric when ``b`` is
        None.

    Notes
    -----
    Pearson: the images are standardised once (:func:`simlab.correlation.standardize`) and the
    matrix is one product, R = Za Zb^T. Other metrics: each column image's statistics are computed
    once (kept on a Dataset) and each row is :func:`scores` of ``a[i]`` against ``b``; with one
    stack, only the images after ``i`` (the matrix is mirrored). Memory beyond the matrix stays
    bounded (chunks of 256 images).

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
    >>> pairwise(images[:2], images, "mse").shape
    (2, 3)
    """
    if isinstance(b, str):  # pairwise(images, "ssim"): the metric in second place
        b, metric = None, b
    metric = check_choice(metric, "metric", METRICS)
    rows = _checked_stack(a)
    cols = rows if b is None else _checked_stack(b, rows.shape[1:])
    if b is not None:
        _check_same_scale(metric, rows[0], cols, data_range, is_dataset(b))
    for x in (a, b):
        data_range = dataset_data_range(x, data_range, metric)  # a Dataset's own, or a refusal
    first = _kernel(metric, rows[0], cols[0], data_range, metric_kwargs)  # checks the options
    n, m = rows.shape[0], cols.shape[0]
    pairs = n * (n + 1) / 2 if b is None else n * m
    show = _want_progress(progress, 0.05 if first.gram else METRICS[metric].cost_us, pairs)
    if first.gram:  # one product of the per-image statistics (~0.05 us a pair)
        return _gram(first, metric, rows, None if b is None else cols, show)
    if b is None:
        first.check_pairwise(rows, data_range)
    cache = statistics_cache(a if b is None else b)
    cache = {} if cache is None else cache  # a plain stack: its statistics are kept for this call only
    matrix = np.empty((n, m))
    with warnings.catch_warnings(), _one_blas_thread(pairs):
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in _progress(range(n), n, show, f"{metric} pairwise"):
            kernel = first if i == 0 else _kernel(metric, rows[i], cols[0], data_range, metric_kwargs)
            if b is None:
                row = _run(kernel, rows, cache, start=i)
                matrix[i, i:] = row
                matrix[i:, i] = row
            else:
                matrix[i] = _run(kernel, cols, cache)
    return matrix


def _gram(kernel: Kernel, metric: str, rows: np.ndarray, cols: np.ndarray | None, show: bool) -> np.ndarray:
    """Z_rows Z_cols^T from the kernel's per-image statistics (one row each); symmetric if ``cols`` is None."""

    def stats(stack: np.ndarray, bar: Any) -> np.ndarray:
        z = np.empty((stack.shape[0], stack[0].size))
        for s, e, chunk in _chunks(stack):
            z[s:e] = kernel.stats(kernel.prepare(chunk))[0]
            bar.update()
        return z

    n_chunks = -(-rows.shape[0] // _CHUNK) + (0 if cols is None else -(-cols.shape[0] // _CHUNK))
    bar = _bar(n_chunks + 1, show, f"{metric} pairwise")
    z_rows = stats(rows, bar)
    z_cols = z_rows if cols is None else stats(cols, bar)
    matrix = z_rows @ z_cols.T  # with one stack numpy sees z and z.T: a symmetric product, half the work
    np.clip(matrix, -1.0, 1.0, out=matrix)
    bar.update()
    bar.close()
    n_constant = int(np.isnan(z_rows[:, 0]).sum()) + (0 if cols is None else int(np.isnan(z_cols[:, 0]).sum()))
    if n_constant:
        warnings.warn(
            f"{metric}: {n_constant} of the images are constant, so their rows and columns are nan",
            RuntimeWarning,
            stacklevel=3,
        )
    return matrix
