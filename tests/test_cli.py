"""The command line, run as a user runs it: ``python -m simlab ...`` in a subprocess, on real files.

Every number the command prints (read back from ``--json``) is checked against simlab's own
functions on the same arrays, and the main ones against the reference implementations (scipy,
scikit-image) as well. Every user error must give exit status 2 and one line on stderr.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import simlab

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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
    a, b = files["u8"][0] / 255.0, files["u8"][1] / 255.0
    assert_same_numbers(values(got), simlab.compare(a, b, data_range=1.0).as_dict())
    assert {m["more_similar"] for m in got["metrics"].values()} <= {"higher", "lower"}
    assert {n: m["more_similar"] for n, m in got["metrics"].items()} == {
        name: info.direction for name, info in simlab.METRICS.items()}


def test_compare_png_files_agrees_with_scikit_image_and_scipy_on_the_uint8_pixels(files):
    from scipy.stats import pearsonr
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    got = values(run_json("compare", files["a.png"], files["b.png"]))
    a, b = files["u8"][0], files["u8"][1]
    np.testing.assert_allclose(got["ssim"], structural_similarity(a, b, data_range=255), rtol=1e-9)
    np.testing.assert_allclose(got["psnr"], peak_signal_noise_ratio(a, b, data_range=255), rtol=1e-9)
    np.testing.assert_allclose(got["pearson"], pearsonr(a.ravel(), b.ravel().astype(float))[0], rtol=1e-9)
    np.testing.assert_allclose(got["mse"], np.mean((a / 255.0 - b / 255.0) ** 2), rtol=1e-12)


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
    assert_same_numbers(got, simlab.compare(a / 255, b / 255, data_range=1.0).as_dict())
    np.testing.assert_allclose(got["ssim"], structural_similarity(a, b, data_range=255), rtol=1e-9)
    np.testing.assert_allclose(got["mse"], np.mean((a - b) ** 2) / 255**2, rtol=1e-12)


def test_compare_integer_npy_takes_its_range_from_the_dtype(files):
    got = values(run_json("compare", files["a_u8.npy"], files["b.png"]))
    a, b = files["u8"][0] / 255.0, files["u8"][1] / 255.0
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
        "huge_bins": (["compare", "letters:0", "letters:1", "--bins", "100000"], "at most 1024 bins"),
        "figure_empty": (["compare", "letters:0", "letters:1", "--figure", ""], "expected a file name"),
        "figure_is_a_folder": (["compare", "letters:0", "letters:1", "--figure", f["a_dir"]], "is a folder"),
        "figure_folder_missing": (["rank", "letters:0", "--figure", f["folder"] + "/nope/x.png"], "does not exist"),
        "complex_npy": (["compare", f["complex.npy"], "letters:0"], "complex"),
        "complex_stack_reference": (["compare", f["complex_stack.npy"] + ":0", "letters:0"], "complex"),
        "empty_class_folder": (["rank", "letters:0", "--dataset", f["emptyclass"]], "'B' holds no image files"),
        "empty_dataset_name": (["rank", "letters:0", "--dataset", ""], "empty"),
        "device_dataset": (["rank", "letters:0", "--dataset", "/dev/zero"], "neither a regular file"),
        "tiny_data_range": (["compare", f["a_float.npy"], f["b_float.npy"], "--data-range", "1e-310"], "too small"),
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


def test_compare_mi_and_nmi_equal_the_python_api_on_the_uint8_pixels(tmp_path):
    # the reviewer's case: range 3..99 and 16 bins put the bin edges on integer values
    rng = np.random.default_rng(0)
    a = rng.integers(3, 100, (28, 28)).astype(np.uint8)
    b = rng.integers(3, 100, (28, 28)).astype(np.uint8)
    a[0, :2] = b[0, :2] = (3, 99)
    Image.fromarray(a).save(tmp_path / "ma.png")
    Image.fromarray(b).save(tmp_path / "mb.png")
    assert simlab.mutual_information(a, b) != simlab.mutual_information(a / 255, b / 255)  # the trap is real
    for bins in (None, 6, 32):
        extra = [] if bins is None else ["--bins", str(bins)]
        kw = {} if bins is None else {"bins": bins}
        got = values(run_json("compare", tmp_path / "ma.png", tmp_path / "mb.png", *extra))
        assert got["mutual_information"] == simlab.mutual_information(a, b, **kw)
        assert got["normalized_mutual_information"] == simlab.normalized_mutual_information(a, b, **kw)


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
