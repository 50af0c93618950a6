"""simlab.compare computes each metric once and returns the pieces its figure draws; one table format."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import simlab
from simlab import cli, information
from simlab.comparison import metric_table
from simlab.figures import pair_panel

LETTERS = simlab.load_dataset("letters")
A, B = LETTERS[0], LETTERS[5]


def _count_calls(monkeypatch) -> dict[str, int]:
    """Count the calls of every metric's pair function (through METRICS) and of the joint histogram."""
    calls: dict[str, int] = {}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return function(*args, **kwargs)
        return wrapper

    for name, info in list(simlab.METRICS.items()):
        monkeypatch.setitem(simlab.METRICS, name, dataclasses.replace(info, pair=counting(name, info.pair)))
    monkeypatch.setattr(information, "joint_histogram", counting("joint_histogram", information.joint_histogram))
    for name in ("ssim", "pearson", "mse", "psnr", "mutual_information", "normalized_mutual_information"):
        monkeypatch.setattr(simlab, name, counting(f"simlab.{name}", getattr(simlab, name)), raising=False)
    return calls


def test_compare_returns_the_pieces_equal_to_the_pair_functions():
    c = simlab.compare(A, B, data_range=1.0, bins=8)
    value, smap = simlab.ssim(A, B, data_range=1.0, full=True)
    assert c.values["ssim"] == value and np.array_equal(c.ssim_map, smap)
    counts, ea, eb = c.joint_histogram
    expected = np.histogram2d(A.ravel(), B.ravel(), 8)
    assert all(np.array_equal(x, y) for x, y in zip((counts, ea, eb), expected))
    assert c.values["mutual_information"] == simlab.mutual_information(A, B, bins=8)
    assert c.values["normalized_mutual_information"] == simlab.normalized_mutual_information(A, B, bins=8)
    np.testing.assert_array_equal(c.difference, B.astype(np.float64) - A.astype(np.float64))
    assert simlab.compare(A, B, metrics=["pearson"]).ssim_map is None


def test_compare_computes_each_metric_once_and_one_histogram_for_mi_and_nmi(monkeypatch):
    calls = _count_calls(monkeypatch)
    simlab.compare(A, B, data_range=1.0)
    assert calls == {"pearson": 1, "ssim": 1, "joint_histogram": 1, "mse": 1, "psnr": 1}


def test_pair_panel_draws_a_comparison_without_computing_anything(monkeypatch):
    c = simlab.compare(A, B, data_range=1.0)
    calls = _count_calls(monkeypatch)
    fig = pair_panel(A, B, comparison=c)
    assert calls == {}
    titles = [ax.get_title() for ax in fig.axes[:5]]
    assert titles[2].endswith(f"MSE {c.values['mse']:.3g}") and f"mean {c.values['ssim']:.2f}" in titles[3]
    assert f"MI {c.values['mutual_information']:.2f} bits" in titles[4]
    with pytest.raises(ValueError, match="comparison= lacks ssim"):
        pair_panel(A, B, comparison=simlab.compare(A, B, metrics=["mse", "mutual_information"]))


def test_cli_compare_with_a_figure_computes_each_metric_once(monkeypatch, tmp_path):
    calls = _count_calls(monkeypatch)
    assert cli.main(["compare", "letters:0", "letters:5", "--figure", str(tmp_path / "pair.png")]) == 0
    # MI and NMI come from the one joint histogram of the unscaled images, which the figure also draws
    assert calls == {"pearson": 1, "ssim": 1, "joint_histogram": 1, "mse": 1, "psnr": 1}
    assert (tmp_path / "pair.png").stat().st_size > 0


def test_cli_and_comparison_print_one_table_format(capsys):
    c = simlab.compare(A, B, data_range=1.0, metrics=["ssim", "mse"])
    assert str(c) == metric_table({"ssim": f"{c.values['ssim']:.4f}", "mse": f"{c.values['mse']:.4f}"})
    assert cli.main(["compare", "letters:0", "letters:5", "-m", "ssim", "-m", "mse"]) == 0
    out = capsys.readouterr().out
    texts = {name: cli._fmt(value) for name, value in c.values.items()}
    assert metric_table(texts) in out
