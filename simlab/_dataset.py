"""The ``Dataset`` record: read-only images, labels, class names, splits and where they came from.

Kept apart from the loaders (:mod:`simlab.datasets`, :mod:`simlab._io`), which build it, so that
both import it and neither imports the other. Public as ``simlab.Dataset`` and
``simlab.datasets.Dataset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Dataset"]

_SPLITS = ("train", "valid", "test")


def _is_frozen(array: np.ndarray) -> bool:
    """True if ``array`` is a C-contiguous read-only view of an immutable ``bytes`` object."""
    base = array
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    return isinstance(base, bytes) and array.flags.c_contiguous


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
    if _is_frozen(array):  # already immutable (e.g. a loader's fresh array): no second copy
        return array
    array = np.ascontiguousarray(array)
    return np.frombuffer(array.tobytes(), dtype=array.dtype).reshape(array.shape)


class Dataset:
    """A stack of grey-level images with integer labels, class names and (optionally) splits.

    Built by :func:`simlab.load_dataset`; indexing, :meth:`by_class` and :meth:`sample` give new,
    smaller ``Dataset`` objects. The images are read-only, so statistics cached on a data set
    (``_cache``, used by :func:`simlab.scores`) can never go stale: to change images, make a copy
    (``ds.images.copy()``) and work on the copy.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        float32 values in [0, 1] (other dtypes are converted to float32; values are not rescaled:
        use :func:`simlab.load_dataset` to normalise raw data).
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
    files : sequence of str, shape (N,), optional
        The file each image was read from (a folder of image files), or None for other sources.

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
    files : tuple of str, or None
        One path per image when read from a folder of image files (kept by indexing,
        :meth:`by_class`, :meth:`sample` and ``split=``), else None.

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset(np.zeros((4, 2, 2)), [0, 1, 1, 0], ["no", "yes"], name="toy")
    >>> ds
    Dataset('toy': 4 images of 2x2, 2 classes ['no', 'yes'], no split)
    >>> len(ds.by_class("yes")), ds.class_name(1), ds[0].shape
    (2, 'yes', (2, 2))
    """

    __slots__ = ("_images", "_labels", "_classes", "_name", "_split", "_normalization", "_source", "_files",
                 "_cache")

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
        files: Sequence[str] | None = None,
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
        if files is not None:
            files = tuple(str(f) for f in files)
            if len(files) != len(images):
                raise ValueError(f"files must name one file per image, {len(images)} names, got {len(files)}")
        self._images = _frozen(images)
        self._labels = _frozen(labels.astype(np.int64))
        self._classes = classes
        self._name = str(name)
        self._split = split
        self._normalization = str(normalization)
        self._source = str(source)
        self._files = files
        self._cache: dict = {}

    # read-only attributes: a Dataset never changes after it is made
    images = property(lambda self: self._images, doc="(N, H, W) float32 in [0, 1], read-only.")
    labels = property(lambda self: self._labels, doc="(N,) int64 class indices, read-only.")
    classes = property(lambda self: list(self._classes), doc="Class names (a copy).")
    name = property(lambda self: self._name, doc="Short name of the data set.")
    split = property(lambda self: self._split, doc="(N,) str split of each image, or None.")
    normalization = property(lambda self: self._normalization, doc="How source values became [0, 1].")
    source = property(lambda self: self._source, doc="Where the data came from.")
    files = property(lambda self: self._files, doc="The file of each image (a folder of images), or None.")
    data_range = property(lambda self: 1.0, doc="Span of the values (1.0), for SSIM and PSNR.")

    def __reduce__(self) -> tuple:
        # pickling (e.g. to a worker process) rebuilds through __init__: read-only again, empty _cache
        return (_rebuild, (self._images, self._labels, self._classes, self._name, self._split,
                           self._normalization, self._source, self._files))

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
            files=None if self._files is None else tuple(self._files[i] for i in rows.tolist()),
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
        >>> import simlab
        >>> ds = simlab.load_dataset("letters")
        >>> ds.class_name(0) == ds.classes[ds.labels[0]]
        True
        """
        return self._classes[int(self._labels[i])]

    def class_index(self, label_or_name: int | str) -> int:
        """The label of a class given by its index (checked) or its name (looked up).

        Examples
        --------
        >>> import simlab
        >>> simlab.load_dataset("letters").class_index("C")
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
        >>> import simlab
        >>> a = simlab.load_dataset("letters").by_class("A")
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
        >>> import simlab
        >>> ds = simlab.load_dataset("digits")
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
        >>> import simlab
        >>> simlab.load_dataset("letters", split="test").counts()["J"]
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


def _rebuild(images, labels, classes, name, split, normalization, source, files=None) -> Dataset:
    return Dataset(images, labels, classes, name=name, split=split, normalization=normalization, source=source,
                   files=files)


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


def is_dataset(x: Any) -> bool:
    """Whether ``x`` is a simlab :class:`Dataset` (the one test the other modules use)."""
    return isinstance(x, Dataset)


def statistics_cache(x: Any) -> dict | None:
    """The dict in which :mod:`simlab.batch` keeps a Dataset's per-image statistics; None for anything else.

    A Dataset's images are read-only, so what is cached can never go stale.
    """
    return x._cache if isinstance(x, Dataset) else None
