"""``simlab duplicates A [B]``, run as a user runs it, on built-in data, a notMNIST pickle and a folder of images.

The pairs it prints (read back from ``--json`` / ``--csv``) are checked against brute force on the
same arrays (``np.array_equal`` for exact copies, the pair function for near ones); user errors give
exit status 2 and one line on stderr.
"""

from __future__ import annotations

import csv
import io
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


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simlab", "duplicates", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def pickle_file(tmp_path_factory) -> tuple[Path, dict]:
    rng = np.random.default_rng(7)
    train = (rng.random((40, 28, 28)) - 0.5).astype(np.float32)
    test = (rng.random((12, 28, 28)) - 0.5).astype(np.float32)
    test[2], test[5], test[9] = train[7], train[7], train[30]
    test[11] = np.clip(train[3] + 0.01, -0.5, 0.5)  # a near copy
    data = {"train_dataset": train, "train_labels": np.arange(40) % 10,
            "test_dataset": test, "test_labels": np.arange(12) % 10}
    path = tmp_path_factory.mktemp("pickle") / "notMNIST.pickle"
    path.write_bytes(pickle.dumps(data))
    return path, data


def test_exact_duplicates_across_pickle_splits_equal_the_nested_loop(pickle_file):
    path, data = pickle_file
    out = run_json(f"{path}:train", f"{path}:test", "--exact")
    got = sorted((p["i"], p["j"]) for p in out["pairs"])
    train, test = data["train_dataset"], data["test_dataset"]
    expected = sorted((i, j) for i in range(len(train)) for j in range(len(test)) if np.array_equal(train[i], test[j]))
    assert got == expected == [(7, 2), (7, 5), (30, 9)]
    assert out["counts"] == {"pairs": 3, "a": 2, "b": 3, "groups": 2}
    assert out["method"] == "exact" and out["b"]["size"] == 12


def test_near_duplicates_by_mse_print_every_pair_as_csv_with_the_pair_functions_score(pickle_file):
    path, data = pickle_file
    result = run(f"{path}:train", f"{path}:test", "--metric", "mse", "--threshold", "0.001", "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    train, test = data["train_dataset"] + 0.5, data["test_dataset"] + 0.5  # as loaded: shifted to [0, 1]
    expected = sorted((i, j) for i in range(40) for j in range(12) if simlab.mse(train[i], test[j]) <= 0.001)
    assert sorted((int(r["i"]), int(r["j"])) for r in rows) == expected and (3, 11) in expected
    for r in rows:
        expected_score = simlab.mse(train[int(r["i"])].astype(np.float32), test[int(r["j"])].astype(np.float32))
        assert float(r["score"]) == pytest.approx(expected_score, abs=1e-12)


def test_a_folder_reports_file_names_and_a_figure_is_saved(tmp_path):
    rng = np.random.default_rng(3)
    images = (rng.random((6, 28, 28)) * 255).astype(np.uint8)
    for k, image in enumerate(images):
        folder = tmp_path / "pics" / ("A" if k % 2 else "B")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"img{k}.png")
    Image.fromarray(images[4]).save(tmp_path / "pics" / "A" / "copy_of_4.png")
    out = run_json(tmp_path / "pics", "--exact")
    assert len(out["pairs"]) == 1
    names = sorted(Path(out["pairs"][0][key]).name for key in ("file_i", "file_j"))
    assert names == ["copy_of_4.png", "img4.png"]
    figure = tmp_path / "gallery.png"
    text = run(tmp_path / "pics", "--exact", "--figure", figure)
    assert text.returncode == 0, text.stderr
    assert "copy_of_4.png" in text.stdout and "1 pairs" in text.stdout
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_built_in_overlap_counts_match_the_recorded_copies():
    out = run_json("overlap:train", "overlap:test", "--exact")
    truth = simlab.duplicates.ground_truth().pairs("train", "test", "exact")
    assert sorted((p["i"], p["j"]) for p in out["pairs"]) == sorted(map(tuple, truth.tolist()))
    assert out["counts"]["b"] == 125


@pytest.mark.parametrize("args, message", [
    (("overlap:test", "--exact", "--threshold", "1"), "--exact finds identical images and takes no --metric"),
    (("nothere.npz",), "A nothere.npz: no such file or folder 'nothere.npz'"),
    (("overlap:test", "overlap:nosplit"), "unknown split 'nosplit'"),
    (("overlap:test", "--metric", "cosine"), "unknown metric 'cosine'"),
    (("overlap:test", "--threshold", "nan"), "expected a finite number"),
    (("overlap:test", "--threshold", "-1"), "threshold for mse must be >= 0"),
    (("overlap:test", "--json", "--csv"), "not allowed with argument"),
])
def test_user_errors_are_one_line_with_exit_status_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simlab: error:") and message in lines[0], result.stderr


def test_shapes_that_differ_are_a_user_error(tmp_path):
    np.save(tmp_path / "small.npy", np.zeros((3, 8, 8), dtype=np.uint8))
    result = run("overlap:test", tmp_path / "small.npy")
    assert result.returncode == 2 and "must have the same size" in result.stderr
