"""The duplicate gallery: move a threshold, choose a metric, see the pairs it just lets in and just keeps out.

:func:`gallery` builds the app (JupyterLab, Jupyter Notebook, Voilà). A threshold slider
(``simlab-dup-threshold``) and a metric chooser (``simlab-dup-metric``) drive a count readout
(``simlab-dup-count``: pairs, images with a copy and, given the ground truth, precision and recall)
and the gallery (``simlab-dup-gallery``): the pairs whose scores lie nearest the threshold, half of
them just passing and half just failing, each shown side by side with its score and the difference
image. Those are the pairs a threshold decides, so they show what a value of the threshold means.

For each metric, :func:`simlab.near_duplicates` runs once at the loosest end of the slider; moving
the slider only filters those pairs, so it responds at once. :func:`pairs_figure` draws the same
pairs as a matplotlib figure (the command line's ``simlab duplicates --figure``).

ipywidgets and matplotlib are imported by this module only, not by ``import simlab``.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import numpy as np

from ._png import png_bytes
from .duplicates import THRESHOLDS, Duplicates, _direction, _operands, near_duplicates
from .figures import ACCENT, new_figure, styled

__all__ = ["GalleryApp", "SLIDERS", "gallery", "pairs_figure", "score_distributions", "threshold_curves"]

#: Slider range of each metric: (min, max, step). The search runs once at the loose end.
SLIDERS = {
    "mse": (0.0, 0.04, 0.0005),
    "psnr": (14.0, 50.0, 0.5),
    "pearson": (0.8, 1.0, 0.0025),
    "ssim": (0.8, 1.0, 0.005),
    "mutual_information": (1.0, 3.0, 0.05),
    "normalized_mutual_information": (1.35, 2.0, 0.01),
}

_STYLE = """<style>
.simlab-dup-gallery .simlab-dup-pairs { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 4px; }
.simlab-dup-gallery figure { margin: 0; padding: 4px; border: 2px solid #dadce0; border-radius: 4px;
  text-align: center; font-size: 12px; line-height: 1.3; }
.simlab-dup-gallery figure.pass { border-color: #1e8e3e; } .simlab-dup-gallery figure.fail { border-color: #d93025; }
.simlab-dup-gallery img { width: 56px; height: 56px; image-rendering: pixelated; margin: 0 1px; }
.simlab-dup-count { font-size: 14px; }
</style>"""


def _grey(image: np.ndarray, data_range: float) -> np.ndarray:
    return np.clip(np.rint(np.asarray(image, dtype=np.float64) * (255.0 / data_range)), 0, 255).astype(np.uint8)


def _diverging(difference: np.ndarray, data_range: float) -> np.ndarray:
    """b - a coloured with RdBu_r centred on 0 (white = equal pixels), +-data_range at the ends."""
    from matplotlib import colormaps

    lut = (colormaps["RdBu_r"](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    index = np.clip(np.rint((difference / data_range + 1) * 127.5), 0, 255).astype(np.intp)
    return lut[index]


def _img(pixels: np.ndarray, alt: str) -> str:
    src = base64.b64encode(png_bytes(pixels)).decode("ascii")
    return f"<img src='data:image/png;base64,{src}' alt='{html.escape(alt)}'>"


def _display_name(metric: str) -> str:
    from . import METRICS

    record = METRICS[metric]
    for attribute in ("display", "display_name", "label"):
        value = getattr(record, attribute, None)
        if isinstance(value, str):
            return value
    return metric


class GalleryApp:
    """The duplicate gallery: built by :func:`gallery`; every control is an attribute.

    Attributes
    ----------
    metric : ipywidgets.Dropdown
        The metric (CSS class ``simlab-dup-metric``).
    threshold : ipywidgets.FloatSlider
        The current metric's threshold slider (``simlab-dup-threshold``); each metric has its own,
        with the range of :data:`SLIDERS`, shown when the metric is chosen.
    count : ipywidgets.HTML
        Pairs, images with a copy, and precision / recall against ``truth`` (``simlab-dup-count``).
    gallery : ipywidgets.HTML
        The pairs nearest the threshold (``simlab-dup-gallery``).
    widget : ipywidgets.VBox
        The whole app (``simlab-dup``).
    shown : ndarray, shape (k, 2)
        The pairs in the gallery, in the order shown.
    """

    def __init__(self, a: Any, b: Any = None, *, truth: Any = None, metric: str = "mse",
                 threshold: float | None = None, k: int = 8, metrics: Any = None) -> None:
        import ipywidgets as w

        from . import METRICS

        self.images_a, images_b, _, data_range = _operands(a, b)
        self.images_b = self.images_a if images_b is None else images_b
        self.within = images_b is None
        self.data_range = 1.0 if data_range is None else float(data_range)
        self.a, self.b, self.k = a, b, int(k)
        self.truth = None if truth is None else {tuple(p) for p in np.asarray(truth).tolist()}
        names = [m for m in (metrics or METRICS) if m in SLIDERS]
        if metric not in names:
            raise ValueError(f"metric must be one of {', '.join(map(repr, names))}, got {metric!r}")
        self._found: dict[str, Duplicates] = {}
        self.metric = w.Dropdown(options=[(_display_name(m), m) for m in names], value=metric, description="metric")
        self._sliders: dict[str, w.FloatSlider] = {}
        self._first_threshold = threshold
        self.count = w.HTML()
        self.gallery = w.HTML()
        for part, css in ((self.metric, "metric"), (self.count, "count"), (self.gallery, "gallery")):
            part.add_class("simlab-dup-" + css)
        self.controls = w.HBox([self.metric, self._slider(metric)])
        self.widget = w.VBox([w.HTML(_STYLE), self.controls, self.count, self.gallery])
        self.widget.add_class("simlab-dup")
        self.shown = np.empty((0, 2), dtype=np.int64)
        self.metric.observe(self._on_metric, names="value")
        self._update()

    @property
    def threshold(self) -> Any:
        """The threshold slider of the current metric (each metric keeps its own slider and range)."""
        return self._slider(self.metric.value)

    def _slider(self, metric: str) -> Any:
        """The metric's slider, made once with its range fixed (:data:`SLIDERS`): changing the range of
        one shared slider in the browser would clip its value to the old one before the new value arrived.
        """
        import ipywidgets as w

        if metric not in self._sliders:
            low, high, step = SLIDERS[metric]
            first = self._first_threshold if not self._sliders and self._first_threshold is not None else None
            value = float(np.clip(THRESHOLDS[metric] if first is None else first, low, high))
            slider = w.FloatSlider(value=value, min=low, max=high, step=step, description="threshold",
                                   readout_format=".4g", continuous_update=False, layout=w.Layout(width="420px"))
            slider.add_class("simlab-dup-threshold")
            slider.observe(lambda change: self._update(), names="value")
            self._sliders[metric] = slider
        return self._sliders[metric]

    # ------------------------------------------------------------------ model
    def found_at_loose_end(self) -> Duplicates:
        """The pairs of the current metric at the loose end of the slider (computed once per metric)."""
        metric = self.metric.value
        if metric not in self._found:
            low, high, _ = SLIDERS[metric]
            loose = high if _direction(metric) == "lower" else low
            extra = {"data_range": self.data_range} if metric in ("ssim", "psnr") else {}
            self._found[metric] = near_duplicates(self.images_a, None if self.within else self.images_b,
                                                  metric=metric, threshold=loose, progress=False, **extra)
        return self._found[metric]

    def passing(self) -> np.ndarray:
        """Boolean mask over :meth:`found_at_loose_end`'s pairs: which pass the current threshold."""
        found = self.found_at_loose_end()
        t = self.threshold.value
        return found.scores <= t if found.direction == "lower" else found.scores >= t

    # ------------------------------------------------------------------ view
    def _on_metric(self, change: dict) -> None:
        self.controls.children = (self.metric, self._slider(change["new"]))
        self._update()

    def _update(self) -> None:
        found, keep = self.found_at_loose_end(), self.passing()
        metric, t = self.metric.value, self.threshold.value
        sign = "≤" if found.direction == "lower" else "≥"
        pairs = found.pairs[keep]
        n_b = len(np.unique(pairs if self.within else pairs[:, 1]))
        size_b = len(self.images_b)
        who = "images have a copy in the set" if self.within else f"of the {size_b} images of b have a copy in a"
        text = f"<b>{len(pairs)}</b> pairs with {html.escape(metric)} {sign} {t:.4g}; <b>{n_b}</b> {who}"
        if self.truth is not None:
            hits = sum(tuple(p) in self.truth for p in pairs.tolist())
            precision = hits / len(pairs) if len(pairs) else 1.0
            text += (f" · precision <b>{precision:.3f}</b>, recall <b>{hits / max(len(self.truth), 1):.3f}</b> "
                     f"against the {len(self.truth)} recorded copies")
        self.count.value = text
        self._draw_gallery(found, keep)

    def _draw_gallery(self, found: Duplicates, keep: np.ndarray) -> None:
        t = self.threshold.value
        distance = np.abs(found.scores - t)
        half = self.k // 2
        passing, failing = np.flatnonzero(keep), np.flatnonzero(~keep)
        chosen = np.r_[passing[np.argsort(distance[passing], kind="stable")[:half]],
                       failing[np.argsort(distance[failing], kind="stable")[: self.k - half]]]
        chosen = chosen[np.argsort(-found.scores[chosen] if found.direction == "higher" else found.scores[chosen],
                                   kind="stable")]
        self.shown = found.pairs[chosen]
        figures = []
        for index in chosen:
            i, j = (int(v) for v in found.pairs[index])
            x, y = self.images_a[i], self.images_b[j]
            ok = bool(keep[index])
            verdict = "passes" if ok else "fails"
            if self.truth is not None:
                verdict += " · copy" if (i, j) in self.truth else " · not a copy"
            figures.append(
                f"<figure class='{'pass' if ok else 'fail'}'>{_img(_grey(x, self.data_range), f'a[{i}]')}"
                f"{_img(_grey(y, self.data_range), f'b[{j}]')}"
                f"{_img(_diverging(np.asarray(y, float) - np.asarray(x, float), self.data_range), 'b - a')}"
                f"<figcaption>a[{i}] · b[{j}] · b − a<br><b>{found.scores[index]:.4g}</b> {verdict}</figcaption>"
                "</figure>"
            )
        if not figures:
            figures.append("<i>no pair near this threshold</i>")
        self.gallery.value = (f"<b>the {len(chosen)} pairs nearest the threshold</b> (green: pass, red: fail; "
                              f"difference b − a: red brighter in b, blue brighter in a)"
                              f"<div class='simlab-dup-pairs'>{''.join(figures)}</div>")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"GalleryApp(metric={self.metric.value!r}, threshold={self.threshold.value:.4g}, k={self.k})"


def gallery(a: Any = None, b: Any = None, *, truth: Any = None, metric: str = "mse", threshold: float | None = None,
            k: int = 8) -> GalleryApp:
    """The duplicate gallery: a threshold slider and a metric chooser over the pairs nearest the threshold.

    Parameters
    ----------
    a, b : Dataset or array of shape (N, H, W), optional
        The sets to search (``b=None``: within ``a``). Default: the built-in ``overlap`` train and
        test splits, with their recorded copies as ``truth``.
    truth : array of shape (n, 2), optional
        The true copy pairs, to show precision and recall and mark each pair "copy" / "not a copy".
    metric : str, default "mse"
        The first metric shown (any of :data:`SLIDERS`).
    threshold : float, optional
        The first threshold (default :data:`simlab.duplicates.THRESHOLDS` ``[metric]``).
    k : int, default 8
        How many pairs the gallery shows.

    Returns
    -------
    GalleryApp
        Display it as a cell's last line; drive it from Python with ``app.threshold.value = ...``.

    Examples
    --------
    >>> app = gallery(metric="mse", threshold=0.005)
    >>> len(app.shown), app.count.value.startswith("<b>")
    (8, True)
    """
    if a is None:
        from .datasets import load_dataset
        from .duplicates import ground_truth

        a, b = load_dataset("overlap", split="train"), load_dataset("overlap", split="test")
        if truth is None:
            truth = ground_truth("overlap").pairs("train", "test")
    return GalleryApp(a, b, truth=truth, metric=metric, threshold=threshold, k=k)


def pairs_figure(images_a: Any, images_b: Any, found: Duplicates, *, k: int = 8, title: str | None = None,
                 data_range: float = 1.0) -> Any:
    """The first ``k`` pairs of a duplicate search as a figure: image of a, image of b, difference.

    Parameters
    ----------
    images_a, images_b : array of shape (N, H, W)
        The searched sets (``images_b = images_a`` for a search within one set).
    found : Duplicates
    k : int, default 8
    title : str, optional
    data_range : float, default 1.0

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot (save it with ``fig.savefig``).
    """
    from matplotlib.figure import Figure

    shown = min(int(k), len(found))
    columns = max(shown, 1)
    fig = Figure(figsize=(1.5 * columns, 4.9), layout="constrained")
    axes = fig.subplots(3, columns, squeeze=False)
    for c in range(columns):
        for r in range(3):
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        if c >= shown:
            continue
        i, j = (int(v) for v in found.pairs[c])
        x, y = np.asarray(images_a[i], float), np.asarray(images_b[j], float)
        axes[0, c].imshow(x, cmap="gray", vmin=0, vmax=data_range)
        axes[1, c].imshow(y, cmap="gray", vmin=0, vmax=data_range)
        axes[2, c].imshow(y - x, cmap="RdBu_r", vmin=-data_range, vmax=data_range)
        axes[0, c].set_title(f"a[{i}]", fontsize=9)
        axes[1, c].set_title(f"b[{j}]", fontsize=9)
        axes[2, c].set_title(f"{found.scores[c]:.4g}", fontsize=9)
    axes[0, 0].set_ylabel("a")
    axes[1, 0].set_ylabel("b")
    axes[2, 0].set_ylabel("b − a")
    rule = "identical pixels" if found.metric == "exact" else (
        f"{found.metric} {'≤' if found.direction == 'lower' else '≥'} {found.threshold:.4g}")
    fig.suptitle(title or f"{len(found)} pairs with {rule}; the first {shown} shown")
    return fig


@styled
def score_distributions(same: Any, different: Any, *, marks: Any = None, title: str | None = None) -> Any:
    """Histograms of each metric's scores for same-class and different-class pairs, drawn together.

    Parameters
    ----------
    same, different : mapping of metric name to array of scores
    marks : mapping of metric name to float, optional
        A threshold to draw as a dashed line (e.g. ``{"pearson": 0.98}``).
    title : str, optional

    Returns
    -------
    SimlabFigure
    """
    names = list(same)
    columns = 3
    rows = -(-len(names) // columns)
    fig, axes = new_figure(rows, columns, figsize=(12.5, 3.3 * rows + 0.6), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        s, d = np.asarray(same[name], float), np.asarray(different[name], float)
        s, d = s[np.isfinite(s)], d[np.isfinite(d)]
        edges = np.histogram_bin_edges(np.r_[s, d], bins=40)
        ax.hist(d, bins=edges, density=True, alpha=0.55, color="#1a73e8", label="different letter")
        ax.hist(s, bins=edges, density=True, alpha=0.55, color=ACCENT, label="same letter")
        if marks and name in marks:
            ax.axvline(marks[name], color="k", ls="--", lw=1.5, label=f"{marks[name]:g}")
        ax.set_title(_display_name(name))
        ax.set_yticks([])
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    axes.ravel()[0].legend(loc="upper right", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


@styled
def threshold_curves(curves: Any, *, chosen: Any = None, title: str | None = None) -> Any:
    """Precision and recall of each metric's near-duplicate search as its threshold moves.

    Parameters
    ----------
    curves : mapping of metric name to the dict of :func:`simlab.duplicates.precision_recall`
    chosen : mapping of metric name to float, optional
        The threshold chosen for each metric, drawn as a dashed line.
    title : str, optional

    Returns
    -------
    SimlabFigure
    """
    names = list(curves)
    columns = 3
    rows = -(-len(names) // columns)
    fig, axes = new_figure(rows, columns, figsize=(12.5, 3.3 * rows + 0.6), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        c = curves[name]
        ax.plot(c["threshold"], c["precision"], lw=2.5, color="#1a73e8", label="precision")
        ax.plot(c["threshold"], c["recall"], lw=2.5, color=ACCENT, label="recall")
        if chosen and name in chosen:
            ax.axvline(chosen[name], color="k", ls="--", lw=1.5, label=f"chosen {chosen[name]:g}")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(_display_name(name))
        ax.set_xlabel("threshold")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=9)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig
