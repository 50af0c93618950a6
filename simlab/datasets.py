"""Data sets: the embedded ``letters`` and ``digits``, and the user's own files, as one ``Dataset``.

``load_dataset("letters")`` and ``load_dataset("digits")`` read the files shipped in ``data/``
(no network, no scikit-learn). ``load_dataset(path)`` reads a notMNIST pickle, MNIST / Fashion-MNIST
IDX files, an ``.npz`` / ``.npy`` file or a folder of image files (see :func:`load_dataset`). Every
source ends up as float32 images in [0, 1]; how the source values were mapped is recorded in
``Dataset.normalization``.

Examples
--------
>>> from simlab.datasets import load_dataset
>>> letters = load_dataset("letters", split="test")
>>> letters.images.shape, letters.classes[:3]
((1000, 28, 28), ['A', 'B', 'C'])
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BUILTINS", "Dataset", "data_dir", "load_dataset", "notmnist_dict"]

#: Built-in data sets: name -> (file in ``data/``, one-line description).
BUILTINS = {
    "letters": ("letters.npz", "notMNIST-style letters A-J drawn from matplotlib's bundled fonts"),
    "digits": ("digits.npz", "scikit-learn's handwritten digits (UCI) resized to 28x28"),
}
_SPLITS = ("train", "valid", "test")


def data_dir() -> Path:
    """The folder of the built-in data.

    ``$SIMLAB_DATA`` if set; else the repository's ``data/`` (an editable install, as the README
    sets up); else ``<prefix>/share/simlab/data``, where a regular ``pip install .`` puts a copy.

    Examples
    --------
    >>> (data_dir() / "letters.npz").is_file()
    True
    """
    env = os.environ.get("SIMLAB_DATA")
    if env:
        return Path(env).expanduser()
    repository = Path(__file__).resolve().parent.parent / "data"
    installed = Path(sys.prefix) / "share" / "simlab" / "data"
    if not (repository / BUILTINS["letters"][0]).is_file() and installed.is_dir():
        return installed
    return repository


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only copy of ``array`` that no attribute chain can make writeable.

    The values are copied once into an immutable ``bytes`` object and viewed with
    :func:`numpy.frombuffer`, so ``flags.writeable = True`` fails on the array, on its ``.base``
    and on every view of it (the memory belongs to ``bytes``, which Python never lets anyone
    change). A Dataset therefore never shares memory with (nor freezes) an array it was given.

    Examples
    --------
    >>> frozen = _frozen(np.arange(4.0).reshape(2, 2))
    >>> type(frozen.base.base).__name__, frozen.flags.writeable
    ('bytes', False)
    """
    array = np.ascontiguousarray(array)
    return np.frombuffer(array.tobytes(), dtype=array.dtype).reshape(array.shape)


class Dataset:
    """A stack of grey-level images with integer labels, class names and (optionally) splits.

    Built by :func:`load_dataset`; indexing, :meth:`by_class` and :meth:`sample` give new,
    smaller ``Dataset`` objects. The images are read-only, so statistics cached on a data set
    (``_cache``, used by :func:`simlab.scores`) can never go stale: to change images, make a copy
    (``ds.images.copy()``) and work on the copy.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        float32 values in [0, 1] (other dtypes are converted to float32; values are not rescaled:
        use :func:`load_dataset` to normalise raw data).
    labels : array_like of int, shape (N,)
        Class index of each image, ``0 <= label < len(classes)``.
    classes : sequence of str
        Class names; ``classes[label]`` names an image's class.
    name : str
        Short name, e.g. ``"letters"``.
    split : array_like of str, shape (N,), optional
        ``"train"``, ``"valid"`` or ``"test"`` for each image, or None when the source has no split.
    normalization : str
        How the source values were mapped to [0, 1], e.g. ``"uint8 / 255"``.
    source : str
        Where the data came from (a file path or a built-in's description).

    Attributes
    ----------
    images : ndarray, shape (N, H, W), float32, read-only
    labels : ndarray, shape (N,), int64, read-only
    classes : list of str
    name : str
    data_range : float
        Always 1.0: the span of the values, as SSIM and PSNR need it.
    split : ndarray of str, shape (N,), or None
    normalization : str
    source : str

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset(np.zeros((4, 2, 2)), [0, 1, 1, 0], ["no", "yes"], name="toy")
    >>> ds
    Dataset('toy': 4 images of 2x2, 2 classes ['no', 'yes'], no split)
    >>> len(ds.by_class("yes")), ds.class_name(1), ds[0].shape
    (2, 'yes', (2, 2))
    """

    __slots__ = ("_images", "_labels", "_classes", "_name", "_split", "_normalization", "_source", "_cache")

    def __init__(
        self,
        images: Any,
        labels: Any,
        classes: Sequence[str],
        *,
        name: str = "dataset",
        split: Any = None,
        normalization: str = "float32 in [0, 1], as given",
        source: str = "",
    ) -> None:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 3:
            raise ValueError(f"images must have shape (N, H, W), got shape {images.shape}")
        labels = np.asarray(labels)
        if labels.shape != (len(images),):
            raise ValueError(f"labels must have shape ({len(images)},) to match the images, got {labels.shape}")
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
        classes = [str(c) for c in classes]
        if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
            raise ValueError(
                f"labels must lie in 0..{len(classes) - 1} (one per class name), "
                f"got {labels.min()}..{labels.max()}"
            )
        if split is not None:
            split = np.asarray(split, dtype=str)
            if split.shape != (len(images),):
                raise ValueError(f"split must have shape ({len(images)},), got {split.shape}")
            split = _frozen(split)
        self._images = _frozen(images)
        self._labels = _frozen(labels.astype(np.int64))
        self._classes = classes
        self._name = str(name)
        self._split = split
        self._normalization = str(normalization)
        self._source = str(source)
        self._cache: dict = {}

    # read-only attributes: a Dataset never changes after it is made
    images = property(lambda self: self._images, doc="(N, H, W) float32 in [0, 1], read-only.")
    labels = property(lambda self: self._labels, doc="(N,) int64 class indices, read-only.")
    classes = property(lambda self: list(self._classes), doc="Class names (a copy).")
    name = property(lambda self: self._name, doc="Short name of the data set.")
    split = property(lambda self: self._split, doc="(N,) str split of each image, or None.")
    normalization = property(lambda self: self._normalization, doc="How source values became [0, 1].")
    source = property(lambda self: self._source, doc="Where the data came from.")
    data_range = property(lambda self: 1.0, doc="Span of the values (1.0), for SSIM and PSNR.")

    def __reduce__(self) -> tuple:
        # pickling (e.g. to a worker process) rebuilds through __init__: read-only again, empty _cache
        return (_rebuild, (self._images, self._labels, self._classes, self._name, self._split,
                           self._normalization, self._source))

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: Any) -> Any:
        """``ds[i]`` is one (H, W) image; a slice, index array or boolean mask gives a ``Dataset``."""
        if isinstance(index, (int, np.integer)):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"image index {index} is out of range for a data set of {n} images")
            return self._images[index]
        if isinstance(index, slice):
            rows = np.arange(len(self))[index]
        else:
            rows = np.asarray(index)
            if rows.dtype == bool:
                if rows.shape != (len(self),):
                    raise IndexError(f"a boolean mask must have shape ({len(self)},), got {rows.shape}")
                rows = np.flatnonzero(rows)
            elif rows.size == 0:
                rows = rows.astype(np.intp)
            elif not np.issubdtype(rows.dtype, np.integer) or rows.ndim != 1:
                raise IndexError(
                    "index a Dataset with an int, a slice, a 1-D array of ints or a boolean mask, "
                    f"got {type(index).__name__} of dtype {rows.dtype} and shape {rows.shape}"
                )
        return self._subset(rows)

    def _subset(self, rows: np.ndarray) -> Dataset:
        return Dataset(
            self._images[rows],
            self._labels[rows],
            self._classes,
            name=self._name,
            split=None if self._split is None else self._split[rows],
            normalization=self._normalization,
            source=self._source,
        )

    def class_name(self, i: int) -> str:
        """The class name of image ``i``.

        Parameters
        ----------
        i : int
            Index of an image in this data set.

        Returns
        -------
        str
            ``classes[labels[i]]``, e.g. ``"A"``.

        Examples
        --------
        >>> ds = load_dataset("letters")
        >>> ds.class_name(0) == ds.classes[ds.labels[0]]
        True
        """
        return self._classes[int(self._labels[i])]

    def class_index(self, label_or_name: int | str) -> int:
        """The label of a class given by its index (checked) or its name (looked up).

        Examples
        --------
        >>> load_dataset("letters").class_index("C")
        2
        """
        if isinstance(label_or_name, str):
            if label_or_name not in self._classes:
                raise ValueError(
                    f"unknown class {label_or_name!r} in {self._name!r}: "
                    f"choose one of {', '.join(map(repr, self._classes))}"
                )
            return self._classes.index(label_or_name)
        if isinstance(label_or_name, (bool, np.bool_)) or not isinstance(label_or_name, (int, np.integer)):
            raise TypeError(f"label_or_name must be a class index or a class name, got {label_or_name!r}")
        if not 0 <= label_or_name < len(self._classes):
            raise ValueError(f"class index {label_or_name} is out of range 0..{len(self._classes) - 1}")
        return int(label_or_name)

    def by_class(self, label_or_name: int | str) -> Dataset:
        """The images of one class, in their original order.

        Parameters
        ----------
        label_or_name : int or str
            The class's label (e.g. ``0``) or name (e.g. ``"A"``).

        Returns
        -------
        Dataset
            A new data set holding only that class (with an empty ``_cache``).

        Examples
        --------
        >>> a = load_dataset("letters").by_class("A")
        >>> len(a), set(a.labels.tolist())
        (650, {0})
        """
        return self._subset(np.flatnonzero(self._labels == self.class_index(label_or_name)))

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` images drawn at random without replacement, reproducibly.

        Parameters
        ----------
        n : int
            How many images, ``0 <= n <= len(self)``.
        seed : int, default 0
            Seed of ``numpy.random.default_rng``: the same seed gives the same images.

        Returns
        -------
        Dataset
            The drawn images, in the order they were drawn.

        Examples
        --------
        >>> ds = load_dataset("digits")
        >>> (ds.sample(5, seed=1).labels == ds.sample(5, seed=1).labels).all()
        np.True_
        """
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or not 0 <= n <= len(self):
            raise ValueError(f"n must be an integer between 0 and {len(self)} (the data set's size), got {n!r}")
        return self._subset(np.random.default_rng(seed).permutation(len(self))[: int(n)])

    def counts(self) -> dict[str, int]:
        """Number of images per class name.

        Examples
        --------
        >>> load_dataset("letters", split="test").counts()["J"]
        100
        """
        counts = np.bincount(self._labels, minlength=len(self._classes))
        return {c: int(k) for c, k in zip(self._classes, counts)}

    def __repr__(self) -> str:
        shape = "x".join(map(str, self._images.shape[1:]))
        classes = self._classes if len(self._classes) <= 10 else self._classes[:3] + ["..."] + self._classes[-2:]
        if self._split is None:
            splits = "no split"
        else:
            names, counts = np.unique(self._split, return_counts=True)
            order = sorted(range(len(names)), key=lambda i: (_SPLITS + (names[i],)).index(names[i]))
            splits = "splits " + ", ".join(f"{names[i]} {counts[i]}" for i in order)
        return (
            f"Dataset({self._name!r}: {len(self)} images of {shape}, {len(self._classes)} "
            f"class{'es' if len(self._classes) != 1 else ''} "
            f"[{', '.join(map(repr, classes))}], {splits})".replace("'...'", "...")
        )


def _rebuild(images, labels, classes, name, split, normalization, source) -> Dataset:
    return Dataset(images, labels, classes, name=name, split=split, normalization=normalization, source=source)


def _split_mask(split: np.ndarray | None, wanted: str | None, where: str) -> np.ndarray | slice:
    """Which images belong to split ``wanted`` (a boolean mask; None keeps all), or a clear error."""
    if wanted is None:
        return slice(None)
    if split is None:
        raise ValueError(f"{where} has no train/valid/test split, so split={wanted!r} cannot be chosen: pass "
                         f"split=None")
    names = set(split.tolist())
    present = [s for s in _SPLITS if s in names] + sorted(names - set(_SPLITS))
    if wanted not in present:
        raise ValueError(f"unknown split {wanted!r} for {where}: choose one of {', '.join(map(repr, present))} or None")
    return split == wanted


def _load_builtin(name: str, split: str | None) -> Dataset:
    file, description = BUILTINS[name]
    path = data_dir() / file
    if not path.is_file():
        raise FileNotFoundError(
            f"the built-in data set {name!r} should be in {path}, which does not exist: regenerate it with "
            "`python scripts/make_data.py` from the repository root, or point $SIMLAB_DATA at its folder"
        )
    with np.load(path, allow_pickle=False) as npz:
        images, labels, split_arr = npz["images"], npz["labels"].astype(np.int64), npz["split"]
        classes = npz["classes"].tolist()
    keep = _split_mask(split_arr, split, f"the built-in {name!r}")
    images, labels, split_arr = images[keep], labels[keep], split_arr[keep]
    return Dataset(
        images.astype(np.float32) / np.float32(255.0),
        labels,
        classes,
        name=name,
        split=split_arr,
        normalization="uint8 / 255",
        source=f"built-in {name!r}: {description} ({path.name})",
    )


def load_dataset(
    name_or_path: str | os.PathLike,
    *,
    split: str | None = None,
    labels: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
) -> Dataset:
    """Load a built-in data set by name, or the user's own file or folder, as a :class:`Dataset`.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"letters"`` (A-J, 6,500 images: 500 train, 50 valid, 100 test per class) or ``"digits"``
        (1,797 images, 80/20 train/test stratified), or the path of a user file or folder (see
        Notes). A string that is a built-in name always means the built-in: to load a folder
        called ``letters``, pass ``"./letters"``.
    split : {"train", "valid", "test"} or None, optional
        Keep only one split. None (the default) keeps every image, with ``Dataset.split`` telling
        which split each came from (None when the source has no split).
    labels : path-like, optional
        The labels file of an IDX images file, when it is not beside it under the standard name
        (an error with a built-in name or any other kind of file).
    classes : sequence of str, optional
        Class names for the labels 0, 1, ... instead of the defaults.

    Returns
    -------
    Dataset
        float32 images in [0, 1] (read-only), int64 labels, class names and splits.

    Raises
    ------
    FileNotFoundError
        The path does not exist, or an IDX images file has no labels file.
    ValueError
        An empty name, an unknown built-in name or split, something that is not a regular file or
        folder, a file larger than 4 GiB, a truncated or damaged file, a wrong IDX magic number,
        image and label counts that differ, images that are not 2-D, images of mixed sizes in a
        folder, an ``.npz`` or pickle without recognisable keys. The message names the path, what
        was found and what to do.
    pickle.UnpicklingError
        A pickle refers to anything but numpy arrays, dtypes, dicts, lists and plain scalars.

    Notes
    -----
    The format of a file is recognised from its first bytes (``.gz`` files are un-gzipped first):

    - **notMNIST pickle** (``.pickle``/``.pkl``, optionally ``.gz``): a dict with
      ``train_dataset``/``train_labels``, ``valid_*``, ``test_*`` (any subset). It is read by a
      restricted unpickler that only rebuilds numpy arrays, dtypes and plain containers, so a pickle
      can never run code; anything else is refused with an error naming it. All splits present are
      loaded, in the order train, valid, test, with ``Dataset.split`` telling them apart; classes
      are ``A``-``J``.
    - **MNIST / Fashion-MNIST IDX** (raw or ``.gz``): a folder holding the standard names
      ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
      ``t10k-labels-idx1-ubyte`` (``.gz`` or not), or one images file, whose labels file is found
      beside it (``images`` -> ``labels``, ``idx3`` -> ``idx1``) or given as ``labels=``. If the path
      contains ``fashion``, the classes get Fashion-MNIST's names.
    - **.npz**: images under ``images``, ``x``, ``X``, ``data``, ``imgs`` or ``arr_0``; labels under
      ``labels``, ``y``, ``Y``, ``target``, ``targets`` or ``arr_1``; or per split
      ``{s}_dataset``/``{s}_labels``, ``x_{s}``/``y_{s}`` (Keras), ``{s}_images``/``{s}_labels``
      with ``s`` in train, valid (or val, validation), test. Optional: ``classes`` (names) and
      ``split`` (one string per image).
    - **.npy**: images only; every image gets label 0 and the single class ``"unlabelled"``.
    - **a folder of images** (PNG, JPEG, BMP, GIF, TIFF, WebP, PNM) with one sub-folder per class
      (sub-folder names, sorted, are the class names; a sub-folder without images is an error
      naming it); colour is converted to grey with ``L = 0.299 R + 0.587 G + 0.114 B``;
      transparent pixels (RGBA, LA, a palette with a transparent colour) are first composited
      onto **white**, as image viewers show them (a black glyph on a transparent background stays
      visible); 16-bit (``I;16``), 32-bit integer (``I``) and float (``F``) images keep their
      values (never clipped to 255) and follow the rules below, each kind of file as one stack;
      all images must have the same size.

    Stacks may be (N, H, W) or (N, H, W, 1). Values become float32 in [0, 1], and
    ``Dataset.normalization`` says how. Integers, signed or unsigned alike, by the values of the
    whole stack: all in 0..255 are divided by 255 (``"uint8 / 255"``; 8-bit values stored in a
    wider type, e.g. ``"uint32 holding 8-bit values 0..255 / 255"``), else all in 0..65535 by
    65535, else mapped by the dtype's span, ``(x - dtype min) / (dtype max - dtype min)``.
    Booleans become 0/1; floats in [0, 1] are kept; floats in [-0.5, 0.5] with negative values
    (notMNIST's ``(pixel - 127.5) / 255``) are shifted by +0.5; other floats are min-max scaled over
    the whole stack (one scale for all images, so their relative brightness is kept), with the
    numbers recorded.

    Only regular files and folders are read (a device such as ``/dev/zero`` is refused), and a
    file, or the content of a ``.gz``, larger than 4 GiB is refused before it is read. Loading only
    reads: no file is written, moved or deleted, and nothing is cached beside the user's files.

    Examples
    --------
    >>> ds = load_dataset("digits", split="train")
    >>> ds.images.dtype, ds.images.shape[1:], ds.normalization
    (dtype('float32'), (28, 28), 'uint8 / 255')
    >>> len(ds), ds.classes[-1]
    (1438, '9')
    """
    if isinstance(name_or_path, os.PathLike) and os.fspath(name_or_path) in BUILTINS:
        if not Path(os.fspath(name_or_path)).exists():  # Path("letters") with no such folder
            name_or_path = os.fspath(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in BUILTINS:
        if labels is not None:
            raise ValueError(
                f"labels= is only used with an IDX images file, not with the built-in {name_or_path!r} "
                f"(which has its own labels): leave it out, or pass classes= to rename its classes"
            )
        ds = _load_builtin(name_or_path, split)
        if classes is not None:
            ds = Dataset(ds.images, ds.labels, classes, name=ds.name, split=ds.split,
                         normalization=ds.normalization, source=ds.source)
        return ds
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be a built-in name ({', '.join(map(repr, BUILTINS))}) or a path, "
            f"got {type(name_or_path).__name__}"
        )
    if not os.fspath(name_or_path).strip():
        raise ValueError(
            f"name_or_path is empty ({os.fspath(name_or_path)!r}): pass a built-in name "
            f"({', '.join(map(repr, BUILTINS))}) or the path of a data file or folder (use '.' for the "
            "current folder)"
        )
    from . import _io

    return _io.load_path(Path(os.fspath(name_or_path)).expanduser(), split=split, labels=labels,
                         classes=classes, builtins=tuple(BUILTINS))


def notmnist_dict(name: str = "letters") -> dict[str, np.ndarray]:
    """A built-in data set in the shape of the notMNIST course pickle.

    Keys ``train_dataset``, ``valid_dataset``, ``test_dataset`` hold float32 images in [-0.5, 0.5]
    (the course's ``(pixel - 255 / 2) / 255``, here ``images - 0.5``); ``train_labels``,
    ``valid_labels``, ``test_labels`` hold int32 labels, as in the course pickle. A split the data
    set does not have (``digits`` has no ``valid``) is an empty array.

    Parameters
    ----------
    name : {"letters", "digits"}
        Which built-in data set.

    Returns
    -------
    dict of str to ndarray

    Examples
    --------
    >>> import numpy as np
    >>> data = notmnist_dict()
    >>> image = data['test_dataset'][0]
    >>> with np.errstate(invalid="ignore"):  # blank rows of the image give nan (notebook 01)
    ...     matrix = np.corrcoef(image, image)
    >>> image.shape, image.dtype, matrix.shape
    ((28, 28), dtype('float32'), (56, 56))
    """
    if name not in BUILTINS:
        raise ValueError(f"unknown built-in data set {name!r}: choose one of {', '.join(map(repr, BUILTINS))}")
    ds = _load_builtin(name, None)
    out = {}
    for s in _SPLITS:
        keep = ds.split == s
        out[f"{s}_dataset"] = ds.images[keep] - np.float32(0.5)
        out[f"{s}_labels"] = ds.labels[keep].astype(np.int32)
    return out
