"""Figures for the notebooks, drawn the same way everywhere.

Conventions (shared by every notebook; add new figure functions below, following them):

- **Images** in grey (:data:`IMAGE_CMAP`) with *fixed* limits ``vmin=0, vmax=1`` (a Dataset's range),
  so two panels with the same grey mean the same value; no ticks.
- **Correlations and differences** in a diverging map centred on 0 (:data:`DIVERGING_CMAP`) with
  symmetric limits (``-1..1`` for correlations, ``±max|x|`` for differences); ``nan`` cells in
  :data:`NAN_COLOUR` so they cannot be mistaken for a value.
- **Readable when projected**: large fonts (:data:`STYLE`), applied by the :func:`styled` decorator.
- **Titles state the finding** ("a 2-pixel shift halves r"), not the content ("r vs shift"); every
  function takes ``title=`` so the notebook can put the number it has just computed in it.
- Each function returns a :class:`SimlabFigure` (a matplotlib ``Figure``) and never touches
  ``pyplot``'s global state; a figure shows itself as the last expression of a notebook cell and can
  be saved with ``fig.savefig(path)``.

matplotlib is imported here (and only here, or in other drawing modules), never by ``import simlab``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

__all__ = [
    "DIVERGING_CMAP",
    "IMAGE_CMAP",
    "METRIC_COLOURS",
    "METRIC_LINES",
    "NAN_COLOUR",
    "STYLE",
    "SSIM_LEVELS",
    "SimlabFigure",
    "blank_rows",
    "centred_vectors",
    "corrcoef_matrix",
    "cost_bars",
    "curves",
    "image_grid",
    "images",
    "invariance_curves",
    "invariance_heatmap",
    "joint_histogram_marginals",
    "neighbours_panel",
    "new_figure",
    "pair_panel",
    "pixel_scatter",
    "precision_bars",
    "row_pair",
    "same_histograms",
    "shift_curve",
    "show_image",
    "show_signed",
    "ssim_maps",
    "ssim_terms",
    "styled",
    "window_weights",
]

#: Colour map for images (grey levels, 0 = black, 1 = white).
IMAGE_CMAP = "gray"
#: Colour map for signed quantities (correlations, differences): blue < 0 < red, white at 0.
DIVERGING_CMAP = "RdBu_r"
#: Colour of undefined (nan) cells in signed maps.
NAN_COLOUR = "#f2b705"
#: Colour that marks highlighted rows, points and curves.
ACCENT = "#e8710a"
#: matplotlib settings that keep figures readable on a projector.
STYLE: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.titlesize": 15,
    "figure.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

F = TypeVar("F", bound=Callable[..., Any])


class SimlabFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG in Jupyter, without ``pyplot``."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def styled(function: F) -> F:
    """Decorator: draw inside :data:`STYLE` (font sizes are fixed when text is created)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@styled
def new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
               squeeze: bool = True, width_ratios: Sequence[float] | None = None,
               **subplot_kw: Any) -> tuple[SimlabFigure, Any]:
    """A :class:`SimlabFigure` and its axes (as ``Figure.subplots``), in the projected style.

    Call it from inside a function decorated with :func:`styled` so the text you add is styled too.

    Examples
    --------
    >>> fig, axes = new_figure(1, 2)
    >>> type(fig).__name__, len(axes)
    ('SimlabFigure', 2)
    """
    figsize = figsize or (3.2 * ncols + 0.6, 3.4 * nrows + 0.4)
    fig = SimlabFigure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, width_ratios=width_ratios,
                        subplot_kw=subplot_kw or None)
    return fig, axes


def _diverging(name: str = DIVERGING_CMAP) -> Colormap:
    from matplotlib import colormaps

    return colormaps[name].with_extremes(bad=NAN_COLOUR)


def show_image(ax: Any, image: Any, *, title: str | None = None, vmin: float = 0.0,
               vmax: float = 1.0) -> Any:
    """Draw a grey image with fixed limits and no ticks; returns the ``AxesImage``.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> show_image(ax, np.eye(4)).get_clim()
    (0.0, 1.0)
    """
    artist = ax.imshow(np.asarray(image), cmap=IMAGE_CMAP, vmin=vmin, vmax=vmax, interpolation="nearest")
    _bare(ax)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#9aa0a6")
    if title is not None:
        ax.set_title(title)
    return artist


def show_signed(ax: Any, values: Any, *, limit: float | None = None, title: str | None = None,
                colorbar: str | None = None) -> Any:
    """Draw a signed map (correlations, differences) centred on 0; nan cells in :data:`NAN_COLOUR`.

    Parameters
    ----------
    ax : matplotlib Axes
    values : array_like, 2-D
    limit : float, optional
        Colour limits are ``-limit..limit``; default ``max |values|`` (1 if all are 0 or nan).
    title : str, optional
    colorbar : str, optional
        If given, add a colour bar with this label.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> show_signed(ax, [[-0.5, 0.2], [np.nan, 0.1]]).get_clim()
    (-0.5, 0.5)
    """
    values = np.asarray(values, dtype=float)
    if limit is None:
        finite = np.abs(values[np.isfinite(values)])
        limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    artist = ax.imshow(np.ma.masked_invalid(values), cmap=_diverging(), vmin=-limit, vmax=limit,
                       interpolation="nearest")
    if title is not None:
        ax.set_title(title)
    if colorbar is not None:
        ax.figure.colorbar(artist, ax=ax, label=colorbar, shrink=0.85)
    return artist


@styled
def image_grid(rows: Sequence[Sequence[Any]], titles: Sequence[Sequence[str]] | None = None, *,
               title: str | None = None, row_labels: Sequence[str] | None = None,
               vmin: float = 0.0, vmax: float = 1.0, size: float = 2.6) -> SimlabFigure:
    """Images in a grid (a list of rows), grey with fixed limits, each with an optional title.

    Examples
    --------
    >>> fig = image_grid([[np.zeros((3, 3)), np.ones((3, 3))]], [["black", "white"]], title="Two")
    >>> len(fig.axes)
    2
    """
    nrows, ncols = len(rows), max(len(row) for row in rows)
    fig, axes = new_figure(nrows, ncols, figsize=(size * ncols + (1.2 if row_labels else 0.3),
                                                    size * nrows + 0.6), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(ncols):
            ax = axes[i, j]
            if j >= len(row):
                ax.set_axis_off()
                continue
            show_image(ax, row[j], title=titles[i][j] if titles else None, vmin=vmin, vmax=vmax)
        if row_labels:
            axes[i, 0].set_ylabel(row_labels[i])
    if title:
        fig.suptitle(title)
    return fig


def images(images: Sequence[Any], titles: Sequence[str] | None = None, *, title: str | None = None,
           vmin: float = 0.0, vmax: float = 1.0, size: float = 2.6) -> SimlabFigure:
    """A row of grey images with fixed limits (see :func:`image_grid`).

    Examples
    --------
    >>> fig = images([np.zeros((3, 3))], ["blank"], title="A blank image")
    >>> fig.axes[0].get_title()
    'blank'
    """
    return image_grid([list(images)], [list(titles)] if titles else None, title=title, vmin=vmin,
                      vmax=vmax, size=size)


def _block_edges(ax: Any, h: int) -> None:
    """Black lines between the four H x H blocks of a (2H, 2H) matrix."""
    ax.axhline(h - 0.5, color="black", lw=2)
    ax.axvline(h - 0.5, color="black", lw=2)


@styled
def corrcoef_matrix(matrix: Any, *, title: str | None = None, names: tuple[str, str] = ("a", "b"),
                    axis_name: str = "row") -> SimlabFigure:
    """The matrix of ``np.corrcoef(a, b)`` with its four blocks outlined and labelled.

    Parameters
    ----------
    matrix : array_like, (2H, 2H)
        E.g. ``np.corrcoef(a, b)`` (or ``np.corrcoef(a, b, rowvar=False)`` with ``axis_name="column"``).
    title : str, optional
        The finding.
    names : (str, str)
        What to call the two images in the tick labels; the blocks are labelled aa, ab, ba, bb.
    axis_name : str
        ``"row"`` or ``"column"``: what each variable is.

    Examples
    --------
    >>> a = np.random.default_rng(0).random((4, 4))
    >>> fig = corrcoef_matrix(np.corrcoef(a, a), title="4 blocks")
    >>> fig.axes[0].get_images()[0].get_array().shape
    (8, 8)
    """
    matrix = np.asarray(matrix, dtype=float)
    h = matrix.shape[0] // 2
    fig, ax = new_figure(figsize=(7.2, 6.2))
    show_signed(ax, matrix, limit=1.0, colorbar="correlation (nan in yellow)")
    _block_edges(ax, h)
    centres = [(h - 1) / 2, h + (h - 1) / 2]
    a, b = names
    ticks = [f"{a}'s {axis_name}s 0..{h - 1}", f"{b}'s {axis_name}s 0..{h - 1}"]
    ax.set_xticks(centres, ticks)
    ax.set_yticks(centres, ticks, rotation=90, va="center")
    ax.tick_params(length=0)
    ax.set_xlabel(f"variable j: one per {axis_name}")
    ax.set_ylabel(f"variable i: one per {axis_name}")
    for (y, x), text in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["aa", "ab", "ba", "bb"]):
        ax.text(x * h + 0.6, y * h + 0.6, text, ha="left", va="top", fontsize=15, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
    if title:
        ax.set_title(title)
    return fig


@styled
def row_pair(image: Any, i: int, j: int, *, title: str | None = None, vmin: float = 0.0,
             vmax: float = 1.0) -> SimlabFigure:
    """Two rows of an image, marked on the image and plotted as 28 observations each.

    Shows what one entry ``[i, j]`` of ``np.corrcoef(image)`` correlates: row ``i`` with row ``j``,
    across the columns.

    Examples
    --------
    >>> fig = row_pair(np.random.default_rng(0).random((5, 5)), 1, 3)
    >>> len(fig.axes)
    2
    """
    image = np.asarray(image, dtype=float)
    fig, (left, right) = new_figure(1, 2, figsize=(10.5, 3.8), width_ratios=[1, 2.2])
    show_image(left, image, title="the image", vmin=vmin, vmax=vmax)
    colours = [ACCENT, "#1a73e8"]
    columns = np.arange(image.shape[1])
    for row, colour in zip((i, j), colours):
        left.axhspan(row - 0.5, row + 0.5, color=colour, alpha=0.45)
        right.plot(columns, image[row], "o-", color=colour, label=f"row {row}", ms=4)
    right.set_xlabel("column (one observation per column)")
    right.set_ylabel("pixel value")
    right.legend(loc="upper right")
    right.set_title(f"corrcoef entry [{i}, {j}] compares these two curves")
    if title:
        fig.suptitle(title)
    return fig


@styled
def blank_rows(image: Any, matrix: Any, constant: Any, *, title: str | None = None, vmin: float = 0.0,
               vmax: float = 1.0) -> SimlabFigure:
    """The constant (blank) rows of an image, and the nan rows and columns they cause in the matrix.

    Parameters
    ----------
    image : array_like, (H, W)
    matrix : array_like, (2H, 2H)
        ``np.corrcoef(image, other)``.
    constant : array_like of bool, (H,)
        Which rows of ``image`` are constant.
    title : str, optional
    vmin, vmax : float
        Grey limits of the image (``-0.5, 0.5`` for notMNIST-style values).

    Examples
    --------
    >>> img = np.random.default_rng(0).random((4, 4)); img[0] = 0
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = np.corrcoef(img, img)
    >>> len(blank_rows(img, m, img.std(axis=1) == 0).axes)
    3
    """
    image = np.asarray(image, dtype=float)
    fig, (left, right) = new_figure(1, 2, figsize=(11, 5), width_ratios=[1, 1.35])
    show_image(left, image, title=f"{int(np.sum(constant))} constant rows (marked)", vmin=vmin, vmax=vmax)
    for row in np.flatnonzero(constant):
        left.axhspan(row - 0.5, row + 0.5, color=NAN_COLOUR, alpha=0.6)
    show_signed(right, matrix, limit=1.0, colorbar="correlation (nan in yellow)", title="np.corrcoef(image, image)")
    h = np.asarray(matrix).shape[0] // 2
    _block_edges(right, h)
    right.set_xlabel(f"variable j: rows 0..{h - 1} of the first image, then of the second")
    right.set_ylabel("variable i (same order)")
    if title:
        fig.suptitle(title)
    return fig


def _regression_line(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    if np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, slope * xs + intercept, color=ACCENT, lw=2.5, label="least-squares line")


def _quadrant_counts(ax: Any, x: np.ndarray, y: np.ndarray, split: float | None) -> None:
    """Draw the split lines and write how many points lie in each quarter.

    The split is at ``split`` on both axes, or at the middle of each image's range; values above it
    count as ink. The dashed lines carry a legend entry that states the threshold.
    """
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    mx = (x.min() + x.max()) / 2 if split is None else split
    my = (y.min() + y.max()) / 2 if split is None else split
    where = f"{mx:.3g}" if mx == my else f"{mx:.3g} (x), {my:.3g} (y)"
    ax.axvline(mx, color="#5f6368", ls="--", lw=1.5, label=f"ink above {where}, background below")
    ax.axhline(my, color="#5f6368", ls="--", lw=1.5)
    for high_x in (False, True):
        for high_y in (False, True):
            count = int(np.sum(((x > mx) == high_x) & ((y > my) == high_y)))
            ax.text(0.25 + 0.5 * high_x, 0.25 + 0.5 * high_y, f"{count} pixels", transform=ax.transAxes,
                    ha="center", va="center", fontsize=12,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85, "edgecolor": "#9aa0a6"})


@styled
def pixel_scatter(a: Any, b: Any, *, title: str | None = None, names: tuple[str, str] = ("a", "b"),
                  jitter: float = 0.02, seed: int = 0, quadrants: bool = True,
                  split: float | None = None) -> SimlabFigure:
    """Every pixel as one point (value in ``a``, value in ``b``): what Pearson's r summarises.

    Letters are mostly pure background or pure ink, so most points pile up in the corners: a small,
    seeded jitter, uniform in ``±jitter`` on each axis, spreads them, and the legend says so (the
    least-squares line and the counts use the true values). ``quadrants=True`` draws the split as
    dashed lines, states it in the legend, and writes how many pixels fall in each quarter (values
    above ``split`` count as ink; default: the middle of each image's range).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = pixel_scatter(rng.random((4, 4)), rng.random((4, 4)), title="no relation")
    >>> fig.axes[0].get_xlabel()
    'pixel value in a'
    >>> fig.legends[0].get_texts()[0].get_text()
    '16 pixels (one point each, jittered by ±0.02 so overlaps show)'
    """
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    rng = np.random.default_rng(seed)
    fig, ax = new_figure(figsize=(6.2, 6.4))
    how = f"jittered by ±{jitter:g} so overlaps show" if jitter > 0 else "not jittered"
    ax.scatter(x + rng.uniform(-jitter, jitter, x.size), y + rng.uniform(-jitter, jitter, y.size), s=12,
               alpha=0.3, color="#1a73e8", edgecolors="none", label=f"{x.size} pixels (one point each, {how})")
    _regression_line(ax, x, y)
    if quadrants:
        _quadrant_counts(ax, x, y, split)
    for values, set_limits in ((x, ax.set_xlim), (y, ax.set_ylim)):
        margin = jitter + 0.04 * max(float(np.ptp(values)), 1e-12)  # room for the jitter, then a rim
        set_limits(values.min() - margin, values.max() + margin)
    ax.set_xlabel(f"pixel value in {names[0]}")
    ax.set_ylabel(f"pixel value in {names[1]}")
    ax.set_aspect("equal", adjustable="box")  # the limits stay as set (no "Ignoring fixed limits" warning)
    fig.legend(loc="outside lower center", ncols=1, frameon=False)
    if title:
        ax.set_title(title)
    return fig


@styled
def centred_vectors(a: Any, b: Any, *, title: str | None = None, names: tuple[str, str] = ("a", "b")
                    ) -> SimlabFigure:
    """The two centred, flattened images drawn as arrows in the plane they span.

    The angle between the arrows is the angle between two 784-dimensional vectors; its cosine is
    Pearson's r.

    Examples
    --------
    >>> fig = centred_vectors(np.array([[0.0, 1], [2, 3]]), np.array([[1.0, 0], [3, 2]]))
    >>> len(fig.axes)
    1
    """
    u = np.asarray(a, dtype=float).ravel()
    v = np.asarray(b, dtype=float).ravel()
    u, v = u - u.mean(), v - v.mean()
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    e1 = u / nu
    cos = float(np.clip(e1 @ v / nv, -1, 1))
    theta = np.arccos(cos)
    fig, ax = new_figure(figsize=(6.4, 5.2))
    tips = {names[0]: (1.0, 0.0), names[1]: (np.cos(theta), np.sin(theta))}
    for (name, tip), colour in zip(tips.items(), ["#1a73e8", ACCENT]):
        ax.annotate("", xy=tip, xytext=(0, 0),
                    arrowprops={"arrowstyle": "-|>", "lw": 3, "color": colour, "mutation_scale": 22})
        first = name == names[0]
        ax.text(tip[0] + (0.04 if first else 0), tip[1] + (0 if first else 0.06), f"{name} − mean({name})",
                color=colour, ha="left" if first else "center", va="center", fontsize=13)
    arc = np.linspace(0, theta, 50)
    ax.plot(0.3 * np.cos(arc), 0.3 * np.sin(arc), color="black", lw=1.5)
    ax.text(0.38 * np.cos(theta / 2), 0.38 * np.sin(theta / 2), f"θ = {np.degrees(theta):.0f}°", fontsize=14)
    ax.plot([np.cos(theta), np.cos(theta)], [0, np.sin(theta)], ls=":", color="grey")
    ax.annotate(f"cos θ = {cos:.3f}", xy=(np.cos(theta), 0), xytext=(np.cos(theta), -0.18), ha="center",
                fontsize=13, arrowprops={"arrowstyle": "->", "color": "grey"})
    ax.set_xlim(min(-0.2, np.cos(theta) - 0.3), 1.55)
    ax.set_ylim(-0.3, 1.15)
    ax.set_aspect("equal")
    ax.set_xlabel(f"direction of {names[0]} (unit length)")
    ax.set_ylabel("perpendicular, in the plane of both")
    if title:
        ax.set_title(title)
    return fig


@styled
def shift_curve(shifts: Any, values: Any, *, title: str | None = None, ylabel: str = "Pearson r",
                references: Mapping[str, float] | None = None, xlabel: str = "shift (pixels)"
                ) -> SimlabFigure:
    """A score against shift size over many images: median and interquartile band.

    Parameters
    ----------
    shifts : array_like, (S,)
    values : array_like, (N, S)
        One row per image, one column per shift.
    title : str, optional
    ylabel : str
    references : dict, optional
        Label -> value, drawn as dashed horizontal lines (e.g. the typical score of another letter).
    xlabel : str

    Examples
    --------
    >>> fig = shift_curve([0, 1, 2], [[1, 0.5, 0.2], [1, 0.7, 0.4]], references={"other letter": 0.3})
    >>> fig.axes[0].get_ylabel()
    'Pearson r'
    """
    shifts = np.asarray(shifts, dtype=float)
    values = np.asarray(values, dtype=float)
    low, median, high = np.nanpercentile(values, [25, 50, 75], axis=0)
    fig, ax = new_figure(figsize=(7.2, 4.8))
    ax.fill_between(shifts, low, high, color="#1a73e8", alpha=0.2, label="middle 50% of images")
    ax.plot(shifts, median, "o-", color="#1a73e8", lw=2.5, label=f"median over {values.shape[0]} images")
    for (label, value), style, colour in zip((references or {}).items(), ["--", "-.", ":"],
                                             [ACCENT, "#5f6368", "#188038"]):
        ax.axhline(value, color=colour, ls=style, lw=2, label=label)
    ax.set_xticks(shifts)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig


_PANEL_METRICS = ("mse", "ssim", "mutual_information")  # the numbers in pair_panel's titles


def _pair_panel_values(comparison: Any) -> dict[str, Any]:
    """What :func:`pair_panel` draws, taken from a :class:`simlab.comparison.Comparison`."""
    missing = [m for m in _PANEL_METRICS if m not in comparison.values]
    if missing:
        raise ValueError(f"comparison= lacks {', '.join(missing)}: make it with simlab.compare(a, b, ...) "
                         "and every metric, or at least metrics=['mse', 'ssim', 'mutual_information']")
    counts, edges_a, edges_b = comparison.joint_histogram
    return {
        "difference": comparison.difference,
        "mse": comparison.values["mse"],
        "ssim": comparison.values["ssim"],
        "ssim_map": comparison.ssim_map,
        # rows: b's bins; empty cells masked, so they stay white and any filled cell shows in colour
        "log_counts": np.ma.masked_equal(np.log10(1.0 + np.asarray(counts, dtype=np.float64)).T, 0.0),
        "extent": (float(edges_a[0]), float(edges_a[-1]), float(edges_b[0]), float(edges_b[-1])),
        "mi": comparison.values["mutual_information"],
    }


def _pair_panel_colourbar(ax: Any, artist: Any, limit: float, sign: str, small: float) -> None:
    """A slim colour bar for a signed panel of :func:`pair_panel`: ticks at -limit, 0, +limit only."""
    bar = ax.figure.colorbar(artist, ax=ax, fraction=0.07, pad=0.03, shrink=0.85, ticks=[-limit, 0.0, limit])
    bar.ax.set_yticklabels([f"−{limit:g}", "0", f"{sign}{limit:g}"])
    bar.ax.tick_params(labelsize=small, length=0, pad=2)
    bar.outline.set_visible(False)


def _pair_panel_freeze_layout(fig: Any, axes: Any, caption: Any, title_size: float) -> None:
    """Lay :func:`pair_panel` out once with typical titles, then keep those positions.

    Constrained layout measures the titles, so each pair's numbers would move the panels by a few
    pixels; with the layout fixed, every pair is drawn at the same place (the live app redraws only
    the changing parts over a saved background, which needs exactly that).
    """
    typical = ("A\nM #0000", "B\nM #0000", "B − A\nMSE 0.000", "SSIM map\nmean -0.00", "joint hist.\nMI 0.00 bits")
    for ax, title in zip(axes, typical):
        ax.set_title(title, fontsize=title_size)
    caption.set_text("shift x 0 px")
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")


@styled
def pair_panel(a: Any, b: Any, *, data_range: float = 1.0, bins: int | None = None,
               names: tuple[str, str] = ("A", "B"), titles: tuple[str, str] | None = None,
               note: str = "", figsize: tuple[float, float] = (13.0, 3.4), dpi: float = 80,
               fontsize: float | None = None, fig: SimlabFigure | None = None, comparison: Any = None) -> SimlabFigure:
    """Two images side by side with their difference, SSIM map and joint histogram.

    The comparison panel of the live app (:func:`simlab.widgets.compare_app`) and of
    ``python -m simlab compare --figure``. Five panels, left to right: ``a``; ``b``; ``b - a``
    (diverging, white at 0, limits ``±data_range``, with a colour bar); the SSIM map (diverging,
    limits -1..1, with a colour bar; its mean is SSIM); the joint histogram of grey levels
    (``log10(1 + count)`` in viridis, empty cells white so every filled cell stands out when
    projected; ``a`` across, ``b`` up, on fixed axes spanning the value range; its mutual information
    is in the title). Titles carry the numbers, on a second line: MSE, mean SSIM, MI in bits.

    Parameters
    ----------
    a, b : array_like, (H, W)
        The two images (same shape); floats in ``0..data_range``, or integers.
    data_range : float, default 1.0
        Span of the grey levels (1.0 for a simlab Dataset, 255 for uint8): grey limits, the
        difference's colour limits and SSIM's constants.
    bins : int, optional
        Bins per axis of the joint histogram (default ``simlab.information.DEFAULT_BINS``).
    names : (str, str), default ("A", "B")
        Short names used in the difference title and the histogram's axis labels.
    titles : (str, str), optional
        Titles of the first two panels (default: ``names``).
    note : str, default ""
        A line under ``b``'s panel, e.g. what was done to it (``"dx=2, invert"``).
    figsize : (float, float), default (13.0, 3.4)
        Size in inches.
    dpi : float, default 80
        Resolution for PNG output (a 1040 x 272 pixel picture by default).
    fontsize : float, optional
        Size of the titles in points; tick labels, axis labels and the note are 0.8 of it. Default:
        the figure style's (14 and 11). The live app's projector mode draws larger.
    fig : Figure, optional
        A figure returned by an earlier call: its images, limits and titles are updated in place
        (no new axes, about twice as fast) and it is returned. Its ``data_range`` and ``bins`` are
        kept from the first call.
    comparison : Comparison, optional
        ``simlab.compare(a, b, data_range=..., bins=...)`` of this pair, already computed (e.g. for a
        table): the panel draws its difference, SSIM map and joint histogram and shows its MSE, SSIM
        and MI instead of computing them again. It must hold those three metrics.

    Returns
    -------
    SimlabFigure
        The figure (save it with ``fig.savefig(path)``; it shows itself in a notebook).

    Notes
    -----
    Everything drawn comes from one :func:`simlab.compare` of the pair (given, or computed here
    with ``metrics=["mse", "ssim", "mutual_information"]``): the SSIM map is
    ``simlab.ssim(a, b, data_range=data_range, full=True)[1]`` (uniform 7x7 window); the joint
    histogram is ``simlab.information.joint_histogram(a, b, bins)``, whose edges span each image's
    own min..max, so the histogram's axes move with the images.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((28, 28)); b = np.clip(a + 0.1, 0, 1)
    >>> fig = pair_panel(a, b)
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes[:5]]   # then the two colour bars
    ['A', 'B', 'B − A', 'SSIM map', 'joint hist.']
    >>> pair_panel(a, 1 - a, fig=fig) is fig
    True
    """
    from ._validation import as_pair

    a, b = as_pair(a, b)
    state = getattr(fig, "_simlab_pair_panel", None)
    if state is not None:
        data_range, bins, fontsize = state["data_range"], state["bins"], state["fontsize"]
    title_size = fontsize or STYLE["axes.titlesize"]
    small = 0.8 * fontsize if fontsize else STYLE["xtick.labelsize"]
    if comparison is None:
        from .comparison import compare

        extra = {} if bins is None else {"bins": bins}
        comparison = compare(a, b, data_range=data_range, metrics=_PANEL_METRICS, **extra)
    values = _pair_panel_values(comparison)
    titles = tuple(titles) if titles is not None else tuple(names)
    text = [
        titles[0],
        titles[1],
        f"{names[1]} − {names[0]}\nMSE {values['mse']:.3g}",
        f"SSIM map\nmean {values['ssim']:.2f}",
        f"joint hist.\nMI {values['mi']:.2f} bits",
    ]
    if state is None:
        signed = np.issubdtype(a.dtype, np.signedinteger)
        low = float(np.iinfo(a.dtype).min) if signed else 0.0
        fig, axes = new_figure(1, 5, figsize=figsize)
        fig.set_dpi(dpi)
        artists = [show_image(axes[0], a, vmin=low, vmax=low + data_range),
                   show_image(axes[1], b, vmin=low, vmax=low + data_range),
                   show_signed(axes[2], values["difference"], limit=data_range),
                   show_signed(axes[3], values["ssim_map"], limit=1.0)]
        for ax, artist, limit, sign in ((axes[2], artists[2], data_range, "+"), (axes[3], artists[3], 1.0, "")):
            _bare(ax)
            _pair_panel_colourbar(ax, artist, limit, sign, small)
        artists.append(axes[4].imshow(values["log_counts"], origin="lower", aspect="auto", cmap="viridis",
                                      extent=values["extent"], interpolation="nearest"))
        axes[4].set_xlabel(f"grey level in {names[0]}", fontsize=small)
        axes[4].set_ylabel(names[1], fontsize=small)
        axes[4].tick_params(labelsize=small)
        axes[4].set_autoscale_on(False)  # fixed axes: the histogram moves, the frame does not
        axes[4].set_xlim(low, low + data_range)
        axes[4].set_ylim(low, low + data_range)
        axes[4].locator_params(nbins=3)
        caption = axes[1].text(0.5, -0.03, "", transform=axes[1].transAxes, ha="center", va="top",
                               fontsize=small)
        _pair_panel_freeze_layout(fig, axes, caption, title_size)
        state = {"artists": artists, "axes": list(axes), "data_range": data_range, "bins": bins,
                 "note": caption, "fontsize": fontsize}
        fig._simlab_pair_panel = state  # type: ignore[attr-defined]
    else:
        artists = state["artists"]
        for artist, image in zip(artists, (a, b, values["difference"], values["ssim_map"])):
            artist.set_data(image)
        artists[4].set_data(values["log_counts"])
        artists[4].set_extent(values["extent"])
    artists[4].set_clim(np.log10(2.0), max(float(values["log_counts"].max()), 0.5))  # 1 pixel: darkest
    for ax, title in zip(state["axes"], text):
        ax.set_title(title, fontsize=title_size)
    state["note"].set_text(note)
    return fig


# ------------------------------------------------------------------ notebooks 03 and 04 (H5)


def _log_counts(ax: Any, counts: np.ndarray, edges_a: np.ndarray, edges_b: np.ndarray) -> Any:
    """Draw a joint histogram (``a`` up the rows, ``b`` across), log colour scale, empty cells white."""
    from matplotlib.colors import LogNorm

    counts = np.asarray(counts, dtype=float)
    extent = (float(edges_b[0]), float(edges_b[-1]), float(edges_a[0]), float(edges_a[-1]))
    return ax.imshow(np.ma.masked_equal(counts, 0), origin="lower", cmap="viridis", extent=extent,
                     norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)), aspect="auto",
                     interpolation="nearest")


@styled
def joint_histogram_marginals(counts: Any, edges_a: Any, edges_b: Any, *, title: str | None = None,
                              names: tuple[str, str] = ("A", "B")) -> SimlabFigure:
    """A joint histogram as an image, with each image's own histogram (its marginal) along the edges.

    Parameters
    ----------
    counts : array_like, (bins_a, bins_b)
        ``counts[i, j]`` = number of pixels with ``a`` in bin ``i`` and ``b`` in bin ``j``, e.g. from
        :func:`simlab.information.joint_histogram`.
    edges_a, edges_b : array_like
        The bin edges of each image.
    title : str, optional
        The finding.
    names : (str, str)
        What to call the two images on the axes.

    Notes
    -----
    Colours are on a log scale (one cell, background in both, usually dominates); empty cells are
    white. The row sums
    (``a``'s histogram) are drawn on the right, the column sums (``b``'s) on top.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> counts, ea, eb = np.histogram2d(rng.random(50), rng.random(50), bins=4)
    >>> len(joint_histogram_marginals(counts, ea, eb, title="noise").axes)
    4
    """
    counts = np.asarray(counts, dtype=float)
    edges_a, edges_b = np.asarray(edges_a, dtype=float), np.asarray(edges_b, dtype=float)
    fig = SimlabFigure(figsize=(7.4, 6.6), layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=[4, 1.2, 0.25], height_ratios=[1.2, 4])
    main = fig.add_subplot(grid[1, 0])
    top = fig.add_subplot(grid[0, 0], sharex=main)
    right = fig.add_subplot(grid[1, 1], sharey=main)
    artist = _log_counts(main, counts, edges_a, edges_b)
    fig.colorbar(artist, cax=fig.add_subplot(grid[1, 2]), label="pixels in the cell (log; white: none)")
    main.set_xlabel(f"grey level in {names[1]}")
    main.set_ylabel(f"grey level in {names[0]}")
    top.bar(edges_b[:-1], counts.sum(axis=0), width=np.diff(edges_b), align="edge", color="#1a73e8")
    right.barh(edges_a[:-1], counts.sum(axis=1), height=np.diff(edges_a), align="edge", color=ACCENT)
    top.set_yscale("log")
    right.set_xscale("log")
    top.tick_params(labelbottom=False)
    right.tick_params(labelleft=False)
    top.set_ylabel(f"{names[1]}:\npixels")
    right.set_xlabel(f"{names[0]}: pixels")
    if title:
        fig.suptitle(title)
    return fig


@styled
def curves(x: Any, ys: Mapping[str, Any], *, title: str | None = None, xlabel: str = "",
           ylabel: str = "", logx: bool = False, marks: Mapping[float, str] | None = None
           ) -> SimlabFigure:
    """Several labelled curves over the same x, with optional marked x positions (dashed lines).

    Examples
    --------
    >>> fig = curves([2, 4, 8], {"one": [1, 2, 3]}, xlabel="bins", marks={4: "default"})
    >>> fig.axes[0].get_xlabel()
    'bins'
    """
    fig, ax = new_figure(figsize=(7.6, 4.8))
    colours = ["#1a73e8", ACCENT, "#1e8e3e", "#8430ce"]
    for (label, y), colour in zip(ys.items(), colours):
        ax.plot(x, y, "o-", lw=2.5, ms=5, color=colour, label=label)
    for (position, label), style in zip((marks or {}).items(), ["--", ":", "-."]):
        ax.axvline(position, color="grey", ls=style, lw=1.8, label=label)
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(x), [f"{v:g}" for v in x], rotation=45 if len(x) > 8 else 0)
        ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return fig


@styled
def same_histograms(a: Any, b: Any, *, bins: int = 16, title: str | None = None,
                    names: tuple[str, str] = ("A", "B"), note: str | None = None) -> SimlabFigure:
    """Two images with the same histogram, and the joint histograms that tell them apart.

    Top row: ``a``, ``b`` and their two histograms overlaid. Bottom row: the joint histogram of ``a``
    with itself (every pair on the diagonal), of ``a`` with ``b``, and an optional note. Shows that
    equal histograms say nothing about how the pixels *pair up*, which is all that mutual
    information measures.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((8, 8)); b = rng.permutation(a.ravel()).reshape(8, 8)
    >>> len(same_histograms(a, b, bins=4, note="MI = 0").axes)  # 5 panels, a note and a colour bar
    7
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    fig, axes = new_figure(2, 3, figsize=(13.5, 8.4))
    show_image(axes[0, 0], a, title=names[0])
    show_image(axes[0, 1], b, title=names[1])
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), bins + 1)
    axes[0, 2].hist(a.ravel(), bins=edges, color="#1a73e8", alpha=0.6, label=names[0], log=True)
    axes[0, 2].hist(b.ravel(), bins=edges, histtype="step", color=ACCENT, lw=2.5, ls="--", label=names[1],
                    log=True)
    axes[0, 2].set_xlabel("grey level")
    axes[0, 2].set_ylabel("pixels (log)")
    axes[0, 2].legend(loc="upper center")
    axes[0, 2].set_title("their histograms: identical")
    for ax, other, name, label in ((axes[1, 0], a, names[0], "with itself: all on the diagonal"),
                                   (axes[1, 1], b, names[1], f"with {names[1]}: scattered")):
        counts, edges_a, edges_b = np.histogram2d(a.ravel(), other.ravel(), bins=bins)
        artist = _log_counts(ax, counts, edges_a, edges_b)
        ax.set_title(f"joint histogram of {names[0]}\n{label}", fontsize=12)
        ax.set_xlabel(f"grey level in {name}")
        ax.set_ylabel(f"grey level in {names[0]}")
    fig.colorbar(artist, ax=list(axes[1, :2]), label="pixels (log; white: none)", shrink=0.9)
    axes[1, 2].set_axis_off()
    if note:
        axes[1, 2].text(0.05, 0.5, note, transform=axes[1, 2].transAxes, ha="left", va="center", fontsize=14)
    if title:
        fig.suptitle(title)
    return fig


#: Band edges of the SSIM colour scale: equal-height bands, finer towards 1, where most local SSIM lies.
SSIM_LEVELS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
_SSIM_BAND_COLOURS = ("#2166ac", "#92c5de", "#ffffff", "#d9d9d9", "#ffeda0", "#fed976", "#fd8d3c", "#e31a1c",
                      "#800026", "#2d004b")


def _show_similarity(ax: Any, values: Any) -> Any:
    """Draw an SSIM (or l, c, s) map in the banded scale of :data:`SSIM_LEVELS`; returns the artist.

    A continuous -1..1 scale paints everything from 0.7 to 1 the same dark red, and that is where
    SSIM maps live; bands that narrow towards 1 keep 0.9, 0.95 and 0.99 apart. Blue is below 0,
    white 0..0.25, light grey 0.25..0.5, then yellow through red to dark purple at 0.99..1 (1 = the
    same).
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(_SSIM_BAND_COLOURS).with_extremes(bad=NAN_COLOUR)
    norm = BoundaryNorm(SSIM_LEVELS, cmap.N)
    return ax.imshow(np.ma.masked_invalid(np.asarray(values, dtype=float)), cmap=cmap, norm=norm,
                     interpolation="nearest")


def _similarity_colourbar(fig: Any, artist: Any, axes: Any, label: str) -> None:
    bar = fig.colorbar(artist, ax=axes, shrink=0.85, label=label, ticks=SSIM_LEVELS, spacing="uniform")
    bar.ax.set_yticklabels([f"{v:g}" for v in SSIM_LEVELS])


def _outline_valid(ax: Any, shape: tuple[int, int], pad: int) -> None:
    """Dashed square around the part of an SSIM map that is averaged (``pad`` cropped on each side)."""
    from matplotlib.patches import Rectangle

    if pad > 0:
        ax.add_patch(Rectangle((pad - 0.5, pad - 0.5), shape[1] - 2 * pad, shape[0] - 2 * pad,
                               fill=False, ls="--", lw=2, ec="black"))


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _outline_shape(ax: Any, image: Any) -> None:
    """Thin contour of an image's ink (grey level 0.5 of its range), to locate features on a map."""
    image = np.asarray(image, dtype=float)
    if np.ptp(image) > 0:
        ax.contour(image, levels=[image.min() + 0.5 * np.ptp(image)], colors="#00c853", linewidths=1.6)


@styled
def ssim_terms(components: Any, *, title: str | None = None, outline: Any = None) -> SimlabFigure:
    """SSIM's luminance, contrast and structure maps and their product, the SSIM map.

    Parameters
    ----------
    components : record
        From :func:`simlab.structural.ssim_components`: ``luminance``, ``contrast``, ``structure``,
        ``ssim_map`` (2-D maps) and ``pad`` (the cropped border, outlined by a dashed square).
    title : str, optional
        The finding.
    outline : array_like, optional
        An image (e.g. the original) whose ink is drawn as a thin green contour on every map.

    Notes
    -----
    All four maps share one banded colour scale (:data:`SSIM_LEVELS`): blue below 0, white and light
    grey from 0 to 0.5, then yellow, orange and red in bands that narrow towards 1, dark purple for 0.99..1 ("the
    same"). Each panel's title gives the map's mean over the averaged (un-cropped) part.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> m = np.ones((9, 9))
    >>> c = SimpleNamespace(luminance=m, contrast=m, structure=m, ssim_map=m, pad=3)
    >>> len(ssim_terms(c).axes)
    5
    """
    names = [("luminance", "luminance l"), ("contrast", "contrast c"), ("structure", "structure s"),
             ("ssim_map", "SSIM = l · c · s")]
    pad = int(components.pad)
    fig, axes = new_figure(1, 4, figsize=(15, 4.3))
    for ax, (attribute, label) in zip(axes, names):
        values = np.asarray(getattr(components, attribute), dtype=float)
        inner = values[pad:values.shape[0] - pad, pad:values.shape[1] - pad]
        artist = _show_similarity(ax, values)
        ax.set_title(f"{label}\nmean {inner.mean():.2f}")
        _outline_valid(ax, values.shape, pad)
        if outline is not None:
            _outline_shape(ax, outline)
        _bare(ax)
    _similarity_colourbar(fig, artist, list(axes), "1 = same, 0 = unrelated")
    if title:
        fig.suptitle(title)
    return fig


@styled
def ssim_maps(reference: Any, others: Mapping[str, Any], maps: Mapping[str, Any],
              scores: Mapping[str, float], *, pad: int = 3, title: str | None = None,
              reference_name: str = "original") -> SimlabFigure:
    """Damaged copies of one image (top row) above their SSIM maps against it (bottom row).

    Each map carries the original's ink as a thin green contour, so you can see where along the
    strokes the similarity is lost. The maps use the banded scale of :data:`SSIM_LEVELS` (see
    :func:`ssim_terms`), which keeps 0.9, 0.95 and 0.99 apart.

    Parameters
    ----------
    reference : array_like, (H, W)
        The original image, shown at the top left.
    others : dict
        Name -> damaged copy.
    maps : dict
        Name -> SSIM map (``simlab.ssim(reference, copy, full=True)[1]``).
    scores : dict
        Name -> mean SSIM, shown in the map's title.
    pad : int
        Cropped border, outlined by a dashed square.
    title : str, optional
    reference_name : str

    Examples
    --------
    >>> z = np.zeros((9, 9))
    >>> len(ssim_maps(z, {"x": z}, {"x": z}, {"x": 1.0}).axes)  # 2x2 panels and a colour bar
    5
    """
    names = list(others)
    fig, axes = new_figure(2, len(names) + 1, figsize=(3.3 * (len(names) + 1) + 1.2, 7.4), squeeze=False)
    show_image(axes[0, 0], reference, title=reference_name)
    axes[1, 0].text(0.5, 0.5, "SSIM map\nagainst the\noriginal:\n1 = same\n0 = unrelated\n< 0 = opposite",
                    ha="center", va="center", transform=axes[1, 0].transAxes, fontsize=13)
    axes[1, 0].set_axis_off()
    for j, name in enumerate(names, start=1):
        show_image(axes[0, j], others[name], title=name)
        values = np.asarray(maps[name], dtype=float)
        artist = _show_similarity(axes[1, j], values)
        axes[1, j].set_title(f"SSIM {scores[name]:.2f}")
        _outline_valid(axes[1, j], values.shape, pad)
        _outline_shape(axes[1, j], reference)
        _bare(axes[1, j])
    _similarity_colourbar(fig, artist, list(axes[1, 1:]), "local SSIM")
    if title:
        fig.suptitle(title)
    return fig


@styled
def window_weights(windows: Mapping[str, Any], *, title: str | None = None) -> SimlabFigure:
    """Weights of local windows (e.g. uniform 7x7 and Gaussian), drawn on the same grid and scale.

    Examples
    --------
    >>> w = np.zeros((5, 5)); w[1:4, 1:4] = 1 / 9
    >>> len(window_weights({"uniform 3x3": w}).axes)
    2
    """
    values = {name: np.asarray(w, dtype=float) for name, w in windows.items()}
    top = max(float(w.max()) for w in values.values())
    fig, axes = new_figure(1, len(values), figsize=(4.4 * len(values) + 1.2, 4.6), squeeze=False)
    for ax, (name, w) in zip(axes[0], values.items()):
        artist = ax.imshow(w, cmap="Greys", vmin=0, vmax=top, interpolation="nearest")
        ax.set_title(name, fontsize=13)
        ax.set_xticks(range(w.shape[1]), [str(i - w.shape[1] // 2) for i in range(w.shape[1])], fontsize=11)
        ax.set_yticks(range(w.shape[0]), [str(i - w.shape[0] // 2) for i in range(w.shape[0])], fontsize=11)
        ax.set_xlabel("offset from the centre pixel")
    fig.colorbar(artist, ax=list(axes[0]), shrink=0.85, label="weight")
    if title:
        fig.suptitle(title)
    return fig


#: One colour per metric, the same in every figure of notebook 06 and the command line.
METRIC_COLOURS: Mapping[str, str] = MappingProxyType({
    "pearson": "#1a73e8",
    "ssim": "#e8710a",
    "mutual_information": "#188038",
    "normalized_mutual_information": "#202124",
    "mse": "#a142f4",
    "psnr": "#d01884",
})
#: One marker and line style per metric, so curves that lie on top of each other stay apart.
METRIC_LINES: Mapping[str, tuple[str, Any]] = MappingProxyType({
    "pearson": ("o", "-"),
    "ssim": ("s", (0, (4, 2))),
    "mutual_information": ("^", "-."),
    "normalized_mutual_information": ("v", ":"),
    "mse": ("D", (0, (9, 3))),
    "psnr": ("P", (0, (2, 1, 2, 4))),
})


def _metric_name(name: str) -> str:
    """The display name of a metric from its record (``simlab.METRICS[name].display``), else the name."""
    from .metrics import METRICS

    return METRICS[name].display if name in METRICS else name


@styled
def invariance_heatmap(values: Any, metrics: Sequence[str], columns: Sequence[tuple[str, str]], *,
                       title: str | None = None, label: str = "retained similarity") -> SimlabFigure:
    """A metrics x (transform, strength) table of scores on a diverging map, values written in.

    Parameters
    ----------
    values : array_like, (M, C)
        One row per metric, one column per (transform, strength); 1 = as similar as the untransformed
        image, 0 = as similar as a typical unrelated image, below 0 = less similar than that.
    metrics : sequence of str, (M,)
        Metric names, shown by their display names (``simlab.METRICS[name].display``).
    columns : sequence of (str, str), (C,)
        ``(transform, strength label)``, the label with its unit (``"4 px"``); consecutive columns of
        one transform are grouped, in the order given (mild to strong).
    title : str, optional
        The finding.
    label : str
        Colour-bar label.

    Examples
    --------
    >>> fig = invariance_heatmap([[1, 0.5], [0.2, -1]], ["pearson", "ssim"], [("shift", "1 px"), ("shift", "2 px")])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Pearson r', 'SSIM']
    """
    values = np.asarray(values, dtype=float)
    # about 0.75 inch a cell: the 13-point numbers and the unit labels fit
    fig, ax = new_figure(figsize=(max(7.0, 0.75 * len(columns) + 2.8), 0.6 * len(metrics) + 2.4))
    show_signed(ax, values, limit=1.0, colorbar=label)
    ax.set_aspect("auto")
    ax.set_yticks(range(len(metrics)), [_metric_name(m) for m in metrics], fontsize=13)
    ax.set_xticks(range(len(columns)), [strength for _, strength in columns], fontsize=11, rotation=40,
                  ha="right", rotation_mode="anchor")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "" if np.isnan(v) else f"{v:.1f}".replace("-0.0", "0.0"), ha="center", va="center",
                fontsize=13, color="white" if abs(v) > 0.6 else "black")
    start = 0
    for k in range(1, len(columns) + 1):
        if k == len(columns) or columns[k][0] != columns[start][0]:
            ax.text((start + k - 1) / 2, -0.7, columns[start][0], ha="center", va="bottom", fontsize=12,
                    fontweight="bold")
            if k < len(columns):
                ax.axvline(k - 0.5, color="black", lw=1.5)
            start = k
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, pad=30)
    return fig


@styled
def invariance_curves(strengths: Mapping[str, Any], values: Mapping[str, Any], metrics: Sequence[str], *,
                      title: str | None = None, ylabel: str = "retained similarity",
                      units: Mapping[str, str] | None = None) -> SimlabFigure:
    """Small multiples: one panel per transform, one line per metric, score against strength.

    Parameters
    ----------
    strengths : dict str -> array_like (S,)
        Transform name -> its strengths, mild to strong. Strengths that *decrease* towards strong
        (a contrast factor: 0.8 is mild, 0.2 strong) are drawn on a reversed axis, so every panel
        reads mild on the left, strong on the right.
    values : dict str -> array_like (M, S)
        Transform name -> one row per metric.
    metrics : sequence of str, (M,)
        Metric names; each gets its colour (:data:`METRIC_COLOURS`), marker and line style
        (:data:`METRIC_LINES`) and its display name in the legend.
    title : str, optional
    ylabel : str
    units : dict str -> str, optional
        Transform name -> x-axis label.

    Examples
    --------
    >>> fig = invariance_curves({"contrast": [0.8, 0.2]}, {"contrast": [[1, 0.5]]}, ["pearson"])
    >>> fig.axes[0].get_title(), bool(fig.axes[0].xaxis_inverted())
    ('contrast', True)
    >>> fig.legends[0].get_texts()[0].get_text()
    'Pearson r'
    """
    names = list(strengths)
    ncols = min(4, -(-len(names) // 2))
    nrows = -(-len(names) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.4 * ncols + 0.4, 3.0 * nrows + 1.3), squeeze=False)
    for ax, name in zip(axes.flat, names):
        x = np.asarray(strengths[name], dtype=float)
        rows = np.asarray(values[name], dtype=float)
        # the first metric on top, thinnest, with the largest hollow marker; the later ones below, wider
        # and filled, so that two metrics with the same values both stay visible
        for order, (metric, row) in reversed(list(enumerate(zip(metrics, rows)))):
            marker, style = METRIC_LINES.get(metric, ("o", "-"))
            ax.plot(x, row, marker=marker, ls=style, ms=10 - 1.1 * order, lw=1.8 + 0.45 * order,
                    mfc="none" if order in (0, 2) else None, mew=2, color=METRIC_COLOURS.get(metric),
                    label=_metric_name(metric), zorder=10 - order)
        ax.axhline(0, color="grey", lw=1, ls="--")
        ax.set_ylim(-1.05, 1.05)
        crowded = len(x) > 1 and np.min(np.diff(np.sort(x))) < 0.1 * np.ptp(x)
        ax.set_xticks(x, [f"{v:g}" for v in x], rotation=45 if crowded else 0)
        if len(x) > 1 and x[-1] < x[0]:
            ax.invert_xaxis()
        ax.set_title(name)
        ax.set_xlabel((units or {}).get(name, "strength"))
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: list(map(_metric_name, metrics)).index(labels[i]))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower center",
               ncols=min(len(metrics), 6), handlelength=3.2)
    if title:
        fig.suptitle(title)
    return fig


@styled
def precision_bars(precision: Mapping[str, Mapping[str, Sequence[float]]], chance: Mapping[str, float], *,
                   title: str | None = None, labels: Sequence[str] = ("precision@1", "precision@10"),
                   intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None) -> SimlabFigure:
    """Same-class retrieval precision per metric, one panel per data set, chance drawn as a line.

    Parameters
    ----------
    precision : dict data set -> dict metric -> (p@1, p@10)
    chance : dict data set -> float
        The precision of a random ranking (drawn dashed).
    title : str, optional
    labels : (str, str)
        Legend labels of the two bars.
    intervals : dict data set -> dict metric -> (low, high), optional
        An interval for each precision@1 (e.g. :func:`simlab.evaluation.bootstrap_interval`), drawn
        as an error bar and written inside the bar with the value.

    Examples
    --------
    >>> fig = precision_bars({"letters": {"ssim": (0.9, 0.8)}}, {"letters": 0.1},
    ...                      intervals={"letters": {"ssim": (0.88, 0.92)}})
    >>> fig.axes[0].get_title(), fig.axes[0].get_xticklabels()[0].get_text()
    ('letters', 'SSIM')
    """
    from matplotlib.patches import Patch

    fig, axes = new_figure(1, len(precision), figsize=(5.6 * len(precision) + 0.5, 5.6), squeeze=False)
    for ax, (name, table) in zip(axes[0], precision.items()):
        metrics = list(table)
        x = np.arange(len(metrics))
        p = np.asarray([table[m] for m in metrics], dtype=float)
        for k, (label, alpha, hatch) in enumerate(zip(labels, (1.0, 0.45), ("", "//"))):
            bars = ax.bar(x + (k - 0.5) * 0.4, p[:, k], 0.4, label=label, alpha=alpha, hatch=hatch,
                          color=[METRIC_COLOURS.get(m, "grey") for m in metrics], edgecolor="white")
            if k == 0 and intervals is not None:
                low, high = np.asarray([intervals[name][m] for m in metrics], dtype=float).T
                ax.errorbar(x - 0.2, p[:, 0], yerr=[p[:, 0] - low, high - p[:, 0]], fmt="none", ecolor="black",
                            elinewidth=1.6, capsize=4)
                texts = [f"{v:.3f} ({lo:.3f}–{hi:.3f})" for v, lo, hi in zip(p[:, 0], low, high)]
                ax.bar_label(bars, labels=texts, fontsize=11, label_type="center", rotation=90, color="white")
            else:
                ax.bar_label(bars, fmt="%.2f", fontsize=11, padding=2, rotation=90)
        ax.axhline(chance[name], color="black", ls="--", lw=1.5)
        ax.text(len(metrics) - 0.5, chance[name] - 0.012, f"chance {chance[name]:.3f}", ha="right",
                va="top", fontsize=11, bbox={"facecolor": "white", "edgecolor": "black", "pad": 2})
        ax.set_xticks(x, [_metric_name(m) for m in metrics], rotation=30, ha="right", fontsize=12)
        ax.set_ylim(0, 1.18)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_title(name)
    handles = [Patch(facecolor="grey", label=labels[0]), Patch(facecolor="grey", alpha=0.45, hatch="//",
                                                                 edgecolor="white", label=labels[1])]
    if intervals is not None:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="black", marker="|", ms=12, ls="none",
                              label="95 % bootstrap interval of precision@1"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    axes[0, 0].set_ylabel("share of neighbours of the same class")
    if title:
        fig.suptitle(title)
    return fig


def _milliseconds(seconds: float) -> str:
    """A time in ms with 3 significant digits, never in scientific notation: '10.0 ms', '0.512 ms'."""
    ms = 1000.0 * seconds
    decimals = 0 if ms >= 100 else 1 if ms >= 10 else 2 if ms >= 1 else 3
    return f"{ms:,.{decimals}f} ms"


@styled
def cost_bars(seconds: Mapping[str, float], *, title: str | None = None,
              xlabel: str = "milliseconds per 10,000 comparisons") -> SimlabFigure:
    """A dot plot on a log axis: the time each metric takes, fastest at the top, value written in.

    ``seconds`` maps each metric to a time in seconds; the dots and their labels are in
    milliseconds, every label with 3 significant digits ("10.0 ms", "0.512 ms", "152 ms"). Dots, not
    bars: on a log axis only a position means something (a bar's length would depend on where the
    axis starts).

    Examples
    --------
    >>> fig = cost_bars({"pearson": 0.01, "ssim": 0.2})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Pearson r', 'SSIM']
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['10.0 ms', '200 ms']
    """
    order = sorted(seconds, key=seconds.get)
    ms = np.array([1000.0 * seconds[m] for m in order])
    fig, ax = new_figure(figsize=(7.5, 0.55 * len(order) + 1.6))
    y = np.arange(len(order))
    ax.hlines(y, min(ms) / 2, ms, color="#dadce0", lw=1.5, zorder=1)  # guides from the edge to each dot
    ax.scatter(ms, y, s=110, color=[METRIC_COLOURS.get(m, "grey") for m in order], zorder=3)
    for yi, m, value in zip(y, order, ms):
        ax.text(value * 1.25, yi, _milliseconds(seconds[m]), va="center", fontsize=12)
    ax.set_yticks(y, [_metric_name(m) for m in order], fontsize=12)
    ax.invert_yaxis()
    ax.set_xscale("log")  # costs span orders of magnitude
    ax.set_xlabel(xlabel + " (log scale)")
    ax.set_xlim(min(ms) / 2, 8 * max(ms))
    ax.grid(axis="x", which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


@styled
def neighbours_panel(query: Any, neighbours: Any, classes: Sequence[str], scores: Sequence[float], *,
                     metric: str = "ssim", query_title: str = "query", title: str | None = None,
                     size: float = 1.9) -> SimlabFigure:
    """A query image and its nearest neighbours, best first, each titled with class and score.

    Parameters
    ----------
    query : array_like, (H, W)
        In [0, 1].
    neighbours : array_like, (K, H, W)
        In [0, 1], best first.
    classes : sequence of str, (K,)
    scores : sequence of float, (K,)
    metric : str
        Shown in the titles.
    query_title : str
    title : str, optional
        The figure title (default: "the K nearest by METRIC").
    size : float
        Inches per image.

    Examples
    --------
    >>> fig = neighbours_panel(np.zeros((4, 4)), np.ones((2, 4, 4)), ["A", "B"], [0.9, 0.5])
    >>> [ax.get_title() for ax in fig.axes][1]
    '1: A\\n0.9'
    """
    neighbours = np.asarray(neighbours, dtype=float)
    k = len(neighbours)
    fig, axes = new_figure(1, k + 1, figsize=(size * (k + 1) + 0.4, size + 1.3))
    axes = np.atleast_1d(axes)
    show_image(axes[0], query, title=query_title[-18:])
    for spine in axes[0].spines.values():
        spine.set_color(ACCENT)
        spine.set_linewidth(3)
    for r, (ax, image, name, score) in enumerate(zip(axes[1:], neighbours, classes, scores), start=1):
        show_image(ax, image, title=f"{r}: {name}\n{score:.3g}")
    fig.suptitle(title or f"the {k} nearest by {metric}")
    return fig
