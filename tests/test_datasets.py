"""The built-in data sets, the ``Dataset`` object and ``notmnist_dict``.

The shipped files are checked against their sources: digits against scikit-learn's copy of the UCI
digits, letters by redrawing images with ``scripts/make_data.py``'s own functions.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import simlab
from simlab.datasets import Dataset, data_dir, load_dataset, notmnist_dict

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def make_data():
    """``scripts/make_data.py`` imported by path (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_data", ROOT / "scripts" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def letters():
    return load_dataset("letters")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


# --------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize("name, n", [("letters", 6500), ("digits", 1797)])
def test_builtin_shapes_dtypes_and_value_range(name, n):
    ds = load_dataset(name)
    assert ds.images.shape == (n, 28, 28) and ds.images.dtype == np.float32
    assert ds.labels.shape == (n,) and ds.labels.dtype == np.int64
    assert ds.images.min() == 0.0 and ds.images.max() == 1.0
    assert ds.data_range == 1.0 and ds.normalization == "uint8 / 255" and ds.name == name
    assert len(ds) == n and ds.split.shape == (n,)
    with np.load(data_dir() / f"{name}.npz") as raw:  # exactly uint8 / 255 of the shipped bytes
        np.testing.assert_array_equal(ds.images, raw["images"] / np.float32(255))


def test_letters_are_balanced_with_the_documented_splits(letters):
    assert letters.classes == list("ABCDEFGHIJ")
    assert letters.counts() == {c: 650 for c in "ABCDEFGHIJ"}
    for label in range(10):
        split = letters.split[letters.labels == label]
        assert [(split == s).sum() for s in ("train", "valid", "test")] == [500, 50, 100]


def test_letters_look_like_notmnist_bright_centred_glyphs(letters):
    images = letters.images
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    assert border.mean() < 0.02  # black background around the glyph
    assert (images.max(axis=(1, 2)) >= 0.75).all()  # every glyph is bright
    ink = images.sum(axis=(1, 2))
    rows = (images.sum(axis=2) * np.arange(28)).sum(axis=1) / ink
    cols = (images.sum(axis=1) * np.arange(28)).sum(axis=1) / ink
    assert abs(rows.mean() - 13.5) < 1.5 and abs(cols.mean() - 13.5) < 1.5


def test_digits_match_scikit_learns_digits_label_for_label(digits):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    with np.load(data_dir() / "digits.npz") as raw:
        source = raw["source_index"].astype(int)
    assert sorted(source) == list(range(1797))
    np.testing.assert_array_equal(digits.labels, bunch.target[source])
    assert digits.counts() == {str(d): int(k) for d, k in enumerate(np.bincount(bunch.target))}
    # the digit's 20x20 box, shrunk back to 8x8, correlates with the original image
    box = digits.images[:, 4:24, 4:24].astype(np.float64)
    from skimage.transform import resize

    small = np.stack([resize(b, (8, 8), anti_aliasing=True) for b in box[:100]])
    originals = bunch.images[source[:100]]
    r = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(small, originals)]
    assert min(r) > 0.9


def test_digits_split_is_stratified_80_20(digits):
    for label in range(10):
        split = digits.split[digits.labels == label]
        assert abs((split == "test").mean() - 0.2) < 0.01
    assert set(digits.split) == {"train", "test"}


@pytest.mark.parametrize("split, n", [("train", 5000), ("valid", 500), ("test", 1000)])
def test_split_argument_selects_one_split(letters, split, n):
    ds = load_dataset("letters", split=split)
    assert len(ds) == n and set(ds.split) == {split}
    np.testing.assert_array_equal(ds.images, letters.images[letters.split == split])
    np.testing.assert_array_equal(ds.labels, letters.labels[letters.split == split])


def test_unknown_split_of_a_builtin_lists_the_splits():
    with pytest.raises(ValueError, match=r"unknown split 'valid' for the built-in 'digits'.*'train', 'test'"):
        load_dataset("digits", split="valid")


def test_simlab_data_environment_variable_overrides_the_data_folder(tmp_path, monkeypatch):
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.savez(tmp_path / "digits.npz", images=x, labels=np.array([1, 0], np.uint8),
             split=np.array(["train", "test"]), classes=np.array(list("0123456789")))
    monkeypatch.setenv("SIMLAB_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    ds = load_dataset("digits")
    np.testing.assert_array_equal(ds.images * np.float32(255), x)
    with pytest.raises(FileNotFoundError, match=r"letters\.npz.*does not exist.*scripts/make_data\.py.*SIMLAB_DATA"):
        load_dataset("letters")


# --------------------------------------------------------------------------- notmnist_dict


def test_notmnist_dict_has_the_course_keys_shapes_and_range(letters):
    data = notmnist_dict()
    assert sorted(data) == sorted(f"{s}_{k}" for s in ("train", "valid", "test") for k in ("dataset", "labels"))
    for s, n in (("train", 5000), ("valid", 500), ("test", 1000)):
        images, labels = data[f"{s}_dataset"], data[f"{s}_labels"]
        assert images.shape == (n, 28, 28) and images.dtype == np.float32
        assert images.min() == -0.5 and 0.4 < images.max() <= 0.5
        assert labels.shape == (n,) and labels.dtype == np.int32
        np.testing.assert_allclose(images, letters.images[letters.split == s] - 0.5, atol=1e-7)
        np.testing.assert_array_equal(labels, letters.labels[letters.split == s])


def test_the_question_runs_verbatim_on_notmnist_dict():
    data = notmnist_dict()
    image = data['test_dataset'][0]
    assert image.shape == (28, 28) and image.dtype == np.float32
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.corrcoef(image, image)
    assert matrix.shape == (56, 56)


def test_notmnist_dict_of_digits_has_an_empty_valid_split():
    data = notmnist_dict("digits")
    assert data["valid_dataset"].shape == (0, 28, 28) and data["valid_labels"].shape == (0,)
    assert len(data["train_dataset"]) + len(data["test_dataset"]) == 1797


def test_notmnist_dict_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown built-in data set 'mnist'.*'letters', 'digits'"):
        notmnist_dict("mnist")


# --------------------------------------------------------------------------- Dataset behaviour


def test_integer_index_gives_one_read_only_image(letters):
    image = letters[5]
    assert image.shape == (28, 28) and image.dtype == np.float32
    np.testing.assert_array_equal(image, letters.images[5])
    with pytest.raises(ValueError, match="read-only"):
        image[0, 0] = 1.0
    assert letters[-1].shape == (28, 28)
    with pytest.raises(IndexError, match="out of range for a data set of 6500"):
        letters[6500]


@pytest.mark.parametrize("index", [slice(10, 20), np.arange(10, 20), [10, 11, 12], "mask"])
def test_slices_index_arrays_and_masks_give_aligned_subsets(letters, index):
    if isinstance(index, str):
        mask = np.zeros(len(letters), bool)
        mask[10:20] = True
        index, rows = mask, np.arange(10, 20)
    else:
        rows = np.arange(len(letters))[index]
    sub = letters[index]
    assert isinstance(sub, Dataset) and len(sub) == len(rows)
    np.testing.assert_array_equal(sub.images, letters.images[rows])
    np.testing.assert_array_equal(sub.labels, letters.labels[rows])
    np.testing.assert_array_equal(sub.split, letters.split[rows])
    assert sub.classes == letters.classes and sub.normalization == letters.normalization


def test_iterating_gives_images_in_order(letters):
    first = list(letters[:3])
    assert len(first) == 3 and all(img.shape == (28, 28) for img in first)
    np.testing.assert_array_equal(first[2], letters.images[2])


def test_a_path_object_named_like_a_builtin_loads_the_builtin_when_no_such_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(load_dataset(Path("digits"))) == 1797


def test_bad_index_types_are_refused(letters):
    with pytest.raises(IndexError, match="boolean mask must have shape"):
        letters[np.ones(3, bool)]
    with pytest.raises(IndexError, match="index a Dataset with"):
        letters[np.array([0.5, 1.5])]


def test_by_class_returns_only_that_class_by_index_or_name(letters):
    by_name, by_index = letters.by_class("C"), letters.by_class(2)
    assert len(by_name) == 650 and set(by_name.labels) == {2}
    np.testing.assert_array_equal(by_name.images, by_index.images)
    np.testing.assert_array_equal(by_name.images, letters.images[letters.labels == 2])
    assert {by_name.class_name(i) for i in range(len(by_name))} == {"C"}
    with pytest.raises(ValueError, match=r"unknown class 'K' in 'letters'.*'A'.*'J'"):
        letters.by_class("K")
    with pytest.raises(ValueError, match="out of range 0..9"):
        letters.by_class(10)


def test_sample_is_seeded_without_repeats_and_aligned(letters):
    a, b, c = letters.sample(50, seed=3), letters.sample(50, seed=3), letters.sample(50, seed=4)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    flat = letters.images.reshape(len(letters), -1)
    rows = [int(np.flatnonzero((flat == img.ravel()).all(axis=1))[0]) for img in a.images]
    assert len(set(rows)) == 50
    np.testing.assert_array_equal(a.labels, letters.labels[rows])
    with pytest.raises(ValueError, match="between 0 and 6500"):
        letters.sample(7000)


def test_images_cannot_be_changed_or_replaced(letters):
    with pytest.raises(ValueError):
        letters.images.flags.writeable = True
    with pytest.raises(AttributeError):
        letters.images = np.zeros((1, 28, 28))
    with pytest.raises(ValueError, match="read-only"):
        letters.labels[0] = 3


def _base_chain(array):
    """The array, its .base, the base's .base, ... (every object the memory is reachable through)."""
    chain = [array]
    while getattr(chain[-1], "base", None) is not None:
        chain.append(chain[-1].base)
    return chain


@pytest.mark.parametrize("get", [
    lambda ds: ds.images, lambda ds: ds.labels, lambda ds: ds.split, lambda ds: ds[0],
    lambda ds: ds[:5].images, lambda ds: ds.images[2:4, 1:], lambda ds: ds.by_class("B").images,
])
def test_no_attribute_chain_makes_the_data_writeable(letters, get):
    array = get(letters)
    chain = _base_chain(array)
    assert len(chain) >= 2 and isinstance(chain[-1], bytes)  # the memory belongs to immutable bytes
    for obj in chain:
        if isinstance(obj, np.ndarray):
            with pytest.raises(ValueError, match="WRITEABLE"):
                obj.flags.writeable = True
            assert not obj.flags.writeable
    with pytest.raises(TypeError):
        memoryview(chain[-1])[0:1] = b"x"  # bytes cannot be changed in place either
    with pytest.raises(ValueError, match="read-only"):
        array[(0,) * array.ndim] = array[(0,) * array.ndim]


def test_images_are_not_copied_on_access(letters):
    assert letters.images is letters.images
    assert np.shares_memory(letters[3], letters.images)


def test_cache_is_empty_and_new_for_every_subset(letters):
    letters._cache["key"] = "value"
    sub = letters[:10]
    assert sub._cache == {} and sub._cache is not letters._cache
    assert letters.by_class("A")._cache == {} and letters.sample(3)._cache == {}
    del letters._cache["key"]


def test_dataset_never_freezes_or_shares_the_callers_arrays():
    images, labels, split = np.zeros((3, 4, 4), np.float32), np.array([0, 1, 0]), np.array(["a", "b", "a"])
    ds = Dataset(images, labels, ["x", "y"], name="toy", split=split)
    images[0, 0, 0], labels[0], split[0] = 1.0, 1, "b"  # all still writable ...
    assert ds.images[0, 0, 0] == 0.0 and ds.labels[0] == 0 and ds.split[0] == "a"  # ... and the Dataset unchanged


def test_pickled_dataset_comes_back_equal_read_only_and_with_an_empty_cache(letters):
    import pickle

    sub = letters[:20]
    sub._cache["x"] = 1
    back = pickle.loads(pickle.dumps(sub))
    np.testing.assert_array_equal(back.images, sub.images)
    np.testing.assert_array_equal(back.labels, sub.labels)
    np.testing.assert_array_equal(back.split, sub.split)
    assert (back.classes, back.name, back.normalization, back.source) == (
        sub.classes, sub.name, sub.normalization, sub.source)
    assert not back.images.flags.writeable and back._cache == {}


def test_dataset_checks_its_inputs():
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        Dataset(np.zeros((2, 3, 3)), [0], ["a"])
    with pytest.raises(ValueError, match=r"labels must lie in 0..0"):
        Dataset(np.zeros((2, 3, 3)), [0, 1], ["a"])
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        Dataset(np.zeros((3, 3)), [0, 0, 0], ["a"])


def test_repr_names_size_classes_and_splits(letters, digits):
    text = repr(letters)
    for part in ("'letters'", "6500 images of 28x28", "10 classes", "'A'", "'J'", "train 5000", "valid 500",
                 "test 1000"):
        assert part in text
    assert "train 1438, test 359" in repr(digits)


# --------------------------------------------------------------------------- regeneration


def test_make_data_plan_matches_the_shipped_parameters(make_data):
    plan = make_data.letter_plan()
    with np.load(data_dir() / "letters.npz") as raw:
        np.testing.assert_array_equal(raw["labels"], plan["labels"])
        np.testing.assert_array_equal(raw["font"], plan["font"])
        np.testing.assert_array_equal(raw["params"], plan["params"])
        np.testing.assert_array_equal(raw["split"], plan["split"])
        assert raw["fonts"].tolist() == list(make_data.FONTS)
        assert json.loads(str(raw["generator"]))["parameters"] == make_data.PARAMETERS


def test_make_data_redraws_shipped_letters(make_data):
    import matplotlib

    with np.load(data_dir() / "letters.npz") as raw:
        images, labels, font, params = raw["images"], raw["labels"], raw["font"], raw["params"]
        fonts, recorded = raw["fonts"].tolist(), str(raw["matplotlib_version"])
    rows = np.random.default_rng(0).choice(len(images), 40, replace=False)
    redrawn = np.stack([make_data.render_letter(fonts[font[i]], "ABCDEFGHIJ"[labels[i]], params[i]) for i in rows])
    if matplotlib.__version__ == recorded:
        np.testing.assert_array_equal(redrawn, images[rows])
    else:
        # Another matplotlib may ship slightly different font files or Agg anti-aliasing: allow a
        # few grey levels of difference on average, which still catches a wrong letter or font.
        diff = np.abs(redrawn.astype(int) - images[rows].astype(int))
        assert diff.mean() < 4, (matplotlib.__version__, recorded)


def test_make_data_redraws_shipped_digits(make_data):
    from sklearn.datasets import load_digits

    with np.load(data_dir() / "digits.npz") as raw:
        images, source, split = raw["images"], raw["source_index"].astype(int), raw["split"]
    bunch = load_digits()
    np.testing.assert_array_equal(make_data.resize_digits(bunch.images[source[:60]]), images[:60])
    np.testing.assert_array_equal(make_data.digits_split(bunch.target.astype(np.int64))[source], split)


def test_save_npz_writes_the_same_bytes_twice(make_data, tmp_path):
    arrays = {"a": np.arange(10, dtype=np.uint8), "b": np.array(["x", "y"])}
    make_data.save_npz(tmp_path / "one.npz", arrays)
    make_data.save_npz(tmp_path / "two.npz", arrays)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz") as back:
        np.testing.assert_array_equal(back["a"], arrays["a"])


def test_make_data_uses_only_matplotlibs_bundled_text_fonts(make_data):
    import matplotlib

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for font in make_data.FONTS:
        assert make_data.font_path(font).parent == bundled and make_data.font_path(font).is_file()
        assert not font.startswith(("STIXNonUni", "STIXSiz", "LastResort", "cmex", "cmsy")) and "Display" not in font


def test_data_files_stay_small():
    sizes = {p.name: p.stat().st_size for p in data_dir().glob("*.npz")}
    assert set(sizes) == {"letters.npz", "digits.npz", "overlap.npz"}
    assert sum(sizes.values()) < 4_000_000


# --------------------------------------------------------------------------- import cost


def test_importing_simlab_and_datasets_does_not_import_heavy_libraries():
    code = (
        "import sys, simlab, simlab.datasets; simlab.load_dataset('digits'); "
        "print(sorted(m for m in ('matplotlib', 'skimage', 'sklearn', 'PIL', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_top_level_names_are_the_datasets_ones():
    assert simlab.load_dataset is load_dataset and simlab.Dataset is Dataset


def test_dataset_lives_in_its_own_module_and_stays_importable_from_both_places():
    import ast

    import simlab
    import simlab._dataset
    import simlab.datasets

    assert simlab.Dataset is simlab.datasets.Dataset is simlab._dataset.Dataset
    # no import circle: the Dataset module imports nothing from simlab, and _io does not import datasets
    for module in ("_dataset", "_io"):
        tree = ast.parse(Path(simlab.__file__).with_name(f"{module}.py").read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
        assert "datasets" not in imported, module
    tree = ast.parse(Path(simlab._dataset.__file__).read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]


def test_files_must_name_one_file_per_image():
    with pytest.raises(ValueError, match=r"files must name one file per image, 2 names, got 1"):
        Dataset(np.zeros((2, 2, 2)), [0, 0], ["a"], files=["only-one.png"])
    ds = Dataset(np.zeros((2, 2, 2)), [0, 0], ["a"], files=["p.png", "q.png"])
    assert ds.files == ("p.png", "q.png") and ds[1:].files == ("q.png",)
