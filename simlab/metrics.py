"""One record per metric: everything simlab knows about a metric, in one place.

:data:`METRICS` maps each metric's name to its :class:`MetricInfo` (the model is
``scipy.spatial.distance``'s ``MetricInfo``): which direction means "more similar", its options
and their defaults (read from the pair function's signature, so SSIM's defaults are written once,
in :func:`simlab.ssim`), the readable pair function, the fast kernel that ``scores``, ``rank`` and
``pairwise`` use, whether it compares raw pixel values (so both images need one scale), and the
names to show: a short label for figures and a display name with units for tables.

Everything that lists metrics reads this mapping: :func:`simlab.compare`, :func:`simlab.scores`,
:func:`simlab.rank`, :func:`simlab.pairwise`, :mod:`simlab.evaluation`, :mod:`simlab.figures`, the
live app and the command line. Adding a metric is one record plus its two functions (the pair
function and a kernel); see :class:`MetricInfo`.

Examples
--------
>>> import simlab
>>> [(name, m.direction) for name, m in simlab.METRICS.items()]  # doctest: +NORMALIZE_WHITESPACE
[('pearson', 'higher'), ('ssim', 'higher'), ('mutual_information', 'higher'),
 ('normalized_mutual_information', 'higher'), ('mse', 'lower'), ('psnr', 'higher')]
>>> simlab.METRICS["ssim"].options["sigma"], simlab.METRICS["psnr"].display
(1.5, 'PSNR (dB)')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import correlation, errors, information, kernels, structural

__all__ = ["METRICS", "MetricInfo"]

# arguments of a pair function that are not options of the metric: the images, the scale, the map
_NOT_OPTIONS = ("a", "b", "data_range", "full")


def _options_of(pair: Callable[..., Any]) -> Mapping[str, Any]:
    """The keyword options of a pair function and their defaults, in signature order."""
    return MappingProxyType({
        name: p.default for name, p in inspect.signature(pair).parameters.items()
        if name not in _NOT_OPTIONS and p.default is not inspect.Parameter.empty
    })


@dataclass(frozen=True)
class MetricInfo:
    """What simlab knows about one metric.

    Parameters
    ----------
    name : str
        The metric's name, as passed to ``scores(..., metric=name)``.
    direction : {"higher", "lower"}
        Which way is more similar.
    pair : callable
        The readable pair function ``pair(a, b, **options)`` (and ``data_range=`` if
        ``uses_data_range``): the definition of the metric.
    kernel : callable
        The fast form for one query against many images,
        ``kernel(query, sample, data_range, **options)`` returning a :class:`simlab.kernels.Kernel`
        (``sample``: one image of the stack, for its dtype). Tested against ``pair``.
    raw_values : bool
        True if the metric compares pixel values directly (MSE, PSNR, SSIM), so both images must be
        on one scale; False if it is unchanged by rescaling one image (Pearson, MI, NMI).
    uses_data_range : bool
        True if ``pair`` takes ``data_range`` (SSIM's constants, PSNR's peak).
    label : str
        A short label for figures (``"MI"``).
    display : str
        The name with units for tables and readouts (``"MI (bits)"``).
    cost_us : float
        Rough cost of one pair in a batch, in microseconds (to decide when to show a progress bar).
    options : mapping
        Option name -> default; by default read from ``pair``'s signature (everything but the
        images, ``data_range`` and ``full``), so a default is written once, in the pair function.

    Examples
    --------
    Adding a metric is one record plus its functions; everything that reads :data:`METRICS`
    then knows it (here the mean absolute error, reusing the MSE kernel's layout):

    >>> import numpy as np
    >>> from simlab import kernels
    >>> def mae(a, b):
    ...     return float(np.mean(np.abs(np.asarray(a, float) - np.asarray(b, float))))
    >>> class MAEKernel(kernels.Kernel):
    ...     def __init__(self, query, sample, data_range):
    ...         self.q = np.asarray(query, float)
    ...     def score(self, prepared, stats):
    ...         return np.abs(prepared - self.q).mean(axis=(1, 2))
    >>> info = MetricInfo("mae", "lower", mae, MAEKernel, raw_values=True, label="mae", display="MAE")
    >>> info.options
    mappingproxy({})
    """

    name: str
    direction: str
    pair: Callable[..., float]
    kernel: Callable[..., Any]
    raw_values: bool
    label: str
    display: str
    uses_data_range: bool = False
    cost_us: float = 1.0
    options: Mapping[str, Any] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"direction must be 'higher' or 'lower', got {self.direction!r}")
        if self.options is None:
            object.__setattr__(self, "options", _options_of(self.pair))

    def __repr__(self) -> str:
        return f"MetricInfo({self.name!r}, {self.direction} is more similar, options {dict(self.options)})"


#: Metric name -> :class:`MetricInfo`, in the order tables and figures list them.
METRICS: dict[str, MetricInfo] = {
    "pearson": MetricInfo(
        "pearson", "higher", correlation.pearson, kernels.correlation.PearsonKernel,
        raw_values=False, label="pearson", display="Pearson r",
    ),
    "ssim": MetricInfo(
        "ssim", "higher", structural.ssim, kernels.structural.SSIMKernel,
        raw_values=True, uses_data_range=True, label="ssim", display="SSIM", cost_us=6.0,
    ),
    "mutual_information": MetricInfo(
        "mutual_information", "higher", information.mutual_information, kernels.information.MIKernel,
        raw_values=False, label="MI", display="MI (bits)", cost_us=6.0,
    ),
    "normalized_mutual_information": MetricInfo(
        "normalized_mutual_information", "higher", information.normalized_mutual_information,
        kernels.information.NMIKernel, raw_values=False, label="NMI", display="NMI", cost_us=6.0,
    ),
    "mse": MetricInfo(
        "mse", "lower", errors.mse, kernels.errors.MSEKernel, raw_values=True, label="mse", display="MSE",
    ),
    "psnr": MetricInfo(
        "psnr", "higher", errors.psnr, kernels.errors.PSNRKernel,
        raw_values=True, uses_data_range=True, label="psnr", display="PSNR (dB)",
    ),
}
