"""The command line, run as a user runs it: ``python -m simlab ...`` in a subprocess, on real files.

Every number the command prints (read back from ``--json``) is checked against simlab's own
functions on the same arrays, and the main ones against the reference implementations (scipy,
scikit-image) as well. Every user error must give exit status 2 and one line on stderr.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import simlab
from simlab.information import MAX_BINS

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def unit(x) -> np.ndarray:
    """What simlab's one scaling rule makes of 0..255 values: float32 x / 255 (as the data sets hold them)."""
    return np.asarray(x).astype(np.float32) / np.float32(255)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simlab", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=300,
    )


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def values(result: dict) -> dict[str, float]:
    return {name: (np.nan if m["value"] is None else m["value"]) for name, m in result["metrics"].items()}


def assert_same_numbers(got: dict[str, float], expected: dict[str, float]) -> None:
    assert list(got) == list(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.fixture(scope="module")
def letters() -> simlab.Dataset:
    return simlab.load_dataset("letters")


class _Evil:
    """Pickles to a call of os.system that creates a file: a pickle that runs code when loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def files(tmp_path_factory, letters) -> dict[str, Path]:
    """Real files of every kind the command line reads, written from letters images."""
    folder = tmp_path_factory.mktemp("cli")
    u8 = np.round(letters.images[:8] * 255).astype(np.uint8)
    paths = {}
    for name, image in [("a", u8[0]), ("b", u8[1])]:
        paths[f"{name}.png"] = folder / f"{name}.png"
        Image.fromarray(image, mode="L").save(paths[f"{name}.png"])
    paths["grey_rgb.png"] = folder / "grey_rgb.png"  # a colour file holding a grey picture
    Image.fromarray(np.stack([u8[1]] * 3, axis=-1), mode="RGB").save(paths["grey_rgb.png"])
    paths["a.jpg"] = folder / "a.jpg"
    Image.fromarray(u8[0], mode="L").save(paths["a.jpg"], quality=95)
    paths["a_float.npy"] = folder / "a_float.npy"
    np.save(paths["a_float.npy"], u8[0].astype(np.float64))  # 0..255 floats: need --data-range 255
    paths["b_float.npy"] = folder / "b_float.npy"
    np.save(paths["b_float.npy"], u8[1].astype(np.float64))
    paths["a_u8.npy"] = folder / "a_u8.npy"
    np.save(paths["a_u8.npy"], u8[0])
    paths["blank.npy"] = folder / "blank.npy"
    np.save(paths["blank.npy"], np.zeros((28, 28), np.uint8))
    paths["stack.npy"] = folder / "stack.npy"
    np.save(paths["stack.npy"], u8)
    paths["big.npy"] = folder / "big.npy"
    np.save(paths["big.npy"], np.zeros((32, 32), np.uint8))
    paths["data.npz"] = folder / "data.npz"
    np.savez(paths["data.npz"], images=u8, labels=letters.labels[:8])
    paths["notmnist.pickle"] = folder / "notmnist.pickle"
    test = (letters.images[8:14] - 0.5).astype(np.float32)  # the course pickle: float32 in [-0.5, 0.5]
    course = {
        "train_dataset": (letters.images[:8] - 0.5).astype(np.float32), "train_labels": letters.labels[:8],
        "valid_dataset": test[:2], "valid_labels": letters.labels[8:10],
        "test_dataset": test, "test_labels": letters.labels[8:14],
    }
    with open(paths["notmnist.pickle"], "wb") as handle:
        pickle.dump(course, handle)
    paths["classes"] = folder / "classes"  # a folder of image files, one sub-folder per class
    for k, name in enumerate("AB"):
        (paths["classes"] / name).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(u8[2 * k + i], mode="L").save(paths["classes"] / name / f"{i}.png")
    paths["broken.png"] = folder / "broken.png"
    paths["broken.png"].write_bytes(b"this is not a PNG")
    paths["marker"] = folder / "pwned"  # what the evil pickle would create if it ran
    paths["evil.pickle"] = folder / "evil.pickle"
    paths["evil.pickle"].write_bytes(pickle.dumps({"test_dataset": _Evil(str(paths["marker"]))}))
    paths["truncated.pickle"] = folder / "truncated.pickle"
    paths["truncated.pickle"].write_bytes(pickle.dumps(course)[:200])
    paths["complex.npy"] = folder / "complex.npy"
    np.save(paths["complex.npy"], u8[0] + 1j * u8[1])
    paths["complex_stack.npy"] = folder / "complex_stack.npy"
    np.save(paths["complex_stack.npy"], u8 + 0j)
    paths["emptyclass"] = folder / "emptyclass"
    Image.fromarray(u8[0], mode="L").save((paths["emptyclass"] / "A").mkdir(parents=True) or
                                          paths["emptyclass"] / "A" / "0.png")
    (paths["emptyclass"] / "B").mkdir()
    paths["a_dir"] = folder / "a_dir"
    paths["a_dir"].mkdir()
    paths["u8"] = u8
    paths["folder"] = folder
    return paths


# ------------------------------------------------------------------------------------------- compare


def test_compare_png_files_prints_every_metric_equal_to_simlab_compare(files):
    got = run_json("compare", files["a.png"], files["b.png"])
    a, b = unit(files["u8"][0]), unit(files["u8"][1])
    assert_same_numbers(values(got), simlab.compare(a, b, data_range=1.0).as_dict())
    assert {m["more_similar"] for m in got["metrics"].values()} <= {"higher", "lower"}
    assert {n: m["more_similar"] for n, m in got["metrics"].items()} == {
        name: info.direction for name, info in simlab.METRICS.items()}


def test_compare_png_files_agrees_with_scikit_image_and_scipy_on_the_uint8_pixels(files):
    from scipy.stats import pearsonr
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    got = values(run_json("compare", files["a.png"], files["b.png"]))
    a, b = files["u8"][0], files["u8"][1]
    # the images are held as float32 x / 255 (the one rule, as every data set): agreement to float32 rounding
    np.testing.assert_allclose(got["ssim"], structural_similarity(a, b, data_range=255), rtol=1e-6)
    np.testing.assert_allclose(got["psnr"], peak_signal_noise_ratio(a, b, data_range=255), rtol=1e-6)
    np.testing.assert_allclose(got["pearson"], pearsonr(a.ravel(), b.ravel().astype(float))[0], rtol=1e-5)
    np.testing.assert_allclose(got["mse"], np.mean((a / 255.0 - b / 255.0) ** 2), rtol=1e-6)


def test_compare_colour_png_is_converted_to_grey(files):
    grey = values(run_json("compare", files["a.png"], files["grey_rgb.png"]))
    plain = values(run_json("compare", files["a.png"], files["b.png"]))
    assert_same_numbers(grey, plain)


def test_compare_jpeg_with_itself_is_identical(files):
    got = values(run_json("compare", files["a.jpg"], files["a.jpg"], "--metric", "pearson", "mse"))
    assert got == {"pearson": pytest.approx(1.0), "mse": 0.0}


def test_compare_float_npy_uses_data_range_and_scales_to_unit_range(files):
    from skimage.metrics import structural_similarity

    got = values(run_json("compare", files["a_float.npy"], files["b_float.npy"], "--data-range", "255"))
    a, b = files["u8"][0].astype(float), files["u8"][1].astype(float)
    assert_same_numbers(got, simlab.compare(unit(a), unit(b), data_range=1.0).as_dict())
    np.testing.assert_allclose(got["ssim"], structural_similarity(a, b, data_range=255), rtol=1e-6)
    np.testing.assert_allclose(got["mse"], np.mean((a - b) ** 2) / 255**2, rtol=1e-6)


def test_compare_integer_npy_takes_its_range_from_the_dtype(files):
    got = values(run_json("compare", files["a_u8.npy"], files["b.png"]))
    a, b = unit(files["u8"][0]), unit(files["u8"][1])
    assert_same_numbers(got, simlab.compare(a, b, data_range=1.0).as_dict())


def test_compare_builtin_references_equal_simlab_compare(letters):
    got = run_json("compare", "letters:12", "letters:13")
    assert_same_numbers(values(got), simlab.compare(letters[12], letters[13], data_range=1.0).as_dict())
    assert got["a"]["class"] == letters.class_name(12) and got["b"]["index"] == 13


def test_compare_split_reference_indexes_that_split():
    digits_test = simlab.load_dataset("digits", split="test")
    got = run_json("compare", "digits:test:0", "digits:test:1", "--metric", "ssim")
    expected = simlab.compare(digits_test[0], digits_test[1], data_range=1.0, metrics=["ssim"]).as_dict()
    assert_same_numbers(values(got), expected)


def test_compare_npz_and_pickle_references(files):
    u8 = files["u8"]
    npz, course = files["data.npz"], files["notmnist.pickle"]
    cases = [
        ((f"{npz}:3", f"{npz}:5"), simlab.load_dataset(str(npz)), (3, 5), (u8[3] / 255, u8[5] / 255)),
        (
            (f"{course}:test:0", f"{course}:test:4"), simlab.load_dataset(str(course), split="test"), (0, 4),
            [x + 0.5 for x in pickle.loads(course.read_bytes())["test_dataset"][[0, 4]].astype(float)],
        ),
    ]
    for refs, ds, (i, j), raw in cases:
        got = values(run_json("compare", *refs))
        assert_same_numbers(got, simlab.compare(ds[i], ds[j], data_range=1.0).as_dict())
        expected = simlab.compare(*raw, data_range=1.0).as_dict()  # the file's own pixels, unrounded
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-7, err_msg=name)


def test_compare_folder_reference_equals_simlab_compare_on_the_loaded_folder(files):
    ds = simlab.load_dataset(str(files["classes"]))
    got = run_json("compare", f"{files['classes']}:0", f"{files['classes']}:3")
    assert_same_numbers(values(got), simlab.compare(ds[0], ds[3], data_range=1.0).as_dict())
    assert (got["a"]["class"], got["b"]["class"]) == (ds.class_name(0), ds.class_name(3))


def test_compare_selected_metrics_in_the_order_named_and_bins(letters):
    got = run_json("compare", "letters:0", "letters:1", "-m", "ssim", "--metric", "mutual_information",
                   "--bins", "8")
    assert list(got["metrics"]) == ["ssim", "mutual_information"]
    mi = simlab.mutual_information(letters[0], letters[1], bins=8)
    np.testing.assert_allclose(got["metrics"]["mutual_information"]["value"], mi, rtol=1e-12)


def test_compare_table_shows_each_metric_value_and_direction(letters):
    result = run("compare", "letters:0", "letters:1")
    assert result.returncode == 0 and result.stderr == ""
    expected = simlab.compare(letters[0], letters[1], data_range=1.0).as_dict()
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()}
    for name, value in expected.items():
        assert float(rows[name][1]) == pytest.approx(value, rel=1e-5)
        assert rows[name][2] == simlab.METRICS[name].direction


def test_compare_blank_image_gives_nan_pearson_and_one_warning_line(files):
    result = run("compare", files["blank.npy"], "letters:0", "--json")
    assert result.returncode == 0
    got = json.loads(result.stdout)["metrics"]["pearson"]
    assert got["value"] is None and got["text"] == "nan"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simlab: warning:") and "constant" in lines[0].lower()


def test_compare_figure_is_a_png_file(files):
    out = files["folder"] / "pair.png"
    got = run_json("compare", "letters:0", "letters:1", "--figure", out)
    assert got["figure"] == str(out)
    assert out.read_bytes()[:8] == PNG_MAGIC
    with Image.open(out) as img:
        assert img.width > 300 and img.height > 100


# ---------------------------------------------------------------------------------------------- rank


def test_rank_order_equals_simlab_rank(letters):
    test = simlab.load_dataset("letters", split="test")
    got = run_json("rank", "letters:test:7", "--dataset", "letters:test", "--metric", "pearson", "-k", "6")
    expected = simlab.rank(test[7], test, metric="pearson", k=6)
    assert [n["index"] for n in got["neighbours"]] == [int(i) for i in expected.indices]
    np.testing.assert_allclose([n["score"] for n in got["neighbours"]], expected.scores, rtol=1e-12)
    assert [n["class"] for n in got["neighbours"]] == [test.class_name(int(i)) for i in expected.indices]
    assert got["neighbours"][0]["index"] == 7  # the query itself is in the data set


def test_rank_png_query_in_digits_with_lower_is_better_metric(files):
    digits = simlab.load_dataset("digits")
    query = np.asarray(Image.open(files["a.png"]), dtype=float) / 255
    got = run_json("rank", files["a.png"], "--dataset", "digits", "--metric", "mse", "-k", "3")
    expected = simlab.rank(query, digits, metric="mse", k=3)
    assert [n["index"] for n in got["neighbours"]] == [int(i) for i in expected.indices]
    assert got["more_similar"] == "lower"
    scores = [n["score"] for n in got["neighbours"]]
    assert scores == sorted(scores)


def test_rank_table_and_figure(files):
    out = files["folder"] / "neighbours.png"
    result = run("rank", "digits:0", "--dataset", "digits", "-k", "4", "--figure", out)
    assert result.returncode == 0, result.stderr
    digits = simlab.load_dataset("digits")
    expected = simlab.rank(digits[0], digits, metric="ssim", k=4)
    table = [line.split() for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert [int(row[1]) for row in table] == [int(i) for i in expected.indices]
    assert out.read_bytes()[:8] == PNG_MAGIC


# -------------------------------------------------------------------------------------------- errors


def _error_cases(files: dict) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, a word the one-line message must contain)."""
    f = {k: str(v) for k, v in files.items() if isinstance(v, Path)}
    return {
        "missing_file": (["compare", f["folder"] + "/nope.png", "letters:0"], "no such file"),
        "bad_index": (["compare", "letters:abc", "letters:0"], "index"),
        "index_out_of_range": (["compare", "letters:99999999", "letters:0"], "out of range"),
        "unknown_dataset": (["compare", "nosuchset:3", "letters:0"], "nosuchset"),
        "unknown_split": (["compare", "letters:nosplit:3", "letters:0"], "nosplit"),
        "shape_mismatch": (["compare", f["a.png"], f["big.npy"]], "same shape"),
        "unknown_metric": (["compare", "letters:0", "letters:1", "--metric", "cosine"], "cosine"),
        "bins_not_a_number": (["compare", "letters:0", "letters:1", "--bins", "many"], "many"),
        "bins_zero": (["compare", "letters:0", "letters:1", "--bins", "0"], "bins"),
        "negative_data_range": (["compare", f["a_float.npy"], f["b_float.npy"], "--data-range", "-1"], "data-range"),
        "float_npy_without_range": (["compare", f["a_float.npy"], f["b_float.npy"]], "--data-range"),
        "stack_npy_without_index": (["compare", f["stack.npy"], "letters:0"], ":0"),
        "npz_without_index": (["compare", f["data.npz"], "letters:0"], ":0"),
        "folder_without_index": (["compare", f["classes"], "letters:0"], "folder"),
        "not_an_image": (["compare", f["broken.png"], "letters:0"], "cannot read"),
        "missing_argument": (["compare", "letters:0"], "required"),
        "unknown_command": (["frobnicate"], "frobnicate"),
        "k_zero": (["rank", "letters:0", "-k", "0"], "-k"),
        "rank_unknown_metric": (["rank", "letters:0", "--metric", "cosine"], "cosine"),
        "rank_query_shape": (["rank", f["big.npy"], "--dataset", "digits"], "resize"),
        "rank_missing_dataset": (["rank", "letters:0", "--dataset", f["folder"] + "/none.npz"], "no such file"),
        "bad_figure_format": (["compare", "letters:0", "letters:1", "--figure", f["folder"] + "/x.nosuch"], "figure"),
        "refused_pickle": (["compare", f["evil.pickle"] + ":test:0", "letters:0"], "refused to load posix.system"),
        "truncated_pickle": (["compare", f["truncated.pickle"] + ":test:0", "letters:0"], "not a readable pickle"),
        "huge_bins": (["compare", "letters:0", "letters:1", "--bins", "100000"], f"at most {MAX_BINS} bins"),
        "figure_empty": (["compare", "letters:0", "letters:1", "--figure", ""], "expected a file name"),
        "figure_is_a_folder": (["compare", "letters:0", "letters:1", "--figure", f["a_dir"]], "is a folder"),
        "figure_folder_missing": (["rank", "letters:0", "--figure", f["folder"] + "/nope/x.png"], "does not exist"),
        "complex_npy": (["compare", f["complex.npy"], "letters:0"], "complex"),
        "complex_stack_reference": (["compare", f["complex_stack.npy"] + ":0", "letters:0"], "complex"),
        "empty_class_folder": (["rank", "letters:0", "--dataset", f["emptyclass"]], "'B' holds no image files"),
        "empty_dataset_name": (["rank", "letters:0", "--dataset", ""], "empty"),
        "device_dataset": (["rank", "letters:0", "--dataset", "/dev/zero"], "neither a regular file"),
        "tiny_data_range": (["compare", f["a_float.npy"], f["b_float.npy"], "--data-range", "1e-310"],
                            "outside 0..1e-310 that --data-range 1e-310 states"),
    }


ERROR_NAMES = [
    "missing_file", "bad_index", "index_out_of_range", "unknown_dataset", "unknown_split",
    "shape_mismatch", "unknown_metric", "bins_not_a_number", "bins_zero", "negative_data_range",
    "float_npy_without_range", "stack_npy_without_index", "npz_without_index", "folder_without_index",
    "not_an_image",
    "missing_argument", "unknown_command", "k_zero", "rank_unknown_metric", "rank_query_shape",
    "rank_missing_dataset", "bad_figure_format",
    "refused_pickle", "truncated_pickle", "huge_bins", "figure_empty", "figure_is_a_folder", "figure_folder_missing",
    "complex_npy", "complex_stack_reference", "empty_class_folder", "empty_dataset_name", "device_dataset",
    "tiny_data_range",
]


@pytest.mark.parametrize("case", ERROR_NAMES)
def test_user_error_prints_one_line_and_exits_2(files, case):
    args, word = _error_cases(files)[case]
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("simlab: error: ")
    assert word.lower() in lines[0].lower()
    assert result.stdout == ""


def test_refused_pickle_never_ran_its_code(files):
    result = run("compare", f"{files['evil.pickle']}:test:0", "letters:0")
    assert result.returncode == 2 and not files["marker"].exists()


def test_compare_mi_and_nmi_equal_the_python_api_on_the_images_the_one_rule_gives(tmp_path):
    # range 3..99 and 16 bins put the bin edges on integer values: MI of the uint8 arrays and of the
    # float64 a / 255 differ (a pixel on an edge moves bin). The command line computes every metric on the
    # [0, 1] images of the one scaling rule, so a PNG and the same PNG inside a folder give the same MI.
    rng = np.random.default_rng(0)
    a = rng.integers(3, 100, (28, 28)).astype(np.uint8)
    b = rng.integers(3, 100, (28, 28)).astype(np.uint8)
    a[0, :2] = b[0, :2] = (3, 99)
    Image.fromarray(a).save(tmp_path / "ma.png")
    Image.fromarray(b).save(tmp_path / "mb.png")
    (tmp_path / "f" / "x").mkdir(parents=True)
    Image.fromarray(a).save(tmp_path / "f" / "x" / "0.png")
    Image.fromarray(b).save(tmp_path / "f" / "x" / "1.png")
    assert simlab.mutual_information(a, b) != simlab.mutual_information(a / 255, b / 255)  # the trap is real
    folder = simlab.load_dataset(tmp_path / "f")
    for bins in (None, 6, 32):
        extra = [] if bins is None else ["--bins", str(bins)]
        kw = {} if bins is None else {"bins": bins}
        got = values(run_json("compare", tmp_path / "ma.png", tmp_path / "mb.png", *extra))
        in_folder = values(run_json("compare", f"{tmp_path / 'f'}:0", f"{tmp_path / 'f'}:1", *extra))
        assert got == in_folder
        assert got["mutual_information"] == simlab.mutual_information(folder[0], folder[1], **kw)
        assert got["normalized_mutual_information"] == simlab.normalized_mutual_information(unit(a), unit(b), **kw)


def test_figure_without_suffix_is_saved_as_png_and_the_real_path_is_printed(files):
    out = files["folder"] / "nosuffix"
    result = run("compare", "letters:0", "letters:1", "--metric", "pearson", "--figure", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"figure saved to {out}.png"
    assert Path(f"{out}.png").read_bytes()[:8] == PNG_MAGIC and not out.exists()


def test_closed_stdout_pipe_exits_quietly():
    # like `simlab rank letters:0 -k 6500 | head -1`: far more output than a pipe buffer holds
    proc = subprocess.Popen([sys.executable, "-m", "simlab", "rank", "letters:0", "-k", "6500", "-m", "pearson"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=300) in (0, 1)
    assert first.startswith(b"query: letters:0")
    assert err == "", err


def test_error_cases_are_all_tested(files):
    assert sorted(_error_cases(files)) == sorted(ERROR_NAMES)


def test_help_shows_examples_and_exits_0():
    for args in (["--help"], ["compare", "--help"], ["rank", "--help"]):
        result = run(*args)
        assert result.returncode == 0
        assert "examples:" in result.stdout and "letters:12" in result.stdout
        if args != ["--help"]:  # the one scaling rule is stated where the options are
            assert "data range (one rule for every input, as simlab.load_dataset)" in result.stdout
            assert "--win-size" in result.stdout and "--labels" in result.stdout


def test_console_script_points_at_main():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "simlab"]
    assert script.value == "simlab.cli:main"
    from simlab.cli import main

    assert script.load() is main


def test_out_of_memory_is_one_line_exit_2_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    from simlab import cli

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli, "load_operand", exhausted)
    assert cli.main(["compare", "letters:0", "letters:1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("simlab: error: out of memory")

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug in simlab")

    monkeypatch.setattr(cli, "load_operand", bug)
    with pytest.raises(ZeroDivisionError, match="a bug in simlab"):  # not hidden behind "error: ..."
        cli.main(["compare", "letters:0", "letters:1"])


# ------------------------------------------------------------------------ issue 12: one scaling rule


def main_json(capsys, *args) -> dict:
    """``simlab ARGS --json`` run in this process (fast), its JSON read back."""
    from simlab.cli import main

    capsys.readouterr()
    status = main([*map(str, args), "--json"])
    out = capsys.readouterr()
    assert status == 0, out.err
    return json.loads(out.out)


def main_error(capsys, *args) -> str:
    """The one error line of ``simlab ARGS`` run in this process (exit status 2)."""
    from simlab.cli import main

    capsys.readouterr()
    try:
        status = main([*map(str, args)])
    except SystemExit as exc:  # argparse's errors
        status = exc.code
    out = capsys.readouterr()
    assert status == 2 and out.out == "", (status, out)
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simlab: error: "), out.err
    return lines[0]


@pytest.fixture(scope="module")
def routes(tmp_path_factory, letters) -> dict[str, str]:
    """One 28x28 picture (values 0..255) written every way simlab reads, name -> image argument."""
    d = tmp_path_factory.mktemp("routes")
    x = np.round(letters.images[7] * 255).astype(np.uint8)
    others = np.round(letters.images[:4] * 255).astype(np.uint8)
    stack = np.concatenate([others[:1], x[None], others[1:]])  # x is image 1 of every stack
    out = {}
    Image.fromarray(x).save(d / "x8.png")
    out["png 8-bit"] = d / "x8.png"
    Image.fromarray(x.astype(np.uint16)).save(d / "x16.png")  # a 16-bit PNG holding 0..255
    assert Image.open(d / "x16.png").mode.startswith("I")
    out["png 16-bit holding 0..255"] = d / "x16.png"
    Image.fromarray(x.astype(np.uint16) * 257).save(d / "x16full.png")  # the same picture at 16-bit depth
    out["png 16-bit, x * 257"] = d / "x16full.png"
    Image.fromarray(x).save(d / "x.pgm")
    out["pgm"] = d / "x.pgm"
    for dtype in ("uint8", "uint16", "int16", "uint32", "int32", "uint64", "int64"):
        np.save(d / f"x_{dtype}.npy", x.astype(dtype))
        out[f"npy {dtype}"] = d / f"x_{dtype}.npy"
    np.save(d / "x_unit.npy", x.astype(np.float32) / np.float32(255))
    out["npy float32 in [0, 1]"] = d / "x_unit.npy"
    np.save(d / "stack.npy", stack)
    out["stack reference"] = f"{d / 'stack.npy'}:1"
    np.savez(d / "data.npz", images=stack, labels=[0, 1, 0, 1, 0])
    out["npz"] = f"{d / 'data.npz'}:1"
    (d / "idx").mkdir()
    (d / "idx" / "t10k-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3]) + b"".join(
        int(n).to_bytes(4, "big") for n in stack.shape) + stack.tobytes())
    (d / "idx" / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5]) + bytes(5))
    out["idx"] = f"{d / 'idx' / 't10k-images-idx3-ubyte'}:1"
    (d / "x.pickle").write_bytes(pickle.dumps({"test_dataset": stack, "test_labels": np.zeros(5, np.int64)}))
    out["pickle"] = f"{d / 'x.pickle'}:test:1"
    for i, image in enumerate(stack):
        (d / "folder" / "c").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image.astype(np.uint16)).save(d / "folder" / "c" / f"{i}.png")  # 16-bit files
    out["folder member (16-bit files)"] = f"{d / 'folder'}:1"
    np.save(d / "x_f64.npy", x.astype(np.float64))
    out["npy float64 0..255, --data-range 255"] = d / "x_f64.npy"
    np.save(d / "fstack.npy", stack.astype(np.float32))
    out["float stack reference, --data-range 255"] = f"{d / 'fstack.npy'}:1"
    Image.fromarray(others[3]).save(d / "other.png")
    out["other"] = d / "other.png"
    out["dir"] = d
    return {k: str(v) for k, v in out.items()}


def test_the_same_pixels_give_the_same_numbers_by_every_route(routes, capsys):
    # issue 12 items 1-3: a 16-bit PNG, integer .npy files and float stack references were scaled by
    # different rules (SSIM 0.00015, 4e-6, 0.998 for an image against itself)
    from simlab.datasets import load_dataset

    names = [k for k in routes if k not in ("other", "dir")]
    got = {}
    for name in names:
        extra = ["--data-range", "255"] if "--data-range" in name else []
        got[name] = values(main_json(capsys, "compare", routes[name], routes["other"], *extra))
        assert got[name]["pearson"] == got[names[0]]["pearson"]
    for name in names:
        assert got[name] == got[names[0]], name  # every metric, to the last bit
    # against itself: SSIM 1, MSE 0, by every route, and the Python API loads the very same float32 image
    same = values(main_json(capsys, "compare", routes["png 16-bit holding 0..255"],
                            routes["folder member (16-bit files)"]))
    assert same["ssim"] == 1.0 and same["mse"] == 0.0
    first = load_dataset(routes["dir"] + "/folder")[1]
    for key in ("npz", "idx", "stack reference"):
        np.testing.assert_array_equal(load_dataset(routes[key].rsplit(":", 1)[0])[1], first)
    np.testing.assert_array_equal(load_dataset(routes["pickle"].split(":")[0], split="test")[1], first)


def test_a_16_bit_png_of_8_bit_values_finds_itself_in_a_folder_with_ssim_1(routes, capsys):
    # issue 12 item 1: `rank x16.png --dataset folder -m ssim -k 1` gave SSIM 0.00015 and MSE 0.27
    for metric, best in (("ssim", 1.0), ("mse", 0.0)):
        found = main_json(capsys, "rank", routes["png 16-bit holding 0..255"], "--dataset", routes["dir"] + "/folder",
                          "-m", metric, "-k", "1")
        assert found["neighbours"][0]["index"] == 1 and found["neighbours"][0]["score"] == best


def test_an_explicit_data_range_is_honoured_for_every_input(routes, capsys):
    # issue 12 items 2-3: --data-range was ignored for integer .npy files and for stack references
    got = values(main_json(capsys, "compare", routes["npy int64"], routes["png 8-bit"], "-m", "ssim", "mse",
                           "--data-range", "255"))
    assert got == {"ssim": 1.0, "mse": 0.0}
    stack = np.load(routes["float stack reference, --data-range 255"].rsplit(":", 1)[0]) * 0.5 + 20
    np.save(Path(routes["dir"]) / "grey_stack.npy", stack)  # values 20..147.5: min-max would not be / 255
    np.save(Path(routes["dir"]) / "grey_one.npy", stack[1])
    got = values(main_json(capsys, "compare", f"{routes['dir']}/grey_stack.npy:1", f"{routes['dir']}/grey_one.npy",
                           "-m", "ssim", "--data-range", "255"))
    assert got == {"ssim": 1.0}
    # honoured means divided by it: 12-bit values in uint16 with --data-range 4095
    doubled = values(main_json(capsys, "compare", routes["npy uint16"], routes["other"], "-m", "mse",
                               "--data-range", "510"))
    plain = np.asarray(Image.open(routes["other"]), np.float32)
    x = np.load(routes["npy uint16"]).astype(np.float32)
    assert doubled["mse"] == pytest.approx(np.mean((x / 510 - plain / 510) ** 2), rel=1e-6)


def test_a_data_range_the_values_do_not_fit_is_refused_with_the_range_found(routes, capsys):
    line = main_error(capsys, "compare", routes["npy uint8"], "letters:0", "--data-range", "100")
    assert re.search(r"values span 0\.\.2\d\d, outside 0\.\.100 that --data-range 100 states", line), line
    assert "data_range" not in line
    line = main_error(capsys, "compare", "letters:0", "letters:1", "--data-range", "1")
    assert "built-in 'letters'" in line and "outside 0..1 that --data-range 1 states" in line


def test_a_float_image_outside_0_1_without_a_range_asks_for_data_range(routes, capsys):
    line = main_error(capsys, "compare", routes["npy float64 0..255, --data-range 255"], routes["other"])
    assert "float values span 0..2" in line and "pass --data-range" in line
    # a float image in [0, 1] carries its range: no --data-range needed, and equal to the 8-bit PNG
    assert values(main_json(capsys, "compare", routes["npy float32 in [0, 1]"], routes["png 8-bit"], "-m", "ssim")) \
        == {"ssim": 1.0}


def test_rgb_npy_is_one_colour_image_not_a_stack_of_narrow_images(tmp_path, capsys):
    # issue 12 item 4: (64, 64, 3) was "a stack of 64 images of 64x3"
    np.save(tmp_path / "rgb.npy", np.zeros((64, 64, 3), np.uint8))
    line = main_error(capsys, "compare", tmp_path / "rgb.npy", tmp_path / "rgb.npy")
    assert "holds one colour image of 64x64 with 3 channels: convert it to grey first" in line
    line = main_error(capsys, "rank", f"{tmp_path / 'rgb.npy'}:0", "--dataset", "letters")
    assert "looks like one colour image of 64x64 with 3 channels, not a stack of 64 images of 64x3" in line
    np.save(tmp_path / "g.npy", np.zeros((28, 28, 1), np.uint8))  # one grey image with a channel axis
    assert values(main_json(capsys, "compare", tmp_path / "g.npy", "letters:0", "-m", "mse"))["mse"] == \
        pytest.approx(float(np.mean(simlab.load_dataset("letters")[0].astype(np.float64) ** 2)))


def test_npy_header_claiming_1e12_images_is_one_line_naming_the_file_and_size(tmp_path, capsys):
    # issue 12 item 9: "out of memory: use a smaller data set or fewer --bins" on rank, which has no --bins
    with open(tmp_path / "huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
    for args in (["rank", f"{tmp_path / 'huge.npy'}:0"], ["rank", "letters:0", "--dataset", tmp_path / "huge.npy"]):
        line = main_error(capsys, *args)
        assert "huge.npy': its header claims an array of shape (1000000000000, 28, 28)" in line, line
        assert "bins" not in line


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    # issue 12 item 10: a KeyboardInterrupt traceback, and ~2 s to stop
    import signal
    import time

    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc to see when the command is at work")
    data = tmp_path / "many.npy"
    np.save(data, np.zeros((100_000, 28, 28), np.uint8))  # 313 MB as float32; ranking it takes seconds
    proc = subprocess.Popen([sys.executable, "-m", "simlab", "rank", "letters:0", "-m", "ssim", "--dataset", data,
                             "-k", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True,
                            # a job started in the background (as CI may run the suite) inherits Ctrl-C ignored,
                            # and Python then leaves it ignored: give the command the terminal's default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def at_work() -> bool:  # past start-up however slow the machine: loading the data set (RSS > 250 MB)
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            return False
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) > 250_000

    deadline = time.monotonic() + 120
    while not at_work() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err == "simlab: interrupted\n" and out == ""


def test_metric_option_that_swallowed_the_images_says_what_happened(capsys):
    # issue 12 item 12: "unknown metric 'letters:0'"
    line = main_error(capsys, "compare", "-m", "ssim", "letters:0", "letters:1")
    assert "'letters:0' is not a metric" in line and "put the images before it: simlab compare A B -m ssim" in line
    got = main_json(capsys, "compare", "letters:0", "letters:1", "-m", "ssim")
    assert list(got["metrics"]) == ["ssim"]


def test_ssim_on_small_images_says_it_needs_3x3_and_offers_win_size(tmp_path, capsys):
    # issue 12 item 13: "pass an odd win_size <= 1", then "win_size must be >= 3"; no --win-size
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, (2, 5, 5)).astype(np.uint8)
    for i in range(2):
        np.save(tmp_path / f"s{i}.npy", small[i])
    line = main_error(capsys, "compare", tmp_path / "s0.npy", tmp_path / "s1.npy")
    assert "SSIM compares 7x7 windows, so it needs images of at least 7x7; these are 5x5: pass --win-size 5" in line
    got = values(main_json(capsys, "compare", tmp_path / "s0.npy", tmp_path / "s1.npy", "--win-size", "3"))
    u = small.astype(np.float32) / np.float32(255)
    assert got["ssim"] == simlab.ssim(u[0], u[1], data_range=1.0, win_size=3)
    np.save(tmp_path / "one.npy", np.zeros((1, 1), np.uint8))
    line = main_error(capsys, "compare", tmp_path / "one.npy", tmp_path / "one.npy")
    assert "SSIM needs images of at least 3x3 pixels (7x7 with its default window), these are 1x1" in line
    assert values(main_json(capsys, "compare", tmp_path / "one.npy", tmp_path / "one.npy", "-m", "mse")) == \
        {"mse": 0.0}
    assert "odd window side >= 3" in main_error(capsys, "compare", "letters:0", "letters:1", "--win-size", "4")
    found = main_json(capsys, "rank", "letters:0", "-k", "2", "--win-size", "3")
    letters = simlab.load_dataset("letters")
    assert found["neighbours"][1]["score"] == pytest.approx(
        simlab.ssim(letters[0], letters[found["neighbours"][1]["index"]], data_range=1.0, win_size=3), abs=1e-12)


def test_command_line_messages_use_command_line_words(routes, tmp_path, capsys):
    # issue 12 item 14: "--dataset folder:train" answered "pass split=None"
    line = main_error(capsys, "rank", routes["png 8-bit"], "--dataset", routes["dir"] + "/folder:train")
    assert "has no train/valid/test split, so ':train' cannot be chosen: leave ':train' out" in line
    assert "split=None" not in line


def test_labels_for_idx_files_with_other_names(tmp_path, capsys):
    # issue 12 item 14: non-standard IDX names could not be given labels from the command line
    x = np.round(simlab.load_dataset("digits").images[:6] * 255).astype(np.uint8)
    (tmp_path / "scans.idx3").write_bytes(bytes([0, 0, 8, 3]) + b"".join(
        int(n).to_bytes(4, "big") for n in x.shape) + x.tobytes())
    (tmp_path / "answers.idx1").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 6]) + bytes([4, 4, 7, 7, 1, 1]))
    line = main_error(capsys, "rank", "digits:0", "--dataset", tmp_path / "scans.idx3")
    assert "pass --labels path/to/labels-idx1-ubyte" in line
    found = main_json(capsys, "rank", "digits:0", "--dataset", tmp_path / "scans.idx3", "--labels",
                      tmp_path / "answers.idx1", "-k", "1")
    assert found["neighbours"][0]["index"] == 0 and found["neighbours"][0]["class"] == "4"


def test_one_list_of_image_suffixes_and_one_bin_limit(routes, capsys):
    from simlab import _io, cli, information

    assert cli.IMAGE_SUFFIXES is _io.IMAGE_SUFFIXES and ".pgm" in cli.IMAGE_SUFFIXES
    assert values(main_json(capsys, "compare", routes["pgm"], routes["pgm"], "-m", "mse")) == {"mse": 0.0}
    assert cli.MAX_BINS == information.MAX_BINS
    got = values(main_json(capsys, "compare", "letters:0", "letters:1", "-m", "mutual_information",
                           "--bins", str(information.MAX_BINS)))
    letters = simlab.load_dataset("letters")
    assert got["mutual_information"] == simlab.mutual_information(letters[0], letters[1], bins=information.MAX_BINS)
    assert f"at most {information.MAX_BINS}" in main_error(capsys, "compare", "letters:0", "letters:1",
                                                           "--bins", str(information.MAX_BINS + 1))


def test_inputs_scaled_by_different_spans_get_a_warning(tmp_path):
    # the one rule judges integers by value: a dark 16-bit image (all < 256) is divided by 255, a bright
    # one by 65535; compared, they are on two scales, so the command says so (and --data-range fixes it)
    rng = np.random.default_rng(3)
    dark, bright = rng.integers(0, 200, (28, 28)), rng.integers(0, 60000, (28, 28))
    Image.fromarray(dark.astype(np.uint16)).save(tmp_path / "dark.png")
    Image.fromarray(bright.astype(np.uint16)).save(tmp_path / "bright.png")
    result = run("compare", tmp_path / "dark.png", tmp_path / "bright.png", "-m", "mse")
    assert result.returncode == 0
    assert re.search(r"simlab: warning: A \(.*dark\.png\) was scaled by 'uint16 holding 8-bit values 0\.\.255 / 255' "
                     r"and B \(.*bright\.png\) by 'uint16 / 65535': .* pass --data-range", result.stderr), result.stderr
    fixed = run("compare", tmp_path / "dark.png", tmp_path / "bright.png", "-m", "mse", "--data-range", "65535")
    assert fixed.returncode == 0 and fixed.stderr == ""
    same = run("compare", tmp_path / "dark.png", "letters:0", "-m", "mse")  # both / 255: no warning
    assert same.returncode == 0 and same.stderr == ""
    np.save(tmp_path / "floats.npy", rng.random((3, 28, 28)) * 40 + 3)  # a float stack: min-max
    result = run("rank", f"{tmp_path / 'floats.npy'}:0", "--dataset", tmp_path / "floats.npy", "-k", "1")
    assert "was min-max scaled" in result.stderr and "pass --data-range" in result.stderr
