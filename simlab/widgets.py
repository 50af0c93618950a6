"""The live comparison app: pick two samples, transform one, watch every metric respond.

:func:`compare_app` builds the app; it runs in JupyterLab, Jupyter Notebook and as a Voilà page
(notebook 05). It is not :func:`simlab.compare`, which returns the table of metrics for one pair:
the app shows that table live. Every part carries a stable CSS class (``simlab-...``) so tests and
custom styles can find it, and every control is an attribute of the returned :class:`CompareApp`,
so the app can be driven from Python::

    app = compare_app()              # the letters; display it with `app` as a cell's last line
    app.b.value = 5                  # what typing 5 into the right image's index box does
    app.invert.value = True
    app.table["pearson"]             # the numbers in the table

The two samples are called the *left* and the *right image* on screen (the letters data set has
classes A-J, so "A" and "B" would read as letters); in code they stay ``a`` and ``b``, as in
:func:`simlab.compare`.

Projector mode (the default): text of 18 px in the controls and the table, the panel drawn at twice
the pixels it is shown with (sharp when the browser zooms to 125-150 %) with large titles, the app
centred, and the whole app fitting a 1280x720 projector and a 1024x768 screen with its scroll bar.

How it draws: the comparison panel is a matplotlib figure (:func:`simlab.figures.pair_panel`)
rendered to PNG bytes with the Agg canvas (no ``pyplot``, no inline backend) and shown in an
``ipywidgets.Image``. The figure is drawn once; on each change its images and titles are updated with
``set_data`` / ``set_text`` and only those are redrawn over the saved background (blitting), then
only the widget's ``value`` changes, so the page updates in place without flicker, identically in
JupyterLab and Voilà. The metric table and the neighbours' thumbnails (PNG bytes written directly)
are ``HTML`` widgets.

Memory: a classroom server runs one kernel per student, so the app keeps no per-image cache: A's
nearest neighbours are ranked on the data set's image stack (:func:`simlab.rank` on an array, not on
the ``Dataset``, whose cache of per-image statistics would hold ~60 MB per kernel for SSIM).

ipywidgets and matplotlib are imported by this module only, not by ``import simlab``.
"""

from __future__ import annotations

import base64
import html
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import ipywidgets as w
import numpy as np

from ._png import png_bytes as _png_bytes

__all__ = ["CompareApp", "compare", "compare_app"]

#: What the two samples are called on screen; and in the panel's titles.
SAMPLE_NAMES = ("left image", "right image")
_SHORT_NAMES = ("left", "right")

#: Size of the text in the controls, the table and the neighbours (CSS px), and of the panel's titles
#: (points, drawn at 2x: about 20 px on screen).
FONT_PX = 18
PANEL_FONT_PT = 17
#: The panel: 12.5 x 3.3 inches at 160 dpi = 2000 x 528 pixels, shown 1000 px wide (2 pixels per px).
_PANEL_FIGSIZE = (12.5, 3.3)
_PANEL_DPI = 160
_APP_WIDTH_PX = 1000


def _metric_words(metrics: Any) -> dict[str, tuple[str, str]]:
    """Metric name -> (display name with units, "higher" / "lower"), read from ``simlab.METRICS``."""
    return {name: (record.display, record.direction) for name, record in metrics.items()}


class _Transform(NamedTuple):
    """One transform control: its attribute (and CSS class), its keyword of
    :func:`simlab.transforms.apply`, how the note under the right image words a value, what its
    tooltip says, and the widget's factory.
    """

    attribute: str
    keyword: str
    words: Callable[[Any], str]
    tooltip: str
    make: Callable[[], w.Widget]


def _signed(value: float, unit: str = "") -> str:
    return f"{value:+g}{unit}".replace("-", "−")


#: The transform controls, in the order they are shown. Blur moves in steps that change the image
#: (sigma 0.1 or 0.2 changes 28x28 letters by less than one grey level in 256).
_TRANSFORMS: tuple[_Transform, ...] = (
    _Transform("shift_x", "dx", lambda v: f"shift x {_signed(v, ' px')}",
               "Move the right image sideways by whole pixels (+ is to the right); the edge it leaves is black.",
               lambda: w.IntSlider(0, -8, 8, 1, description="shift x")),
    _Transform("shift_y", "dy", lambda v: f"shift y {_signed(v, ' px')}",
               "Move the right image up or down by whole pixels (+ is down); the edge it leaves is black.",
               lambda: w.IntSlider(0, -8, 8, 1, description="shift y")),
    _Transform("rotate", "degrees", lambda v: f"rotate {_signed(v, '°')}",
               "Turn the right image about its centre, in degrees (+ is anticlockwise).",
               lambda: w.IntSlider(0, -90, 90, 5, description="rotate °")),
    _Transform("noise", "noise", lambda v: f"noise σ {v:g}",
               "Add random grey-level noise of this standard deviation (a fraction of black-to-white) "
               "to every pixel of the right image; the same noise every time (seeded).",
               lambda: w.FloatSlider(0.0, min=0.0, max=0.5, step=0.02, description="noise σ")),
    _Transform("brightness", "brightness", lambda v: f"brightness {_signed(v)}",
               "Add this amount to every pixel of the right image (a fraction of black-to-white); "
               "pixels pushed past white or black stay white or black.",
               lambda: w.FloatSlider(0.0, min=-0.5, max=0.5, step=0.05, description="brightness")),
    _Transform("contrast", "contrast", lambda v: f"contrast ×{v:g}",
               "Multiply each pixel's distance from mid-grey by this factor: below 1 greys the right image "
               "out, above 1 pushes it to black and white.",
               lambda: w.FloatSlider(1.0, min=0.0, max=3.0, step=0.1, description="contrast ×")),
    _Transform("blur", "blur", lambda v: f"blur σ {v:g} px",
               "Blur the right image with a Gaussian of this width in pixels (steps of 0.5: smaller "
               "ones barely change a 28x28 image).",
               lambda: w.FloatSlider(0.0, min=0.0, max=3.0, step=0.5, description="blur σ px")),
    _Transform("invert", "invert", lambda v: "inverted",
               "Swap black and white in the right image (each grey level g becomes 1 − g).",
               lambda: w.Checkbox(False, description="invert right", indent=False)),
)


def _style(width: int) -> str:
    """The app's style sheet: projector-size text, the table's fixed columns, the thumbnails."""
    return f"""<style>
.simlab-compare {{ --jp-widgets-font-size: {FONT_PX}px; --jp-widgets-inline-height: 34px;
  --jp-widgets-slider-handle-size: 20px; font-size: {FONT_PX}px; line-height: 1.3; }}
.simlab-compare .widget-label, .simlab-compare .widget-readout, .simlab-compare input,
.simlab-compare select, .simlab-compare button, .simlab-compare .widget-html-content {{ font-size: {FONT_PX}px; }}
.simlab-compare .widget-inline-hbox {{ margin-top: 1px; margin-bottom: 1px; }}
.simlab-compare .widget-readout {{ min-width: 44px; }}
.simlab-compare .simlab-sample b {{ white-space: nowrap; }}
.simlab-message {{ color: #b3261e; }}
.simlab-metrics table {{ border-collapse: collapse; table-layout: fixed; width: 336px; }}
.simlab-metrics th, .simlab-metrics td {{ padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left;
  white-space: nowrap; line-height: 1.35; overflow: hidden; font-size: {FONT_PX}px; }}
.simlab-metrics col.name {{ width: 124px; }} .simlab-metrics col.value {{ width: 100px; }}
.simlab-metrics td.value {{ text-align: right; font-family: monospace; font-variant-numeric: tabular-nums; }}
.simlab-neighbours {{ font-size: {FONT_PX}px; }}
.simlab-neighbours .simlab-thumbs {{ display: flex; flex-wrap: wrap; gap: 2px; margin-top: 4px; }}
.simlab-neighbours figure {{ margin: 0; width: 74px; text-align: center; font-size: 15px; line-height: 1.2; }}
.simlab-neighbours img {{ width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #9aa0a6; }}
body[data-voila] .simlab-compare {{ margin-left: auto; margin-right: auto; }}
body[data-voila] .jp-RenderedMarkdown {{ font-size: {FONT_PX}px; line-height: 1.45; max-width: {width}px;
  margin-left: auto; margin-right: auto; }}
</style>"""


def _png(image: np.ndarray, data_range: float) -> bytes:
    """A small grey image as 8-bit greyscale PNG bytes, one pixel per pixel (the browser scales it)."""
    grey = np.clip(np.rint(np.asarray(image, dtype=np.float64) * (255.0 / data_range)), 0, 255).astype(np.uint8)
    return _png_bytes(grey)


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
        return _png_bytes(np.asarray(self.canvas.buffer_rgba())[..., :3])


class CompareApp:
    """The live comparison app returned by :func:`compare_app` (see there for the parameters).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole app (CSS class ``simlab-compare``); displaying the app displays it.
    a, b : ipywidgets.IntText
        Index of the left image (sample ``a``) and the right image (sample ``b``) in the data set
        (``simlab-a``, ``simlab-b``). A typed index applies as it is typed; one outside the data set
        is refused with a message (``simlab-message``) and the images stay.
    a_class, b_class : ipywidgets.Dropdown
        Class of each image; choosing a class picks a sample of that class (``simlab-a-class`` ...).
    random_pair, same_class, different_class : ipywidgets.Button
        Pick a new pair; a right image of the left one's class; one of another class.
    shift_x, shift_y, rotate, noise, brightness, contrast, blur, invert : ipywidgets widgets
        The transforms applied to the right image (:func:`simlab.transforms.apply`).
    metric : ipywidgets.Dropdown
        The metric that ranks the left image's nearest neighbours (``simlab-metric``).
    figure : ipywidgets.Image
        The comparison panel as PNG (``simlab-figure``), drawn by :func:`simlab.figures.pair_panel`.
    metrics : ipywidgets.HTML
        The table of every metric in ``simlab.METRICS`` for the pair on screen (``simlab-metrics``).
    neighbours : ipywidgets.HTML
        The left image's nearest neighbours: thumbnails with class, index and score (``simlab-neighbours``).
    message : ipywidgets.HTML
        Why a typed index was refused, empty otherwise (``simlab-message``).
    table : dict
        The numbers in the table, ``{metric name: value}``.
    neighbour_indices, neighbour_scores : numpy.ndarray
        The neighbours shown, best first (the left image itself excluded).
    """

    def __init__(self, dataset: Any = None, *, a: int = 0, b: int | None = None, metric: str = "ssim",
                 k: int = 8, seed: int = 0) -> None:
        import simlab

        from ._validation import check_choice, check_positive_int

        if dataset is None or isinstance(dataset, str):
            dataset = simlab.load_dataset(dataset or "letters")
        self.dataset = dataset
        n = len(dataset)
        if n < 2:
            raise ValueError(f"dataset must hold at least 2 images to compare, got {n}")
        self.k = check_positive_int(k, "k")
        self.metric_words = _metric_words(simlab.METRICS)
        check_choice(metric, "metric", self.metric_words)
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
        self._shown = {"a": a, "b": b}  # the indices on screen (a refused typed index leaves them)
        class_options = [(name, label) for label, name in enumerate(self._classes) if label in self._by_label]
        for who, index, side in (("a", a, SAMPLE_NAMES[0]), ("b", b, SAMPLE_NAMES[1])):
            setattr(self, who, w.IntText(index, description="#", continuous_update=True,
                                         tooltip=f"The {side}'s index in the data set, 0 to {n - 1}: "
                                                 "it applies as you type"))
            setattr(self, f"{who}_class", w.Dropdown(options=class_options, value=int(self._labels[index]),
                                                     description="class",
                                                     tooltip=f"The {side}'s class: choose one to draw a "
                                                             "sample of that class"))
        self.random_pair = w.Button(description="random pair", icon="random",
                                    tooltip="Two different samples, drawn at random")
        self.same_class = w.Button(description="same class",
                                   tooltip="Right image: another sample of the left image's class")
        self.different_class = w.Button(description="different class",
                                        tooltip="Right image: a sample of another class than the left image's")
        for transform in _TRANSFORMS:
            control = transform.make()
            control.tooltip = transform.tooltip
            setattr(self, transform.attribute, control)
        # the controls' starting values change nothing: what "reset" restores and the note leaves out
        self._identity = {t.keyword: getattr(self, t.attribute).value for t in _TRANSFORMS}
        self.reset = w.Button(description="reset", icon="undo", tooltip="Every transform back to no change")
        self.metric = w.Dropdown(options=[(display, name) for name, (display, _) in self.metric_words.items()],
                                 value=metric, description="rank by",
                                 tooltip="The metric that finds the left image's nearest neighbours")
        self.figure = w.Image(format="png")
        self.metrics = w.HTML()
        self.neighbours = w.HTML()
        self.message = w.HTML()

        controls = ["a", "b", "a_class", "b_class", "random_pair", "same_class", "different_class",
                    *(t.attribute for t in _TRANSFORMS), "reset", "metric", "figure", "metrics", "neighbours",
                    "message"]
        for attribute in controls:  # app.shift_x carries the CSS class simlab-shift-x, and so on
            getattr(self, attribute).add_class("simlab-" + attribute.replace("_", "-"))
        self.widget = self._layout()
        self.widget.add_class("simlab-compare")

        self.a.observe(self._on_index, "value")
        self.b.observe(self._on_index, "value")
        self.a_class.observe(self._on_a_class, "value")
        self.b_class.observe(self._on_b_class, "value")
        self.metric.observe(lambda change: self._update_neighbours(), "value")
        for transform in _TRANSFORMS:
            getattr(self, transform.attribute).observe(self._on_transform, "value")
        self.random_pair.on_click(lambda button: self.pick_random_pair())
        self.same_class.on_click(lambda button: self.pick_same_class())
        self.different_class.on_click(lambda button: self.pick_different_class())
        self.reset.on_click(lambda button: self.reset_transforms())
        self._update_pair()
        self._update_neighbours()

    # ------------------------------------------------------------------ layout
    def _layout(self) -> w.VBox:
        """Projector mode: the samples in one or two rows, the transforms in two, the panel, then the
        table beside the neighbours; 1000 px wide at most, centred on a Voilà page.
        """
        for who in ("a", "b"):
            index, chooser = getattr(self, who), getattr(self, f"{who}_class")
            index.layout = w.Layout(width="106px")
            index.style.description_width = "18px"
            longest = max(len(name) for name, _ in chooser.options)
            chooser.layout = w.Layout(width=f"{max(120, 86 + 12 * longest)}px")
            chooser.style.description_width = "50px"
        for button in (self.random_pair, self.same_class, self.different_class, self.reset):
            button.layout = w.Layout(width="auto", margin="1px 3px")
        samples = w.HBox([
            w.HBox([w.HTML(f"<b>{SAMPLE_NAMES[0]}</b>"), self.a, self.a_class], layout=w.Layout(margin="0 10px 0 0")),
            w.HBox([w.HTML(f"<b>{SAMPLE_NAMES[1]}</b>"), self.b, self.b_class], layout=w.Layout(margin="0 10px 0 0")),
            self.random_pair, self.same_class, self.different_class, self.message,
        ], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        for box in samples.children[:2]:
            box.add_class("simlab-sample")
            box.layout.align_items = "center"
        sliders = [getattr(self, t.attribute) for t in _TRANSFORMS[:-1]]
        for control in sliders:  # four to a row; the tooltips and "invert right" say which image they change
            control.style.description_width = "96px"
            control.layout = w.Layout(width="238px")
        self.invert.layout = w.Layout(width="150px")
        transforms = w.HBox([*sliders, self.invert, self.reset],
                            layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.figure.layout = w.Layout(width="100%", max_width=f"{_APP_WIDTH_PX}px", height="auto", margin="2px 0")
        readouts = w.HBox([
            w.VBox([self.metrics], layout=w.Layout(flex="0 0 346px", margin="0 14px 0 0")),
            w.VBox([self.metric, self.neighbours], layout=w.Layout(flex="1 1 auto")),
        ])
        self.metric.layout = w.Layout(width="290px")
        self.metric.style.description_width = "80px"
        return w.VBox([w.HTML(_style(_APP_WIDTH_PX)), samples, transforms, self.figure, readouts],
                      layout=w.Layout(max_width=f"{_APP_WIDTH_PX}px", width="100%"))

    # ------------------------------------------------------------------ state
    def _index(self, value: Any, name: str) -> int:
        n = len(self.dataset)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value < n:
            raise ValueError(f"{name} must be an index 0..{n - 1} into the dataset, got {value!r}")
        return int(value)

    def _accept_indices(self) -> bool:
        """Take the typed indices that are in the data set; word a refusal for the others. True if
        the pair on screen changed.
        """
        n, refused = len(self.dataset), []
        before = dict(self._shown)
        for who, side in (("a", SAMPLE_NAMES[0]), ("b", SAMPLE_NAMES[1])):
            value = getattr(self, who).value
            if 0 <= value < n:
                self._shown[who] = int(value)
            else:
                refused.append(f"{side}: no index {value} (this data set has 0 to {n - 1}); "
                               f"still showing #{self._shown[who]}")
        self.message.value = html.escape("; ".join(refused))
        return self._shown != before

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then update once (``with app.hold(): app.a.value = 3; ...``)."""
        busy, self._busy = self._busy, True
        a_before = self._shown["a"]
        try:
            yield
        finally:
            self._busy = busy
        if not busy:
            self._accept_indices()
            self._sync_classes()
            self._update_pair()
            if self._shown["a"] != a_before:
                self._update_neighbours()

    def transform_parameters(self) -> dict[str, Any]:
        """The keyword arguments of :func:`simlab.transforms.apply` that the controls set."""
        params: dict[str, Any] = {t.keyword: getattr(self, t.attribute).value for t in _TRANSFORMS}
        params["invert"] = bool(params["invert"])
        return params

    @property
    def index_a(self) -> int:
        """Index of the left image on screen (``a.value`` unless a typed index was refused)."""
        return self._shown["a"]

    @property
    def index_b(self) -> int:
        """Index of the right image on screen."""
        return self._shown["b"]

    @property
    def image_a(self) -> np.ndarray:
        """The left image as stored in the data set."""
        return self.dataset[self.index_a]

    @property
    def image_b(self) -> np.ndarray:
        """The right image after the transforms."""
        from .transforms import apply

        return apply(self.dataset[self.index_b], **self.transform_parameters())

    def note(self, width: int | None = None) -> str:
        """What was done to the right image, in the sliders' words (``"shift x +2 px, inverted"``);
        with ``width``, broken into lines of at most that many characters between the items.
        """
        params = self.transform_parameters()
        changed = [t.words(params[t.keyword]) for t in _TRANSFORMS if params[t.keyword] != self._identity[t.keyword]]
        if not changed:
            return "not transformed"
        lines = [changed[0]]
        for item in changed[1:]:
            if width is not None and len(lines[-1]) + 2 + len(item) > width:
                lines[-1] += ","
                lines.append(item)
            else:
                lines[-1] += ", " + item
        return "\n".join(lines)

    def _random_from(self, candidates: np.ndarray, exclude: int, current: int) -> int:
        """A random candidate other than ``exclude`` (if there is one); ``current`` if none."""
        others = candidates[candidates != exclude]
        pool = others if others.size else candidates
        return int(self._rng.choice(pool)) if pool.size else current

    def pick_random_pair(self) -> None:
        """Left and right: two different samples drawn at random (seeded, so a session replays)."""
        a, b = self._rng.choice(len(self.dataset), size=2, replace=False)
        with self.hold():
            self.a.value, self.b.value = int(a), int(b)

    def pick_same_class(self) -> None:
        """Right image: another sample of the left image's class, at random."""
        a = self.index_a
        with self.hold():
            self.b.value = self._random_from(self._by_label[int(self._labels[a])], a, self.index_b)

    def pick_different_class(self) -> None:
        """Right image: a sample of a class other than the left image's, at random."""
        a = self.index_a
        with self.hold():
            self.b.value = self._random_from(np.flatnonzero(self._labels != self._labels[a]), a, self.index_b)

    def reset_transforms(self) -> None:
        """Every transform back to its identity value."""
        with self.hold():
            for t in _TRANSFORMS:
                getattr(self, t.attribute).value = self._identity[t.keyword]

    # ------------------------------------------------------------------ events
    def _sync_classes(self) -> None:
        busy, self._busy = self._busy, True
        try:
            self.a_class.value = int(self._labels[self.index_a])
            self.b_class.value = int(self._labels[self.index_b])
        finally:
            self._busy = busy

    def _on_index(self, change: dict) -> None:
        if self._busy:
            return
        a_before = self.index_a
        if not self._accept_indices():
            return
        self._sync_classes()
        self._update_pair()
        if self.index_a != a_before:
            self._update_neighbours()

    def _on_transform(self, change: dict) -> None:
        if not self._busy:
            self._update_pair()

    def _on_a_class(self, change: dict) -> None:
        if self._busy or int(self._labels[self.index_a]) == change["new"]:
            return
        with self.hold():
            self.a.value = self._random_from(self._by_label[change["new"]], self.index_b, self.index_a)

    def _on_b_class(self, change: dict) -> None:
        if self._busy or int(self._labels[self.index_b]) == change["new"]:
            return
        with self.hold():
            self.b.value = self._random_from(self._by_label[change["new"]], self.index_a, self.index_b)

    # ------------------------------------------------------------------ drawing
    def _describe(self, index: int) -> str:
        return f"{self.dataset.class_name(index)} #{index}"

    def _table_html(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(display)}</td><td class='value'>{_format(self.table[name])}</td>"
            f"<td>{direction}</td></tr>"
            for name, (display, direction) in self.metric_words.items() if name in self.table
        )
        return ("<table><colgroup><col class='name'><col class='value'><col></colgroup>"
                "<tr><th>metric</th><th>value</th><th>similar</th></tr>" + rows + "</table>")

    def _update_pair(self) -> None:
        """Transform the right image, compute every metric, redraw the panel: one control change."""
        import simlab

        from .figures import pair_panel

        data_range = float(self.dataset.data_range)
        a, b = self.image_a, self.image_b
        comparison = simlab.compare(a, b, data_range=data_range)  # each metric once: the table and the panel
        self.table = {name: float(value) for name, value in comparison.as_dict().items()}
        titles = (f"{SAMPLE_NAMES[0]}\n{self._describe(self.index_a)}",
                  f"{SAMPLE_NAMES[1]}\n{self._describe(self.index_b)}")
        options = {"data_range": data_range, "names": _SHORT_NAMES, "titles": titles, "note": self.note(34),
                   "comparison": comparison}
        if self._panel is None:
            self._panel = _PanelRenderer(pair_panel(a, b, **options, figsize=_PANEL_FIGSIZE, dpi=_PANEL_DPI,
                                                    fontsize=PANEL_FONT_PT))
        else:
            pair_panel(a, b, **options, fig=self._panel.fig)
        png = self._panel.render()
        self.metrics.value = self._table_html()  # table and figure are sent together, so they change together
        self.figure.value = png

    def _update_neighbours(self) -> None:
        """Rank the whole data set against the left image by the chosen metric; show the best ``k``."""
        import simlab

        a, metric = self.index_a, self.metric.value
        data_range = float(self.dataset.data_range)
        images = getattr(self.dataset, "images", self.dataset)  # the stack: no per-kernel cache (module doc)
        result = simlab.rank(self.dataset[a], images, metric=metric, k=self.k + 1, data_range=data_range,
                             progress=False)
        keep = np.asarray(result.indices) != a
        self.neighbour_indices = np.asarray(result.indices)[keep][: self.k]
        self.neighbour_scores = np.asarray(result.scores, dtype=np.float64)[keep][: self.k]
        figures = []
        for index, score in zip(self.neighbour_indices, self.neighbour_scores):
            src = base64.b64encode(_png(self.dataset[int(index)], data_range)).decode("ascii")
            label = html.escape(self.dataset.class_name(int(index)))
            figures.append(f"<figure><img src='data:image/png;base64,{src}' alt='{label}'>"
                           f"<figcaption><b>{label}</b> #{int(index)}<br>{_short(float(score))}"
                           "</figcaption></figure>")
        display, direction = self.metric_words[metric]
        self.neighbours.value = (
            f"<b>Left image's nearest neighbours</b> ({direction} {html.escape(display)} is more similar)"
            f"<div class='simlab-thumbs'>{''.join(figures)}</div>"
        )

    # ------------------------------------------------------------------ display
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return (f"CompareApp(dataset={getattr(self.dataset, 'name', '?')!r}, a={self.index_a}, "
                f"b={self.index_b}, metric={self.metric.value!r})")


def compare_app(dataset: Any = None, *, a: int = 0, b: int | None = None, metric: str = "ssim", k: int = 8,
                seed: int = 0) -> CompareApp:
    """The live comparison app: two samples, transforms, every metric, nearest neighbours.

    Not to be confused with :func:`simlab.compare`, which computes the table for one pair: this
    app shows that table live while you change the pair.

    Parameters
    ----------
    dataset : Dataset or str, optional
        A :class:`simlab.Dataset` (your own included: ``simlab.load_dataset(path)``) or the name of a
        built-in one; default ``"letters"``.
    a, b : int, optional
        Indices of the first pair: the left and the right image (default 0 and 1).
    metric : str, default "ssim"
        The metric that ranks the left image's nearest neighbours; one of ``simlab.METRICS``.
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
    A change of the right image or of a transform recomputes the transformed image, every metric
    (:func:`simlab.compare`) and the panel (:func:`simlab.figures.pair_panel`); a change of the
    left image or of the metric also ranks the whole data set against it (:func:`simlab.rank`).

    Examples
    --------
    >>> import simlab.widgets
    >>> app = simlab.widgets.compare_app("letters", a=0, b=0)   # the right image is the left one ...
    >>> round(app.table["pearson"], 9)
    1.0
    >>> app.invert.value = True                                  # ... inverted: r flips to -1
    >>> round(app.table["pearson"], 9)
    -1.0
    """
    return CompareApp(dataset, a=a, b=b, metric=metric, k=k, seed=seed)


def compare(*args: Any, **kwargs: Any) -> CompareApp:
    """Deprecated name of :func:`compare_app` (it read like :func:`simlab.compare`, the table).

    Examples
    --------
    >>> import warnings, simlab.widgets
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     app = simlab.widgets.compare("letters", a=0, b=1)
    >>> caught[0].category.__name__, type(app).__name__
    ('DeprecationWarning', 'CompareApp')
    """
    warnings.warn("simlab.widgets.compare is renamed simlab.widgets.compare_app (simlab.compare is the "
                  "table of metrics for one pair); the old name will be removed", DeprecationWarning, stacklevel=2)
    return compare_app(*args, **kwargs)
