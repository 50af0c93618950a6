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
from typing import Any, TypeVar

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

__all__ = [
    "DIVERGING_CMAP",
    "IMAGE_CMAP",
    "NAN_COLOUR",
    "STYLE",
    "SimlabFigure",
    "blank_rows",
    "centred_vectors",
    "corrcoef_matrix",
    "image_grid",
    "images",
    "new_figure",
    "pixel_scatter",
    "row_pair",
    "shift_curve",
    "show_image",
    "show_signed",
    "styled",
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
    ax.set_xticks([])
    ax.set_yticks([])
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
        What to call the two images in the block labels.
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
    for position in (h - 0.5,):
        ax.axhline(position, color="black", lw=2)
        ax.axvline(position, color="black", lw=2)
    centres = [(h - 1) / 2, h + (h - 1) / 2]
    a, b = names
    ticks = [f"{a}'s {axis_name}s", f"{b}'s {axis_name}s"]
    ax.set_xticks(centres, ticks)
    ax.set_yticks(centres, ticks, rotation=90, va="center")
    ax.tick_params(length=0)
    ax.set_xlabel(f"variable j (one per {axis_name}, 0..{2 * h - 1})")
    ax.set_ylabel(f"variable i (one per {axis_name}, 0..{2 * h - 1})")
    for (y, x), text in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [a + a, a + b, b + a, b + b]):
        ax.text(centres[x], centres[y], text, ha="center", va="center", fontsize=22, alpha=0.55,
                fontweight="bold")
    if title:
        ax.set_title(title)
    return fig


@styled
def row_pair(image: Any, i: int, j: int, *, title: str | None = None) -> SimlabFigure:
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
    show_image(left, image, title="the image", vmin=float(min(image.min(), 0)), vmax=float(max(image.max(), 1)))
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
def blank_rows(image: Any, matrix: Any, constant: Any, *, title: str | None = None) -> SimlabFigure:
    """The constant (blank) rows of an image, and the nan rows and columns they cause in the matrix.

    Parameters
    ----------
    image : array_like, (H, W)
    matrix : array_like, (2H, 2H)
        ``np.corrcoef(image, other)``.
    constant : array_like of bool, (H,)
        Which rows of ``image`` are constant.
    title : str, optional

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
    show_image(left, image, title=f"{int(np.sum(constant))} constant rows (marked)",
               vmin=float(min(image.min(), 0)), vmax=float(max(image.max(), 1)))
    for row in np.flatnonzero(constant):
        left.axhspan(row - 0.5, row + 0.5, color=NAN_COLOUR, alpha=0.6)
    show_signed(right, matrix, limit=1.0, colorbar="correlation (nan in yellow)", title="np.corrcoef(image, image)")
    h = np.asarray(matrix).shape[0] // 2
    right.axhline(h - 0.5, color="black", lw=1.5)
    right.axvline(h - 0.5, color="black", lw=1.5)
    right.set_xlabel("variable j (row of image, then of image)")
    right.set_ylabel("variable i")
    if title:
        fig.suptitle(title)
    return fig


def _regression_line(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    if np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, slope * xs + intercept, color=ACCENT, lw=2.5, label="least-squares line")
        ax.legend(loc="upper left")


@styled
def pixel_scatter(a: Any, b: Any, *, title: str | None = None, names: tuple[str, str] = ("a", "b"),
                  jitter: float = 0.006, seed: int = 0) -> SimlabFigure:
    """Every pixel as one point (value in ``a``, value in ``b``): what Pearson's r summarises.

    A small, seeded jitter separates the many points that sit exactly on 0 or 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = pixel_scatter(rng.random((4, 4)), rng.random((4, 4)), title="no relation")
    >>> fig.axes[0].get_xlabel()
    'pixel value in a'
    """
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    rng = np.random.default_rng(seed)
    fig, ax = new_figure(figsize=(5.8, 5.2))
    ax.scatter(x + rng.normal(0, jitter, x.size), y + rng.normal(0, jitter, y.size), s=12, alpha=0.35,
               color="#1a73e8", edgecolors="none", label=f"{x.size} pixels")
    _regression_line(ax, x, y)
    ax.set_xlabel(f"pixel value in {names[0]}")
    ax.set_ylabel(f"pixel value in {names[1]}")
    ax.set_aspect("equal", adjustable="datalim")
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
        ax.text(tip[0] * 1.08, tip[1] * 1.08 + 0.02, f"{name} − mean({name})", color=colour,
                ha="center", fontsize=13)
    arc = np.linspace(0, theta, 50)
    ax.plot(0.3 * np.cos(arc), 0.3 * np.sin(arc), color="black", lw=1.5)
    ax.text(0.38 * np.cos(theta / 2), 0.38 * np.sin(theta / 2), f"θ = {np.degrees(theta):.0f}°", fontsize=14)
    ax.plot([np.cos(theta), np.cos(theta)], [0, np.sin(theta)], ls=":", color="grey")
    ax.annotate(f"cos θ = {cos:.3f}", xy=(np.cos(theta), 0), xytext=(np.cos(theta), -0.18), ha="center",
                fontsize=13, arrowprops={"arrowstyle": "->", "color": "grey"})
    ax.set_xlim(min(-0.2, np.cos(theta) - 0.3), 1.35)
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
    for (label, value), style in zip((references or {}).items(), ["--", "-.", ":"]):
        ax.axhline(value, color=ACCENT, ls=style, lw=2, label=label)
    ax.set_xticks(shifts)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig
