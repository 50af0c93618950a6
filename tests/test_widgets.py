"""The live comparison app driven from Python: every control changes what it says it changes."""

from __future__ import annotations

import io
import re

import ipywidgets
import numpy as np
import pytest

import simlab
from simlab import transforms
from simlab.widgets import SAMPLE_NAMES, CompareApp, compare_app

CSS_CLASSES = [
    "simlab-compare", "simlab-a", "simlab-b", "simlab-a-class", "simlab-b-class", "simlab-random-pair",
    "simlab-same-class", "simlab-different-class", "simlab-shift-x", "simlab-shift-y", "simlab-rotate",
    "simlab-noise", "simlab-brightness", "simlab-contrast", "simlab-invert", "simlab-blur", "simlab-metric",
    "simlab-figure", "simlab-metrics", "simlab-neighbours",
]

# what the table and "rank by" show for each metric of simlab.METRICS (issue 14: names with units)
DISPLAY_NAMES = ["Pearson r", "SSIM", "MI (bits)", "NMI", "MSE", "PSNR (dB)"]

# control attribute -> (new value, keyword of simlab.transforms.apply)
TRANSFORM_CONTROLS = {
    "shift_x": (2, "dx"),
    "shift_y": (-3, "dy"),
    "rotate": (30, "degrees"),
    "noise": (0.2, "noise"),
    "brightness": (0.3, "brightness"),
    "contrast": (2.0, "contrast"),
    "blur": (1.0, "blur"),
    "invert": (True, "invert"),
}


@pytest.fixture(scope="module")
def letters():
    return simlab.load_dataset("letters")


@pytest.fixture
def app(letters):
    return compare_app(letters, a=0, b=1, seed=0)


def _expected_table(dataset, a, b, **params):
    pair_b = transforms.apply(dataset[b], **params)
    return simlab.compare(dataset[a], pair_b, data_range=dataset.data_range).as_dict()


def _assert_table_equals(app, expected):
    assert list(app.table) == list(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(app.table[name], value, rtol=1e-12, atol=0, err_msg=name)
    # and the HTML table shows those numbers, one row per metric
    rows = re.findall(r"<tr><td>([^<]+)</td><td class='value'>([^<]+)</td>", app.metrics.value)
    assert [display for display, _ in rows] == DISPLAY_NAMES  # the names with units, in METRICS order
    for name, (_, shown) in zip(simlab.METRICS, rows):
        value = expected[name]
        if np.isfinite(value):
            assert float(shown) == pytest.approx(value, abs=6e-5), name


def _dom_classes(widget):
    found = set(getattr(widget, "_dom_classes", ()))
    for child in getattr(widget, "children", ()):
        found |= _dom_classes(child)
    return found


def test_every_stable_css_class_is_present(app):
    assert set(CSS_CLASSES) <= _dom_classes(app.widget)
    assert "simlab-compare" in app.widget._dom_classes


def test_table_has_one_row_per_metric_equal_to_simlab_compare(app, letters):
    assert set(app.table) == set(simlab.METRICS)
    _assert_table_equals(app, _expected_table(letters, 0, 1))


@pytest.mark.parametrize("control", sorted(TRANSFORM_CONTROLS))
def test_each_transform_control_updates_the_table_to_compare_of_the_transformed_pair(app, letters, control):
    value, keyword = TRANSFORM_CONTROLS[control]
    before = dict(app.table)
    getattr(app, control).value = value
    expected = _expected_table(letters, 0, 1, **{keyword: value})
    _assert_table_equals(app, expected)
    assert app.table != before


def test_transforms_combine_and_reset(app, letters):
    with app.hold():
        for control, (value, _) in TRANSFORM_CONTROLS.items():
            getattr(app, control).value = value
    params = {keyword: value for value, keyword in TRANSFORM_CONTROLS.values()}
    assert app.transform_parameters() == params
    _assert_table_equals(app, _expected_table(letters, 0, 1, **params))
    np.testing.assert_array_equal(app.image_b, transforms.apply(letters[1], **params))
    app.reset.click()
    _assert_table_equals(app, _expected_table(letters, 0, 1))


def test_changing_a_and_b_by_index_updates_table_and_class_dropdowns(app, letters):
    app.b.value = 700
    _assert_table_equals(app, _expected_table(letters, 0, 700))
    assert app.b_class.value == letters.labels[700]
    app.invert.value = True
    app.a.value = 1234
    _assert_table_equals(app, _expected_table(letters, 1234, 700, invert=True))
    assert app.a_class.value == letters.labels[1234]


def test_choosing_a_class_picks_a_sample_of_that_class(app, letters):
    for label in (3, 7):
        app.b_class.value = label
        assert letters.labels[app.b.value] == label
        app.a_class.value = label
        assert letters.labels[app.a.value] == label
        assert app.a.value != app.b.value
        _assert_table_equals(app, _expected_table(letters, app.a.value, app.b.value))


def test_same_class_button_gives_another_sample_of_a_class(app, letters):
    seen = set()
    for _ in range(6):
        app.same_class.click()
        assert letters.labels[app.b.value] == letters.labels[app.a.value]
        assert app.b.value != app.a.value
        seen.add(app.b.value)
        _assert_table_equals(app, _expected_table(letters, app.a.value, app.b.value))
    assert len(seen) > 1


def test_different_class_button_gives_a_sample_of_another_class(app, letters):
    for _ in range(6):
        app.different_class.click()
        assert letters.labels[app.b.value] != letters.labels[app.a.value]
        _assert_table_equals(app, _expected_table(letters, app.a.value, app.b.value))


def test_random_pair_button_changes_a_and_b(app, letters):
    pairs = {(app.a.value, app.b.value)}
    neighbours = [tuple(app.neighbour_indices)]
    for _ in range(4):
        app.random_pair.click()
        assert app.a.value != app.b.value
        pairs.add((app.a.value, app.b.value))
        neighbours.append(tuple(app.neighbour_indices))
    assert len(pairs) == 5
    assert len(set(neighbours)) == 5  # a new A gets its own neighbours
    _assert_table_equals(app, _expected_table(letters, app.a.value, app.b.value))


def test_buttons_replay_with_the_same_seed(letters):
    first, second = compare_app(letters, seed=7), compare_app(letters, seed=7)
    for current in (first, second):
        current.random_pair.click()
        current.same_class.click()
    assert (first.a.value, first.b.value) == (second.a.value, second.b.value)


@pytest.mark.parametrize("metric", sorted(simlab.METRICS))
def test_neighbours_are_the_best_scores_of_the_chosen_metric(app, letters, metric):
    app.metric.value = metric
    a = app.a.value
    everything = simlab.scores(letters[a], letters, metric=metric)
    order = np.argsort(-everything if simlab.METRICS[metric].direction == "higher" else everything, kind="stable")
    order = order[order != a]
    assert len(app.neighbour_indices) == app.k
    np.testing.assert_allclose(app.neighbour_scores, everything[app.neighbour_indices], rtol=1e-9)
    # best first, and no image outside the list is better than the worst one shown
    expected_scores = everything[order[: app.k]]
    np.testing.assert_allclose(app.neighbour_scores, expected_scores, rtol=1e-9)
    assert a not in app.neighbour_indices
    for index in app.neighbour_indices[:3]:
        assert f"#{index}<" in app.neighbours.value


def test_neighbours_change_when_a_changes(app, letters):
    before = app.neighbour_indices.copy()
    html_before = app.neighbours.value
    app.a.value = 3000
    assert not np.array_equal(before, app.neighbour_indices)
    assert app.neighbours.value != html_before
    # the letters set is made of fonts: A's nearest neighbours by SSIM share its class, mostly
    same = letters.labels[app.neighbour_indices] == letters.labels[3000]
    assert same.mean() >= 0.5


def test_figure_png_changes_with_b_and_transforms(app):
    first = app.figure.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    app.b.value = 42
    second = app.figure.value
    assert second != first
    app.shift_x.value = 2
    assert app.figure.value != second


def test_any_dataset_works_including_a_subset(letters):
    subset = letters[np.arange(0, len(letters), 50)]
    small = compare_app(subset, a=2, b=3, k=3)
    _assert_table_equals(small, _expected_table(subset, 2, 3))
    assert len(small.neighbour_indices) == 3
    small.b.value = len(subset)  # one past the end of the subset: refused, said so
    assert small.index_b == 3 and f"0 to {len(subset) - 1}" in small.message.value


def test_bad_arguments_raise_clear_errors(letters):
    with pytest.raises(ValueError, match=f"a must be an index 0..{len(letters) - 1}"):
        compare_app(letters, a=10_000)
    with pytest.raises(ValueError, match="unknown metric 'cosine'"):
        compare_app(letters, metric="cosine")
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        compare_app(letters, k=0)


def test_neighbour_thumbnails_are_pngs_of_the_neighbours(app, letters):
    import base64

    from matplotlib.image import imread

    sources = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", app.neighbours.value)
    assert len(sources) == app.k
    for source, index in zip(sources, app.neighbour_indices):
        decoded = imread(io.BytesIO(base64.b64decode(source)))  # Pillow reads it: a valid PNG
        np.testing.assert_allclose(decoded, letters[int(index)], atol=0.5 / 255)


def test_figure_shows_pair_panel_of_the_pair_on_screen(app, letters):
    """The fast redraw (only the changing parts) gives the picture a full drawing gives."""
    from matplotlib.image import imread

    from simlab.figures import pair_panel

    app.b.value = 3000
    app.rotate.value = 20
    app.brightness.value = 0.2
    shown = imread(io.BytesIO(app.figure.value))
    b = transforms.apply(letters[3000], degrees=20, brightness=0.2)
    fig = pair_panel(letters[0], b, titles=(f"left image\n{letters.class_name(0)} #0", "right image\nJ #3000"),
                     names=("left", "right"), note="rotate +20°, brightness +0.2", figsize=(12.5, 3.3), dpi=160,
                     fontsize=17)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=160)
    full = imread(io.BytesIO(buffer.getvalue()))[..., :3]
    assert shown.shape == full.shape
    difference = np.abs(shown - full)
    assert difference.mean() < 1e-4 and difference.max() < 0.1  # antialiasing of a few edge pixels


def test_buttons_on_a_one_class_dataset_keep_b_instead_of_failing(letters):
    only_a = letters.by_class("A")[:20]
    small = compare_app(only_a, a=0, b=1, k=3)
    small.different_class.click()  # there is no other class: nothing to pick
    assert small.b.value == 1
    small.same_class.click()
    assert small.b.value != 0 and only_a.labels[small.b.value] == only_a.labels[0]
    _assert_table_equals(small, _expected_table(only_a, 0, small.b.value))


def test_hold_and_reset_update_once(app, monkeypatch):
    calls = []
    update = app._update_pair
    monkeypatch.setattr(app, "_update_pair", lambda: (calls.append(1), update()))
    with app.hold():
        app.shift_x.value = 3
        app.noise.value = 0.1
        app.b.value = 9
    assert len(calls) == 1
    calls.clear()
    app.reset.click()
    assert len(calls) == 1
    assert app.transform_parameters() == {"dx": 0, "dy": 0, "degrees": 0, "noise": 0.0, "brightness": 0.0,
                                          "contrast": 1.0, "blur": 0.0, "invert": False}


def test_pair_panel_has_colour_bars_over_the_full_signed_ranges(letters):
    from simlab.figures import pair_panel

    fig = pair_panel(letters[0], letters[1], data_range=1.0)
    panels = fig._simlab_pair_panel["axes"]
    bars = [ax for ax in fig.axes if ax not in panels]
    assert len(bars) == 2  # beside the difference and the SSIM map
    limits = sorted(tuple(np.round(bar.get_ylim(), 6)) for bar in bars)
    assert limits == [(-1.0, 1.0), (-1.0, 1.0)]  # difference: ±data_range; SSIM map: -1..1
    fig = pair_panel(np.zeros((28, 28), np.uint8), np.full((28, 28), 9, np.uint8), data_range=255)
    bars = [ax for ax in fig.axes if ax not in fig._simlab_pair_panel["axes"]]
    assert sorted(tuple(np.round(bar.get_ylim(), 6)) for bar in bars) == [(-255.0, 255.0), (-1.0, 1.0)]


def test_pair_panel_joint_histogram_leaves_empty_cells_blank_and_colours_a_single_pixel(letters):
    from simlab.figures import pair_panel
    from simlab.information import joint_histogram

    a, b = letters[0], letters[1]
    fig = pair_panel(a, b)
    image = fig._simlab_pair_panel["artists"][4]
    counts = joint_histogram(a, b)[0].T
    data = image.get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(data), counts == 0)  # empty cells: not coloured
    low, high = image.get_clim()
    assert np.isclose(low, np.log10(2)) and np.isclose(high, np.log10(1 + counts.max()))  # 1 pixel: darkest


def test_pair_panel_places_the_panels_the_same_for_any_titles(letters):
    from simlab.figures import pair_panel

    short = pair_panel(letters[0], letters[1], titles=("A", "B"))
    long = pair_panel(letters[0], 1 - letters[0], titles=("A: a long title #123", "B: J #4567"), note="invert")
    for ax_short, ax_long in zip(short.axes, long.axes):
        np.testing.assert_allclose(ax_short.get_position().bounds, ax_long.get_position().bounds)


def test_table_value_column_has_a_fixed_width(app):
    """A negative value must not widen the table (the neighbours beside it would jump)."""
    with app.hold():
        app.b.value = app.a.value
        app.invert.value = True  # Pearson's r becomes -1
    html = app.metrics.value
    assert "table-layout: fixed" in app.widget.children[0].value
    assert re.search(r"col\.value \{ width: \d+px; \}", app.widget.children[0].value)
    assert "<col class='value'>" in html and any(v < 0 for v in app.table.values())


def test_notebook_05_cells_hidden_in_voila_are_the_checks_and_exercises_only():
    """voila.json removes cells tagged jupyterlab-only; the app and its setup must stay, the
    exercises (their "Not answered" boxes cannot be answered in Voilà) and printing cells must go.
    """
    import json
    from pathlib import Path

    import nbformat

    repo = Path(__file__).resolve().parents[1]
    tag = json.loads((repo / "voila.json").read_text())["TagRemovePreprocessor"]["remove_cell_tags"]
    nb = nbformat.read(repo / "notebooks" / "05_compare_live.ipynb", as_version=4)
    hidden = [cell for cell in nb.cells if set(cell.metadata.get("tags", [])) & set(tag)]
    shown = [cell for cell in nb.cells if cell not in hidden]
    shown_code = [cell.source for cell in shown if cell.cell_type == "code"]
    assert len(shown_code) == 2 and "compare_app(" in shown_code[1]  # setup, then the app
    assert not any("print(" in source or "ex." in source for source in shown_code)
    assert all(cell.source.splitlines()[-1].strip() == "app" or "=" in cell.source.splitlines()[-1]
               for cell in shown if cell.cell_type == "code")  # no other value is displayed
    hidden_code = [cell.source for cell in hidden if cell.cell_type == "code"]
    assert sum(".check(answer)" in source for source in hidden_code) >= 3
    assert nb.cells.index(shown[0]) == 0 and nb.cells[0].cell_type == "markdown"


# ------------------------------------------------------------------ issue 14: classroom words, projector mode


def test_old_name_compare_still_works_with_a_deprecation_warning(letters):
    import simlab.widgets

    with pytest.warns(DeprecationWarning, match="renamed simlab.widgets.compare_app"):
        app = simlab.widgets.compare(letters, a=0, b=1)
    assert isinstance(app, CompareApp)
    _assert_table_equals(app, _expected_table(letters, 0, 1))


def test_rank_by_offers_display_names_with_units_and_keeps_code_names_as_values(app):
    assert [label for label, _ in app.metric.options] == DISPLAY_NAMES
    assert [value for _, value in app.metric.options] == list(simlab.METRICS)
    app.metric.value = "psnr"
    assert "(higher PSNR (dB) is more similar)" in app.neighbours.value


def _described(widget):
    """Every widget in the app that shows a description label."""
    labelled = getattr(widget, "description", "") and not isinstance(widget, ipywidgets.Button)
    found = [widget] if labelled else []
    for child in getattr(widget, "children", ()):
        found += _described(child)
    return found


def test_every_labelled_control_has_a_tooltip_saying_what_it_does(app):
    described = _described(app.widget)
    assert len(described) >= 13  # 2 indices, 2 class choosers, 7 sliders, invert, rank by
    for control in described:
        assert control.tooltip and len(control.tooltip) > 20, control.description  # never "null"
    assert "sideways" in app.shift_x.tooltip and "anticlockwise" in app.rotate.tooltip
    assert "black and white" in app.invert.tooltip and "Gaussian" in app.blur.tooltip


def test_samples_are_called_left_and_right_image_and_class_choosers_are_labelled(app):
    assert SAMPLE_NAMES == ("left image", "right image")
    texts = [child.value for child in app.widget.children[1].children[0].children[:1]]
    texts += [child.value for child in app.widget.children[1].children[1].children[:1]]
    assert texts == ["<b>left image</b>", "<b>right image</b>"]
    assert app.a_class.description == app.b_class.description == "class"
    titles = [ax.get_title() for ax in app._panel.fig._simlab_pair_panel["axes"][:2]]
    assert titles == [f"left image\n{app.dataset.class_name(0)} #0", f"right image\n{app.dataset.class_name(1)} #1"]
    assert "simlab-a" in app.a._dom_classes and "simlab-b-class" in app.b_class._dom_classes  # CSS stays


def test_note_under_the_right_image_uses_the_sliders_words(app):
    assert app._panel.fig._simlab_pair_panel["note"].get_text() == "not transformed"
    with app.hold():
        app.shift_x.value = 2
        app.rotate.value = -15
        app.contrast.value = 0.5
        app.invert.value = True
    assert app.note() == "shift x +2 px, rotate −15°, contrast ×0.5, inverted"
    shown = app._panel.fig._simlab_pair_panel["note"].get_text()
    assert shown.replace(",\n", ", ") == app.note() and max(map(len, shown.splitlines())) <= 34
    assert "dx" not in shown and "degrees" not in shown


def test_every_blur_step_changes_the_image(app, letters):
    steps = np.arange(app.blur.min, app.blur.max + app.blur.step / 2, app.blur.step)
    assert steps[0] == 0 and steps[1] == 0.5  # 0.1 and 0.2 changed a letter by less than a grey level
    previous = letters[1]
    for sigma in steps[1:]:
        app.blur.value = float(sigma)
        assert np.abs(app.image_b - previous).max() > 2 / 255, sigma
        previous = app.image_b


def test_a_typed_index_applies_as_typed_and_out_of_range_says_so(app, letters):
    assert app.a.continuous_update and app.b.continuous_update  # the browser sends each keystroke
    app.b.value = 70  # as typing "70" on the way to "700" sends it
    _assert_table_equals(app, _expected_table(letters, 0, 70))
    before = (dict(app.table), app.figure.value)
    app.b.value = 70_000
    assert app.index_b == 70 and (app.table, app.figure.value) == before  # the pair on screen stays
    assert "right image: no index 70000" in app.message.value and "0 to 6499" in app.message.value
    app.a.value = -1
    assert "left image: no index -1" in app.message.value and app.index_a == 0
    app.a.value = 5
    app.b.value = 700
    assert app.message.value == ""
    _assert_table_equals(app, _expected_table(letters, 5, 700))


def test_projector_mode_text_is_18px_and_the_figure_is_drawn_at_twice_its_width(app):
    from PIL import Image

    style = app.widget.children[0].value
    assert "--jp-widgets-font-size: 18px" in style and ".simlab-metrics th, .simlab-metrics td" in style
    assert re.search(r"\.simlab-metrics th, \.simlab-metrics td \{[^}]*font-size: 18px", style)
    assert "body[data-voila] .simlab-compare { margin-left: auto; margin-right: auto; }" in style  # centred
    width, _ = Image.open(io.BytesIO(app.figure.value)).size
    shown = int(app.figure.layout.max_width.removesuffix("px"))
    assert width == 2 * shown and app.widget.layout.max_width == f"{shown}px"
    fig = app._panel.fig
    assert all(ax.title.get_fontsize() >= 17 for ax in fig._simlab_pair_panel["axes"])


def test_the_app_keeps_no_cache_on_the_dataset(letters):
    """One kernel per student: a per-image cache would cost each kernel ~60 MB (issue 14)."""
    fresh = simlab.load_dataset("letters")
    app = compare_app(fresh)
    app.a.value = 10
    app.metric.value = "pearson"
    assert fresh._cache == {} or all(value is None or value is True for value in fresh._cache.values())


def test_one_control_change_computes_each_metric_once(app, monkeypatch):
    """Issue 10: the table and the panel share one simlab.compare of the pair (no second SSIM, MI, MSE)."""
    import dataclasses
    from collections import Counter

    from simlab import information, metrics

    calls: Counter = Counter()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(information, "joint_histogram", counting("joint_histogram", information.joint_histogram))
    for name in ("pearson", "ssim", "mse", "psnr"):  # the pair functions compare calls (MI, NMI: the histogram)
        info = metrics.METRICS[name]
        monkeypatch.setitem(metrics.METRICS, name, dataclasses.replace(info, pair=counting(name, info.pair)))
    for control, value in (("b", 700), ("shift_x", 2), ("invert", True)):
        calls.clear()
        setattr(getattr(app, control), "value", value)
        assert calls == {"ssim": 1, "joint_histogram": 1, "pearson": 1, "mse": 1, "psnr": 1}, (control, calls)
    assert app.table["ssim"] != 0 and app.figure.value[:4] == b"\x89PNG"
