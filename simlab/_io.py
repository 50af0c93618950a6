"""Readers for the user's own data files (private: use ``simlab.load_dataset(path)``).

Every reader only reads: files are opened ``"rb"``, nothing is written, moved or cached beside them.
The format is recognised from the file's first bytes (after un-gzipping ``.gz`` files), so a renamed
file still loads:

========================  =====================================================================
format                    recognised by
========================  =====================================================================
IDX (MNIST, Fashion)      magic ``00 00 08 03`` (images) / ``00 00 08 01`` (labels), or a folder
                          holding ``train-images-idx3-ubyte[.gz]`` / ``t10k-images-idx3-ubyte[.gz]``
``.npy``                  ``\\x93NUMPY``
``.npz``                  ``PK\\x03\\x04`` (a zip archive)
pickle (notMNIST)         ``\\x80`` + protocol byte, or the suffix ``.pickle`` / ``.pkl``
folder of images          a folder with one sub-folder of image files per class
========================  =====================================================================
"""

from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._dataset import _SPLITS as SPLITS
from ._dataset import Dataset, _frozen, _split_mask

# key names accepted in an .npz file or a pickled dict (first match wins)
IMAGE_KEYS = ("images", "x", "X", "data", "imgs", "arr_0")
LABEL_KEYS = ("labels", "y", "Y", "target", "targets", "arr_1")
SPLIT_ALIASES = {"train": ("train",), "valid": ("valid", "val", "validation"), "test": ("test",)}
SPLIT_IMAGE_KEYS = ("{s}_dataset", "x_{s}", "X_{s}", "{s}_images", "images_{s}")
SPLIT_LABEL_KEYS = ("{s}_labels", "y_{s}", "Y_{s}", "labels_{s}")
CLASS_KEYS = ("classes", "class_names")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
IDX_NAMES = {  # split -> (images file, labels file), each optionally with ".gz"
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
LETTERS = tuple("ABCDEFGHIJ")
#: Largest file (and largest un-gzipped content) simlab reads, in bytes: 4 GiB, twice MNIST's 60,000
#: images many times over; anything larger is refused before it is read.
MAX_BYTES = 4 * 2**30
UNLABELLED = "unlabelled"
#: Integer labels 0..K-1 are kept as they are (class names "0".."K-1") while K is at most the number
#: of images or this; sparser codes (e.g. 3, 70, 10**9) are renumbered 0..K-1 and named by value.
MAX_CLASS_CODE = 1024


# --------------------------------------------------------------------------- dispatch


def load_path(
    path: Path,
    *,
    split: str | None = None,
    labels: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    data_range: float | None = None,
    builtins: Sequence[str] = (),
) -> Dataset:
    """Load a user file or folder (see the module docstring) as a Dataset."""
    if not path.exists():
        known = ", ".join(map(repr, builtins))
        if len(path.parts) == 1 and path.suffix == "":
            raise ValueError(
                f"name_or_path: unknown built-in data set {str(path)!r}: choose one of {known}, or pass the "
                f"path of a data file or folder (there is no file or folder {str(path)!r} in {Path.cwd()})"
            )
        raise FileNotFoundError(
            f"name_or_path: {str(path)!r} does not exist (looked for {path.absolute()}): check the path, "
            f"or use a built-in data set: {known}"
        )
    if not path.is_dir() and not path.is_file():
        raise ValueError(
            f"name_or_path: {str(path)!r} is neither a regular file nor a folder (a device, pipe or socket): "
            "pass a data file or a folder of data"
        )
    if labels is not None:
        labels = Path(os.fspath(labels)).expanduser()
        if not labels.is_file():
            raise FileNotFoundError(f"labels: {str(labels)!r} is not a file: pass the path of the IDX labels file")
    head = None if path.is_dir() else _head(path)
    if labels is not None and (head is None or not _is_idx(head)):
        raise ValueError(f"labels= is only used with an IDX images file, not with {str(path)!r}: leave it out")
    if head is None:
        ds = _load_folder(path, classes, data_range)
    else:
        ds = _load_file(head, path, labels, classes, data_range)
    return ds if split is None else ds[_split_mask(ds.split, split, repr(str(path)))]


class _Budget(io.RawIOBase):
    """A read-only stream over a file (un-gzipped on the fly if it is gzip data) that counts what it
    delivers and refuses to go past ``limit`` bytes *before* reading them, so a gzip bomb or a lying
    length field costs at most ``limit`` bytes, not what it claims. Damaged gzip data is a ValueError
    naming the file.
    """

    def __init__(self, path: Path, limit: int | None = None) -> None:
        self._path = path
        self._limit = MAX_BYTES if limit is None else limit
        self._file = open(path, "rb")
        self.gzipped = self._file.read(2) == b"\x1f\x8b"
        self._file.seek(0)
        self._stream = gzip.GzipFile(fileobj=self._file) if self.gzipped else self._file
        self.count = 0

    def readable(self) -> bool:
        return True

    def _allow(self, n: int) -> None:
        if self.count + n > self._limit:
            what = "un-gzips to" if self.gzipped else "holds"
            raise ValueError(
                f"{str(self._path)!r} {what} more than simlab reads ({self._limit / 2**30:.3g} GiB; it asked for "
                f"{(self.count + n) / 2**30:.3g} GiB): load a part of it yourself and pass the arrays to simlab.Dataset"
            )

    def _guard(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ValueError(
                f"{str(self._path)!r} is a truncated or damaged gzip file ({exc or type(exc).__name__}): "
                "download or copy it again"
            ) from None

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        self._allow(len(view))
        n = self._guard(self._stream.readinto, view)
        self.count += n
        return n

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            n = self._limit - self.count + 1  # all that is left, and one byte to see the limit passed
            data = self._guard(self._stream.read, n)
            self.count += len(data)
            self._allow(0 if len(data) < n else n)
            return data
        self._allow(n)
        data = self._guard(self._stream.read, n)
        self.count += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        line = self._guard(self._stream.readline, 1 << 20 if size is None or size < 0 else size)
        self.count += len(line)
        self._allow(0)
        return line

    def close(self) -> None:
        if not self.closed:
            if self.gzipped:
                self._stream.close()
            self._file.close()
        super().close()


def _head(path: Path) -> bytes:
    """The first 8 bytes of a regular file's content (un-gzipped), to recognise its format."""
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a regular file (a folder, device, pipe or socket): pass a data file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(
            f"{str(path)!r} is {size / 2**30:.1f} GiB, more than simlab reads ({MAX_BYTES / 2**30:g} GiB): "
            "load a part of it yourself and pass the arrays to simlab.Dataset"
        )
    with _Budget(path) as f:
        return f.read(8)


def _read_exactly(f: Any, out: np.ndarray, path: Path, what: str) -> np.ndarray:
    """Fill ``out`` from the stream ``f`` in chunks of at most 16 MiB (no second copy of the data)."""
    view = memoryview(out.reshape(-1).view(np.uint8))
    done = 0
    while done < len(view):
        n = f.readinto(view[done:done + (1 << 24)])
        if not n:
            raise ValueError(
                f"{str(path)!r} is truncated: its header promises {what} ({len(view)} bytes of data), but it ends "
                f"after {done} bytes: download or copy it again"
            )
        done += n
    return out


def _check_claim(path: Path, shape: tuple[int, ...], dtype: np.dtype, where: str, images: bool = True) -> None:
    """Refuse, before anything is allocated, an array whose header claims more than simlab loads.

    The images become float32, so their float32 size counts (a 1 GiB uint8 stack is 4 GiB of float32).
    """
    count = math.prod(shape)  # Python ints: no overflow
    size = count * max(dtype.itemsize, 4 if images else 0)
    if size > MAX_BYTES:
        raise ValueError(
            f"{where}: its header claims an array of shape {shape} ({count:,} values of {dtype}; {size:,} bytes "
            f"= {size / 2**30:,.6g} GiB{' as float32 images' if images else ''}), more than simlab loads "
            f"({MAX_BYTES / 2**30:g} GiB): load a part of it yourself, e.g. np.load(path, mmap_mode='r')[:1000] "
            "for a .npy, and pass the arrays to simlab.Dataset"
        )


def _is_idx(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[:2] == b"\x00\x00" and raw[2] in IDX_DTYPES


def _load_file(head: bytes, path: Path, labels: Path | None, classes: Sequence[str] | None, data_range) -> Dataset:
    suffixes = [s.lower() for s in path.suffixes]
    name = path.name.split(".")[0] or path.name
    if head[:6] == b"\x93NUMPY":
        return _load_npy(path, name, classes, data_range)
    if head[:4] == b"PK\x03\x04":
        return _load_npz(path, name, classes, data_range)
    pickled = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
    if pickled or {".pickle", ".pkl"} & set(suffixes):
        return _load_pickle(path, name, classes, data_range)
    if _is_idx(head):
        return _load_idx_file(path, labels, classes, data_range)
    if suffixes and suffixes[-1] in IMAGE_SUFFIXES:
        raise ValueError(
            f"{str(path)!r} is a single image: load it with e.g. matplotlib.pyplot.imread, or put images in a "
            "folder with one sub-folder per class and pass the folder"
        )
    raise ValueError(
        f"{str(path)!r} is not a data file simlab can read (it starts with bytes {head!r}): pass an IDX file "
        "(MNIST / Fashion-MNIST, raw or .gz), an .npz or .npy file, a notMNIST pickle, or a folder of images"
    )


def _load_folder(path: Path, classes: Sequence[str] | None, data_range=None) -> Dataset:
    idx = _idx_files_in(path)
    if idx:
        return _load_idx_folder(path, idx, classes, data_range)
    return _load_image_folder(path, classes, data_range)


# --------------------------------------------------------------------------- arrays -> Dataset


def _check_stack(x: Any, where: str) -> np.ndarray:
    """An (N, H, W) stack (a trailing channel axis of 1 is dropped), or a clear error."""
    x = _as_array(x, where, "images")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 3 and x.shape[-1] <= 4 and x.shape[1] >= 8:  # (H, W, channels), not N images C pixels wide
        h, w, c = x.shape
        todo = ("convert it to grey first, e.g. skimage.color.rgb2gray(x)[None] for a stack of one" if c >= 3
                else "for a stack of this one image use x[None, ..., 0]")
        raise ValueError(
            f"{where}: shape {x.shape} looks like one {'colour ' if c >= 3 else ''}image of {h}x{w} with {c} "
            f"channel{'s' if c > 1 else ''}, not a stack of {h} images of {w}x{c}: {todo}"
        )
    if x.ndim != 3:
        if x.ndim == 4 and x.shape[-1] in (3, 4):
            hint = "these look like colour images: convert them to grey first, e.g. skimage.color.rgb2gray"
        elif x.ndim == 2:
            hint = "for one image use x[None]; for flattened images reshape them, e.g. x.reshape(-1, 28, 28)"
        else:
            hint = "pass a stack of 2-D grey images, shape (N, height, width)"
        raise ValueError(f"{where}: images must be a stack of 2-D images of shape (N, H, W), got shape "
                         f"{x.shape}: {hint}")
    if x.size == 0:
        raise ValueError(f"{where}: the image stack is empty (shape {x.shape})")
    if x.dtype.kind not in "buif":
        raise TypeError(f"{where}: images must hold numbers, got dtype {x.dtype}")
    return x


def _as_array(value: Any, where: str, what: str) -> np.ndarray:
    """``np.asarray(value)``, with an error naming the file and key for a ragged list."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{where}: the {what} are not one rectangular array ({_first_line(exc)}): every image must have "
            "the same size and every entry one value; store them as one numpy array"
        ) from None


def _first_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def to_unit(
    x: np.ndarray, data_range: Any = None, where: str = "images", single: bool = False
) -> tuple[np.ndarray, str]:
    """simlab's one scaling rule: values -> float32 in [0, 1], and a note saying how.

    Used by every loader, by the built-in data sets and by the command line, so the same pixels give
    the same numbers whichever way they arrive (README, "One scaling rule").

    - ``data_range=R`` given: ``x / R``; values outside 0..R are refused with the range found.
    - bool: 0 / 1.
    - integers, judged by their values (the dtype says little: numpy saves int64, a 16-bit PNG may
      hold 8-bit values): all in 0..255 -> / 255; else all in 0..65535 -> / 65535; else, for int8
      and int16 with negative values, ``(x - dtype min) / dtype span``; wider integers beyond 16 bits
      are refused (their dtype's span, up to 1.8e19, would squash them to one grey): pass data_range.
    - floats: in [0, 1] kept; in [-0.5, 0.5] with negatives (notMNIST) + 0.5; otherwise they carry
      no range: a stack (``single=False``) is min-max scaled over all its images (one scale for
      all, recorded in the note); one image (``single=True``) is refused: pass data_range.

    Integer values are divided in float32 (``x.astype(float32) / float32(R)``), as the built-in
    data sets are, so an 8-bit PNG, a 16-bit PNG and an int64 ``.npy`` of the same values give the
    very same float32 image.
    """
    kind = x.dtype.kind
    if kind not in "buif":
        raise TypeError(f"{where}: images must hold numbers, got dtype {x.dtype}")
    if x.size == 0:
        return np.zeros(x.shape, np.float32), f"{x.dtype}, empty"
    lo, hi = x.min(), x.max()
    if kind == "f" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{where}: images contain NaN or infinite values: replace them first (np.nan_to_num)")
    lo, hi = float(lo), float(hi)
    if data_range is not None:
        from ._validation import check_data_range

        r = check_data_range(data_range)
        if lo < 0 or hi > r * (1 + 1e-6):
            raise ValueError(
                f"{where}: its values span {lo:g}..{hi:g}, outside 0..{r:g} that data_range={r:g} states: pass the "
                f"span the values can take (e.g. data_range={_span_holding(lo, hi, kind)}), or leave data_range "
                "out to let simlab's rule choose"
            )
        return _divided(x, r), f"{x.dtype} / {r:g} (data_range given)"
    if kind == "b":
        return x.astype(np.float32), "bool as 0 / 1"
    if kind in "iu":
        for top, bits in ((255, 8), (65535, 16)):
            if lo >= 0 and hi <= top:
                native = x.dtype.itemsize * 8 == bits and kind == "u"
                how = f"{x.dtype} / {top}" if native else f"{x.dtype} holding {bits}-bit values 0..{top} / {top}"
                return _divided(x, top), how
        info = np.iinfo(x.dtype)
        if x.dtype.itemsize > 2:
            raise ValueError(
                f"{where}: its {x.dtype} values span {lo:g}..{hi:g}, beyond 16 bits (0..65535), and the span of "
                f"{x.dtype} ({float(info.max) - float(info.min):.3g}) would squash them to almost one grey: pass "
                f"data_range (the span the values can take{', e.g. 4095 for 12-bit' if lo >= 0 else ''})"
                + ("" if lo >= 0 else ", after shifting them to start at 0")
            )
        span = float(info.max) - float(info.min)
        return _mapped(x, float(info.min), span), f"{x.dtype} (x - {info.min}) / {span:.0f} (its dtype's span)"
    if lo >= 0 and hi <= 1:
        return x.astype(np.float32), f"{x.dtype} in [0, 1], kept"
    if -0.5 <= lo < 0 and hi <= 0.5:
        return _mapped(x, -0.5, 1.0), "notMNIST [-0.5, 0.5] shifted by +0.5"
    if single:
        raise ValueError(
            f"{where}: its float values span {lo:g}..{hi:g}, which carries no range (only [0, 1] and notMNIST's "
            f"[-0.5, 0.5] do): pass data_range (the span the values can take, e.g. {_span_holding(lo, hi, kind)})"
        )
    if hi == lo:
        return np.zeros(x.shape, np.float32), f"{x.dtype} constant {lo:g}, set to 0"
    return _mapped(x, lo, hi - lo), f"{x.dtype} min-max over all images: (x - {lo:g}) / ({hi:g} - {lo:g})"


def _span_holding(lo: float, hi: float, kind: str) -> str:
    for span in (1, 255, 65535):
        if lo >= 0 and hi <= span:
            return str(span)
    return f"{hi - lo:.4g}" if lo >= 0 else "the span after shifting them to start at 0"


def _divided(x: np.ndarray, r: float) -> np.ndarray:
    """``x / r`` in float32, clipped to [0, 1] (values a rounding error above r)."""
    out = x.astype(np.float32)
    np.divide(out, np.float32(r), out=out)
    return np.clip(out, 0, 1, out=out)


def _mapped(x: np.ndarray, offset: float, span: float) -> np.ndarray:
    """``(x - offset) / span`` computed in float64, 2**20 values at a time, stored as float32."""
    out = np.empty(x.shape, np.float32)
    flat_in, flat_out = x.reshape(-1), out.reshape(-1)
    step = 1 << 20
    for s in range(0, flat_in.size, step):
        flat_out[s:s + step] = np.clip((flat_in[s:s + step].astype(np.float64) - offset) / span, 0, 1)
    return out


def _labels_and_classes(y: Any, n: int, where: str, classes: Sequence[str] | None,
                        default: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Labels (one per image, counted by the caller) as int64 0..K-1 and K class names.

    ``y=None`` means unlabelled: every label 0, one class "unlabelled". String labels become
    sorted class names. Integer labels 0..K-1 with K no larger than the number of images or
    :data:`MAX_CLASS_CODE` (or than the class names given) are kept; other non-negative codes (e.g.
    3, 70, 10**9) are renumbered 0..K-1 in order and named by their values, so nothing is allocated
    per *possible* label.
    Negative labels are refused (often -1 marks "unlabelled"): the message says what to do.
    """
    if y is None:
        return np.zeros(n, np.int64), list(classes) if classes is not None else [UNLABELLED]
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[0] == n and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{where}: labels must be one number (or name) per image, shape ({n},), got shape {y.shape}"
            + (": for one-hot labels pass y.argmax(axis=1)" if y.ndim == 2 else "")
        )
    if y.dtype.kind in "US":
        names, index = np.unique(y.astype(str), return_inverse=True)
        if classes is not None and len(classes) < len(names):
            raise ValueError(
                f"classes: {len(classes)} names given for {len(names)} distinct labels {names.tolist()[:10]}"
            )
        return index.astype(np.int64), list(classes) if classes is not None else names.tolist()
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{where}: labels must be whole numbers, got non-integer values such as "
                             f"{y[~np.isfinite(y) | (y != np.round(y))][:3]}")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"{where}: labels must be integers or strings, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        negative = y[y < 0]
        raise ValueError(
            f"{where}: {negative.size} label{'s are' if negative.size > 1 else ' is'} negative (e.g. "
            f"{negative[0]:g}): class labels are 0, 1, 2, ...; if a negative value marks unlabelled images, "
            "leave those images out or give them a class of their own"
        )
    if y.size and y.max() > 2**62:
        raise ValueError(f"{where}: label {y.max():g} is too large for a class number: use 0, 1, 2, ...")
    y = y.astype(np.int64)
    k = int(y.max()) + 1 if y.size else 0  # a number, not an allocation
    if classes is not None:
        if len(classes) < k:
            raise ValueError(f"classes: {len(classes)} names given, but the labels go up to {k - 1}: give {k} names")
        return y, [str(c) for c in classes]
    if default is not None and k <= len(default):
        return y, list(default)
    if k <= max(n, MAX_CLASS_CODE):  # codes 0..K-1: kept, named "0".."K-1" (bounded: no 10**9 names)
        return y, [str(i) for i in range(k)]
    values, index = np.unique(y, return_inverse=True)  # sparse codes: renumbered, named by value
    return index.astype(np.int64).reshape(-1), [str(v) for v in values]


def _combine(parts: list, path: Path, name: str, classes, default_classes=None, data_range=None) -> Dataset:
    """One Dataset from parts ``(split, images, labels, where)``: checked, concatenated, normalised.

    ``split`` is a split name for the whole part, an array of one name per image, or None;
    ``labels`` is None for unlabelled images; ``where`` names the part in error messages.
    Sizes are checked before the float32 images are made (:func:`_check_claim`).
    """
    stacks, ys, splits = [], [], []
    for split, images, labels, where in parts:
        x = _check_stack(images, where)
        if labels is not None:
            y = _as_array(labels, where, "labels")
            if y.ndim == 0 or y.shape[0] != len(x):
                raise ValueError(
                    f"{where}: {len(x)} images but {y.shape[0] if y.ndim else 0} labels: there must be exactly "
                    "one label per image"
                )
            ys.append(y)
        if split is not None and not isinstance(split, str) and np.shape(split) != (len(x),):
            raise ValueError(
                f"{where}: 'split' must name one split per image, {len(x)} names, got shape {np.shape(split)}"
            )
        stacks.append(x)
        splits.append(split if split is None or not isinstance(split, str) else np.full(len(x), split))
    if ys and len(ys) != len(stacks):
        missing = [where for (_, _, labels, where) in parts if labels is None]
        raise ValueError(f"no labels for {', '.join(missing)}: give labels for every part or for none")
    if len({x.shape[1:] for x in stacks}) > 1:
        sizes = ", ".join(f"{where}: {x.shape[1]}x{x.shape[2]}" for x, (_, _, _, where) in zip(stacks, parts))
        raise ValueError(f"the images have different sizes ({sizes}): resize them to one size")
    where = parts[0][3] if len(parts) == 1 else repr(str(path))
    n = sum(len(x) for x in stacks)
    _check_claim(path, (n,) + stacks[0].shape[1:], np.result_type(*stacks), where)
    labels = None if not ys else ys[0] if len(ys) == 1 else np.concatenate(ys)
    y, names = _labels_and_classes(labels, n, where, classes, default_classes)  # checked before the images
    split = None if any(s is None for s in splits) else np.concatenate(splits)
    stack = stacks[0] if len(stacks) == 1 else np.concatenate(stacks)
    del stacks, parts  # the source arrays can go once joined
    unit, how = to_unit(stack, data_range, where)
    del stack
    return Dataset(_frozen(unit), y, names, name=name, split=split, normalization=how, source=str(path.absolute()))


# --------------------------------------------------------------------------- .npy / .npz / pickle


def _read_npy_stream(f: Any, path: Path, where: str) -> np.ndarray:
    """One array from an open ``.npy`` stream: header checked first, data read into one allocation."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
    except ValueError as exc:
        raise ValueError(f"{where}: cannot read this .npy header ({_first_line(exc)}): write the file again") from None
    if dtype.hasobject:
        raise ValueError(
            f"{where}: this .npy holds Python objects (dtype {dtype}); simlab never unpickles objects: "
            "store images as a numeric array"
        )
    _check_claim(path, tuple(shape), dtype, where)
    out = np.empty(shape[::-1] if fortran else shape, dtype)
    _read_exactly(f, out, path, f"shape {tuple(shape)} of {dtype}")
    return out.T if fortran else out


def _load_npy(path: Path, name: str, classes, data_range) -> Dataset:
    where = repr(str(path))
    with _Budget(path) as f:
        x = _read_npy_stream(f, path, where)
    return _combine([(None, x, None, where)], path, name, classes, data_range=data_range)


class _NpzMembers(Mapping):
    """The arrays of an ``.npz``, each read only when asked for, its header checked before its data."""

    def __init__(self, archive: Any, path: Path) -> None:
        self._archive = archive
        self._path = path
        self._members = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}

    def __contains__(self, key: object) -> bool:
        return key in self._members

    def __iter__(self):
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __getitem__(self, key: str) -> np.ndarray:
        info = self._members[key]
        where = f"{str(self._path)!r} [{key!r}]"
        with self._archive.open(info) as member:
            return _read_npy_stream(member, self._path, where)


def _load_npz(path: Path, name: str, classes, data_range) -> Dataset:
    import zipfile

    where = repr(str(path))
    try:
        with _Budget(path) as f:
            # zip needs to seek: a plain file is opened as is, a gzipped .npz (rare) is un-gzipped into memory
            source = io.BytesIO(f.read()) if f.gzipped else path
        with zipfile.ZipFile(source) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            if unzipped > MAX_BYTES:
                raise ValueError(
                    f"{where} un-zips to {unzipped / 2**30:.1f} GiB, more than simlab reads "
                    f"({MAX_BYTES / 2**30:g} GiB): load a part of it yourself and pass the arrays to simlab.Dataset"
                )
            return _from_mapping(_NpzMembers(archive, path), path, name, classes, ".npz", data_range)
    except (zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        raise ValueError(f"{where} is a truncated or damaged .npz file ({exc}): write or copy it again") from None


def _first(mapping: dict, keys: Sequence[str]) -> str | None:
    return next((k for k in keys if k in mapping), None)


def _from_mapping(mapping: Mapping, path: Path, name: str, classes, kind: str, data_range=None) -> Dataset:
    """Images and labels from a dict of arrays (an .npz or an unpickled dict), with or without splits."""
    where = repr(str(path))
    if classes is None and (key := _first(mapping, CLASS_KEYS)) is not None:
        classes = [str(c) for c in np.asarray(mapping[key]).tolist()]
    parts = []
    for s in SPLITS:
        for alias in SPLIT_ALIASES[s]:
            ikey = _first(mapping, [k.format(s=alias) for k in SPLIT_IMAGE_KEYS])
            if ikey is not None:
                lkey = _first(mapping, [k.format(s=alias) for k in SPLIT_LABEL_KEYS])
                parts.append((s, ikey, lkey))
                break
    if parts:
        notmnist = any(ikey.endswith("_dataset") for _, ikey, _ in parts)
        return _combine(
            [(s, mapping[ikey], None if lkey is None else mapping[lkey],
              f"{where} [{ikey!r}" + ("]" if lkey is None else f", {lkey!r}]")) for s, ikey, lkey in parts],
            path, name, classes, LETTERS if notmnist else None, data_range,
        )
    ikey = _first(mapping, IMAGE_KEYS)
    if ikey is None:
        accepted = ", ".join(IMAGE_KEYS) + "; or per split: " + ", ".join(
            k.format(s="train") for k in SPLIT_IMAGE_KEYS) + " (and valid / test)"
        raise ValueError(
            f"{where}: no images found in this {kind}: it holds the keys {sorted(mapping)}; "
            f"simlab looks for {accepted}. Rename the arrays, e.g. np.savez(path, images=x, labels=y)"
        )
    lkey = _first(mapping, LABEL_KEYS)
    split = _as_array(mapping["split"], f"{where} ['split']", "split names").astype(str) if "split" in mapping else None
    keys = f"{ikey!r}" + ("" if lkey is None else f", {lkey!r}")
    return _combine([(split, mapping[ikey], None if lkey is None else mapping[lkey], f"{where} [{keys}]")],
                    path, name, classes, data_range=data_range)


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """What protocol-2 pickles use to rebuild ``bytes`` (``_codecs.encode``), restricted to latin-1."""
    if not isinstance(text, str) or encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r} (only latin-1 is allowed)")
    return text.encode("latin-1")


def _bytearray(data: Any = b"", *encoding: str) -> bytearray:
    """``bytearray`` as pickles use it (from bytes, or a latin-1 string), never ``bytearray(size)``,
    which would let a tiny pickle allocate any amount of memory.
    """
    if not isinstance(data, (bytes, str)):
        raise pickle.UnpicklingError(f"refused bytearray({type(data).__name__}): only bytes or text are allowed")
    return bytearray(_latin1_encode(data, *encoding) if isinstance(data, str) else data)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """(module, name) -> object: everything a pickle of numpy arrays, dtypes and plain containers needs."""
    from collections import OrderedDict

    try:  # numpy >= 2: numpy._core; numpy 1.x pickles say numpy.core
        from numpy._core import multiarray, numeric
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric

    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                                           ("_codecs", "encode"): _latin1_encode,
                                           ("collections", "OrderedDict"): OrderedDict}
    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{core}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{core}.numeric", "_frombuffer")] = numeric._frombuffer
    for module in ("builtins", "__builtin__"):
        for kind in (complex, set, frozenset):
            allowed[(module, kind.__name__)] = kind
        allowed[(module, "bytearray")] = _bytearray
    return allowed


class _SafeUnpickler(pickle._Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers, and refuses every other global.

    A pickle runs code by naming a callable (``os.system``, ``builtins.open``, ...) that the
    unpickler looks up with ``find_class``; here only the entries of ``_allowed_globals()`` are found.
    It is the pure-Python unpickler: the C one allocates the length a ``BINBYTES8`` claims before it
    reads a byte, while this one asks the stream for the bytes first, so :class:`_Budget` refuses a
    claimed length over the limit before any memory is set aside for it.
    """

    def __init__(self, file, where: str) -> None:
        super().__init__(file, encoding="latin1", fix_imports=False)
        self._where = where
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"{self._where}: refused to load {module}.{name}: this pickle refers to something other than "
                "numpy arrays, dicts, lists and plain numbers, and a pickle can run code when loaded. "
                "simlab only loads notMNIST-style pickles (a dict of arrays); if you trust this file, "
                "unpickle it yourself and pass the arrays to simlab.Dataset"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(f"{self._where}: refused a persistent id {pid!r}")


class _ReadOnly:
    """``read`` and ``readline`` of a stream, nothing else (see :func:`_load_pickle`)."""

    def __init__(self, stream: Any) -> None:
        self.read, self.readline = stream.read, stream.readline


def _load_pickle(path: Path, name: str, classes, data_range) -> Dataset:
    where = repr(str(path))
    try:
        with _Budget(path) as f:
            # read() and readline() only: with readinto the unpickler would allocate a claimed length first
            obj = _SafeUnpickler(_ReadOnly(f), where).load()
    except pickle.UnpicklingError as exc:
        if "refused" in str(exc):
            if str(exc).startswith(where):
                raise
            raise pickle.UnpicklingError(f"{where}: {exc}") from None
        raise ValueError(f"{where} is not a readable pickle ({exc}): is it truncated? copy it again") from None
    except ValueError as exc:
        if str(exc).startswith(where):  # the size limit or a damaged gzip, already named
            raise
        raise ValueError(f"{where} is not a readable pickle (ValueError: {exc}): is it truncated?") from None
    except (EOFError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as exc:
        raise ValueError(f"{where} is not a readable pickle ({type(exc).__name__}: {exc}): is it truncated?") from None
    if not isinstance(obj, dict):
        raise ValueError(
            f"{where}: expected a pickled dict of arrays (notMNIST: train_dataset, train_labels, ...), "
            f"got {type(obj).__name__}"
        )
    return _from_mapping({str(k): v for k, v in obj.items()}, path, name, classes, "pickle", data_range)


# --------------------------------------------------------------------------- IDX


def _read_idx(path: Path, want_ndim: int, count: int | None = None, labels: Path | None = None) -> np.ndarray:
    """One IDX array: magic 00 00 <dtype> <ndim>, big-endian uint32 sizes, then the data.

    The sizes are checked against :data:`MAX_BYTES` (and, for a plain file, against its length)
    before the array is allocated; gzip data are un-gzipped into the array as they are read.
    """
    want = "0x00000803 (an images file)" if want_ndim == 3 else "0x00000801 (a labels file)"
    with _Budget(path) as f:
        raw = f.read(4)
        magic = int.from_bytes(raw.ljust(4, b"\0"), "big")
        if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_DTYPES:
            raise ValueError(f"{str(path)!r} is not an IDX file: magic number 0x{magic:08X}, expected {want}")
        ndim = raw[3]
        if ndim != want_ndim:
            what = {1: "a labels file", 3: "an images file"}.get(ndim, f"{ndim}-D data")
            raise ValueError(
                f"{str(path)!r} has IDX magic number 0x{magic:08X} ({what}), expected {want}: "
                + ("pass the images file (its labels file is found beside it)" if want_ndim == 3
                   else "pass the labels file with labels=")
            )
        header = 4 + 4 * ndim
        sizes = f.read(4 * ndim)
        if len(sizes) < 4 * ndim:
            raise ValueError(
                f"{str(path)!r} is truncated: {4 + len(sizes)} bytes, shorter than its IDX header ({header})"
            )
        dims = tuple(int.from_bytes(sizes[4 * i:4 * i + 4], "big") for i in range(ndim))
        dtype = IDX_DTYPES[raw[2]]
        expected = header + math.prod(dims) * dtype.itemsize  # Python ints: no overflow
        if not f.gzipped and path.stat().st_size != expected:
            raise ValueError(
                f"{str(path)!r} is truncated or damaged: its header says {dims} values ({expected} bytes), but it "
                f"holds {path.stat().st_size} bytes: download or copy it again"
            )
        if count is not None and dims[0] != count:  # before the images are allocated
            raise ValueError(
                f"{str(path)!r} and {str(labels)!r}: {dims[0]} images but {count} labels: there must be exactly one "
                "label per image"
            )
        _check_claim(path, dims, dtype, repr(str(path)), images=want_ndim == 3)
        out = _read_exactly(f, np.empty(dims, dtype), path, f"{dims} values")
        if f.gzipped and f.read(1):
            raise ValueError(
                f"{str(path)!r} is damaged: it holds more data than its header's {dims} values ({expected} bytes): "
                "download or copy it again"
            )
    return out if dtype.isnative or dtype.itemsize == 1 else out.byteswap().view(dtype.newbyteorder("="))


def _idx_split(path: Path) -> str | None:
    stem = path.name.lower()
    return "train" if stem.startswith("train") else "test" if stem.startswith(("t10k", "test")) else None


def _labels_beside(images: Path) -> Path | None:
    """The labels file beside an images file, by the standard naming (images->labels, idx3->idx1)."""
    base = images.name[:-3] if images.name.endswith(".gz") else images.name
    base = base.replace("images", "labels").replace("idx3", "idx1")
    for candidate in (base, base + ".gz", base.replace("-idx1", ".idx1"), base.replace("-idx1", ".idx1") + ".gz"):
        if candidate != images.name and (images.parent / candidate).is_file():
            return images.parent / candidate
    return None


def _idx_default_classes(path: Path) -> Sequence[str] | None:
    return FASHION_CLASSES if "fashion" in str(path.absolute()).lower() else None


def _load_idx_file(path: Path, labels: Path | None, classes, data_range=None) -> Dataset:
    with _Budget(path) as f:
        if f.read(4)[3:] != b"\x03":
            _read_idx(path, 3)  # not an images file: its error names the magic number found
    if labels is None:
        labels = _labels_beside(path)
        if labels is None:
            base = path.name.replace("images", "labels").replace("idx3", "idx1")
            raise FileNotFoundError(
                f"{str(path)!r} is an IDX images file, but no labels file was found beside it (looked for "
                f"{base!r} and its .gz): pass labels='path/to/labels-idx1-ubyte'"
            )
    y = _read_idx(labels, 1)  # the small file first: its count and values are checked before the images
    images = _read_idx(path, 3, len(y), labels)
    return _combine([(_idx_split(path), images, y, f"{str(path)!r} and {str(labels)!r}")], path,
                    path.name.split(".")[0], classes, _idx_default_classes(path), data_range)


def _idx_files_in(folder: Path) -> dict[str, tuple[Path, Path | None]]:
    """split -> (images file, labels file or None) for the standard IDX names present in ``folder``."""
    found = {}
    for split, (images, labels) in IDX_NAMES.items():
        for candidate in (images, images + ".gz", images.replace("-idx3", ".idx3"),
                          images.replace("-idx3", ".idx3") + ".gz"):
            if (folder / candidate).is_file():
                found[split] = (folder / candidate, _labels_beside(folder / candidate))
                break
    return found


def _load_idx_folder(folder: Path, files: dict, classes, data_range=None) -> Dataset:
    parts = []
    for split, (images_path, labels_path) in files.items():
        if labels_path is None:
            raise FileNotFoundError(
                f"{str(folder)!r}: found {images_path.name!r} but not its labels file "
                f"{IDX_NAMES[split][1]!r} (or .gz): put it beside the images file"
            )
        y = _read_idx(labels_path, 1)
        images = _read_idx(images_path, 3, len(y), labels_path)
        parts.append((split, images, y, f"{str(images_path)!r} and {str(labels_path)!r}"))
    return _combine(parts, folder, folder.name, classes, _idx_default_classes(folder), data_range)


# --------------------------------------------------------------------------- folder of images


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)


_LUMA = "L = 0.299 R + 0.587 G + 0.114 B"


def _read_grey(file: Path) -> tuple[np.ndarray, str]:
    """One image file as a 2-D grey array in its own dtype and range, and how it was read.

    8-bit files give uint8; Pillow's 16-bit ("I;16"), 32-bit integer ("I") and float ("F") modes
    keep their dtype and values (never clipped to 0..255), so the folder's stack is normalised by
    the rules of :func:`to_unit`. Colour becomes grey with ITU-R 601 luma; transparent pixels
    (RGBA, LA, PA, or a palette with a transparent colour) are first composited onto white, as
    image viewers show them, so a black glyph on a transparent background stays visible.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError("reading a folder of images needs Pillow (pip install pillow)") from None
    try:
        with open(file, "rb") as f, Image.open(f) as im:
            im.load()
            mode = im.mode
            if mode.startswith("I;16"):
                return np.asarray(im).astype(np.uint16), "16-bit grey"
            if mode == "I":
                return np.asarray(im).astype(np.int32), "32-bit integer grey"
            if mode == "F":
                return np.asarray(im).astype(np.float32), "32-bit float grey"
            if mode in ("L", "1"):
                return np.asarray(im.convert("L")), "8-bit grey"
            if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
                rgba = im.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                grey = Image.alpha_composite(white, rgba).convert("L")
                return np.asarray(grey), f"{mode} with transparency composited onto white, converted to grey ({_LUMA})"
            return np.asarray(im.convert("L")), f"{mode} converted to grey ({_LUMA})"
    except (OSError, ValueError, SyntaxError) as exc:
        raise ValueError(f"cannot read the image {str(file)!r} ({exc}): is it a valid image file?") from None


def _load_image_folder(folder: Path, classes, data_range=None) -> Dataset:
    sub_folders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files_in = {d: _image_files(d) for d in sub_folders}  # each folder listed once
    class_dirs = [d for d in sub_folders if files_in[d]]
    if class_dirs:
        empty = [d.name for d in sub_folders if not files_in[d]]
        if empty:
            raise ValueError(
                f"{str(folder)!r}: the class folder{'s' if len(empty) > 1 else ''} {', '.join(map(repr, empty))} "
                f"hold{'' if len(empty) > 1 else 's'} no image files ({', '.join(sorted(IMAGE_SUFFIXES))}): "
                "add its images, or move it out of the data folder"
            )
        groups = [(d.name, files_in[d]) for d in class_dirs]
    elif files := _image_files(folder):
        groups = [(folder.name, files)]
    else:
        raise ValueError(
            f"{str(folder)!r} holds neither MNIST IDX files "
            f"({', '.join(n for pair in IDX_NAMES.values() for n in pair)}, "
            f"optionally .gz) nor image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in sub-folders named by class: "
            "put each class's images in its own sub-folder"
        )
    images, labels, hows_of, by_shape, paths = [], [], [], {}, []
    for label, (_, files) in enumerate(groups):
        for file in files:
            image, how = _read_grey(file)
            paths.append(str(file.absolute()))
            images.append(image)
            labels.append(label)
            hows_of.append(how)
            by_shape.setdefault(image.shape, []).append(file)
    if len(by_shape) > 1:
        sizes = "; ".join(f"{h}x{w} ({len(files)} files, e.g. {files[0].relative_to(folder)})"
                          for (h, w), files in sorted(by_shape.items(), key=lambda kv: -len(kv[1])))
        raise ValueError(f"{str(folder)!r}: the images have different sizes: {sizes}: resize them to one size first")
    names = [name for name, _ in groups]
    if classes is not None:
        if len(classes) != len(names):
            raise ValueError(f"classes: {len(classes)} names given for {len(names)} class folders {names}")
        names = [str(c) for c in classes]
    # each kind of file (8-bit, 16-bit, 32-bit int, float) is mapped to [0, 1] as one stack, by its dtype
    unit = np.empty((len(images),) + images[0].shape, np.float32)
    steps = []
    for how in sorted(set(hows_of)):
        rows = [i for i, h in enumerate(hows_of) if h == how]
        unit[rows], scaled = to_unit(np.stack([images[i] for i in rows]), data_range, repr(str(folder)))
        steps.append(f"{how}: {scaled}")
    return Dataset(_frozen(unit), np.asarray(labels, np.int64), names, name=folder.name,
                   normalization="; ".join(steps), source=str(folder.absolute()), files=paths)
