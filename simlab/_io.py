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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._dataset import _SPLITS as SPLITS
from ._dataset import Dataset, _split_mask

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


# --------------------------------------------------------------------------- dispatch


def load_path(
    path: Path,
    *,
    split: str | None = None,
    labels: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
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
    raw = None if path.is_dir() else _read(path)  # read once, for the check below and the loader
    if labels is not None and (raw is None or not _is_idx(raw)):
        raise ValueError(f"labels= is only used with an IDX images file, not with {str(path)!r}: leave it out")
    ds = _load_folder(path, classes) if raw is None else _load_file(raw, path, labels, classes)
    return ds if split is None else ds[_split_mask(ds.split, split, repr(str(path)))]


def _read(path: Path) -> bytes:
    """The bytes of a regular file ``path``, un-gzipped if it is gzip data; clear errors for a damaged
    gzip, for something that is not a regular file, and for more than :data:`MAX_BYTES`.
    """
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a regular file (a folder, device, pipe or socket): pass a data file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(
            f"{str(path)!r} is {size / 2**30:.1f} GiB, more than simlab reads ({MAX_BYTES / 2**30:g} GiB): "
            "load a part of it yourself and pass the arrays to simlab.Dataset"
        )
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unzipped:
                raw = unzipped.read(MAX_BYTES + 1)
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(
                f"{str(path)!r} is a truncated or damaged gzip file ({exc}): download or copy it again"
            ) from None
        if len(raw) > MAX_BYTES:
            raise ValueError(
                f"{str(path)!r} un-gzips to more than {MAX_BYTES / 2**30:g} GiB, more than simlab reads: "
                "load a part of it yourself and pass the arrays to simlab.Dataset"
            )
    return raw


def _is_idx(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[:2] == b"\x00\x00" and raw[2] in IDX_DTYPES


def _load_file(raw: bytes, path: Path, labels: Path | None, classes: Sequence[str] | None) -> Dataset:
    suffixes = [s.lower() for s in path.suffixes]
    name = path.name.split(".")[0] or path.name
    if raw[:6] == b"\x93NUMPY":
        return _load_npy(raw, path, name, classes)
    if raw[:4] == b"PK\x03\x04":
        return _load_npz(raw, path, name, classes)
    if (raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or {".pickle", ".pkl"} & set(suffixes):
        return _load_pickle(raw, path, name, classes)
    if _is_idx(raw):
        return _load_idx_file(raw, path, labels, classes)
    if suffixes and suffixes[-1] in IMAGE_SUFFIXES:
        raise ValueError(
            f"{str(path)!r} is a single image: load it with e.g. matplotlib.pyplot.imread, or put images in a "
            "folder with one sub-folder per class and pass the folder"
        )
    raise ValueError(
        f"{str(path)!r} is not a data file simlab can read (it starts with bytes {raw[:8]!r}): pass an IDX file "
        "(MNIST / Fashion-MNIST, raw or .gz), an .npz or .npy file, a notMNIST pickle, or a folder of images"
    )


def _load_folder(path: Path, classes: Sequence[str] | None) -> Dataset:
    idx = _idx_files_in(path)
    if idx:
        return _load_idx_folder(path, idx, classes)
    return _load_image_folder(path, classes)


# --------------------------------------------------------------------------- arrays -> Dataset


def _check_stack(x: Any, where: str) -> np.ndarray:
    """An (N, H, W) stack (a trailing channel axis of 1 is dropped), or a clear error."""
    x = _as_array(x, where, "images")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
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


def _to_unit(x: np.ndarray, where: str) -> tuple[np.ndarray, str]:
    """Map a checked stack's values to float32 in [0, 1]; say how.

    Rules: bool -> 0/1; integers (signed or unsigned alike, judged by the values of the whole
    stack): all in 0..255 -> / 255 (8-bit values, possibly in a wider type), else all in
    0..65535 -> / 65535 (16-bit values), else (x - dtype min) / (dtype max - dtype min), the
    dtype's span; floats in [0, 1] -> kept; floats in [-0.5, 0.5] with negatives (notMNIST) ->
    + 0.5; other floats -> min-max over the whole stack (not per image), with the numbers recorded.
    """
    kind = x.dtype.kind
    if kind == "b":
        return x.astype(np.float32), "bool as 0 / 1"
    lo, hi = x.min(), x.max()
    if kind in "iu":
        for top, bits in ((255, 8), (65535, 16)):
            if lo >= 0 and hi <= top:
                native = x.dtype.itemsize * 8 == bits and kind == "u"
                how = f"{x.dtype} / {top}" if native else f"{x.dtype} holding {bits}-bit values 0..{top} / {top}"
                return (x.astype(np.float64) / top).astype(np.float32), how
        info = np.iinfo(x.dtype)
        span = float(info.max) - float(info.min)
        unit = ((x.astype(np.float64) - float(info.min)) / span).astype(np.float32)
        return unit, (f"{x.dtype} / {info.max} (its dtype's span)" if info.min == 0
                      else f"{x.dtype} (x - {info.min}) / {span:.0f} (its dtype's span)")
    if kind == "f":
        if not np.isfinite(lo) or not np.isfinite(hi):
            raise ValueError(f"{where}: images contain NaN or infinite values: replace them first (np.nan_to_num)")
        if lo >= 0 and hi <= 1:
            return x.astype(np.float32), f"{x.dtype} in [0, 1], kept"
        if -0.5 <= lo < 0 and hi <= 0.5:
            return (x.astype(np.float32) + np.float32(0.5)).clip(0, 1), "notMNIST [-0.5, 0.5] shifted by +0.5"
    span = float(hi) - float(lo)
    if span == 0:
        return np.zeros(x.shape, np.float32), f"{x.dtype} constant {float(lo):g}, set to 0"
    unit = ((x.astype(np.float64) - float(lo)) / span).astype(np.float32)
    return unit, f"{x.dtype} min-max over all images: (x - {float(lo):g}) / ({float(hi):g} - {float(lo):g})"


def _labels_and_classes(y: Any, n: int, where: str, classes: Sequence[str] | None,
                        default: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Labels (one per image, counted by the caller) as int64 0..K-1 and K class names.

    ``y=None`` means unlabelled: every label 0, one class "unlabelled". String labels become
    sorted class names; negative integer codes are renumbered and named by their values.
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
        return index.astype(np.int64), list(classes) if classes is not None else names.tolist()
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{where}: labels must be whole numbers, got non-integer values such as "
                             f"{y[y != np.round(y)][:3]}")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"{where}: labels must be integers or strings, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:  # arbitrary integer codes: name each class by its value
        values, index = np.unique(y, return_inverse=True)
        return index.astype(np.int64), list(classes) if classes is not None else [str(v) for v in values]
    k = int(y.max()) + 1 if y.size else 0
    if classes is not None:
        if len(classes) < k:
            raise ValueError(f"classes: {len(classes)} names given, but the labels go up to {k - 1}: give {k} names")
        return y, [str(c) for c in classes]
    if default is not None and k <= len(default):
        return y, list(default)
    return y, [str(i) for i in range(k)]


def _combine(parts: list, path: Path, name: str, classes, default_classes=None) -> Dataset:
    """One Dataset from parts ``(split, images, labels, where)``: checked, concatenated, normalised.

    ``split`` is a split name for the whole part, an array of one name per image, or None;
    ``labels`` is None for unlabelled images; ``where`` names the part in error messages.
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
    unit, how = _to_unit(stacks[0] if len(stacks) == 1 else np.concatenate(stacks), where)
    labels = None if not ys else ys[0] if len(ys) == 1 else np.concatenate(ys)
    y, names = _labels_and_classes(labels, len(unit), where, classes, default_classes)
    split = None if any(s is None for s in splits) else np.concatenate(splits)
    return Dataset(unit, y, names, name=name, split=split, normalization=how, source=str(path.absolute()))


# --------------------------------------------------------------------------- .npy / .npz / pickle


def _load_npy(raw: bytes, path: Path, name: str, classes) -> Dataset:
    try:
        x = np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{str(path)!r}: cannot read this .npy file ({exc}); simlab never unpickles objects") from None
    return _combine([(None, x, None, repr(str(path)))], path, name, classes)


def _load_npz(raw: bytes, path: Path, name: str, classes) -> Dataset:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > MAX_BYTES:
            raise ValueError(
                f"{str(path)!r} un-zips to {unzipped / 2**30:.1f} GiB, more than simlab reads "
                f"({MAX_BYTES / 2**30:g} GiB): load a part of it yourself and pass the arrays to simlab.Dataset"
            )
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            mapping = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise ValueError(f"{str(path)!r} is a truncated or damaged .npz file ({exc}): write or copy it again") from None
    except ValueError as exc:
        raise ValueError(
            f"{str(path)!r}: cannot read an array in this .npz ({exc}); simlab never unpickles objects: "
            "store images and labels as numeric (or string) arrays"
        ) from None
    return _from_mapping(mapping, path, name, classes, ".npz")


def _first(mapping: dict, keys: Sequence[str]) -> str | None:
    return next((k for k in keys if k in mapping), None)


def _from_mapping(mapping: dict, path: Path, name: str, classes, kind: str) -> Dataset:
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
            path, name, classes, LETTERS if notmnist else None,
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
                    path, name, classes)


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


class _SafeUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers, and refuses every other global.

    A pickle runs code by naming a callable (``os.system``, ``builtins.open``, ...) that the
    unpickler looks up with ``find_class``; here only the entries of ``_allowed_globals()`` are found.
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


def _load_pickle(raw: bytes, path: Path, name: str, classes) -> Dataset:
    where = repr(str(path))
    try:
        obj = _SafeUnpickler(io.BytesIO(raw), where).load()
    except pickle.UnpicklingError as exc:
        if "refused" in str(exc):
            if str(exc).startswith(where):
                raise
            raise pickle.UnpicklingError(f"{where}: {exc}") from None
        raise ValueError(f"{where} is not a readable pickle ({exc}): is it truncated? copy it again") from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as exc:
        raise ValueError(f"{where} is not a readable pickle ({type(exc).__name__}: {exc}): is it truncated?") from None
    if not isinstance(obj, dict):
        raise ValueError(
            f"{where}: expected a pickled dict of arrays (notMNIST: train_dataset, train_labels, ...), "
            f"got {type(obj).__name__}"
        )
    return _from_mapping({str(k): v for k, v in obj.items()}, path, name, classes, "pickle")


# --------------------------------------------------------------------------- IDX


def _parse_idx(raw: bytes, path: Path, want_ndim: int) -> np.ndarray:
    """One IDX array: magic 00 00 <dtype> <ndim>, big-endian uint32 sizes, then the data."""
    want = "0x00000803 (an images file)" if want_ndim == 3 else "0x00000801 (a labels file)"
    magic = int.from_bytes(raw[:4].ljust(4, b"\0"), "big")
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
    if len(raw) < header:
        raise ValueError(f"{str(path)!r} is truncated: {len(raw)} bytes, shorter than its IDX header ({header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, offset=4))
    dtype = IDX_DTYPES[raw[2]]
    expected = header + math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    if len(raw) != expected:
        raise ValueError(
            f"{str(path)!r} is truncated or damaged: its header says {dims} values ({expected} bytes), but it holds "
            f"{len(raw)} bytes: download or copy it again"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


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


def _load_idx_file(raw: bytes, path: Path, labels: Path | None, classes) -> Dataset:
    images = _parse_idx(raw, path, 3)
    if labels is None:
        labels = _labels_beside(path)
        if labels is None:
            base = path.name.replace("images", "labels").replace("idx3", "idx1")
            raise FileNotFoundError(
                f"{str(path)!r} is an IDX images file, but no labels file was found beside it (looked for "
                f"{base!r} and its .gz): pass labels='path/to/labels-idx1-ubyte'"
            )
    y = _parse_idx(_read(labels), labels, 1)
    return _combine([(_idx_split(path), images, y, f"{str(path)!r} and {str(labels)!r}")], path,
                    path.name.split(".")[0], classes, _idx_default_classes(path))


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


def _load_idx_folder(folder: Path, files: dict, classes) -> Dataset:
    parts = []
    for split, (images_path, labels_path) in files.items():
        if labels_path is None:
            raise FileNotFoundError(
                f"{str(folder)!r}: found {images_path.name!r} but not its labels file "
                f"{IDX_NAMES[split][1]!r} (or .gz): put it beside the images file"
            )
        parts.append((split, _parse_idx(_read(images_path), images_path, 3),
                      _parse_idx(_read(labels_path), labels_path, 1),
                      f"{str(images_path)!r} and {str(labels_path)!r}"))
    return _combine(parts, folder, folder.name, classes, _idx_default_classes(folder))


# --------------------------------------------------------------------------- folder of images


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)


_LUMA = "L = 0.299 R + 0.587 G + 0.114 B"


def _read_grey(file: Path) -> tuple[np.ndarray, str]:
    """One image file as a 2-D grey array in its own dtype and range, and how it was read.

    8-bit files give uint8; Pillow's 16-bit ("I;16"), 32-bit integer ("I") and float ("F") modes
    keep their dtype and values (never clipped to 0..255), so the folder's stack is normalised by
    the rules of :func:`_to_unit`. Colour becomes grey with ITU-R 601 luma; transparent pixels
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


def _load_image_folder(folder: Path, classes) -> Dataset:
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
        unit[rows], scaled = _to_unit(np.stack([images[i] for i in rows]), repr(str(folder)))
        steps.append(f"{how}: {scaled}")
    return Dataset(unit, np.asarray(labels, np.int64), names, name=folder.name,
                   normalization="; ".join(steps), source=str(folder.absolute()), files=paths)
