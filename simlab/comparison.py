"""Every metric for one pair of images, with the pieces a figure draws, computed once.

:func:`compare` returns a :class:`Comparison`: each metric's value (the pair function's number),
and the pieces behind them that :func:`simlab.figures.pair_panel` draws (the difference, the SSIM
map, the joint histogram), so a table and its figure never compute a metric twice.
:func:`metric_table` is the one text table of metric values that every front end prints.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import information
from ._validation import _describe, as_pair, check_bins, check_choice, check_data_range, to_float
from .information import DEFAULT_BINS
from .metrics import METRICS

__all__ = ["Comparison", "compare", "metric_table"]


def _rows(texts: Mapping[str, str]) -> list[tuple[str, str, str]]:
    return [(name, text, f"{METRICS[name].direction} is more similar") for name, text in texts.items()]


def metric_table(texts: Mapping[str, str]) -> str:
    """A text table of metric values: name, value (as given) and which direction is more similar.

    Parameters
    ----------
    texts : mapping
        Metric name -> the value as text, in the order to print.

    Returns
    -------
    table : str

    Examples
    --------
    >>> print(metric_table({"ssim": "0.5000", "mse": "0.0100"}))
    metric   value
    --------------
    ssim    0.5000  higher is more similar
    mse     0.0100  lower is more similar
    """
    rows = [("metric", "value", "")] + _rows(texts)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}".rstrip() for a, b, c in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class Comparison:
    """Every metric for one pair of images, and what a figure of the pair draws; prints as a table.

    Attributes
    ----------
    values : dict
        Metric name -> value, in the order asked.
    difference : ndarray, shape (H, W)
        ``b - a`` in float64.
    ssim_map : ndarray, shape (H, W), or None
        SSIM at every pixel (its mean, away from the border, is ``values["ssim"]``); None if SSIM
        was not asked for.
    joint_histogram : (counts, edges_a, edges_b), or None
        :func:`simlab.information.joint_histogram` of the pair, from which MI and NMI were
        computed; None if neither was asked for.
    data_range, bins
        The arguments used.
    """

    values: dict
    difference: np.ndarray
    ssim_map: np.ndarray | None = None
    joint_histogram: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    data_range: float | None = None
    bins: int = DEFAULT_BINS

    def as_dict(self) -> dict:
        """{metric name: value}."""
        return dict(self.values)

    def _texts(self) -> dict[str, str]:
        return {name: f"{value:.4f}" for name, value in self.values.items()}

    def __str__(self) -> str:
        return metric_table(self._texts())

    def __repr__(self) -> str:
        return "Comparison(\n" + str(self) + "\n)"

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(a)}</td><td style='text-align:right'>{b}</td><td>{c}</td></tr>"
            for a, b, c in _rows(self._texts())
        )
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
        Which metrics (names of :data:`simlab.METRICS`); all by default.
    bins : int, default DEFAULT_BINS (16)
        Bins per image for the mutual information metrics.

    Returns
    -------
    comparison : Comparison
        ``str()`` / ``_repr_html_()`` give a table; ``.as_dict()`` gives {metric name: value};
        ``.difference``, ``.ssim_map`` and ``.joint_histogram`` are what
        :func:`simlab.figures.pair_panel` draws (``pair_panel(a, b, comparison=c)``).

    Notes
    -----
    Each metric is computed once, by its pair function (:data:`simlab.METRICS`): SSIM with
    ``full=True``, which also gives the map; MI and NMI both from one joint histogram
    (:func:`simlab.information.histogram_terms`), the same numbers as
    :func:`simlab.mutual_information` and :func:`simlab.normalized_mutual_information`.

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
    check_bins(bins)
    a, b = as_pair(a, b)
    values: dict[str, float] = {}
    ssim_map = histogram = terms = None
    for name in names:
        info = METRICS[name]
        if name == "ssim":  # the mean and the map, in one pass
            values[name], ssim_map = info.pair(a, b, data_range=data_range, full=True)
        elif name in ("mutual_information", "normalized_mutual_information"):  # one histogram for both
            if histogram is None:
                histogram = information.joint_histogram(a, b, bins)
                terms = information.histogram_terms(histogram[0])
            values[name] = terms.mi if name == "mutual_information" else terms.normalized()
        else:
            values[name] = float(info.pair(a, b, **({"data_range": data_range} if info.uses_data_range else {})))
    return Comparison(values, to_float(b) - to_float(a), ssim_map, histogram, data_range, bins)
