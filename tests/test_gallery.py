"""The duplicate gallery, driven from Python: set a control, the readouts change and equal a fresh search."""

from __future__ import annotations

import re

import numpy as np
import pytest

import simlab
from simlab.duplicates import ground_truth, near_duplicates
from simlab.gallery import SLIDERS, gallery, pairs_figure


@pytest.fixture(scope="module")
def sets():
    return simlab.load_dataset("overlap", split="train"), simlab.load_dataset("overlap", split="test")


def _count(app) -> int:
    return int(re.match(r"<b>(\d+)</b> pairs", app.count.value).group(1))


def test_the_count_equals_a_fresh_search_at_each_threshold(sets):
    train, test = sets
    app = gallery(train, test, metric="mse", threshold=0.005)
    for t in (0.005, 0.02, 0.0):
        app.threshold.value = t
        assert _count(app) == len(near_duplicates(train, test, metric="mse", threshold=t))
    app.threshold.value = 0.005
    found = near_duplicates(train, test)
    assert f"<b>{found.counts()['b']}</b> of the 1000 images of b have a copy in a" in app.count.value


def test_the_gallery_shows_the_pairs_nearest_the_threshold_half_passing_half_failing(sets):
    train, test = sets
    app = gallery(train, test, metric="mse", threshold=0.01, k=6)
    loose = near_duplicates(train, test, metric="mse", threshold=SLIDERS["mse"][1])
    score = {tuple(p): s for p, s in zip(loose.pairs.tolist(), loose.scores)}
    shown = [score[tuple(p)] for p in app.shown.tolist()]
    assert len(shown) == 6 and sum(s <= 0.01 for s in shown) == 3
    passing = np.sort(loose.scores[loose.scores <= 0.01])[-3:]
    failing = np.sort(loose.scores[loose.scores > 0.01])[:3]
    assert sorted(shown) == sorted(np.r_[passing, failing].tolist())
    assert app.gallery.value.count("<figure") == 6 and app.gallery.value.count("<img") == 18


def test_choosing_a_metric_moves_the_slider_to_its_range_and_direction(sets):
    train, test = sets
    app = gallery(train, test, metric="mse")
    app.metric.value = "pearson"
    assert (app.threshold.min, app.threshold.max) == SLIDERS["pearson"][:2]
    assert app.threshold.value == pytest.approx(0.98)
    assert "pearson ≥ 0.98" in app.count.value
    assert _count(app) == len(near_duplicates(train, test, metric="pearson", threshold=0.98))


def test_with_the_ground_truth_the_readout_gives_precision_and_recall(sets):
    truth = ground_truth().pairs("train", "test")
    app = gallery(metric="mse", threshold=0.005)  # the default: overlap train x test with its truth
    found = {tuple(p) for p in near_duplicates(*sets).pairs.tolist()}
    true = {tuple(p) for p in truth.tolist()}
    precision, recall = len(found & true) / len(found), len(found & true) / len(true)
    assert f"precision <b>{precision:.3f}</b>, recall <b>{recall:.3f}</b>" in app.count.value
    assert "not a copy" not in app.gallery.value.split("fails")[0]  # the passing pairs are all copies
    for css in ("simlab-dup-threshold", "simlab-dup-metric", "simlab-dup-gallery", "simlab-dup-count"):
        assert any(css in part._dom_classes for part in (app.threshold, app.metric, app.gallery, app.count))


def test_pairs_figure_draws_a_b_and_their_difference(sets):
    train, test = sets
    found = near_duplicates(train, test, metric="mse", threshold=0.005)
    fig = pairs_figure(train.images, test.images, found, k=4)
    axes = fig.axes
    assert len(axes) == 12
    np.testing.assert_array_equal(axes[8].images[0].get_array(),
                                  test.images[found.pairs[0, 1]].astype(float) - train.images[found.pairs[0, 0]])
    assert axes[0].get_title() == f"a[{found.pairs[0, 0]}]"
