"""The user's own files through ``simlab.load_dataset(path)``: every format round-trips, bad input
gets a clear error, a pickle never runs code, and loading never changes the user's files.

Every file here is written by the test itself (with numpy, gzip, pickle or Pillow, not with simlab),
so the expected values are known independently of the code under test.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from simlab.datasets import load_dataset

RNG = np.random.default_rng(1234)


def _images(n=12, h=28, w=28):
    return RNG.integers(0, 256, size=(n, h, w), dtype=np.uint8)


def _idx_bytes(array: np.ndarray) -> bytes:
    """The IDX format written by hand: 00 00 08 ndim, big-endian uint32 dims, uint8 data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def _mnist_folder(folder: Path, gz: bool, n_train=12, n_test=5):
    folder.mkdir(exist_ok=True)
    xs, ys = {}, {}
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        xs[prefix], ys[prefix] = _images(n), RNG.integers(0, 10, n).astype(np.uint8)
        _write(folder / f"{prefix}-images-idx3-ubyte{suffix}", _idx_bytes(xs[prefix]), gz)
        _write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", _idx_bytes(ys[prefix]), gz)
    return xs, ys


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256), folders included, to compare before/after."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


# --------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_folder_round_trips_images_labels_and_splits(tmp_path, gz):
    xs, ys = _mnist_folder(tmp_path / "mnist", gz)
    ds = load_dataset(tmp_path / "mnist")
    np.testing.assert_array_equal(ds.images, np.concatenate([xs["train"], xs["t10k"]]) / np.float32(255))
    np.testing.assert_array_equal(ds.labels, np.concatenate([ys["train"], ys["t10k"]]))
    assert ds.split.tolist() == ["train"] * 12 + ["test"] * 5
    assert ds.classes == [str(i) for i in range(int(ds.labels.max()) + 1)]
    assert ds.normalization == "uint8 / 255"
    test = load_dataset(tmp_path / "mnist", split="test")
    np.testing.assert_array_equal(test.images, xs["t10k"] / np.float32(255))
    np.testing.assert_array_equal(test.labels, ys["t10k"])


def test_idx_images_file_finds_its_labels_file_beside_it(tmp_path):
    xs, ys = _mnist_folder(tmp_path, gz=True)
    ds = load_dataset(tmp_path / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(ds.images * 255, xs["t10k"])
    np.testing.assert_array_equal(ds.labels, ys["t10k"])
    assert set(ds.split) == {"test"}


def test_idx_images_file_with_labels_given_explicitly(tmp_path):
    x, y = _images(7), np.array([3, 1, 4, 1, 5, 9, 2], np.uint8)
    _write(tmp_path / "my_pictures.bin", _idx_bytes(x))
    _write(tmp_path / "my_answers.bin", _idx_bytes(y), gz=True)
    ds = load_dataset(tmp_path / "my_pictures.bin", labels=tmp_path / "my_answers.bin")
    np.testing.assert_array_equal(ds.images * 255, x)
    np.testing.assert_array_equal(ds.labels, y)
    assert ds.split is None


def test_idx_fashion_mnist_folder_gets_fashion_class_names(tmp_path):
    _mnist_folder(tmp_path / "fashion-mnist", gz=True)
    ds = load_dataset(tmp_path / "fashion-mnist")
    assert ds.classes[:2] == ["T-shirt/top", "Trouser"] and ds.classes[-1] == "Ankle boot"
    assert len(load_dataset(tmp_path / "fashion-mnist", classes=list("abcdefghij")).classes) == 10


def test_idx_without_labels_file_says_how_to_pass_it(tmp_path):
    _write(tmp_path / "train-images-idx3-ubyte", _idx_bytes(_images(3)))
    with pytest.raises(FileNotFoundError, match=r"no labels file.*train-labels-idx1-ubyte.*labels="):
        load_dataset(tmp_path / "train-images-idx3-ubyte")


def test_truncated_gz_is_reported_with_the_path(tmp_path):
    data = gzip.compress(_idx_bytes(_images(20)), mtime=0)
    path = _write(tmp_path / "train-images-idx3-ubyte.gz", data[: len(data) // 2])
    _write(tmp_path / "train-labels-idx1-ubyte.gz", _idx_bytes(np.zeros(20, np.uint8)), gz=True)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz.*truncated or damaged gzip.*again"):
        load_dataset(path)


def test_truncated_idx_data_is_reported_with_expected_and_found_sizes(tmp_path):
    data = _idx_bytes(_images(4))
    path = _write(tmp_path / "t10k-images-idx3-ubyte", data[:-100])
    with pytest.raises(ValueError, match=rf"truncated.*\(4, 28, 28\).*{len(data)} bytes.*{len(data) - 100} bytes"):
        load_dataset(path, labels=_write(tmp_path / "l", _idx_bytes(np.zeros(4, np.uint8))))


def test_wrong_idx_magic_names_found_and_expected_numbers(tmp_path):
    x, y = _images(4), np.zeros(4, np.uint8)
    _write(tmp_path / "train-images-idx3-ubyte", _idx_bytes(x))
    # a labels file where the images should be: magic 0x00000801 instead of 0x00000803
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(y))
    with pytest.raises(ValueError, match=r"0x00000801 \(a labels file\), expected 0x00000803.*pass the images file"):
        load_dataset(tmp_path / "train-labels-idx1-ubyte")
    # and an images file given as the labels
    with pytest.raises(ValueError, match=r"0x00000803 \(an images file\), expected 0x00000801"):
        load_dataset(tmp_path / "train-images-idx3-ubyte", labels=tmp_path / "train-images-idx3-ubyte")
    # a damaged header in the labels file: not an IDX file at all
    _write(tmp_path / "train-labels-idx1-ubyte", b"\x01\x02" + _idx_bytes(y)[2:])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.*not an IDX file: magic number 0x01020801"):
        load_dataset(tmp_path / "train-images-idx3-ubyte")


def test_idx_image_and_label_counts_must_match(tmp_path):
    _write(tmp_path / "train-images-idx3-ubyte", _idx_bytes(_images(6)))
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*train-labels-idx1-ubyte.*6 images but 5 labels"):
        load_dataset(tmp_path)
    with pytest.raises(ValueError, match=r"6 images but 5 labels"):
        load_dataset(tmp_path / "train-images-idx3-ubyte")


# --------------------------------------------------------------------------- .npz / .npy


@pytest.mark.parametrize("keys", [("images", "labels"), ("x", "y"), ("X", "Y"), ("arr_0", "arr_1")])
def test_npz_round_trips_with_each_documented_key_pair(tmp_path, keys):
    x, y = _images(9), RNG.integers(0, 4, 9)
    np.savez(tmp_path / "mine.npz", **{keys[0]: x, keys[1]: y})
    ds = load_dataset(tmp_path / "mine.npz")
    np.testing.assert_array_equal(ds.images * np.float32(255), x)
    np.testing.assert_array_equal(ds.labels, y)
    assert ds.classes == [str(i) for i in range(y.max() + 1)]
    assert ds.name == "mine"


def test_npz_keras_style_split_keys_and_class_names(tmp_path):
    xtr, xte = _images(6), _images(3)
    ytr, yte = np.array([0, 1, 2, 0, 1, 2]), np.array([2, 2, 0])
    np.savez_compressed(tmp_path / "k.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte,
                        classes=np.array(["cat", "dog", "owl"]))
    ds = load_dataset(tmp_path / "k.npz")
    np.testing.assert_array_equal(ds.images * np.float32(255), np.concatenate([xtr, xte]))
    assert ds.split.tolist() == ["train"] * 6 + ["test"] * 3
    assert ds.classes == ["cat", "dog", "owl"]
    assert [ds.class_name(i) for i in range(6, 9)] == ["owl", "owl", "cat"]


def test_npz_splits_share_one_value_mapping(tmp_path):
    # floats outside [0, 1]: min-max over all splits together, so the two splits stay comparable
    np.savez(tmp_path / "f.npz", x_train=np.full((2, 3, 3), 4.0), y_train=[0, 1],
             x_test=np.full((1, 3, 3), 8.0) + np.eye(3), y_test=[1])
    ds = load_dataset(tmp_path / "f.npz")
    np.testing.assert_allclose(ds.images[:2], 0.0)
    np.testing.assert_allclose(ds.images[2], (8.0 + np.eye(3) - 4.0) / 5.0, rtol=1e-6)
    assert ds.normalization == "float64 min-max over all images: (x - 4) / (9 - 4)"


def test_npz_splits_of_different_sizes_or_half_labelled_are_refused(tmp_path):
    np.savez(tmp_path / "s.npz", x_train=_images(2, 28, 28), y_train=[0, 1], x_test=_images(1, 32, 32), y_test=[0])
    with pytest.raises(ValueError, match=r"different sizes.*'x_train'.*28x28.*'x_test'.*32x32.*resize"):
        load_dataset(tmp_path / "s.npz")
    np.savez(tmp_path / "h.npz", x_train=_images(2), y_train=[0, 1], x_test=_images(1))
    with pytest.raises(ValueError, match=r"no labels for .*'x_test'"):
        load_dataset(tmp_path / "h.npz")


def test_npz_string_labels_become_sorted_class_names(tmp_path):
    x = _images(4)
    np.savez(tmp_path / "s.npz", images=x, labels=np.array(["b", "a", "b", "c"]))
    ds = load_dataset(tmp_path / "s.npz")
    assert ds.classes == ["a", "b", "c"]
    assert [ds.class_name(i) for i in range(4)] == ["b", "a", "b", "c"]


@pytest.mark.parametrize(
    "labels, classes, expected_labels, expected_classes",
    [
        (np.array([2.0, 0.0, 1.0]), None, [2, 0, 1], ["0", "1", "2"]),
        (np.array([3, 70, 3]), None, [3, 70, 3], [str(i) for i in range(71)]),  # codes within MAX_CLASS_CODE
        (np.array([3, 10**9, 3]), None, [0, 1, 0], ["3", "1000000000"]),  # sparse codes: renumbered, named
        (np.array([[1], [0], [1]]), None, [1, 0, 1], ["0", "1"]),
        (np.array([1, 0, 1]), ["no", "yes"], [1, 0, 1], ["no", "yes"]),
    ],
)
def test_label_forms_are_turned_into_class_indices(tmp_path, labels, classes, expected_labels, expected_classes):
    np.savez(tmp_path / "l.npz", images=_images(3), labels=labels)
    ds = load_dataset(tmp_path / "l.npz", classes=classes)
    assert ds.labels.tolist() == expected_labels and ds.classes == expected_classes


@pytest.mark.parametrize(
    "labels, classes, message",
    [
        (np.eye(3)[[0, 2, 1]], None, r"labels must be one number .* got shape \(3, 3\).*argmax"),
        (np.array([0.5, 1.0, 2.0]), None, r"labels must be whole numbers.*0\.5"),
        (np.array([0, 4, 1]), ["a", "b"], r"classes: 2 names given, but the labels go up to 4: give 5 names"),
    ],
)
def test_bad_labels_get_a_clear_error(tmp_path, labels, classes, message):
    np.savez(tmp_path / "l.npz", images=_images(3), labels=labels)
    with pytest.raises(ValueError, match=message):
        load_dataset(tmp_path / "l.npz", classes=classes)


def test_npz_without_recognisable_keys_lists_found_and_accepted_keys(tmp_path):
    np.savez(tmp_path / "odd.npz", pictures=_images(2), answers=[0, 1])
    with pytest.raises(ValueError, match=r"odd\.npz.*\['answers', 'pictures'\].*images, x, X.*x_train"):
        load_dataset(tmp_path / "odd.npz")


def test_npz_image_and_label_counts_must_match(tmp_path):
    np.savez(tmp_path / "n.npz", images=_images(5), labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"n\.npz.*5 images but 3 labels"):
        load_dataset(tmp_path / "n.npz")


@pytest.mark.parametrize("suffix", ["npy", "npz"])
def test_object_arrays_are_not_unpickled(tmp_path, suffix):
    images = np.empty(2, dtype=object)
    images[:] = [np.zeros((2, 2)), np.ones((2, 2))]
    if suffix == "npy":
        np.save(tmp_path / "o.npy", images, allow_pickle=True)
    else:
        np.savez(tmp_path / "o.npz", images=images, labels=[0, 1])
    with pytest.raises(ValueError, match=rf"o\.{suffix}.*never unpickles"):
        load_dataset(tmp_path / f"o.{suffix}")


def test_npy_loads_images_unlabelled(tmp_path):
    x = _images(3)
    np.save(tmp_path / "only.npy", x)
    ds = load_dataset(tmp_path / "only.npy")
    np.testing.assert_array_equal(ds.images * np.float32(255), x)
    assert ds.labels.tolist() == [0, 0, 0] and ds.classes == ["unlabelled"] and ds.split is None


@pytest.mark.parametrize(
    "shape, hint",
    [((5, 784), r"x\[None\].*reshape"), ((4, 28, 28, 3), "colour"), ((28,), r"\(N, height, width\)")],
)
def test_images_that_are_not_2d_get_a_clear_error(tmp_path, shape, hint):
    np.save(tmp_path / "bad.npy", np.zeros(shape, np.uint8))
    with pytest.raises(ValueError, match=rf"bad\.npy.*\(N, H, W\), got shape \({shape[0]}.*{hint}"):
        load_dataset(tmp_path / "bad.npy")


def test_single_channel_axis_is_dropped(tmp_path):
    x = _images(2)
    np.save(tmp_path / "c.npy", x[..., None])
    np.testing.assert_array_equal(load_dataset(tmp_path / "c.npy").images * np.float32(255), x)


@pytest.mark.parametrize(
    "array, expected, how",
    [
        (np.array([[[0, 65535], [32768, 1]]], np.uint16), lambda a: a / 65535, "uint16 / 65535"),
        (np.array([[[0, 255], [128, 7]]], np.int64), lambda a: a / 255, "int64 holding 8-bit values 0..255 / 255"),
        (np.array([[[0, 255], [128, 7]]], np.uint32), lambda a: a / 255, "uint32 holding 8-bit values 0..255 / 255"),
        (np.array([[[0, 255], [128, 7]]], np.uint16), lambda a: a / 255, "uint16 holding 8-bit values 0..255 / 255"),
        (np.array([[[0, 255], [128, 7]]], np.int16), lambda a: a / 255, "int16 holding 8-bit values 0..255 / 255"),
        (np.array([[[0, 256], [128, 7]]], np.uint16), lambda a: a / 65535, "uint16 / 65535"),
        (np.array([[[0, 65535], [300, 7]]], np.int32), lambda a: a / 65535, "int32 holding 16-bit values "
                                                                            "0..65535 / 65535"),
        (np.array([[[0.0, 1.0], [0.25, 0.5]]]), lambda a: a, "float64 in [0, 1], kept"),
        (np.array([[[-0.5, 0.5], [0.0, 0.25]]], np.float32), lambda a: a + 0.5, "notMNIST [-0.5, 0.5] shifted by +0.5"),
        (np.array([[[0.0, 16.0], [4.0, 8.0]]]), lambda a: a / 16, "min-max"),
        (np.array([[[-3, 5], [1, 1]]], np.int16), lambda a: (a + 32768) / 65535, "int16 (x - -32768) / 65535 "
                                                                                 "(its dtype's span)"),
        (np.array([[[-3, 5], [1, 1]]], np.int8), lambda a: (a + 128) / 255, "int8 (x - -128) / 255 (its dtype's span)"),
        (np.array([[[True, False], [False, True]]]), lambda a: a.astype(float), "bool"),
    ],
)
def test_values_are_mapped_to_unit_range_as_recorded(tmp_path, array, expected, how):
    np.save(tmp_path / "v.npy", array)
    ds = load_dataset(tmp_path / "v.npy")
    assert ds.images.dtype == np.float32
    np.testing.assert_allclose(ds.images, expected(array.astype(np.float64)), rtol=1e-6, atol=1e-7)
    assert how in ds.normalization


# --------------------------------------------------------------------------- pickles


def _notmnist(n_train=8, n_valid=3, n_test=5, size=28):
    """A dict shaped like the notMNIST course pickle: (pixel - 255 / 2) / 255, int32 labels."""
    out = {}
    for s, n in (("train", n_train), ("valid", n_valid), ("test", n_test)):
        out[f"{s}_dataset"] = ((_images(n, size, size) - 255 / 2) / 255).astype(np.float32)
        out[f"{s}_labels"] = RNG.integers(0, 10, n).astype(np.int32)
    return out


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_notmnist_pickle_round_trips_for_each_protocol(tmp_path, protocol):
    data = _notmnist()
    (tmp_path / "notMNIST.pickle").write_bytes(pickle.dumps(data, protocol=protocol))
    ds = load_dataset(tmp_path / "notMNIST.pickle")
    expected = np.concatenate([data[f"{s}_dataset"] for s in ("train", "valid", "test")]) + np.float32(0.5)
    np.testing.assert_allclose(ds.images, expected, atol=1e-7)
    np.testing.assert_array_equal(ds.labels, np.concatenate([data[f"{s}_labels"] for s in ("train", "valid", "test")]))
    assert ds.split.tolist() == ["train"] * 8 + ["valid"] * 3 + ["test"] * 5
    assert ds.normalization == "notMNIST [-0.5, 0.5] shifted by +0.5"
    assert ds.classes == list("ABCDEFGHIJ")
    test = load_dataset(tmp_path / "notMNIST.pickle", split="test")
    np.testing.assert_allclose(test.images, data["test_dataset"] + np.float32(0.5), atol=1e-7)
    np.testing.assert_array_equal(test.labels, data["test_labels"])


def test_pickle_written_by_numpy_1_loads(tmp_path):
    # numpy 1.x names its pickling helpers numpy.core.*, numpy 2.x numpy._core.*; protocol 2 spells
    # them as plain text, so a numpy 1.x pickle is a numpy 2.x one with the name changed
    data = _notmnist()
    raw = pickle.dumps(data, protocol=2)
    assert b"numpy._core.multiarray" in raw
    (tmp_path / "old.pickle").write_bytes(raw.replace(b"numpy._core.", b"numpy.core."))
    ds = load_dataset(tmp_path / "old.pickle", split="valid")
    np.testing.assert_allclose(ds.images, data["valid_dataset"] + np.float32(0.5), atol=1e-7)


def test_gzipped_pickle_with_only_a_test_split(tmp_path):
    data = {k: v for k, v in _notmnist().items() if k.startswith("test")}
    (tmp_path / "small.pickle.gz").write_bytes(gzip.compress(pickle.dumps(data, protocol=4)))
    ds = load_dataset(tmp_path / "small.pickle.gz")
    np.testing.assert_array_equal(ds.labels, data["test_labels"])
    with pytest.raises(ValueError, match=r"unknown split 'train'.*'test'"):
        load_dataset(tmp_path / "small.pickle.gz", split="train")


def test_pickled_dict_of_plain_containers_and_numpy_scalars_is_allowed(tmp_path):
    data = {"images": _images(2), "labels": [np.int64(1), 0], "info": {"who": b"me", "n": (2, 3.5, 1j, None)},
            "tags": {"a", "b"}}
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps(data, protocol=2))
    ds = load_dataset(tmp_path / "plain.pkl")
    assert ds.labels.tolist() == [1, 0]


class _CreatesAFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


class _RunsAShellCommand:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("payload, refused",
                         [(_CreatesAFile, r"io\.open"), (_RunsAShellCommand, r"(posix|os|nt)\.system")])
@pytest.mark.parametrize("protocol", [2, 5])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, payload, refused, protocol):
    victim = tmp_path / "pwned.txt"
    data = _notmnist()
    data["test_labels"] = payload(victim)
    (tmp_path / "evil.pickle").write_bytes(pickle.dumps(data, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match=rf"evil\.pickle.*refused to load {refused}.*can run code"):
        load_dataset(tmp_path / "evil.pickle")
    assert not victim.exists()
    # control: the same bytes through the ordinary unpickler do create the file
    pickle.loads((tmp_path / "evil.pickle").read_bytes())
    assert victim.exists()


def test_pickle_of_a_class_instance_is_refused_by_name(tmp_path):
    from collections import Counter

    (tmp_path / "c.pkl").write_bytes(pickle.dumps({"images": _images(1), "labels": Counter([1])}))
    with pytest.raises(pickle.UnpicklingError, match=r"refused to load collections\.Counter"):
        load_dataset(tmp_path / "c.pkl")


def test_truncated_pickle_is_reported(tmp_path):
    data = pickle.dumps(_notmnist(), protocol=4)
    (tmp_path / "cut.pickle").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.pickle.*not a readable pickle.*truncated"):
        load_dataset(tmp_path / "cut.pickle")


# --------------------------------------------------------------------------- folder of images


def _save_png(path: Path, array: np.ndarray, mode: str = "L") -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode if mode != "L" else None).save(path)


def test_folder_of_images_round_trips_with_one_class_per_subfolder(tmp_path):
    written = {}
    for cls in ("cat", "dog"):
        for i in range(3):
            written[(cls, i)] = _images(1, 16, 12)[0]
            _save_png(tmp_path / "pets" / cls / f"{i}.png", written[(cls, i)])
    (tmp_path / "pets" / "notes.txt").write_text("not an image")
    ds = load_dataset(tmp_path / "pets")
    assert ds.classes == ["cat", "dog"] and ds.images.shape == (6, 16, 12)
    expected = np.stack([written[(c, i)] for c in ("cat", "dog") for i in range(3)])
    np.testing.assert_array_equal(ds.images * np.float32(255), expected)
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.normalization == "8-bit grey: uint8 / 255"


def test_folder_dataset_keeps_the_file_of_each_image_through_indexing_and_splits(tmp_path):
    import pickle as std_pickle

    for cls in ("cat", "dog"):
        for i in range(3):
            _save_png(tmp_path / "pets" / cls / f"{i}.png", _images(1, 8, 8)[0])
    ds = load_dataset(tmp_path / "pets")
    expected = tuple(str((tmp_path / "pets" / c / f"{i}.png").absolute()) for c in ("cat", "dog") for i in range(3))
    assert ds.files == expected
    assert ds[[4, 0]].files == (expected[4], expected[0])
    assert ds[1:3].files == expected[1:3]
    assert ds.by_class("dog").files == expected[3:]
    picked = ds.sample(2, seed=3)
    assert all(ds.files[int(np.flatnonzero((ds.images == im).all(axis=(1, 2)))[0])] == f
               for im, f in zip(picked.images, picked.files))
    assert std_pickle.loads(std_pickle.dumps(ds)).files == expected
    # other sources have no files
    np.save(tmp_path / "x.npy", _images(2, 4, 4))
    assert load_dataset(tmp_path / "x.npy").files is None and load_dataset("digits").files is None


def test_colour_and_16_bit_images_are_converted_to_grey(tmp_path):
    from PIL import Image

    rgb = RNG.integers(0, 256, (5, 5, 3), dtype=np.uint8)
    _save_png(tmp_path / "f" / "a" / "rgb.png", rgb, mode="RGB")
    deep = RNG.integers(0, 65536, (5, 5), dtype=np.uint16)
    (tmp_path / "f" / "b").mkdir()
    Image.fromarray(deep).save(tmp_path / "f" / "b" / "deep.png")
    ds = load_dataset(tmp_path / "f")
    # PIL's documented ITU-R 601-2 luma transform, rounded
    r, g, b = rgb.astype(np.float64).transpose(2, 0, 1)
    grey = (r * 299 + g * 587 + b * 114) / 1000
    np.testing.assert_allclose(ds.images[0] * 255, grey, atol=0.51)
    np.testing.assert_allclose(ds.images[1], deep / 65535, rtol=1e-6)
    assert "converted to grey" in ds.normalization and "16-bit grey: uint16 / 65535" in ds.normalization


def test_folder_with_mixed_image_sizes_lists_the_sizes(tmp_path):
    _save_png(tmp_path / "m" / "A" / "1.png", _images(1, 28, 28)[0])
    _save_png(tmp_path / "m" / "A" / "2.png", _images(1, 28, 28)[0])
    _save_png(tmp_path / "m" / "B" / "3.png", _images(1, 32, 30)[0])
    with pytest.raises(ValueError, match=r"different sizes: 28x28 \(2 files.*32x30 \(1 files, e\.g\. "
                                         r"B.3\.png\).*resize"):
        load_dataset(tmp_path / "m")


def test_folder_of_images_without_subfolders_is_one_class(tmp_path):
    x = _images(2, 10, 10)
    for i in range(2):
        _save_png(tmp_path / "scans" / f"{i}.png", x[i])
    ds = load_dataset(tmp_path / "scans")
    assert ds.classes == ["scans"] and ds.labels.tolist() == [0, 0]
    np.testing.assert_array_equal(ds.images * np.float32(255), x)


def test_folder_without_images_says_what_it_expects(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"empty.*neither MNIST IDX files.*sub-folder"):
        load_dataset(tmp_path / "empty")


def test_unreadable_image_file_is_named(tmp_path):
    (tmp_path / "b" / "A").mkdir(parents=True)
    (tmp_path / "b" / "A" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match=r"broken\.png.*valid image"):
        load_dataset(tmp_path / "b")


# --------------------------------------------------------------------------- names, paths, splits


def test_missing_path_is_named_with_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"name_or_path: .*nothing_here\.npz.* does not exist.*check the path"):
        load_dataset(tmp_path / "nothing_here.npz")


def test_unknown_builtin_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown built-in data set 'leters'.*'letters', 'digits'"):
        load_dataset("leters")


def test_unknown_split_lists_the_splits_present(tmp_path):
    _mnist_folder(tmp_path, gz=False)
    with pytest.raises(ValueError, match=r"unknown split 'validation'.*'train', 'test'"):
        load_dataset(tmp_path, split="validation")


def test_labels_argument_is_refused_for_non_idx_files(tmp_path):
    np.save(tmp_path / "a.npy", _images(2))
    with pytest.raises(ValueError, match=r"labels= is only used with an IDX images file"):
        load_dataset(tmp_path / "a.npy", labels=tmp_path / "a.npy")


def test_unknown_file_format_is_reported(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt.*not a data file simlab can read.*IDX.*npz.*pickle.*folder"):
        load_dataset(tmp_path / "notes.txt")


def test_loading_never_changes_or_adds_files(tmp_path):
    _mnist_folder(tmp_path / "mnist", gz=True)
    _mnist_folder(tmp_path / "raw", gz=False)
    np.savez(tmp_path / "a.npz", images=_images(2), labels=[0, 1])
    np.save(tmp_path / "b.npy", _images(2))
    (tmp_path / "c.pickle").write_bytes(pickle.dumps(_notmnist(), protocol=5))
    _save_png(tmp_path / "pics" / "A" / "1.png", _images(1)[0])
    before = _snapshot(tmp_path)
    for path in ("mnist", "raw", "raw/train-images-idx3-ubyte", "a.npz", "b.npy", "c.pickle", "pics"):
        load_dataset(tmp_path / path)
    load_dataset(tmp_path / "mnist", split="train")
    assert _snapshot(tmp_path) == before


def test_loaded_images_are_read_only_and_independent_of_the_file(tmp_path):
    x = _images(3)
    np.save(tmp_path / "r.npy", x)
    ds = load_dataset(tmp_path / "r.npy")
    with pytest.raises(ValueError, match="read-only"):
        ds.images[0, 0, 0] = 1.0


# --------------------------------------------------------------------------- review fixes (items 6, 10)


def test_rgba_black_glyph_on_transparent_background_is_composited_onto_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent everywhere ...
    rgba[2:6, 3:5] = (0, 0, 0, 255)  # ... except an opaque black bar
    _save_png(tmp_path / "glyphs" / "bar" / "0.png", rgba, mode="RGBA")
    _save_png(tmp_path / "glyphs" / "bar" / "1.png", rgba, mode="RGBA")
    ds = load_dataset(tmp_path / "glyphs")
    expected = np.ones((8, 8), np.float32)
    expected[2:6, 3:5] = 0.0
    np.testing.assert_array_equal(ds.images[0], expected)  # white background, black glyph: nothing lost
    assert "composited onto white" in ds.normalization


def test_half_transparent_grey_is_blended_with_white(tmp_path):
    la = np.zeros((4, 4, 4), np.uint8)
    la[...] = (0, 0, 0, 128)  # black at alpha 128/255
    _save_png(tmp_path / "f" / "c" / "0.png", la, mode="RGBA")
    ds = load_dataset(tmp_path / "f")
    np.testing.assert_allclose(ds.images[0] * 255, 255 * (1 - 128 / 255), atol=1.0)


def test_32_bit_integer_and_float_tiffs_are_not_clipped_at_255(tmp_path):
    from PIL import Image

    deep = RNG.integers(0, 65536, (2, 6, 6)).astype(np.int32)
    deep[0, 0, 0] = 65535
    for i in range(2):
        im = Image.fromarray(deep[i], mode="I")
        (tmp_path / "t" / "a").mkdir(parents=True, exist_ok=True)
        im.save(tmp_path / "t" / "a" / f"{i}.tif")
        assert Image.open(tmp_path / "t" / "a" / f"{i}.tif").mode == "I"
    ds = load_dataset(tmp_path / "t")
    np.testing.assert_allclose(ds.images, deep / 65535, rtol=1e-6)
    assert "32-bit integer grey: int32 holding 16-bit values 0..65535 / 65535" in ds.normalization

    floats = RNG.random((6, 6)).astype(np.float32) * 4.0
    (tmp_path / "fl" / "a").mkdir(parents=True)
    Image.fromarray(floats, mode="F").save(tmp_path / "fl" / "a" / "0.tif")
    Image.fromarray(floats * 0.5, mode="F").save(tmp_path / "fl" / "a" / "1.tif")
    ds = load_dataset(tmp_path / "fl")
    stack = np.stack([floats, floats * 0.5]).astype(np.float64)
    np.testing.assert_allclose(ds.images, (stack - stack.min()) / (stack.max() - stack.min()), rtol=1e-5, atol=1e-6)
    assert "32-bit float grey" in ds.normalization and "min-max" in ds.normalization


def test_empty_class_folder_is_a_clear_error_naming_it(tmp_path):
    _save_png(tmp_path / "d" / "A" / "0.png", _images(1, 8, 8)[0])
    (tmp_path / "d" / "B").mkdir()
    (tmp_path / "d" / "B" / "readme.txt").write_text("no images yet")
    with pytest.raises(ValueError, match=r"class folder 'B' holds no image files.*add its images"):
        load_dataset(tmp_path / "d")


def test_idx_header_whose_dims_overflow_int64_is_a_clear_error(tmp_path):
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(d).to_bytes(4, "big") for d in (2**31, 2**20, 2**20))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(header)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(3, np.uint8)))
    expected = 16 + 2**31 * 2**20 * 2**20
    with pytest.raises(ValueError, match=rf"header says \(2147483648, 1048576, 1048576\) values \({expected} "
                                         rf"bytes\).*16 bytes"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("key", ["train_dataset", "train_labels"])
def test_ragged_list_in_a_pickle_names_the_file_and_the_key(tmp_path, key):
    data = {"train_dataset": np.zeros((2, 4, 4), np.float32), "train_labels": np.array([0, 1])}
    data[key] = [np.zeros((4, 4)), np.zeros((3, 3))] if key == "train_dataset" else [0, [1, 2]]
    with open(tmp_path / "ragged.pickle", "wb") as f:
        pickle.dump(data, f)
    with pytest.raises(ValueError, match=rf"ragged\.pickle.*{key}.*not one rectangular array"):
        load_dataset(tmp_path / "ragged.pickle")


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_name_is_a_clear_error_not_the_current_folder(empty):
    with pytest.raises(ValueError, match="name_or_path is empty"):
        load_dataset(empty)


def test_devices_are_refused_without_reading_them():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    with pytest.raises(ValueError, match="neither a regular file nor a folder"):
        load_dataset("/dev/zero")


def test_files_larger_than_the_limit_are_refused_before_reading(tmp_path, monkeypatch):
    from simlab import _io

    np.save(tmp_path / "x.npy", _images(2))
    monkeypatch.setattr(_io, "MAX_BYTES", 100)
    with pytest.raises(ValueError, match=r"x\.npy' is 0\.0 GiB, more than simlab reads"):
        load_dataset(tmp_path / "x.npy")
    (tmp_path / "y.pickle.gz").write_bytes(gzip.compress(pickle.dumps({"x": bytes(1000)})))
    with pytest.raises(ValueError, match=r"y\.pickle\.gz' un-gzips to more than simlab reads"):
        load_dataset(tmp_path / "y.pickle.gz")


def test_labels_with_a_builtin_name_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="labels= is only used with an IDX images file, not with the built-in "
                                         "'letters'"):
        load_dataset("letters", labels=tmp_path / "labels")


def test_npz_that_unzips_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from simlab import _io

    np.savez_compressed(tmp_path / "bomb.npz", images=np.zeros((50, 28, 28), np.uint8))  # ~39 kB of zeros
    assert (tmp_path / "bomb.npz").stat().st_size < 2000
    monkeypatch.setattr(_io, "MAX_BYTES", 10_000)
    with pytest.raises(ValueError, match=r"bomb\.npz' un-zips to 0\.0 GiB, more than simlab reads"):
        load_dataset(tmp_path / "bomb.npz")


def test_pickled_bytearray_of_a_size_is_refused(tmp_path):
    class Alloc:
        def __reduce__(self):
            return (bytearray, (10**6,))

    with open(tmp_path / "alloc.pickle", "wb") as f:
        pickle.dump({"train_dataset": Alloc()}, f, protocol=4)
    with pytest.raises(pickle.UnpicklingError, match=r"alloc\.pickle': refused bytearray\(int\)"):
        load_dataset(tmp_path / "alloc.pickle")


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickled_bytearrays_still_load(tmp_path, protocol):
    from simlab._io import _SafeUnpickler

    blob = pickle.dumps({"b": bytearray(b"\x00\xffab")}, protocol=protocol)
    import io

    assert _SafeUnpickler(io.BytesIO(blob), "x").load() == {"b": bytearray(b"\x00\xffab")}


def test_split_key_of_the_wrong_length_names_the_file(tmp_path):
    np.savez(tmp_path / "s.npz", images=_images(4), labels=np.arange(4), split=np.array(["train"] * 3))
    with pytest.raises(ValueError, match=r"s\.npz.*'split' must name one split per image, 4 names, got shape \(3,\)"):
        load_dataset(tmp_path / "s.npz")


# --------------------------------------------------------------------------- issue 12: bounded loading


def _traced_peak(load):
    """(result or exception, peak bytes allocated while loading), measured with tracemalloc (numpy's
    allocations are traced).
    """
    import tracemalloc

    tracemalloc.start()
    try:
        try:
            out = load()
        except Exception as exc:  # noqa: BLE001 - returned for the caller to check
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _idx_labels(values, code=0x0C) -> bytes:
    """An IDX labels file of big-endian int32 (code 0x0C) values."""
    y = np.asarray(values, dtype=">i4")
    return bytes([0, 0, code, 1]) + len(y).to_bytes(4, "big") + y.tobytes()


@pytest.mark.parametrize("kind", ["npz", "idx", "pickle"])
def test_a_huge_label_value_is_renumbered_without_allocating_a_class_per_value(tmp_path, kind):
    # issue 12 item 7: labels [0, 10**9] built 10**9 + 1 class names (22 GB)
    x = _images(2, 4, 4)
    if kind == "npz":
        path = tmp_path / "l.npz"
        np.savez(path, images=x, labels=np.array([0, 10**9]))
    elif kind == "idx":
        path = _write(tmp_path / "my-images-idx3-ubyte", _idx_bytes(x))
        _write(tmp_path / "my-labels-idx1-ubyte", _idx_labels([0, 10**9]))
    else:
        path = tmp_path / "l.pickle"
        path.write_bytes(pickle.dumps({"test_dataset": x, "test_labels": np.array([10**9, 0])}))
    ds, peak = _traced_peak(lambda: load_dataset(path))
    assert not isinstance(ds, Exception), ds
    assert ds.classes[-1] == "1000000000" and len(ds.classes) == 2
    assert [ds.class_name(i) for i in range(2)] == (["0", "1000000000"] if kind != "pickle" else ["1000000000", "0"])
    assert peak < 2**20  # bytes, not gigabytes


@pytest.mark.parametrize("labels, found", [([0, -1, 2, -1], "2 labels are"), ([-5, 1, 1, 1], "1 label is")])
def test_negative_labels_are_refused_with_what_to_do(tmp_path, labels, found):
    # issue 12 item 14: -1 silently became a class "-1" and every label moved by one
    np.savez(tmp_path / "n.npz", images=_images(4, 4, 4), labels=np.array(labels))
    with pytest.raises(ValueError, match=rf"n\.npz.*{found} negative.*class labels are 0, 1, 2.*leave those images "
                                         "out or give them a class"):
        load_dataset(tmp_path / "n.npz")


def test_npy_header_claiming_1e12_images_names_the_file_and_the_size(tmp_path):
    # issue 12 item 9: numpy's raw MemoryError ("Unable to allocate 713. TiB")
    path = tmp_path / "huge.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
        f.write(bytes(1000))
    err, peak = _traced_peak(lambda: load_dataset(path))
    assert isinstance(err, ValueError), err
    assert re.search(r"huge\.npy': its header claims an array of shape \(1000000000000, 28, 28\) "
                     r"\(784,000,000,000,000 values of uint8; .* GiB as float32 images\), more than simlab loads",
                     str(err)), err
    assert peak < 2**20


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_header_past_the_limit_is_refused_before_reading_the_data(tmp_path, monkeypatch, gz):
    # issue 12 item 8: the limit counted bytes read, not the float32 copy made afterwards
    from simlab import _io

    monkeypatch.setattr(_io, "MAX_BYTES", 4 * 2**20)
    n = 2**20 // 784 * 2  # 2 MiB of uint8 data, 8 MiB as float32: over a 4 MiB limit
    path = _write(tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gz else "")), _idx_bytes(np.zeros((n, 28, 28))), gz)
    _write(tmp_path / "t10k-labels-idx1-ubyte", _idx_bytes(np.zeros(n, np.uint8)))
    err, peak = _traced_peak(lambda: load_dataset(path))
    assert isinstance(err, ValueError) and "as float32 images), more than simlab loads (0.00390625 GiB)" in str(err)
    assert peak < 2**20  # refused from the header: the 2 MiB of data were never read


def test_gzip_bomb_behind_a_small_idx_header_stops_after_the_header(tmp_path):
    # a header that claims 2 images, followed by 256 MiB of zeros (256 KiB gzipped)
    payload = _idx_bytes(np.zeros((2, 28, 28))) + bytes(2**28)
    path = _write(tmp_path / "train-images-idx3-ubyte.gz", payload, gz=True)
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(np.zeros(2, np.uint8)))
    err, peak = _traced_peak(lambda: load_dataset(path))
    assert isinstance(err, ValueError) and "holds more data than its header's (2, 28, 28) values" in str(err)
    assert peak < 2**20


def test_pickle_gzip_bomb_is_refused_by_a_running_count(tmp_path, monkeypatch):
    # issue 12 item 8: a small .pickle.gz that unpacks past the limit was un-gzipped whole first
    from simlab import _io

    monkeypatch.setattr(_io, "MAX_BYTES", 8 * 2**20)
    path = tmp_path / "bomb.pickle.gz"
    path.write_bytes(gzip.compress(pickle.dumps({"test_dataset": np.zeros((2**26 // 784, 28, 28), np.uint8)})))
    assert path.stat().st_size < 2**20
    err, peak = _traced_peak(lambda: load_dataset(path))
    assert isinstance(err, ValueError) and "bomb.pickle.gz' un-gzips to more than simlab reads" in str(err)
    assert peak < 12 * 2**20  # the limit (8 MiB) and a read buffer, not the 64 MiB it holds


def test_npz_member_whose_header_lies_is_refused_before_allocating(tmp_path):
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**9, 28, 28)})
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        archive.writestr("images.npy", header.getvalue() + bytes(784))
    err, peak = _traced_peak(lambda: load_dataset(tmp_path / "lie.npz"))
    assert isinstance(err, ValueError), err
    assert "lie.npz' ['images']: its header claims an array of shape (1000000000, 28, 28)" in str(err)
    assert peak < 2**20


def test_peak_memory_is_a_small_multiple_of_the_float32_images(tmp_path):
    # issue 12 item 8: a 47 MB uint8 .npy peaked at 658 MB (3.5x its 188 MB of float32 images)
    np.save(tmp_path / "big.npy", np.zeros((20000, 28, 28), np.uint8) + np.uint8(7))
    ds, peak = _traced_peak(lambda: load_dataset(tmp_path / "big.npy"))
    assert ds.images.shape == (20000, 28, 28) and ds.images[5, 3, 3] == np.float32(7) / np.float32(255)
    assert peak < 2.5 * ds.images.nbytes, peak / ds.images.nbytes
