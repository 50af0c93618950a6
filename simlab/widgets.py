"""The live comparison app: pick two samples, transform one, watch every metric respond.

:func:`compare` builds the app; it runs in JupyterLab, Jupyter Notebook and as a Voilà page. Every
part carries a stable CSS class (``simlab-...``) so tests and custom styles can find it, and every
control is an attribute of the returned :class:`CompareApp`, so the app can be driven from Python::

    app = compare()                  # the letters; display it with `app` as a cell's last line
    app.b.value = 5                  # what typing 5 into B's box does
    app.invert.value = True
    app.table["pearson"]             # the numbers in the table

How it draws: the comparison panel is a matplotlib figure (:func:`simlab.figures.pair_panel`)
rendered to PNG bytes with the Agg canvas (no ``pyplot``, no inline backend) and shown in an
``ipywidgets.Image``. The figure is drawn once; on each change its images and titles are updated with
``set_data`` / ``set_text`` and only those are redrawn over the saved background (blitting), then
only the widget's ``value`` changes, so the page updates in place without flicker, identically in
JupyterLab and Voilà. The metric table and the neighbours' thumbnails (PNG bytes written directly)
are ``HTML`` widgets.

ipywidgets and matplotlib are imported by this module only, not by ``import simlab``.
"""

from __future__ import annotations

import base64
import html
import io
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as w
import numpy as np

__all__ = ["CompareApp", "compare"]

#: The transform controls: attribute / CSS name, simlab.transforms.apply keyword, widget factory.
_TRANSFORMS: tuple[tuple[str, str, Callable[[], w.Widget]], ...] = (
    ("shift_x", "dx", lambda: w.IntSlider(0, -8, 8, 1, description="shift x (px)")),
    ("shift_y", "dy", lambda: w.IntSlider(0, -8, 8, 1, description="shift y (px)")),
    ("rotate", "degrees", lambda: w.IntSlider(0, -90, 90, 5, description="rotate (°)")),
    ("noise", "noise", lambda: w.FloatSlider(0.0, min=0.0, max=0.5, step=0.02, description="noise σ")),
    ("brightness", "brightness",
     lambda: w.FloatSlider(0.0, min=-0.5, max=0.5, step=0.05, description="brightness")),
    ("contrast", "contrast", lambda: w.FloatSlider(1.0, min=0.0, max=3.0, step=0.1, description="contrast ×")),
    ("blur", "blur", lambda: w.FloatSlider(0.0, min=0.0, max=3.0, step=0.1, description="blur σ (px)")),
    ("invert", "invert", lambda: w.Checkbox(False, description="invert B", indent=True)),
)

_STYLE = """<style>
.widget-box.simlab-compare { font-size: 14px; }
.widget-box.simlab-compare .widget-label, .widget-box.simlab-compare .widget-readout { font-size: 14px; }
.widget-box.simlab-compare .widget-inline-hbox { margin-top: 1px; margin-bottom: 1px; }
.simlab-metrics table { border-collapse: collapse; table-layout: fixed; width: 392px; }
.simlab-metrics th, .simlab-metrics td { padding: 1px 8px; border-bottom: 1px solid #ddd; text-align: left;
  white-space: nowrap; line-height: 1.45; overflow: hidden; }
.simlab-metrics col.name { width: 246px; } .simlab-metrics col.value { width: 82px; }
.simlab-metrics td.value { text-align: right; font-family: monospace; font-size: 14px;
  font-variant-numeric: tabular-nums; }
.simlab-neighbours .simlab-thumbs { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.simlab-neighbours figure { margin: 0; width: 58px; text-align: center; font-size: 12px; line-height: 1.3; }
.simlab-neighbours img { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #9aa0a6; }
</style>"""


def _png(image: np.ndarray, data_range: float) -> bytes:
    """A small grey image as 8-bit greyscale PNG bytes, one pixel per pixel (the browser scales it).

    Written directly (signature, IHDR, one zlib-compressed IDAT, IEND): ~50x faster than going
    through matplotlib and Pillow for a 28x28 thumbnail.
    """
    grey = np.clip(np.rint(np.asarray(image, dtype=np.float64) * (255.0 / data_range)), 0, 255).astype(np.uint8)
    height, width = grey.shape
    rows = np.hstack([np.zeros((height, 1), dtype=np.uint8), grey])  # filter type 0 before each row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, greyscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes()))
            + chunk(b"IEND", b""))


def _short(value: float) -> str:
    """A thumbnail's score: 3 significant digits, so 8 captions fit in one row."""
    return _format(value) if not np.isfinite(value) else f"{value:.3g}"


def _format(value: float) -> str:
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4f}"


class _PanelRenderer:
    """Render a :func:`simlab.figures.pair_panel` figure to PNG, redrawing only what changes.

    The first rendering draws the whole figure without its changing parts (the five images, the
    titles, the note under B, the frames over the images) and keeps that background; every rendering
    restores the background and draws just those parts on top ("blitting"), then encodes the pixels.
    That skips the axes, ticks and labels, which are most of matplotlib's drawing time.
    """

    def __init__(self, fig: Any) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)  # attaches itself to the figure: no pyplot involved
        state = fig._simlab_pair_panel
        changing = [*state["artists"], *(ax.title for ax in state["axes"]), state["note"],
                    *(spine for ax in state["axes"] for spine in ax.spines.values())]
        self.changing = [artist for artist in changing if artist.get_visible()]
        self.background: Any = None

    def render(self) -> bytes:
        from PIL import Image  # matplotlib's own PNG writer

        if self.background is None:
            self.canvas.draw()  # lays the figure out (constrained layout), then freeze it
            self.fig.set_layout_engine("none")
            positions = [(artist, artist.get_position()) for artist in self.changing
                         if hasattr(artist, "get_position") and hasattr(artist, "get_text")]
            for artist in self.changing:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in self.changing:
                artist.set_visible(True)
            for text, position in positions:  # a draw with hidden titles moves them: put them back
                text.set_position(position)
        self.canvas.restore_region(self.background)
        for artist in self.changing:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        rgba = np.asarray(self.canvas.buffer_rgba())
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


class CompareApp:
    """The live comparison app returned by :func:`compare` (see there for the parameters).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole app (CSS class ``simlab-compare``); displaying the app displays it.
    a, b : ipywidgets.BoundedIntText
        Index of sample A and sample B in the data set (``simlab-a``, ``simlab-b``).
    a_class, b_class : ipywidgets.Dropdown
        Class of A and B; choosing a class picks a sample of that class (``simlab-a-class`` ...).
    random_pair, same_class, different_class : ipywidgets.Button
        Pick a new pair; B from A's class; B from another class.
    shift_x, shift_y, rotate, noise, brightness, contrast, blur, invert : ipywidgets widgets
        The transforms applied to B (:func:`simlab.transforms.apply`).
    metric : ipywidgets.Dropdown
        The metric that ranks A's nearest neighbours (``simlab-metric``).
    figure : ipywidgets.Image
        The comparison panel as PNG (``simlab-figure``), drawn by :func:`simlab.figures.pair_panel`.
    metrics : ipywidgets.HTML
        The table of every metric in ``simlab.METRICS`` for A and transformed B (``simlab-metrics``).
    neighbours : ipywidgets.HTML
        A's nearest neighbours: thumbnails with class name, score and index (``simlab-neighbours``).
    table : dict
        The numbers in the table, ``{metric name: value}``.
    neighbour_indices, neighbour_scores : numpy.ndarray
        The neighbours shown, best first (A itself excluded).
    """

    def __init__(self, dataset: Any = None, *, a: int = 0, b: int | None = None, metric: str = "ssim",
                 k: int = 8, seed: int = 0) -> None:
        from scipy import ndimage  # noqa: F401  (now, so the first rotate or blur does not pause)

        import simlab

        from ._validation import check_choice, check_positive_int

        if dataset is None or isinstance(dataset, str):
            dataset = simlab.load_dataset(dataset or "letters")
        self.dataset = dataset
        n = len(dataset)
        if n < 2:
            raise ValueError(f"dataset must hold at least 2 images to compare, got {n}")
        self.k = check_positive_int(k, "k")
        self.metrics_directions = {name: info.direction for name, info in simlab.METRICS.items()}
        check_choice(metric, "metric", self.metrics_directions)
        self._rng = np.random.default_rng(seed)
        self._labels = np.asarray(dataset.labels)
        self._classes = list(dataset.classes)
        self._by_label = {label: np.flatnonzero(self._labels == label) for label in np.unique(self._labels)}
        self._busy = False
        self._panel: _PanelRenderer | None = None
        self.table: dict[str, float] = {}
        self.neighbour_indices = np.empty(0, dtype=np.int64)
        self.neighbour_scores = np.empty(0, dtype=np.float64)

        a = self._index(a, "a")
        b = self._index((a + 1) % n if b is None else b, "b")
        class_options = [(name, label) for label, name in enumerate(self._classes) if label in self._by_label]
        self.a = w.BoundedIntText(a, min=0, max=n - 1, description="A: index")
        self.b = w.BoundedIntText(b, min=0, max=n - 1, description="B: index")
        self.a_class = w.Dropdown(options=class_options, value=int(self._labels[a]), description="A: class")
        self.b_class = w.Dropdown(options=class_options, value=int(self._labels[b]), description="B: class")
        self.random_pair = w.Button(description="random pair", icon="random")
        self.same_class = w.Button(description="same class", tooltip="B: another sample of A's class")
        self.different_class = w.Button(description="different class", tooltip="B: a sample of another class")
        for name, _, make in _TRANSFORMS:
            setattr(self, name, make())
        # the controls' starting values change nothing: what "reset" restores and the note leaves out
        self._identity = {keyword: getattr(self, name).value for name, keyword, _ in _TRANSFORMS}
        self.reset = w.Button(description="reset transforms", icon="undo")
        self.metric = w.Dropdown(options=list(self.metrics_directions), value=metric,
                                 description="rank by", style={"description_width": "initial"})
        self.figure = w.Image(format="png")
        self.metrics = w.HTML()
        self.neighbours = w.HTML()

        controls = ["a", "b", "a_class", "b_class", "random_pair", "same_class", "different_class",
                    *(name for name, _, _ in _TRANSFORMS), "reset", "metric", "figure", "metrics", "neighbours"]
        for attribute in controls:  # app.shift_x carries the CSS class simlab-shift-x, and so on
            getattr(self, attribute).add_class("simlab-" + attribute.replace("_", "-"))
        self.widget = self._layout()
        self.widget.add_class("simlab-compare")

        self.a.observe(self._on_a, "value")
        self.b.observe(self._on_b, "value")
        self.a_class.observe(self._on_a_class, "value")
        self.b_class.observe(self._on_b_class, "value")
        self.metric.observe(lambda change: self._update_neighbours(), "value")
        for name, _, _ in _TRANSFORMS:
            getattr(self, name).observe(self._on_transform, "value")
        self.random_pair.on_click(lambda button: self.pick_random_pair())
        self.same_class.on_click(lambda button: self.pick_same_class())
        self.different_class.on_click(lambda button: self.pick_different_class())
        self.reset.on_click(lambda button: self.reset_transforms())
        self._update_pair()
        self._update_neighbours()

    # ------------------------------------------------------------------ layout
    def _layout(self) -> w.VBox:
        """Compact, for a 1024 px projector: one row of samples, the transforms wrapped in two or
        three rows, the figure, then the table beside the neighbours (8 thumbnails in one row).
        """
        for control in (self.a, self.b):
            control.layout = w.Layout(width="150px")
            control.style.description_width = "62px"
        longest = max(len(name) for name, _ in self.a_class.options)
        for control, who in ((self.a_class, "A"), (self.b_class, "B")):  # class name right of the index
            control.layout = w.Layout(width=f"{max(60, 36 + 9 * longest)}px")
            control.description = ""
            control.tooltip = f"{who}'s class: choose one to draw a sample of that class"
        for button in (self.random_pair, self.same_class, self.different_class, self.reset):
            button.layout = w.Layout(width="auto", margin="1px 3px")
        samples = w.HBox([self.a, self.a_class, self.b, self.b_class, self.random_pair, self.same_class,
                          self.different_class], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        controls = [getattr(self, name) for name, _, _ in _TRANSFORMS]
        for control in controls[:-1]:  # the sliders
            control.style.description_width = "86px"
            control.layout = w.Layout(width="236px")
        self.invert.layout = w.Layout(width="110px")
        self.invert.indent = False
        transforms = w.HBox([w.HTML("<b>B:</b>", layout=w.Layout(width="22px")), *controls, self.reset],
                            layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.figure.layout = w.Layout(width="100%", max_width="1040px", height="auto")
        readouts = w.HBox([
            w.VBox([w.HTML("<b>Every metric for A and transformed B</b>"), self.metrics],
                   layout=w.Layout(flex="0 0 400px", margin="0 12px 0 0")),
            w.VBox([self.metric, self.neighbours], layout=w.Layout(flex="1 1 auto")),
        ])
        return w.VBox([w.HTML(_STYLE), samples, transforms, self.figure, readouts],
                      layout=w.Layout(max_width="1060px"))

    # ------------------------------------------------------------------ state
    def _index(self, value: Any, name: str) -> int:
        n = len(self.dataset)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value < n:
            raise ValueError(f"{name} must be an index 0..{n - 1} into the dataset, got {value!r}")
        return int(value)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then update once (``with app.hold(): app.a.value = 3; ...``)."""
        busy, self._busy = self._busy, True
        a_before = self.a.value
        try:
            yield
        finally:
            self._busy = busy
        if not busy:
            self._sync_classes()
            self._update_pair()
            if self.a.value != a_before:
                self._update_neighbours()

    def transform_parameters(self) -> dict[str, Any]:
        """The keyword arguments of :func:`simlab.transforms.apply` that the controls set."""
        params: dict[str, Any] = {keyword: getattr(self, name).value for name, keyword, _ in _TRANSFORMS}
        params["invert"] = bool(params["invert"])
        return params

    @property
    def image_a(self) -> np.ndarray:
        """Sample A as stored in the data set."""
        return self.dataset[self.a.value]

    @property
    def image_b(self) -> np.ndarray:
        """Sample B after the transforms."""
        from .transforms import apply

        return apply(self.dataset[self.b.value], **self.transform_parameters())

    def _random_from(self, candidates: np.ndarray, exclude: int, current: int) -> int:
        """A random candidate other than ``exclude`` (if there is one); ``current`` if none."""
        others = candidates[candidates != exclude]
        pool = others if others.size else candidates
        return int(self._rng.choice(pool)) if pool.size else current

    def pick_random_pair(self) -> None:
        """A and B: two different samples drawn at random (seeded, so a session replays)."""
        a, b = self._rng.choice(len(self.dataset), size=2, replace=False)
        with self.hold():
            self.a.value, self.b.value = int(a), int(b)

    def pick_same_class(self) -> None:
        """B: another sample of A's class, at random."""
        a = self.a.value
        with self.hold():
            self.b.value = self._random_from(self._by_label[int(self._labels[a])], a, self.b.value)

    def pick_different_class(self) -> None:
        """B: a sample of a class other than A's, at random."""
        a = self.a.value
        with self.hold():
            self.b.value = self._random_from(np.flatnonzero(self._labels != self._labels[a]), a, self.b.value)

    def reset_transforms(self) -> None:
        """Every transform back to its identity value."""
        with self.hold():
            for name, keyword, _ in _TRANSFORMS:
                getattr(self, name).value = self._identity[keyword]

    # ------------------------------------------------------------------ events
    def _sync_classes(self) -> None:
        busy, self._busy = self._busy, True
        try:
            self.a_class.value = int(self._labels[self.a.value])
            self.b_class.value = int(self._labels[self.b.value])
        finally:
            self._busy = busy

    def _on_a(self, change: dict) -> None:
        if self._busy:
            return
        self._sync_classes()
        self._update_pair()
        self._update_neighbours()

    def _on_transform(self, change: dict) -> None:
        if not self._busy:
            self._update_pair()

    def _on_b(self, change: dict) -> None:
        if self._busy:
            return
        self._sync_classes()
        self._update_pair()

    def _on_a_class(self, change: dict) -> None:
        if self._busy or int(self._labels[self.a.value]) == change["new"]:
            return
        with self.hold():
            self.a.value = self._random_from(self._by_label[change["new"]], self.b.value, self.a.value)

    def _on_b_class(self, change: dict) -> None:
        if self._busy or int(self._labels[self.b.value]) == change["new"]:
            return
        with self.hold():
            self.b.value = self._random_from(self._by_label[change["new"]], self.a.value, self.b.value)

    # ------------------------------------------------------------------ drawing
    def _describe(self, index: int) -> str:
        return f"{self.dataset.class_name(index)} #{index}"

    def _update_pair(self) -> None:
        """Transform B, compute every metric, redraw the panel: the work of one control change."""
        import simlab

        from .figures import pair_panel

        data_range = float(self.dataset.data_range)
        a, b = self.image_a, self.image_b
        self.table = {name: float(value) for name, value in
                      simlab.compare(a, b, data_range=data_range).as_dict().items()}
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td class='value'>{_format(self.table[name])}</td>"
            f"<td>{self.metrics_directions[name]}</td></tr>"
            for name in self.metrics_directions if name in self.table
        )
        table = ("<table><colgroup><col class='name'><col class='value'><col></colgroup>"
                 "<tr><th>metric</th><th>value</th><th>better</th></tr>" + rows + "</table>")
        params = {k: v for k, v in self.transform_parameters().items() if v != self._identity[k]}
        changed = ", ".join(f"{k}={v:g}" if not isinstance(v, bool) else k for k, v in params.items())
        changed = changed or "(not transformed)"
        titles = (f"A: {self._describe(self.a.value)}", f"B: {self._describe(self.b.value)}")
        if self._panel is None:
            self._panel = _PanelRenderer(pair_panel(a, b, data_range=data_range, titles=titles, note=changed))
        else:
            pair_panel(a, b, data_range=data_range, titles=titles, note=changed, fig=self._panel.fig)
        png = self._panel.render()
        self.metrics.value = table  # table and figure are sent together, so they change together
        self.figure.value = png

    def _update_neighbours(self) -> None:
        """Rank the whole data set against A by the chosen metric; show the best ``k`` (not A)."""
        import simlab

        a, metric = self.a.value, self.metric.value
        result = simlab.rank(self.dataset[a], self.dataset, metric=metric, k=self.k + 1, progress=False)
        keep = np.asarray(result.indices) != a
        self.neighbour_indices = np.asarray(result.indices)[keep][: self.k]
        self.neighbour_scores = np.asarray(result.scores, dtype=np.float64)[keep][: self.k]
        data_range = float(self.dataset.data_range)
        figures = []
        for index, score in zip(self.neighbour_indices, self.neighbour_scores):
            src = base64.b64encode(_png(self.dataset[int(index)], data_range)).decode("ascii")
            label = html.escape(self.dataset.class_name(int(index)))
            figures.append(f"<figure><img src='data:image/png;base64,{src}' alt='{label}'>"
                           f"<figcaption><b>{label}</b> #{int(index)}<br>{_short(float(score))}"
                           "</figcaption></figure>")
        direction = self.metrics_directions[metric]
        self.neighbours.value = (
            f"<b>A's {len(figures)} nearest neighbours by {html.escape(metric)}</b> "
            f"({direction} is more similar)<div class='simlab-thumbs'>{''.join(figures)}</div>"
        )

    # ------------------------------------------------------------------ display
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return (f"CompareApp(dataset={getattr(self.dataset, 'name', '?')!r}, a={self.a.value}, "
                f"b={self.b.value}, metric={self.metric.value!r})")


def compare(dataset: Any = None, *, a: int = 0, b: int | None = None, metric: str = "ssim", k: int = 8,
            seed: int = 0) -> CompareApp:
    """Compare two samples of a data set live: transforms, every metric, nearest neighbours.

    Parameters
    ----------
    dataset : Dataset or str, optional
        A :class:`simlab.Dataset` (your own included: ``simlab.load_dataset(path)``) or the name of a
        built-in one; default ``"letters"``.
    a, b : int, optional
        Indices of the first pair (default 0 and 1).
    metric : str, default "ssim"
        The metric that ranks A's nearest neighbours; one of ``simlab.METRICS``.
    k : int, default 8
        How many neighbours to show.
    seed : int, default 0
        Seed of the app's own random generator (the "random pair", "same class" and "different
        class" buttons, and choosing a class), so a demo can be replayed.

    Returns
    -------
    CompareApp
        Displays itself as the app; its controls are attributes (``app.b.value = 5``).

    Notes
    -----
    A change of B or of a transform recomputes the transformed B, every metric
    (:func:`simlab.compare`) and the panel (:func:`simlab.figures.pair_panel`); a change of A or of
    the metric also ranks the whole data set against A (:func:`simlab.rank`, fast on repeated
    queries thanks to the data set's cached statistics).

    Examples
    --------
    >>> import simlab.widgets
    >>> app = simlab.widgets.compare("letters", a=0, b=0)   # B is A ...
    >>> round(app.table["pearson"], 9)
    1.0
    >>> app.invert.value = True                              # ... inverted: r flips to -1
    >>> round(app.table["pearson"], 9)
    -1.0
    """
    return CompareApp(dataset, a=a, b=b, metric=metric, k=k, seed=seed)
