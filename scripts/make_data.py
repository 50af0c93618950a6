"""Generate simlab's embedded data sets: ``data/letters.npz``, ``data/digits.npz`` and ``data/overlap.npz``.

Run from the repository root::

    python scripts/make_data.py            # writes data/letters.npz, data/digits.npz and data/overlap.npz
    python scripts/make_data.py --sheet /tmp/fonts.png --grid /tmp/letters.png   # pictures to look at

The output is deterministic: the same bytes on every run with the same matplotlib (fonts are
matplotlib's own bundled files, opened by path; no system fonts), NumPy and scikit-image.

letters
    notMNIST-style letters A-J: each glyph is an outline from one of matplotlib's bundled fonts
    (``FONTS``), sheared, rotated, stretched, scaled and shifted by parameters drawn from a seeded
    ``numpy.random.default_rng``, filled (and optionally outlined, to vary the stroke weight) with
    Agg at 4x resolution and box-averaged down to 28x28: a bright glyph on a black background.
overlap
    letters drawn the same way (their own seed), whose train/valid/test splits overlap as
    notMNIST's do: exact copies of the same render and near-identical re-renders (1 px shift,
    heavier stroke, coarser anti-aliasing, dimmer glyph), with ``source`` and ``copy`` recording
    which image copies which (``OVERLAP_COPIES``).
digits
    scikit-learn's copy of the UCI handwritten digits (1,797 images, 8x8, values 0..16), resized to
    20x20 with ``skimage.transform.resize`` (bicubic), scaled to 0..255 and padded to 28x28 (as
    MNIST centres its digits in a 20x20 box).

Every image's parameters are stored beside it, so ``render_letter`` can redraw any single image
(``tests/test_datasets.py`` redraws a few and compares them with the shipped ones).
"""

from __future__ import annotations

import argparse
import io
import json
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

SEED_LETTERS = 20240611
SEED_DIGITS = 17
LETTERS = "ABCDEFGHIJ"
SIZE = 28  # output frame, pixels
SUPERSAMPLE = 4  # render at 4x, then box-average down
DIGIT_BOX = 20  # digits: the 8x8 image becomes a 20x20 box in the 28x28 frame, as in MNIST
SPLITS = {"train": 500, "valid": 50, "test": 100}  # images per class and split

# matplotlib's bundled fonts that draw the Latin capitals A-J as letters (each one checked on a
# contact sheet, ``--sheet``). Left out: DejaVu*Display, LastResort and STIXNonUni* / STIXSiz* (a
# placeholder box for every letter), cmex10 and cmsy10 (maths symbols in the A-J slots).
FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmb10.ttf",
    "cmti10.ttf",
    "cmmi10.ttf",
)

# Ranges of the per-image random draws (uniform unless noted). Stored in the npz as JSON.
PARAMETERS = {
    "rotation_degrees": [-15.0, 15.0],
    "shear": [-0.25, 0.25],  # x += shear * y, before the rotation
    "aspect": [0.85, 1.15],  # horizontal stretch
    "size": [0.68, 0.92],  # larger side of the glyph's box, as a fraction of the 28-pixel frame
    "position_x": [-1.0, 1.0],  # shift, as a fraction of the free margin on each side
    "position_y": [-1.0, 1.0],
    "intensity": [0.8, 1.0],  # brightness of the glyph (1.0 = 255)
    "stroke": [0.0, 1.0],  # outline width added around the glyph, in output pixels
}
PARAM_NAMES = tuple(PARAMETERS)


def font_path(font_file: str) -> Path:
    """Path of one of matplotlib's bundled TrueType fonts (never a system font)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / font_file


def glyph_path(font_file: str, letter: str):
    """The outline of ``letter`` in ``font_file`` as a ``matplotlib.path.Path`` (unhinted, size 1)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    return TextPath((0, 0), letter, size=1, prop=FontProperties(fname=font_path(font_file)))


def render_glyph(path, params: np.ndarray, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Draw one glyph outline with the given parameters; return a (28, 28) uint8 image.

    ``params`` holds the values named in ``PARAM_NAMES``, in that order. ``supersample`` is the
    factor of the drawing resolution (the anti-aliasing): 4 for every image of ``letters``.
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.transforms import Affine2D

    rotation, shear, aspect, size, pos_x, pos_y, intensity, stroke = (float(p) for p in params)
    s = supersample
    box = path.get_extents()
    shape = (
        Affine2D()
        .translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2)
        .scale(aspect, 1.0)
        + Affine2D(np.array([[1.0, shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
        + Affine2D().rotate_deg(rotation)
    )
    box = path.get_extents(shape)
    scale = size * SIZE * s / max(box.width, box.height)
    width, height = box.width * scale + stroke * s, box.height * scale + stroke * s
    free_x, free_y = max(SIZE * s - width, 0.0) / 2, max(SIZE * s - height, 0.0) / 2
    cx = SIZE * s / 2 + pos_x * free_x - (box.x0 + box.x1) / 2 * scale
    cy = SIZE * s / 2 + pos_y * free_y - (box.y0 + box.y1) / 2 * scale
    transform = shape + Affine2D().scale(scale).translate(cx, cy)

    renderer = RendererAgg(SIZE * s, SIZE * s, 72)
    gc = renderer.new_gc()
    gc.set_antialiased(True)
    gc.set_foreground((1.0, 1.0, 1.0))
    gc.set_linewidth(stroke * s)  # points at 72 dpi = pixels; 0 draws no outline
    gc.set_joinstyle("round")
    renderer.draw_path(gc, path, transform, (1.0, 1.0, 1.0))
    gc.restore()
    coverage = np.asarray(renderer.buffer_rgba())[:, :, 3].astype(np.float64) / 255.0
    small = coverage.reshape(SIZE, s, SIZE, s).mean(axis=(1, 3))
    return np.rint(np.clip(small * intensity, 0.0, 1.0) * 255.0).astype(np.uint8)


def render_letter(font_file: str, letter: str, params: np.ndarray) -> np.ndarray:
    """One 28x28 uint8 image of ``letter`` drawn in ``font_file`` with ``params``."""
    return render_glyph(glyph_path(font_file, letter), params)


def letter_plan(seed: int = SEED_LETTERS, splits: dict[str, int] = SPLITS, fonts=FONTS) -> dict:
    """Draw every image's class, font, parameters and split; shuffle the order.

    Returns a dict of arrays: ``labels`` (N,), ``font`` (N,) index into ``fonts``, ``params``
    (N, len(PARAM_NAMES)) float32 (rendering uses these float32 values, so a stored row redraws
    exactly), ``split`` (N,) str. Fonts are balanced: every class cycles through all fonts.
    """
    rng = np.random.default_rng(seed)
    per_class = sum(splits.values())
    labels, font, split = [], [], []
    for label in range(len(LETTERS)):
        labels.append(np.full(per_class, label))
        font.append(rng.permutation(np.resize(np.arange(len(fonts)), per_class)))
        split.append(rng.permutation(np.repeat(list(splits), list(splits.values()))))
    labels, font, split = np.concatenate(labels), np.concatenate(font), np.concatenate(split)
    n = labels.size
    params = np.empty((n, len(PARAM_NAMES)), dtype=np.float64)
    for j, name in enumerate(PARAM_NAMES):
        low, high = PARAMETERS[name]
        params[:, j] = rng.uniform(low, high, n)
    order = rng.permutation(n)
    return {
        "labels": labels[order].astype(np.int64),
        "font": font[order].astype(np.int16),
        "params": params[order].astype(np.float32),
        "split": split[order].astype("<U5"),
    }


def make_letters(seed: int = SEED_LETTERS, splits: dict[str, int] = SPLITS) -> dict:
    """All arrays of ``letters.npz``."""
    import matplotlib

    plan = letter_plan(seed, splits)
    paths = {(f, c): glyph_path(FONTS[f], LETTERS[c]) for f in range(len(FONTS)) for c in range(len(LETTERS))}
    images = np.empty((plan["labels"].size, SIZE, SIZE), dtype=np.uint8)
    for i, (label, font, params) in enumerate(zip(plan["labels"], plan["font"], plan["params"])):
        images[i] = render_glyph(paths[int(font), int(label)], params)
    return {
        "images": images,
        "labels": plan["labels"].astype(np.uint8),
        "split": plan["split"],
        "classes": np.array(list(LETTERS)),
        "font": plan["font"],
        "fonts": np.array(FONTS),
        "params": plan["params"],
        "param_names": np.array(PARAM_NAMES),
        "generator": np.array(
            json.dumps(
                {"seed": seed, "splits": splits, "size": SIZE, "supersample": SUPERSAMPLE, "parameters": PARAMETERS},
                sort_keys=True,
            )
        ),
        "matplotlib_version": np.array(matplotlib.__version__),
    }


# ------------------------------------------------------------------------------------------------
# overlap: letters whose splits overlap, as notMNIST's do (exact copies and near-identical re-renders)

SEED_OVERLAP = 20240613
#: (split of the copy, split of the original, kind, how many). "exact": the original's bytes again;
#: near kinds re-render the original: "shift" moves it by 1 pixel (zero fill), "weight" adds 0.3 px
#: of outline, "antialias" draws it at 2x instead of 4x resolution, "intensity" dims the glyph by 8 %.
OVERLAP_COPIES = (
    ("train", "train", "exact", 100),
    ("valid", "train", "exact", 55),
    ("valid", "test", "exact", 10),
    ("valid", "train", "near", 25),
    ("test", "train", "exact", 125),
    ("test", "test", "exact", 10),
    ("test", "train", "near", 50),
)
NEAR_KINDS = ("shift", "weight", "antialias", "intensity")


def near_copy(image: np.ndarray, path, params: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """A near-identical re-render of ``image`` (drawn from ``path`` with ``params``) of the given kind."""
    if kind == "shift":
        dy, dx = ((0, 1), (0, -1), (1, 0), (-1, 0))[int(rng.integers(4))]
        out = np.zeros_like(image)
        ys, yd = (slice(0, SIZE - dy), slice(dy, SIZE)) if dy >= 0 else (slice(-dy, SIZE), slice(0, SIZE + dy))
        xs, xd = (slice(0, SIZE - dx), slice(dx, SIZE)) if dx >= 0 else (slice(-dx, SIZE), slice(0, SIZE + dx))
        out[yd, xd] = image[ys, xs]
        return out
    changed = np.array(params, dtype=np.float32)
    if kind == "weight":
        changed[PARAM_NAMES.index("stroke")] += np.float32(0.3)
        return render_glyph(path, changed)
    if kind == "antialias":
        return render_glyph(path, changed, supersample=2)
    if kind == "intensity":
        changed[PARAM_NAMES.index("intensity")] *= np.float32(0.92)
        return render_glyph(path, changed)
    raise ValueError(f"unknown kind of near copy {kind!r}: choose one of {NEAR_KINDS}")


def make_overlap(seed: int = SEED_OVERLAP, splits: dict[str, int] = SPLITS) -> dict:
    """All arrays of ``overlap.npz``: letters drawn as ``letters`` are, with copies across splits.

    Each split gets ``splits[split] * 10`` images; of those, the copies of ``OVERLAP_COPIES`` take
    the place of fresh renders. An exact copy repeats an original's bytes, a near copy re-renders it
    (``near_copy``, kinds cycling through ``NEAR_KINDS``). Originals are drawn with replacement from
    three quarters as many candidates as copies, so some originals have several copies (groups).
    ``source[i]`` is the index of the original image ``i`` copies (-1 for an original) and
    ``copy[i]`` its kind ("" for an original). The whole set is shuffled at the end.
    """
    import matplotlib

    rng = np.random.default_rng(seed)
    totals = {s: n * len(LETTERS) for s, n in splits.items()}
    copies_in = {s: sum(c for to, _, _, c in OVERLAP_COPIES if to == s) for s in totals}
    originals = {s: totals[s] - copies_in[s] for s in totals}
    n_orig = sum(originals.values())
    labels = rng.integers(0, len(LETTERS), n_orig)
    font = rng.integers(0, len(FONTS), n_orig)
    params = np.empty((n_orig, len(PARAM_NAMES)), dtype=np.float64)
    for j, name in enumerate(PARAM_NAMES):
        low, high = PARAMETERS[name]
        params[:, j] = rng.uniform(low, high, n_orig)
    params = params.astype(np.float32)  # rendering uses these float32 values, as letter_plan's
    split = np.concatenate([np.full(originals[s], s, dtype="<U5") for s in totals])
    paths = {}
    images = np.empty((n_orig, SIZE, SIZE), dtype=np.uint8)
    for i in range(n_orig):
        key = (int(font[i]), int(labels[i]))
        if key not in paths:
            paths[key] = glyph_path(FONTS[key[0]], LETTERS[key[1]])
        images[i] = render_glyph(paths[key], params[i])

    new_images, new_source, new_kind, new_split = [], [], [], []
    near_count = 0
    for to, origin, kind, count in OVERLAP_COPIES:
        pool = rng.choice(np.flatnonzero(split == origin), max(1, 3 * count // 4), replace=False)
        for src in rng.choice(pool, count, replace=True):
            if kind == "exact":
                new_images.append(images[src])
                new_kind.append("exact")
            else:
                near = NEAR_KINDS[near_count % len(NEAR_KINDS)]
                near_count += 1
                path = paths[(int(font[src]), int(labels[src]))]
                new_images.append(near_copy(images[src], path, params[src], near, rng))
                new_kind.append(near)
            new_source.append(src)
            new_split.append(to)
    n_all = n_orig + len(new_images)
    all_images = np.concatenate([images, np.stack(new_images)])
    source = np.concatenate([np.full(n_orig, -1), np.array(new_source)])
    kind = np.array([""] * n_orig + new_kind, dtype="<U9")
    all_split = np.concatenate([split, np.array(new_split, dtype="<U5")])
    all_labels = np.concatenate([labels, labels[np.array(new_source)]])
    all_font = np.concatenate([font, font[np.array(new_source)]])
    all_params = np.concatenate([params, params[np.array(new_source)]])

    order = rng.permutation(n_all)
    position = np.empty(n_all, dtype=np.int64)
    position[order] = np.arange(n_all)
    source = np.where(source[order] >= 0, position[np.maximum(source[order], 0)], -1)
    return {
        "images": all_images[order],
        "labels": all_labels[order].astype(np.uint8),
        "split": all_split[order],
        "classes": np.array(list(LETTERS)),
        "source": source.astype(np.int32),
        "copy": kind[order],
        "font": all_font[order].astype(np.int16),
        "fonts": np.array(FONTS),
        "params": all_params[order],
        "param_names": np.array(PARAM_NAMES),
        "generator": np.array(
            json.dumps(
                {"seed": seed, "splits": splits, "size": SIZE, "supersample": SUPERSAMPLE, "parameters": PARAMETERS,
                 "copies": OVERLAP_COPIES, "near_kinds": NEAR_KINDS},
                sort_keys=True,
            )
        ),
        "matplotlib_version": np.array(matplotlib.__version__),
    }


def resize_digits(images: np.ndarray) -> np.ndarray:
    """8x8 images with values 0..16 -> (N, 28, 28) uint8.

    As in MNIST, the digit fills a 20x20 box centred in the 28x28 frame: each image is resized to
    20x20 (bicubic, clipped to the input range), scaled to 0..255 and padded with 4 black pixels.
    """
    from skimage.transform import resize

    out = np.zeros((len(images), SIZE, SIZE), dtype=np.uint8)
    inner, pad = DIGIT_BOX, (SIZE - DIGIT_BOX) // 2
    for i, image in enumerate(images):
        big = resize(np.asarray(image, dtype=np.float64) / 16.0, (inner, inner), order=3, mode="edge",
                     anti_aliasing=False, clip=True)
        out[i, pad : pad + inner, pad : pad + inner] = np.rint(np.clip(big, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


def digits_split(labels: np.ndarray, seed: int = SEED_DIGITS, test_fraction: float = 0.2) -> np.ndarray:
    """Stratified train/test assignment: in each class, round(20%) of the images go to "test"."""
    rng = np.random.default_rng(seed)
    split = np.full(labels.size, "train", dtype="<U5")
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        split[rng.permutation(members)[: int(round(test_fraction * members.size))]] = "test"
    return split


def make_digits(seed: int = SEED_DIGITS) -> dict:
    """All arrays of ``digits.npz`` (needs scikit-learn and scikit-image)."""
    import skimage
    import sklearn
    from sklearn.datasets import load_digits

    bunch = load_digits()
    labels = bunch.target.astype(np.int64)
    split = digits_split(labels, seed)
    order = np.random.default_rng(seed + 1).permutation(labels.size)
    return {
        "images": resize_digits(bunch.images[order]),
        "labels": labels[order].astype(np.uint8),
        "split": split[order],
        "classes": np.array([str(d) for d in range(10)]),
        "source_index": order.astype(np.int16),
        "generator": np.array(
            json.dumps({"seed": seed, "test_fraction": 0.2, "size": SIZE, "box": DIGIT_BOX,
                        "resize": "skimage.transform.resize order=3, mode=edge, clip; padded"},
                       sort_keys=True)
        ),
        "sklearn_version": np.array(sklearn.__version__),
        "skimage_version": np.array(skimage.__version__),
    }


def save_npz(path: Path, arrays: dict) -> None:
    """Write a compressed ``.npz`` with fixed zip timestamps, so equal arrays give equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, npy.getvalue(), compresslevel=9)
    path.write_bytes(buffer.getvalue())


def font_sheet(out: Path, fonts=None) -> None:
    """A contact sheet: one row per font file, A-J plain (no jitter), to check every glyph by eye."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fonts = list(fonts or FONTS)
    plain = np.array([0.0, 0.0, 1.0, 0.85, 0.0, 0.0, 1.0, 0.0])
    fig, axes = plt.subplots(len(fonts), 1, figsize=(6, 0.6 * len(fonts)))
    for ax, font in zip(np.atleast_1d(axes), fonts):
        row = np.hstack([render_letter(font, c, plain) for c in LETTERS])
        ax.imshow(row, cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        ax.set_title(font, fontsize=7, loc="left", pad=1)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def sample_grid(out: Path, images: np.ndarray, labels: np.ndarray, per_class: int = 16, title: str = "") -> None:
    """A grid: one row per class, ``per_class`` random images of it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = np.unique(labels)
    rng = np.random.default_rng(0)
    rows = [np.hstack(images[rng.choice(np.flatnonzero(labels == c), per_class, replace=False)]) for c in classes]
    fig, ax = plt.subplots(figsize=(per_class * 0.5, len(classes) * 0.5))
    ax.imshow(np.vstack(rows), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="output folder (default: data/)")
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet of every font's A-J here")
    parser.add_argument("--all-fonts", action="store_true", help="contact sheet of all bundled fonts, kept or not")
    parser.add_argument("--grid", type=Path, help="also write a grid of generated letters here")
    parser.add_argument("--digits-grid", type=Path, help="also write a grid of generated digits here")
    args = parser.parse_args(argv)

    if args.sheet:
        fonts = sorted(p.name for p in font_path("x").parent.glob("*.ttf")) if args.all_fonts else FONTS
        font_sheet(args.sheet, fonts)
    start = time.perf_counter()
    letters = make_letters()
    save_npz(args.out / "letters.npz", letters)
    t_letters = time.perf_counter() - start
    digits = make_digits()
    save_npz(args.out / "digits.npz", digits)
    save_npz(args.out / "overlap.npz", make_overlap())
    t_total = time.perf_counter() - start
    for name in ("letters", "digits", "overlap"):
        size = (args.out / f"{name}.npz").stat().st_size
        print(f"{name}.npz: {size / 1e6:.2f} MB")
    print(f"letters {t_letters:.1f} s, digits and overlap {t_total - t_letters:.1f} s, total {t_total:.1f} s")
    if args.grid:
        sample_grid(args.grid, letters["images"], letters["labels"], title="letters (A-J)")
    if args.digits_grid:
        sample_grid(args.digits_grid, digits["images"], digits["labels"], title="digits (0-9)")


if __name__ == "__main__":
    main()
