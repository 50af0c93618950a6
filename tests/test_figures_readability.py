"""The notebook figures say what they show: split lines and thresholds drawn, one name and one look per
metric, colour scales that separate the values that matter, no matplotlib complaints while drawing.
"""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
from matplotlib.colors import to_hex

import simlab
from simlab import figures

HEAT = ["pearson", "ssim", "mutual_information", "normalized_mutual_information", "mse"]


def _draw(fig) -> None:
    fig.savefig(io.BytesIO(), format="png")


def test_pixel_scatter_draws_its_split_states_the_threshold_and_keeps_its_limits(caplog):
    rng = np.random.default_rng(0)
    a, b = rng.random((28, 28)), rng.random((28, 28))
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        fig = figures.pixel_scatter(a, b, split=0.5)
        _draw(fig)
    assert not [r for r in caplog.records if "Ignoring fixed" in r.getMessage()]
    ax = fig.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert sorted(np.ravel(line.get_xdata())[0] for line in dashed if np.ptp(line.get_xdata()) == 0) == [0.5]
    assert "ink above 0.5, background below" in [t.get_text() for t in fig.legends[0].get_texts()]
    counts = sorted(int(t.get_text().split()[0]) for t in ax.texts)
    assert sum(counts) == 784 and counts == sorted(
        int(np.sum(((a.ravel() > 0.5) == hx) & ((b.ravel() > 0.5) == hy))) for hx in (0, 1) for hy in (0, 1))


def test_blank_rows_names_the_variables_of_the_two_images():
    image = np.random.default_rng(0).random((6, 6))
    image[0] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the blank row gives nan
        matrix = np.corrcoef(image, image)
    fig = figures.blank_rows(image, matrix, image.std(axis=1) == 0)
    assert fig.axes[1].get_xlabel() == "variable j: rows 0..5 of the first image, then of the second"


def test_ssim_scale_gives_0_7_to_1_several_distinct_colours():
    fig = figures.ssim_terms(type("C", (), {"luminance": np.ones((9, 9)), "contrast": np.ones((9, 9)),
                                            "structure": np.ones((9, 9)), "ssim_map": np.ones((9, 9)), "pad": 3})())
    artist = fig.axes[0].get_images()[0]
    rgb = [np.array(artist.cmap(artist.norm(v))[:3]) for v in (0.75, 0.85, 0.92, 0.97, 0.995)]
    steps = [np.linalg.norm(u - v) for u, v in zip(rgb, rgb[1:])]
    assert min(steps) > 0.25                  # RdBu_r over -1..1 (the old scale) moved 0.04 to 0.14 here
    assert to_hex(artist.cmap(artist.norm(-0.3))) != to_hex(artist.cmap(artist.norm(0.1)))


def test_notebook_06_figures_use_one_set_of_display_names_and_one_look_per_metric():
    display = [simlab.METRICS[m].display for m in HEAT]
    heat = figures.invariance_heatmap(np.zeros((5, 2)), HEAT, [("shift", "1 px"), ("shift", "4 px")])
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()] == display
    curves = figures.invariance_curves({"noise": [0.1, 0.4]}, {"noise": np.ones((5, 2))}, HEAT)
    assert [t.get_text() for t in curves.legends[0].get_texts()] == display
    looks = {(line.get_marker(), str(line.get_linestyle()), line.get_color())
             for line in curves.axes[0].get_lines() if line.get_label() in display}
    assert len(looks) == 5 and len({colour for _, _, colour in looks}) == 5
    bars = figures.precision_bars({"letters": {m: (0.7, 0.5) for m in HEAT}}, {"letters": 0.1})
    assert [t.get_text() for t in bars.axes[0].get_xticklabels()] == display


def test_invariance_curves_read_mild_to_strong_even_when_the_strength_decreases():
    fig = figures.invariance_curves({"contrast": [0.8, 0.2], "blur": [0.5, 2]}, {"contrast": [[1, 0.5]],
                                                                                  "blur": [[1, 0.5]]}, ["pearson"])
    assert fig.axes[0].xaxis_inverted() and not fig.axes[1].xaxis_inverted()


def test_cost_chart_is_a_dot_plot_on_its_log_axis_not_bars():
    fig = figures.cost_bars({"pearson": 0.01, "ssim": 0.2, "mse": 0.012})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and not ax.patches            # no bars whose length would mean nothing
    dots = ax.collections[-1].get_offsets()
    assert np.allclose(np.sort(dots[:, 0]), [10.0, 12.0, 200.0])   # milliseconds, where the dots sit
