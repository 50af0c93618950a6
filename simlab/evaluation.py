"""How well a metric does its job: leave-one-out retrieval and retained similarity.

Notebook 06 asks which metric to use, and answers with two measurements built here once:

- **retrieval**: rank every image of a labelled set against all the *other* images
  (leave-one-out) and count how often the nearest neighbours share its label
  (:func:`nearest_neighbours`, :func:`precision_at_k`), against what a random ranking gets
  (:func:`chance_precision`), with the uncertainty that comes from having only N queries
  (:func:`nearest_hits`, :func:`bootstrap_interval`);
- **invariance**: how much of its similarity a metric keeps when an image is transformed, on a
  scale where 1 is an identical copy and 0 a typical unrelated image (:func:`retained_similarity`).

Both are built on :func:`simlab.pairwise` / :func:`simlab.scores` and on the direction of each
metric in :data:`simlab.METRICS` ("higher" or "lower" is more similar).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import _describe, as_stack, check_choice, check_positive_int

__all__ = [
    "bootstrap_interval",
    "chance_precision",
    "nearest_hits",
    "nearest_neighbours",
    "precision_at_k",
    "retained_similarity",
]

_ROWS = 256  # queries sorted at a time: bounded memory for large N


def _metrics() -> dict[str, str]:
    """Metric name -> "higher" or "lower" (from simlab.METRICS)."""
    from .metrics import METRICS

    return {name: info.direction for name, info in METRICS.items()}


def _direction(metric: str | None, direction: str | None) -> str:
    """'higher' or 'lower', from the metric's name or given directly (both: they must agree)."""
    metrics = _metrics()
    if metric is not None:
        metric = check_choice(metric, "metric", metrics)
    if direction is not None:
        direction = check_choice(direction, "direction", ("higher", "lower"))
    if metric is not None and direction is not None and metrics[metric] != direction:
        raise ValueError(
            f"direction={direction!r} contradicts metric={metric!r}, for which {metrics[metric]!r} is more "
            "similar: pass only one of them"
        )
    if metric is None and direction is None:
        raise ValueError(
            "say which way is more similar: pass metric= (a name in simlab.METRICS) or "
            "direction='higher' / 'lower'"
        )
    return direction if direction is not None else metrics[metric]


def _similarity_matrix(
    scores_or_images: Any, metric: str | None, direction: str | None, data_range: float | None,
    progress: bool | None, metric_kwargs: dict,
) -> tuple[np.ndarray, str]:
    """The (N, N) score matrix (given, or computed with simlab.pairwise) and its direction."""
    way = _direction(metric, direction)
    from ._dataset import is_dataset

    dataset = is_dataset(scores_or_images)
    arr = scores_or_images if dataset else np.asarray(scores_or_images)
    if dataset or arr.ndim == 3:
        if metric is None:
            raise ValueError("images were given, so pass metric= (a name in simlab.METRICS) to score them")
        from .batch import pairwise

        return pairwise(scores_or_images, metric, data_range=data_range, progress=progress, **metric_kwargs), way
    if metric_kwargs or data_range is not None:
        raise TypeError("data_range and metric options apply only when images are given, not a score matrix")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            "scores_or_images must be a square (N, N) matrix of scores (e.g. simlab.pairwise(images)) or a "
            f"stack of images (N, H, W), got {_describe(arr)}"
        )
    if np.iscomplexobj(arr) or arr.shape[0] < 2:
        raise ValueError(f"the score matrix must be real and at least 2 x 2, got {_describe(arr)}")
    return arr.astype(np.float64), way


def _labels(labels: Any, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have one entry per image, shape ({n},), got shape {labels.shape}")
    return labels


def nearest_neighbours(
    scores_or_images: Any,
    k: int = 1,
    *,
    metric: str | None = None,
    direction: str | None = None,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """The ``k`` most similar *other* images of every image (leave-one-out), best first.

    Parameters
    ----------
    scores_or_images : array_like (N, N), array_like (N, H, W) or simlab Dataset
        A score matrix (``m[i, j]`` = score of image i against image j, e.g.
        :func:`simlab.pairwise`), or the images themselves (scored with :func:`simlab.pairwise`).
    k : int, default 1
        How many neighbours per image, 1 <= k <= N - 1.
    metric : str, optional
        A name in :data:`simlab.METRICS`: gives the direction; required when images are given.
    direction : {"higher", "lower"}, optional
        Which way is more similar, for a matrix of another score (e.g. a distance: "lower").
    data_range, progress, **metric_kwargs
        Passed to :func:`simlab.pairwise` when images are given.

    Returns
    -------
    neighbours : ndarray of int, shape (N, k)
        ``neighbours[i]`` are indices of images other than i, most similar first.

    Notes
    -----
    Row i is ordered exactly as :func:`simlab.rank` orders image i's scores, then i itself is
    removed wherever it stands (leave-one-out): a stable sort of the scores (negated when higher
    is more similar), so ties keep the images' order, and ``nan`` scores (e.g. Pearson's r of a
    blank image) come last. The diagonal of the matrix is never used.

    Examples
    --------
    >>> d = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])   # distances
    >>> nearest_neighbours(d, 2, direction="lower").tolist()
    [[1, 2], [0, 2], [1, 0]]
    """
    matrix, way = _similarity_matrix(scores_or_images, metric, direction, data_range, progress, metric_kwargs)
    n = matrix.shape[0]
    k = check_positive_int(k, "k")
    if k > n - 1:
        raise ValueError(f"k must be at most N - 1 = {n - 1} (leave-one-out: the query is not a candidate), got {k}")
    key = -matrix if way == "higher" else matrix
    out = np.empty((n, k), dtype=np.intp)
    for start in range(0, n, _ROWS):
        rows = np.arange(start, min(start + _ROWS, n))
        order = np.argsort(key[rows], axis=1, kind="stable")  # nan sorts last
        others = order[order != rows[:, None]].reshape(len(rows), n - 1)  # drop the query itself
        out[rows] = others[:, :k]
    return out


def precision_at_k(
    scores_or_images: Any,
    labels: Any,
    k: int = 1,
    *,
    metric: str | None = None,
    direction: str | None = None,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> float:
    """Leave-one-out precision@k: the share of same-label images among each image's k nearest.

    Parameters
    ----------
    scores_or_images, k, metric, direction, data_range, progress, **metric_kwargs
        As :func:`nearest_neighbours`.
    labels : array_like, shape (N,)
        The class of each image (numbers or strings).

    Returns
    -------
    float
        Precision@k in [0, 1], averaged over all N queries.

    Notes
    -----
    With :math:`\\mathcal{N}_k(i)` the k nearest images of image i other than i itself
    (:func:`nearest_neighbours`) and :math:`y` the labels,

    .. math:: P@k = \\frac{1}{N} \\sum_{i=1}^{N} \\frac{1}{k}
              \\left|\\{ j \\in \\mathcal{N}_k(i) : y_j = y_i \\}\\right|

    For k = 1 it is the share of images whose nearest neighbour has their class. A random
    ranking gets :func:`chance_precision` on average, for every k.

    References
    ----------
    .. [1] Manning, C. D., Raghavan, P., & Schütze, H. (2008). Introduction to Information
       Retrieval, section 8.4. Cambridge University Press.

    Examples
    --------
    >>> d = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])   # distances
    >>> precision_at_k(d, [0, 0, 1], k=1, direction="lower")   # 0 finds 1, 1 finds 0, 2 finds 1
    0.6666666666666666
    """
    neighbours = nearest_neighbours(
        scores_or_images, k, metric=metric, direction=direction, data_range=data_range, progress=progress,
        **metric_kwargs,
    )
    labels = _labels(labels, neighbours.shape[0])
    return float(np.mean(labels[neighbours] == labels[:, None]))


def nearest_hits(
    scores_or_images: Any,
    labels: Any,
    *,
    metric: str | None = None,
    direction: str | None = None,
    data_range: float | None = None,
    progress: bool | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """Per query, leave-one-out: does its nearest neighbour have the query's label?

    Parameters
    ----------
    scores_or_images, metric, direction, data_range, progress, **metric_kwargs
        As :func:`nearest_neighbours`.
    labels : array_like, shape (N,)

    Returns
    -------
    hits : ndarray of bool, shape (N,)
        ``hits.mean()`` is precision@1 (:func:`precision_at_k` with k = 1). Kept per query so that
        two metrics can be compared query by query and the uncertainty of the mean estimated
        (:func:`bootstrap_interval`).

    Examples
    --------
    >>> d = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])   # distances
    >>> nearest_hits(d, [0, 0, 1], direction="lower").tolist()   # 0 finds 1, 1 finds 0, 2 finds 1
    [True, True, False]
    """
    neighbours = nearest_neighbours(
        scores_or_images, 1, metric=metric, direction=direction, data_range=data_range, progress=progress,
        **metric_kwargs,
    )
    labels = _labels(labels, neighbours.shape[0])
    return labels[neighbours[:, 0]] == labels


def bootstrap_interval(
    values: Any, *, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-query values.

    Parameters
    ----------
    values : array_like, shape (N,)
        One number per query: hits (0/1, for an interval of precision@1), or the difference of two
        metrics' hits on the same queries (a paired comparison: an interval that contains 0 means
        the data cannot tell the two apart).
    confidence : float, default 0.95
    n_resamples : int, default 2000
    seed : int, default 0
        The resampling is seeded, so the interval is the same on every run.

    Returns
    -------
    (low, high) : tuple of float

    Notes
    -----
    The queries are resampled with replacement ``n_resamples`` times and the mean recomputed each
    time; the interval runs between the (1 - confidence)/2 and (1 + confidence)/2 quantiles of those
    means (``scipy.stats.bootstrap`` with ``method="percentile"``). It reflects which queries
    happened to be drawn, not other sources of variation (another data set, another split).

    References
    ----------
    .. [1] Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, chapter 13.
       Chapman & Hall.

    Examples
    --------
    >>> low, high = bootstrap_interval(np.r_[np.ones(90), np.zeros(10)])   # 90 hits of 100
    >>> bool(0.8 < low < 0.9 < high < 0.97)
    True
    """
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a 1-D array of at least 2 finite numbers, got {_describe(values)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    check_positive_int(n_resamples, "n_resamples")
    if np.all(values == values[0]):  # every resample has the same mean
        return float(values[0]), float(values[0])
    result = bootstrap((values,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                       method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def chance_precision(labels: Any) -> float:
    """Precision@k of a random ranking, leave-one-out: the share of same-class candidates.

    Parameters
    ----------
    labels : array_like, shape (N,), N >= 2
        The class of each image (numbers or strings).

    Returns
    -------
    float
        The expected precision@k of a ranking drawn at random, the same for every k.

    Notes
    -----
    Image i has :math:`N - 1` candidates, of which :math:`n_{y_i} - 1` share its class
    (:math:`n_c` = number of images of class c). Each of the k places of a random ranking holds a
    same-class image with probability :math:`(n_{y_i} - 1) / (N - 1)`, so

    .. math:: \\text{chance} = \\frac{1}{N} \\sum_{i=1}^{N} \\frac{n_{y_i} - 1}{N - 1}

    With C balanced classes of m images: :math:`(m - 1) / (Cm - 1)`, a little under 1 / C.

    Examples
    --------
    >>> chance_precision([0, 0, 1, 1])          # each image: 1 of 3 candidates shares its class
    0.3333333333333333
    >>> round(chance_precision(np.repeat(np.arange(10), 100)), 4)   # (100 - 1) / (1000 - 1)
    0.0991
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size < 2:
        raise ValueError(f"labels must be a 1-D array of at least 2 labels, got shape {labels.shape}")
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return float(np.mean((counts[inverse] - 1) / (labels.size - 1)))


def retained_similarity(
    images: Any,
    transformed: Any,
    metric: str = "ssim",
    *,
    data_range: float | None = None,
    **metric_kwargs: Any,
) -> np.ndarray:
    """How much of its similarity a metric keeps after a transform: 1 = identical, 0 = unrelated.

    Parameters
    ----------
    images : array_like (N, H, W) or simlab Dataset, N >= 2
        The originals; each is also compared with the others to find a typical unrelated score.
    transformed : array_like, shape (N, H, W) or (N, C, H, W)
        One (or C) transformed copies of each image.
    metric : str, default "ssim"
        A name in :data:`simlab.METRICS`, except "psnr" (use "mse": the same ranking).
    data_range : float, optional
        As :func:`simlab.scores` (a Dataset supplies its own).
    **metric_kwargs
        Options of the metric (``bins``, ``win_size``...).

    Returns
    -------
    retained : ndarray, shape (N,) or (N, C)
        Per image (and per copy). Average over axis 0 for the mean over images.

    Notes
    -----
    With :math:`s` the metric and :math:`u_x` the median of :math:`s(x, y)` over the other images
    :math:`y \\neq x` of ``images`` (a typical unrelated pair),

    .. math:: \\text{retained}(x, T) = \\frac{s(x, T(x)) - u_x}{s(x, x) - u_x}

    1 means as similar as an identical copy, 0 no more similar than a typical other image, below
    0 less similar than that. When lower is more similar (MSE) numerator and denominator both change
    sign, so the scale reads the same way. PSNR is excluded: :math:`s(x, x) = +\\infty`.
    The result is ``nan`` for an image whose self-score equals :math:`u_x`.

    Examples
    --------
    >>> x = np.stack([np.full((4, 4), v) for v in (0.0, 0.1, 0.3, 0.6)])   # four flat images
    >>> r = retained_similarity(x, x + 0.2, "mse", data_range=1.0)   # image 0: MSE 0.04, median 0.09
    >>> round(float(r[0]), 4)                                        # (0.04 - 0.09) / (0 - 0.09)
    0.5556
    """
    from .batch import pairwise, scores

    metric = check_choice(metric, "metric", _metrics())
    if metric == "psnr":
        raise ValueError(
            "retained_similarity is undefined for 'psnr': an image's PSNR with itself is +inf, so the scale "
            "has no top; use metric='mse', which ranks every pair the same way"
        )
    stack = as_stack(images, "images")
    n = stack.shape[0]
    if n < 2:
        raise ValueError(f"images must hold at least 2 images (the others give the unrelated score), got {n}")
    copies = np.asarray(transformed)
    single = copies.ndim == 3
    copies = copies[:, None] if single else copies
    if copies.ndim != 4 or copies.shape[0] != n or copies.shape[2:] != stack.shape[1:]:
        raise ValueError(
            f"transformed must have shape ({n}, H, W) or ({n}, C, H, W) with H, W = {stack.shape[1:]}, "
            f"got {_describe(np.asarray(transformed))}"
        )
    if hasattr(images, "images") and data_range is None:
        data_range = images.data_range
    matrix = pairwise(images, metric, data_range=data_range, progress=False, **metric_kwargs)
    unrelated = np.median(matrix[~np.eye(n, dtype=bool)].reshape(n, n - 1), axis=1)
    same = np.diag(matrix)
    moved = np.stack([
        scores(x, c, metric, data_range=data_range, progress=False, **metric_kwargs) for x, c in zip(stack, copies)
    ])
    retained = (moved - unrelated[:, None]) / (same - unrelated)[:, None]
    return retained[:, 0] if single else retained
