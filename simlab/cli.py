"""The simlab command line: compare two images, find an image's nearest neighbours, find duplicates.

Run ``simlab --help`` (or ``python -m simlab --help``). Three sub-commands:

``simlab compare A B``
    every metric of :data:`simlab.METRICS` (or those named with ``--metric``) for one pair, as a
    table with the direction that means "more similar"; ``--figure out.png`` saves the two images,
    their difference and the SSIM map.
``simlab rank QUERY``
    the ``-k`` most similar images of a data set (``--dataset``, default ``letters``) by one metric,
    with their index, class and score.
``simlab duplicates A [B]``
    identical (``--exact``, by hashing) or near-identical images (``--metric``, ``--threshold``)
    within data set A or across A and B, best first, as a table, ``--json`` or ``--csv``; folder data
    sets list file names; ``--figure`` saves the first pairs and their differences
    (:func:`simlab.exact_duplicates`, :func:`simlab.near_duplicates`).

An image argument is either a file or a reference into a data set:

========================================  =====================================================
``photo.png``, ``scan.jpg``                an image file, converted to grey (ITU-R 601 luma,
                                           transparency composited onto white) and scaled to [0, 1]
``image.npy``                              a 2-D array saved with :func:`numpy.save`
``letters:12``, ``digits:5``               image 12 of a built-in data set
``letters:test:0``                         image 0 of the test split
``my_data.npz:3``                          image 3 of a data-set file (anything
                                           :func:`simlab.load_dataset` reads)
``notMNIST.pickle:test:0``                 image 0 of the test split of a notMNIST pickle
========================================  =====================================================

Data range. Every input, whichever way it arrives (an image file, a 2-D ``.npy``, a data-set
reference into a built-in, a file or a folder), is scaled to [0, 1] by simlab's one scaling rule,
:func:`simlab._io.to_unit`, the rule :func:`simlab.load_dataset` uses: ``--data-range R`` divides
every input by R (an input with values outside 0..R is refused); without it integers are judged by
their values (all in 0..255: / 255; in 0..65535: / 65535; int8 / int16 with negative values: by
their dtype's span), floats in [0, 1] are kept, notMNIST's [-0.5, 0.5] is shifted by 0.5, and other
floats need ``--data-range`` (a data set of them is min-max scaled as a whole). Every metric is
then computed on these images with ``data_range=1``, so the same pixels give the same numbers by
every route, and MSE is in units of the range squared.

Errors in what the user typed or in the files it names (a missing file, a bad reference, a shape
mismatch, an unknown metric, a bad number, ``--bins`` above MAX_BINS, a refused or damaged pickle, a
complex array, a ``--figure`` that is empty or a folder) print one line, ``simlab: error: ...``, to
stderr and exit with status 2. A bug in simlab itself shows its traceback (exit status 1). When the
reader of the output goes away (``simlab rank ... | head -1``) the command stops quietly; Ctrl-C
prints ``simlab: interrupted`` and exits with status 130 at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pickle
import re
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

__all__ = ["CLIError", "Operand", "build_parser", "load_operand", "main", "parse_dataset_argument"]

from ._io import IMAGE_SUFFIXES  # the one list of image suffixes, the folder loader's
from .information import MAX_BINS  # the one limit on bins, the Python API's

PROG = "simlab"

_EPILOG = """\
image arguments (A, B, QUERY):
  photo.png, scan.pgm        an image file (converted to grey)
  image.npy                  a 2-D array
  letters:12, digits:5       image 12 of a built-in data set; letters:test:0 for a split
  data.npz:3                 image 3 of a data-set file (.npz, .npy stack, IDX, folder)
  notMNIST.pickle:test:0     image 0 of the test split of a notMNIST pickle

data range (one rule for every input, as simlab.load_dataset):
  --data-range R             every input is divided by R (values outside 0..R: refused)
  integers                   all in 0..255: / 255; all in 0..65535: / 65535 (so an 8-bit PNG, a
                             16-bit PNG and an int64 .npy of the same values give the same numbers)
  floats                     in [0, 1]: kept; other floats need --data-range
  every metric is computed on these [0, 1] images with data_range=1

examples:
  simlab compare letters:0 letters:1
  simlab compare a.png b.png --figure pair.png
  simlab compare a.npy b.npy --data-range 255 --json --metric ssim pearson
  simlab rank letters:test:0 --dataset letters:train --metric pearson -k 5
  simlab rank my_digit.png --dataset digits --figure neighbours.png
  simlab duplicates overlap:train overlap:test --exact
  simlab duplicates notMNIST.pickle:train notMNIST.pickle:test --metric mse --threshold 0.005 --csv
"""


class CLIError(Exception):
    """A mistake in what the user typed: reported as one line, exit status 2."""


# what the loaders and the metrics' input checks raise for bad files and bad values: one line, exit 2
_USER_ERRORS = (ValueError, TypeError, KeyError, OSError, EOFError, pickle.UnpicklingError)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {_one_line(message)} (see '{self.prog} --help')\n")


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


# ---------------------------------------------------------------------------------------------------
# argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _bins(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_BINS:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_BINS} bins, got {value}: a 28x28 image has only 784 pixels, and more "
            "bins than pixels only add bias to mutual information"
        )
    return value


def _figure_path(text: str) -> Path:
    """``--figure``: a file name (``.png`` added when it has no suffix) in an existing folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name for the figure, e.g. --figure pair.png, got ''")
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is a folder: give a file name, e.g. --figure {os.path.join(text, 'figure.png')}"
        )
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} of {text!r} does not exist: create it first")
    return path if path.suffix else path.with_name(path.name + ".png")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _metric_name(text: str) -> str:
    from .metrics import METRICS

    if text not in METRICS:
        if any(ch in text for ch in ":./\\~"):  # an image argument read as a metric name
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a metric ({', '.join(METRICS)}): --metric/-m reads every word after it up to "
                f"the next option, so the images that follow it were taken as metric names; put the images "
                f"before it: simlab compare A B -m ssim"
            )
        raise argparse.ArgumentTypeError(f"unknown metric {text!r}: choose from {', '.join(METRICS)}")
    return text


def _win_size(text: str) -> int:
    value = _positive_int(text)
    if value < 3 or value % 2 == 0:
        raise argparse.ArgumentTypeError(
            f"expected an odd window side >= 3 (SSIM's default is 7), got {value}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``simlab`` (sub-commands ``compare`` and ``rank``).

    Returns
    -------
    argparse.ArgumentParser
        Its ``error`` prints one line, ``simlab: error: ...``, and exits with status 2.

    Examples
    --------
    >>> args = build_parser().parse_args(["rank", "letters:3", "-k", "5"])
    >>> args.command, args.query, args.k, args.metric, args.dataset
    ('rank', 'letters:3', 5, 'ssim', 'letters')
    """
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="Compare images with Pearson's r, mutual information, SSIM, MSE and PSNR, "
        "or find an image's nearest neighbours in a data set.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    compare = _add_command(
        commands, "compare", "every metric for two images, as a table",
        "Print every metric (or those named) for images A and B, with the direction that means "
        "'more similar'. All inputs are scaled to a common range of 1 first.",
    )
    compare.add_argument("a", metavar="A", help="first image: a file or a data-set reference")
    compare.add_argument("b", metavar="B", help="second image: a file or a data-set reference")
    compare.add_argument(
        "--metric", "-m", dest="metrics", metavar="NAME", type=_metric_name, nargs="+",
        action="extend", help="only these metrics (repeatable); default: all",
    )
    _add_common(compare)
    compare.add_argument(
        "--bins", type=_bins, default=None,
        help=f"histogram bins for mutual information, 1..{MAX_BINS} (default: simlab's, 16)",
    )
    _add_win_size(compare)
    compare.add_argument(
        "--figure", metavar="OUT.png", type=_figure_path,
        help="save the two images, their difference and the SSIM map to this file (.png added if it "
        "has no suffix)",
    )

    rank = _add_command(
        commands, "rank", "the nearest neighbours of an image in a data set",
        "Rank the images of a data set by their similarity to QUERY and print the k most similar, "
        "best first, with index, class and score.",
    )
    rank.add_argument("query", metavar="QUERY", help="the query image: a file or a data-set reference")
    rank.add_argument(
        "--dataset", "-d", default="letters",
        help="the data set to search: letters, digits, letters:test, a file or folder, "
        "or FILE:SPLIT (default: letters)",
    )
    rank.add_argument("--metric", "-m", default="ssim", type=_metric_name, help="default: ssim")
    rank.add_argument("-k", type=_positive_int, default=10, help="how many neighbours (default: 10)")
    _add_win_size(rank)
    _add_common(rank)
    rank.add_argument(
        "--figure", metavar="OUT.png", type=_figure_path,
        help="save the query and its neighbours to this file (.png added if it has no suffix)",
    )
    _add_duplicates(commands)
    return parser


def _add_command(commands: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    return commands.add_parser(
        name, help=summary, description=description, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_win_size(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--win-size", type=_win_size, default=None, metavar="N",
        help="SSIM's window side, odd, >= 3 (default 7); SSIM needs images at least NxN",
    )


def _add_common(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--data-range", type=_positive_float, default=None, metavar="R",
        help="the span the input values can take (255 for 0..255, 4095 for 12-bit): every input is divided "
        "by R; default: the rule below",
    )
    sub.add_argument(
        "--labels", metavar="FILE", default=None,
        help="the IDX labels file of an IDX images file whose labels file is not beside it under the "
        "standard name",
    )
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")


# ---------------------------------------------------------------------------------------------------
# image arguments


@dataclass
class Operand:
    """One image argument, loaded: the image scaled to [0, 1] by the one rule, and where it came from."""

    text: str
    image: np.ndarray
    source: str
    scaling: str = ""
    label: int | None = None
    class_name: str | None = None
    dataset: str | None = None
    split: str | None = None
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON description (without the pixels)."""
        return {
            "argument": self.text,
            "source": self.source,
            "dataset": self.dataset,
            "split": self.split,
            "index": self.index,
            "label": self.label,
            "class": self.class_name,
            "shape": list(self.image.shape),
            "scaling": self.scaling,
        }


def _looks_like_path(text: str) -> bool:
    return any(ch in text for ch in "/\\.~")


def _cli_words(message: Any) -> str:
    """A message of the Python API in the command line's words (``data_range=`` -> ``--data-range``)."""
    text = _one_line(message)
    text = re.sub(r"\bdata_range=([0-9][0-9.eE+-]*)", r"--data-range \1", text)
    text = re.sub(r"\bpass data_range\b", "pass --data-range", text)
    text = re.sub(r"\blabels='([^']*)'", r"--labels \1", text)
    text = re.sub(r"\b(leave|without) data_range\b", r"\1 --data-range", text)
    return text.replace("labels= is only used", "--labels is only used")


def _read_image_file(path: Path) -> np.ndarray:
    """A grey image from a PNG/JPEG/PGM/... file in its own dtype and values.

    Read as :func:`simlab.load_dataset` reads a folder of images: colour -> ITU-R 601 luma,
    transparency composited onto white, 16-bit and 32-bit values kept.
    """
    from ._io import _read_grey

    try:
        return _read_grey(path)[0]
    except ValueError as exc:
        raise CLIError(_one_line(exc)) from None


def _read_npy(path: Path, text: str) -> np.ndarray:
    """One 2-D image from a ``.npy`` file (its header checked before anything is allocated)."""
    from ._io import _Budget, _read_npy_stream

    try:
        with _Budget(path) as f:
            arr = _read_npy_stream(f, path, repr(text))
    except (OSError, EOFError) as exc:
        raise CLIError(f"cannot read {text!r} as a .npy array: {_one_line(exc)}") from None
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]  # (H, W, 1): one grey image with a channel axis
    elif arr.ndim == 3 and arr.shape[-1] <= 4 and arr.shape[0] >= 8:
        h, w, c = arr.shape
        todo = ("convert it to grey first and save that, e.g. np.save(path, skimage.color.rgb2gray(x))" if c >= 3
                else "save its first channel, x[..., 0]")
        raise CLIError(f"{text!r} holds one {'colour ' if c >= 3 else ''}image of {h}x{w} with {c} channels: {todo}")
    elif arr.ndim == 3:
        raise CLIError(
            f"{text!r} holds a stack of {arr.shape[0]} images of {arr.shape[1]}x{arr.shape[2]}: "
            f"pick one, e.g. {text}:0"
        )
    if arr.ndim == 2 and arr.dtype.kind == "c":
        raise CLIError(
            f"{text!r} holds complex numbers (dtype {arr.dtype}): similarity metrics need real images; "
            "save the real part or the magnitude, e.g. np.save(path, np.abs(x))"
        )
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise CLIError(
            f"{text!r} must hold one 2-D grey image, got an array of shape {arr.shape} and dtype {arr.dtype}"
        )
    return arr


def _split_reference(text: str) -> tuple[str, str | None, str]:
    """``SOURCE[:SPLIT]:INDEX`` -> (source, split, index text)."""
    head, sep, index = text.rpartition(":")
    if not sep and _looks_like_path(text):
        raise CLIError(f"no such file {text!r}")
    if not sep or not head:
        raise CLIError(
            f"{text!r} is neither an existing file nor a data-set reference such as letters:12, "
            "letters:test:0 or data.npz:3"
        )
    source, sep2, split = head.rpartition(":")
    if sep2 and source and split.isidentifier() and not Path(head).expanduser().exists():
        return source, split, index
    return head, None, index


def _open_dataset(source: str, split: str | None, what: str, data_range: float | None = None,
                  labels: str | None = None):
    from .datasets import BUILTINS, load_dataset

    if _looks_like_path(source) and not Path(source).expanduser().exists():
        raise CLIError(f"{what}: no such file or folder {source!r}")
    target = str(Path(source).expanduser()) if _looks_like_path(source) else source
    if target in BUILTINS:  # a built-in has its own labels (--labels is for an IDX images file)
        labels = None
    try:
        ds = load_dataset(target, labels=labels, data_range=data_range)
    except CLIError:
        raise
    except _USER_ERRORS as exc:
        raise CLIError(f"{what}: {_cli_words(exc)}") from None
    if split is None:
        return ds
    if ds.split is None:
        raise CLIError(
            f"{what}: {source!r} has no train/valid/test split, so ':{split}' cannot be chosen: "
            f"leave ':{split}' out"
        )
    present = list(dict.fromkeys(ds.split.tolist()))
    if split not in present:
        raise CLIError(f"{what}: unknown split {split!r} of {source!r}: choose one of {', '.join(present)}")
    return ds[ds.split == split]


def parse_dataset_argument(text: str, data_range: float | None = None, labels: str | None = None):
    """Load ``--dataset``: a built-in name, a file or folder, or ``NAME_OR_PATH:SPLIT``.

    Examples
    --------
    >>> ds = parse_dataset_argument("digits")
    >>> ds.images.shape[1:]
    (28, 28)
    """
    if Path(text).expanduser().exists() or ":" not in text:
        return _open_dataset(text, None, f"--dataset {text}", data_range, labels)
    source, _, split = text.rpartition(":")
    return _open_dataset(source, split or None, f"--dataset {text}", data_range, labels)


def load_operand(text: str, data_range: float | None = None, labels: str | None = None) -> Operand:
    """Load one image argument (a file or a data-set reference) and scale it to [0, 1] by the one rule.

    Parameters
    ----------
    text : str
        ``photo.png``, ``image.npy``, ``letters:12``, ``letters:test:0``, ``data.npz:3``,
        ``notMNIST.pickle:test:0``...
    data_range : float, optional
        The span the input's values can take (``--data-range``): the input is divided by it.
        Default: simlab's rule (:func:`simlab._io.to_unit`), as :func:`simlab.load_dataset` applies it.
    labels : str, optional
        The IDX labels file of a referenced IDX images file with a non-standard name (``--labels``).

    Returns
    -------
    Operand
        ``image`` is a float32 2-D array in [0, 1] (as a Dataset holds it), the same whichever way the
        pixels arrive.

    Raises
    ------
    CLIError
        For a missing file, a bad reference, an index out of range, a float array without range.

    Examples
    --------
    >>> op = load_operand("digits:5")
    >>> op.image.shape, op.scaling, op.index
    ((28, 28), 'uint8 / 255', 5)
    """
    from ._io import to_unit

    path = Path(text).expanduser()
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            raw = _read_image_file(path)
        elif suffix == ".npy":
            raw = _read_npy(path, text)
        else:
            raise CLIError(f"{text!r} is a data-set file: add the index of one image, e.g. {text}:0")
        try:
            unit, how = to_unit(raw[None], data_range, repr(text), single=True)
        except (ValueError, TypeError) as exc:
            raise CLIError(_cli_words(exc)) from None
        source = "image file" if suffix in IMAGE_SUFFIXES else "npy"
        return Operand(text=text, image=unit[0], source=source, scaling=how)
    if path.is_dir():
        raise CLIError(f"{text!r} is a folder: add the index of one of its images, e.g. {text}:0")

    source, split, index_text = _split_reference(text)
    try:
        index = int(index_text)
    except ValueError:
        raise CLIError(
            f"{text!r}: the part after the last ':' must be an image index (a whole number), "
            f"got {index_text!r}; e.g. letters:12"
        ) from None
    ds = _open_dataset(source, split, text, data_range, labels)
    if not 0 <= index < len(ds):
        raise CLIError(f"{text!r}: index {index} is out of range, {ds.name} has {len(ds)} images (0..{len(ds) - 1})")
    return Operand(
        text=text, image=ds[index], source="dataset", scaling=ds.normalization,
        dataset=ds.name, split=split, index=index, label=int(ds.labels[index]), class_name=str(ds.class_name(index)),
    )


def _divisors(note: str) -> set[float] | None:
    """What a scaling note (Operand.scaling, Dataset.normalization) divided the values by; None for min-max."""
    if "min-max" in note:
        return None
    # empty for floats in [0, 1] (kept), notMNIST's (shifted) and booleans: fractions of their range already
    return {float(d) for d in re.findall(r"/ (\d+(?:\.\d+)?)(?![\d.])", note) if "bool" not in note}


def _warn_if_scaled_apart(first: str, first_note: str, second: str, second_note: str) -> None:
    """Warn when two inputs were brought to [0, 1] by different divisors, or one by its min and max.

    The rule judges integers by their values, so a dark 16-bit image (all below 256) is divided by 255
    while a brighter one is divided by 65535: compared, they would be on two scales without a word.
    """
    notes = {first: first_note, second: second_note}
    for name, note in notes.items():
        if _divisors(note) is None:
            warnings.warn(f"{name} was min-max scaled ({note}), as its values carry no range: pass --data-range "
                          "(the span they can take) to compare it on a known scale", stacklevel=2)
    a, b = _divisors(first_note), _divisors(second_note)
    if a and b and not a & b:
        warnings.warn(
            f"{first} was scaled by {first_note!r} and {second} by {second_note!r}: if both hold values on one "
            "scale (e.g. both 16-bit), pass --data-range so both are divided by the same span", stacklevel=2
        )


def _check_ssim_fits(shape: tuple[int, ...], names: Sequence[str], win_size: int | None) -> None:
    """SSIM compares win_size x win_size windows: refuse images smaller than that, saying what to do."""
    if "ssim" not in names:
        return
    side = 7 if win_size is None else win_size
    if min(shape) >= side:
        return
    size = f"{shape[0]}x{shape[1]}"
    if min(shape) < 3:
        raise CLIError(
            f"SSIM needs images of at least 3x3 pixels (7x7 with its default window), these are {size}: "
            "leave ssim out, e.g. -m pearson mse"
        )
    largest = min(shape) - (1 - min(shape) % 2)
    raise CLIError(
        f"SSIM compares {side}x{side} windows, so it needs images of at least {side}x{side}; these are {size}: "
        f"pass --win-size {largest} (odd, >= 3), or leave ssim out (-m pearson mse ...)"
    )


# ---------------------------------------------------------------------------------------------------
# output


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}" if abs(value) < 1e5 else f"{value:.4e}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _short(text: str, width: int = 24) -> str:
    """A figure title for an argument: a path's file name (and index), cut to ``width``."""
    name = Path(text).name or text
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _save_figure(fig: Any, path: Path) -> str:
    try:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot save the figure to {str(path)!r}: {_one_line(exc)}") from None
    return str(path)


def _run_compare(args: argparse.Namespace) -> dict[str, Any]:
    from .comparison import compare
    from .metrics import METRICS

    a = load_operand(args.a, args.data_range, args.labels)  # --labels: for a referenced IDX images file
    b = load_operand(args.b, args.data_range, args.labels)
    if a.image.shape != b.image.shape:
        raise CLIError(
            f"A and B must have the same shape, got {a.image.shape} ({args.a}) and {b.image.shape} "
            f"({args.b}): crop or resize one of them first"
        )
    names = list(dict.fromkeys(args.metrics)) if args.metrics else list(METRICS)
    _check_ssim_fits(a.image.shape, names, args.win_size)
    if args.data_range is None:
        _warn_if_scaled_apart(f"A ({args.a})", a.scaling, f"B ({args.b})", b.scaling)
    extra = {} if args.bins is None else {"bins": args.bins}
    figure = args.figure is not None
    # every metric on the images as the one scaling rule gives them, so the same pixels give the same
    # numbers by every route; with --figure also what the panel draws (SSIM map, MSE, joint histogram),
    # each computed once
    wanted = names + [n for n in ("ssim", "mse", "mutual_information") if figure and n not in names]
    own_window = args.win_size is not None and "ssim" in wanted  # SSIM with --win-size, computed apart
    rest = [n for n in wanted if not (own_window and n == "ssim")]
    pieces = compare(a.image, b.image, data_range=1.0, metrics=rest or ["mse"], **extra)
    if own_window:
        from .structural import ssim

        value, ssim_map = ssim(a.image, b.image, data_range=1.0, win_size=args.win_size, full=True)
        pieces = replace(pieces, values={**pieces.values, "ssim": value}, ssim_map=ssim_map)
    values = pieces.values
    result = {
        "command": "compare",
        "a": a.as_dict(),
        "b": b.as_dict(),
        "data_range": 1.0,
        "bins": args.bins,
        "metrics": {
            name: {"value": _number(values[name]), "text": _fmt(values[name]), "more_similar": METRICS[name].direction}
            for name in names
        },
        "figure": None,
    }
    if args.figure is not None:
        from .figures import pair_panel

        fig = pair_panel(a.image, b.image, data_range=1.0, comparison=pieces, titles=(_short(a.text), _short(b.text)))
        result["figure"] = _save_figure(fig, args.figure)
    return result


def _print_compare(result: dict[str, Any]) -> None:
    print(f"A: {result['a']['argument']}" + _who(result["a"]))
    print(f"B: {result['b']['argument']}" + _who(result["b"]))
    print("(both scaled to a common range of 1: data_range=1, MSE in units of the range squared)\n")
    from .comparison import metric_table

    print(metric_table({name: m["text"] for name, m in result["metrics"].items()}))
    if result["figure"]:
        print(f"\nfigure saved to {result['figure']}")


def _who(info: dict[str, Any]) -> str:
    cls = f", class {info['class']}" if info["class"] is not None else ""
    return f"  ({info['shape'][0]}x{info['shape'][1]}{cls})"


def _run_rank(args: argparse.Namespace) -> dict[str, Any]:
    from .batch import rank
    from .metrics import METRICS

    query = load_operand(args.query, args.data_range)
    ds = parse_dataset_argument(args.dataset, args.data_range, args.labels)
    if tuple(ds.images.shape[1:]) != query.image.shape:
        raise CLIError(
            f"QUERY {args.query!r} is {query.image.shape[0]}x{query.image.shape[1]} but the images of "
            f"{args.dataset!r} are {ds.images.shape[1]}x{ds.images.shape[2]}: resize the query first"
        )
    k = min(args.k, len(ds))
    _check_ssim_fits(query.image.shape, [args.metric], args.win_size)
    if args.data_range is None:
        _warn_if_scaled_apart(f"QUERY ({args.query})", query.scaling, f"the data set ({args.dataset})",
                              ds.normalization)
    options = {} if args.win_size is None or args.metric != "ssim" else {"win_size": args.win_size}
    found = rank(query.image, ds, metric=args.metric, k=k, progress=False, **options)
    neighbours = [
        {
            "rank": r + 1,
            "index": int(i),
            "label": int(ds.labels[i]),
            "class": str(ds.class_name(int(i))),
            "score": _number(s),
            "text": _fmt(s),
        }
        for r, (i, s) in enumerate(zip(found.indices, found.scores))
    ]
    result = {
        "command": "rank",
        "query": query.as_dict(),
        "dataset": {"argument": args.dataset, "name": ds.name, "size": len(ds)},
        "metric": args.metric,
        "more_similar": METRICS[args.metric].direction,
        "k": k,
        "neighbours": neighbours,
        "figure": None,
    }
    if args.figure is not None:
        from .figures import neighbours_panel

        fig = neighbours_panel(
            query.image, ds.images[np.asarray(found.indices)], [n["class"] for n in neighbours],
            np.asarray(found.scores, dtype=float), metric=args.metric, query_title=_short(args.query),
            title=f"the {k} nearest of {len(ds)} images in {_short(args.dataset)} by {args.metric}",
        )
        result["figure"] = _save_figure(fig, args.figure)
    return result


def _print_rank(result: dict[str, Any]) -> None:
    q, d = result["query"], result["dataset"]
    print(f"query: {q['argument']}" + _who(q))
    print(
        f"the {result['k']} nearest of {d['size']} images in {d['argument']} by {result['metric']} "
        f"({result['more_similar']} is more similar)\n"
    )
    rows = [(str(n["rank"]), str(n["index"]), n["class"], n["text"]) for n in result["neighbours"]]
    print(_table(["rank", "index", "class", result["metric"]], rows))
    if result["figure"]:
        print(f"\nfigure saved to {result['figure']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0, or 2 for a user error).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success. A user error prints ``simlab: error: ...`` (one line) to stderr and returns 2.

    Examples
    --------
    >>> main(["compare", "digits:0", "digits:0", "--metric", "pearson", "--json"])  # doctest: +ELLIPSIS
    {...
    0
    """
    args = build_parser().parse_args(argv)
    with _exit_on_interrupt():
        return _main(args)


def _on_interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C: one line and exit status 130 at once (the metric's worker threads are not waited for)."""
    try:
        sys.stderr.write(f"{PROG}: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(128 + signal.SIGINT)


@contextlib.contextmanager
def _exit_on_interrupt() -> Iterator[None]:
    """While a command runs, Ctrl-C stops it with one line and status 130 (not a traceback)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield  # signals only reach the main thread; a Ctrl-C its parent told it to ignore stays ignored
        return
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _main(args: argparse.Namespace) -> int:
    run, printer = {"compare": (_run_compare, _print_compare), "rank": (_run_rank, _print_rank),
                    "duplicates": (_run_duplicates, _print_duplicates)}[args.command]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = run(args)
        # CLIError: what the user typed; the others: the loaders' and the library's input checks
        except (CLIError, *_USER_ERRORS) as exc:
            print(f"{PROG}: error: {_cli_words(exc)}", file=sys.stderr)
            return 2
        except MemoryError:
            todo = ("use a smaller data set (e.g. its test split, --dataset NAME:test)" if args.command == "rank"
                    else "use smaller images" + (" or fewer --bins" if getattr(args, "bins", None) else ""))
            print(f"{PROG}: error: out of memory while running {args.command}: {todo}", file=sys.stderr)
            return 2
        # anything else is a bug in simlab: its traceback is shown (exit status 1)
    for message in dict.fromkeys(_one_line(w.message) for w in caught):
        print(f"{PROG}: warning: {message}", file=sys.stderr)
    try:
        if args.json:
            print(json.dumps(result, indent=2, allow_nan=False))
        elif getattr(args, "csv", False):
            _print_duplicates_csv(result)
        else:
            printer(result)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `simlab rank ... | head -1`: the reader has gone, stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
        return 1
    return 0


# ---------------------------------------------------------------------------------------------------
# simlab duplicates A [B]: exact or near duplicates within one data set or across two


def _add_duplicates(commands: Any) -> None:
    dups = _add_command(
        commands, "duplicates", "exact or near-duplicate images within a data set or across two",
        "Find the pairs of identical (--exact) or near-identical images within data set A, or across A "
        "and B (i in A, j in B), best first. A and B are data sets: a built-in name (overlap, "
        "letters:test), a file (.npz, .npy stack, IDX, notMNIST pickle), a folder of images, or "
        "FILE:SPLIT such as notMNIST.pickle:test. Near duplicates: the metric's score past the "
        "threshold (MSE <= T, the others >= T).",
    )
    dups.add_argument("a", metavar="A", help="a data set: name, file, folder, or FILE:SPLIT")
    dups.add_argument("b", metavar="B", nargs="?", default=None,
                      help="a second data set: pairs across A and B (default: within A)")
    dups.add_argument("--metric", "-m", default="mse", type=_metric_name, help="default: mse")
    dups.add_argument("--threshold", "-t", type=_finite_float, default=None, metavar="T",
                      help="default: simlab.duplicates.THRESHOLDS (mse 0.005, pearson 0.98, ssim 0.95, ...)")
    dups.add_argument("--exact", action="store_true", help="identical pixels only (hashing; no metric)")
    dups.add_argument("-n", type=_positive_int, default=20, help="pairs in the printed table (default: 20)")
    output = dups.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (every pair) instead of a table")
    output.add_argument("--csv", action="store_true", help="print CSV (every pair) instead of a table")
    dups.add_argument("--figure", metavar="OUT.png", type=_figure_path,
                      help="save the first pairs side by side with their difference to this file")


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _duplicates_operand(text: str, what: str):
    """A data set argument of ``duplicates``: as ``--dataset`` (NAME, FILE, FOLDER, or SOURCE:SPLIT)."""
    if Path(text).expanduser().exists() or ":" not in text:
        return _open_dataset(text, None, f"{what} {text}")
    source, _, split = text.rpartition(":")
    return _open_dataset(source, split or None, f"{what} {text}")


def _run_duplicates(args: argparse.Namespace) -> dict[str, Any]:
    from .duplicates import exact_duplicates, near_duplicates

    if args.exact and (args.threshold is not None or args.metric != "mse"):
        raise CLIError("--exact finds identical images and takes no --metric or --threshold: leave them out, "
                       "or drop --exact for near duplicates")
    ds_a = _duplicates_operand(args.a, "A")
    ds_b = None if args.b is None else _duplicates_operand(args.b, "B")
    if ds_b is not None and ds_a.images.shape[1:] != ds_b.images.shape[1:]:
        shape_a, shape_b = ("x".join(map(str, d.images.shape[1:])) for d in (ds_a, ds_b))
        raise CLIError(f"the images of A ({args.a!r}, {shape_a}) and B ({args.b!r}, {shape_b}) must have the "
                       "same size: resize one set first")
    if args.exact:
        found = exact_duplicates(ds_a, ds_b)
    else:
        found = near_duplicates(ds_a, ds_b, metric=args.metric, threshold=args.threshold)
    other = ds_a if ds_b is None else ds_b
    files_a, files_b = getattr(ds_a, "files", None), getattr(other, "files", None)
    pairs = []
    for (i, j), score in zip(found.pairs.tolist(), found.scores.tolist()):
        pairs.append({
            "i": i, "j": j, "score": _number(score), "text": _fmt(score),
            "class_i": ds_a.class_name(i), "class_j": other.class_name(j),
            "file_i": None if files_a is None else str(files_a[i]),
            "file_j": None if files_b is None else str(files_b[j]),
        })
    result = {
        "command": "duplicates",
        "a": {"argument": args.a, "name": ds_a.name, "size": len(ds_a)},
        "b": None if ds_b is None else {"argument": args.b, "name": ds_b.name, "size": len(ds_b)},
        "method": "exact" if args.exact else args.metric,
        "threshold": found.threshold,
        "more_similar": found.direction,
        "counts": found.counts(),
        "pairs": pairs,
        "shown": args.n,
        "figure": None,
    }
    if args.figure is not None:
        from .gallery import pairs_figure

        fig = pairs_figure(ds_a.images, other.images, found, k=8)
        result["figure"] = _save_figure(fig, args.figure)
    return result


def _print_duplicates(result: dict[str, Any]) -> None:
    a, b, c = result["a"], result["b"], result["counts"]
    print(f"A: {a['argument']} ({a['size']} images)")
    if b is not None:
        print(f"B: {b['argument']} ({b['size']} images)")
    if result["method"] == "exact":
        rule = "identical pixels"
    else:
        rule = f"{result['method']} {'<=' if result['more_similar'] == 'lower' else '>='} {result['threshold']:g}"
    if b is None:
        who = f"{c['images']} of the {a['size']} images have a copy in the set"
    else:
        who = f"{c['b']} of the {b['size']} images of B have a copy in A ({c['a']} images of A)"
    print(f"{rule}: {c['pairs']} pairs; {who}; {c['groups']} groups of copies\n")
    if not result["pairs"]:
        return
    shown = result["pairs"][: result["shown"]]
    with_files = any(p["file_i"] or p["file_j"] for p in shown)
    header = ["rank", "i", "j", "score", "class i", "class j"] + (["file i", "file j"] if with_files else [])
    rows = [[str(r + 1), str(p["i"]), str(p["j"]), p["text"], p["class_i"], p["class_j"]]
            + ([_short(p["file_i"] or "", 40), _short(p["file_j"] or "", 40)] if with_files else [])
            for r, p in enumerate(shown)]
    print(_table(header, rows))
    if len(result["pairs"]) > len(shown):
        print(f"... the first {len(shown)} of {len(result['pairs'])} pairs (-n N for more; --json or --csv for all)")
    if result["figure"]:
        print(f"\nfigure saved to {result['figure']}")


def _print_duplicates_csv(result: dict[str, Any]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["i", "j", "score", "class_i", "class_j", "file_i", "file_j"])
    for p in result["pairs"]:
        writer.writerow([p["i"], p["j"], repr(p["score"]) if p["score"] is not None else "nan",
                         p["class_i"], p["class_j"], p["file_i"] or "", p["file_j"] or ""])
