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

import numpy as np

from . import _io
from ._dataset import (
    _SPLITS,
    Dataset,
    _rebuild,  # noqa: F401  (older pickles of a Dataset name simlab.datasets._rebuild)
    _split_mask,
)

__all__ = ["BUILTINS", "Dataset", "data_dir", "load_dataset", "notmnist_dict"]

#: Built-in data sets: name -> (file in ``data/``, one-line description).
BUILTINS = {
    "letters": ("letters.npz", "notMNIST-style letters A-J drawn from matplotlib's bundled fonts"),
    "digits": ("digits.npz", "scikit-learn's handwritten digits (UCI) resized to 28x28"),
    "overlap": ("overlap.npz", "letters A-J whose splits overlap like notMNIST's: exact and near copies"),
}


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


def _load_builtin(name: str, split: str | None, data_range: float | None = None) -> Dataset:
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
    unit, how = _io.to_unit(images, data_range, f"the built-in {name!r}")  # uint8 / 255, the one rule
    return Dataset(
        unit,
        labels,
        classes,
        name=name,
        split=split_arr,
        normalization=how,
        source=f"built-in {name!r}: {description} ({path.name})",
    )


def load_dataset(
    name_or_path: str | os.PathLike,
    *,
    split: str | None = None,
    labels: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    data_range: float | None = None,
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
    data_range : float, optional
        The span the source values can take (e.g. 4095 for 12-bit data in uint16): they are divided
        by it. Values outside 0..data_range are refused. Default: simlab's rule (Notes).

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
        folder, a file (or a header's claimed array, as float32) larger than 4 GiB, a truncated or
        damaged file, values outside a given ``data_range``, negative labels, a wrong IDX magic number,
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

    Stacks may be (N, H, W) or (N, H, W, 1). Values become float32 in [0, 1] by simlab's one
    scaling rule (:func:`simlab._io.to_unit`, the rule the command line applies to every input too,
    so the same pixels give the same numbers whichever way they arrive), and
    ``Dataset.normalization`` says how. With ``data_range=R`` every value is divided by R (values
    outside 0..R are refused, naming the range found). Otherwise integers, signed or unsigned alike,
    are judged by the values of the whole stack, not by their dtype (numpy saves int64; a 16-bit PNG
    may hold 8-bit values): all in 0..255 are divided by 255 (``"uint8 / 255"``; 8-bit values stored
    in a wider type, e.g. ``"uint32 holding 8-bit values 0..255 / 255"``), else all in 0..65535 by
    65535, else int8 / int16 with negative values are mapped by their dtype's span,
    ``(x - dtype min) / (dtype max - dtype min)``; wider integers beyond 16 bits are refused (pass
    ``data_range``). Integer values are divided in float32, as the built-in data sets are, so an
    8-bit PNG, a 16-bit PNG and an int64 ``.npy`` of the same values give the same float32 image.
    Booleans become 0/1; floats in [0, 1] are kept; floats in [-0.5, 0.5] with negative values
    (notMNIST's ``(pixel - 127.5) / 255``) are shifted by +0.5; other floats are min-max scaled over
    the whole stack (one scale for all images, so their relative brightness is kept), with the
    numbers recorded.

    Labels: integer codes 0..K-1 are kept; sparse codes (e.g. 3, 70, 10**9 with few images) are
    renumbered 0..K-1 and named by their values; negative labels are refused (if -1 marks
    unlabelled images, leave them out or give them a class).

    Only regular files and folders are read (a device such as ``/dev/zero`` is refused). Files are
    streamed, never read whole: the sizes in an IDX, ``.npy`` or ``.npz`` member header are checked
    before anything is allocated, counting the float32 images they become, and a ``.gz`` or a
    pickle is un-gzipped / read with a running count; anything over 4 GiB is refused with the file
    and the size it claims. The peak memory while loading is under 2.5 times the float32 images.
    Loading only reads: no file is written, moved or deleted, and nothing is cached beside the
    user's files.

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
        ds = _load_builtin(name_or_path, split, data_range)
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
    return _io.load_path(Path(os.fspath(name_or_path)).expanduser(), split=split, labels=labels,
                         classes=classes, data_range=data_range, builtins=tuple(BUILTINS))


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
