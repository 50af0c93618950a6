"""Speed of simlab's batch metrics against a Python loop over the reference implementations.

Run ``python benchmarks/bench_metrics.py`` (a few minutes) or ``--quick`` (well under a minute).

For each metric and three kinds of data: one query against N = 10,000 images (and N = 60,000 for
the letters), one-off (a plain float32 array) and repeated (a ``Dataset`` whose per-image
statistics were cached by an earlier query). The kinds: ``letters`` (the letters set, tiled with
small shifts: dark background, many exact zeros), ``grey`` (the same letters on a mid-grey
background, 0.5 + 0.5 * letter: no zero first pixel, no empty bins) and ``photos`` (28x28 crops of
scikit-image's sample photographs, each scaled to [0, 1]: smooth, every grey level used).
The reference (scikit-image / scipy) is looped over a
subset of the pairs and scaled to N. Times are medians and minima of repeats, measured in one run,
so the ratios compare like with like on a loaded machine. The reference gets float64 copies of the
same float32 values, so both sides compute in float64 and their largest difference is reported.
Also: ``pairwise`` Pearson against ``np.corrcoef`` of the flattened stack, and the peak extra
memory (tracemalloc) of one query against 60,000 images.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
import warnings

import numpy as np

import simlab
from simlab.datasets import Dataset


def _stack(n: int) -> np.ndarray:
    """n letter images: the letters set tiled, each copy shifted by a pixel or two."""
    base = simlab.load_dataset("letters").images
    copies = []
    shift = 0
    while sum(len(c) for c in copies) < n:
        dy, dx = divmod(shift, 3)
        copies.append(np.roll(base, (dy - 1, dx - 1), axis=(1, 2)))
        shift = (shift + 1) % 9
    return np.ascontiguousarray(np.concatenate(copies)[:n])


def _grey(n: int) -> np.ndarray:
    """The letters on a mid-grey background: 0.5 + 0.5 * letter (ink brighter than the background)."""
    return (np.float32(0.5) + np.float32(0.5) * _stack(n)).astype(np.float32)


def _photos(n: int) -> np.ndarray:
    """n random 28x28 crops of scikit-image's grey (or greyed) sample photographs, each scaled to [0, 1]."""
    import skimage.data
    from skimage.color import rgb2gray

    names = ["camera", "coins", "moon", "page", "text", "grass", "gravel", "brick", "astronaut", "coffee",
             "chelsea", "rocket"]
    photos = []
    for name in names:
        image = getattr(skimage.data, name)()
        photos.append(rgb2gray(image) if image.ndim == 3 else image / 255.0)
    rng = np.random.default_rng(1)
    out = np.empty((n, 28, 28), dtype=np.float32)
    for i in range(n):
        photo = photos[i % len(photos)]
        y, x = rng.integers(0, photo.shape[0] - 28), rng.integers(0, photo.shape[1] - 28)
        crop = photo[y : y + 28, x : x + 28]
        lo, hi = crop.min(), crop.max()
        out[i] = (crop - lo) / (hi - lo) if hi > lo else 0.5
    return out


KINDS = {"letters": _stack, "grey": _grey, "photos": _photos}


def _times(func, repeats: int) -> tuple[float, float]:
    values = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        values.append(time.perf_counter() - t0)
    return float(np.median(values)), float(min(values))


def _references():
    from scipy.stats import entropy, pearsonr
    from skimage.metrics import (
        mean_squared_error,
        normalized_mutual_information,
        peak_signal_noise_ratio,
        structural_similarity,
    )

    def mi_ref(a, b):
        counts = np.histogram2d(a.ravel(), b.ravel(), 32)[0]
        return (entropy(counts.sum(0), base=2) + entropy(counts.sum(1), base=2) - entropy(counts.ravel(), base=2))

    # name, simlab metric, options, reference(a, b), reference used for the timing, goal one-off, goal cached
    return [
        ("pearson", "pearson", {}, lambda a, b: pearsonr(a.ravel(), b.ravel())[0], None, 300, 1000),
        ("ssim uniform 7x7", "ssim", {}, lambda a, b: structural_similarity(a, b, data_range=1.0), None, 15, 40),
        ("ssim gaussian", "ssim", {"gaussian_weights": True},
         lambda a, b: structural_similarity(a, b, data_range=1.0, gaussian_weights=True), None, 25, 50),
        ("nmi 32 bins", "normalized_mutual_information", {"bins": 32},
         lambda a, b: normalized_mutual_information(a, b, bins=32), None, 60, 75),
        ("mi 32 bins", "mutual_information", {"bins": 32}, mi_ref,
         lambda a, b: normalized_mutual_information(a, b, bins=32), 60, 75),
        ("mse", "mse", {}, mean_squared_error, None, None, None),
        ("psnr", "psnr", {}, lambda a, b: peak_signal_noise_ratio(a, b, data_range=1.0), None, None, None),
    ]


def _row(cells, widths):
    return "  ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller subsets, N=10,000 only for memory")
    parser.add_argument("--kinds", default="letters,grey,photos", help="comma-separated kinds of data (default: all)")
    args = parser.parse_args()
    quick = args.quick
    subset = 200 if quick else 1000  # reference pairs timed, then scaled to N
    repeats = 3 if quick else 7
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]

    header = ["data", "metric", "N", "mode", "ours med ms", "ours min ms", "loop med ms", "ratio med", "ratio min",
              "goal", "max |diff|"]
    widths = [7, 17, 6, 8, 11, 11, 11, 9, 9, 6, 10]
    lines = [_row(header, widths), "-" * (sum(widths) + 2 * len(widths))]
    memory = []
    summary = {}
    warnings.simplefilter("ignore", RuntimeWarning)  # blank letters make Pearson nan: that is tested elsewhere
    rng = np.random.default_rng(0)
    for kind in kinds:
        sizes = [10_000, 60_000] if kind == "letters" else [10_000]
        stacks = {n: KINDS[kind](n) for n in sizes}
        query = stacks[sizes[0]][rng.integers(sizes[0])]
        query64 = query.astype(np.float64)
        sub64 = stacks[sizes[0]][:subset].astype(np.float64)
        for name, metric, options, reference, timed_reference, goal_one, goal_cached in _references():
            kwargs = dict(options, data_range=1.0, progress=False)
            timed = timed_reference or reference
            # reference loop over a subset, per pair
            ref_med, ref_min = _times(lambda: [timed(query64, x) for x in sub64], max(2, repeats // 2))
            ref_values = np.array([reference(query64, x) for x in sub64])
            ours_sub = simlab.scores(query64, sub64, metric, **kwargs)  # float64 on both sides
            diff = float(np.nanmax(np.abs(ours_sub - ref_values)))
            same_nan = bool(np.array_equal(np.isnan(ours_sub), np.isnan(ref_values)))
            for n in sizes:
                stack = stacks[n]
                loop_med, loop_min = ref_med / subset * n, ref_min / subset * n
                one = _times(lambda: simlab.scores(query, stack, metric, **kwargs), repeats)
                ds = Dataset(stack, np.zeros(n, dtype=np.int64), ["all"], name=f"tiled {kind} {n}")
                simlab.scores(stack[1], ds, metric, **kwargs)  # fills the cache
                cached = _times(lambda ds=ds: simlab.scores(query, ds, metric, **kwargs), repeats)
                for mode, (med, mn), goal in (("one-off", one, goal_one), ("cached", cached, goal_cached)):
                    lines.append(_row([
                        kind, name, f"{n:,}", mode, f"{med * 1e3:.1f}", f"{mn * 1e3:.1f}", f"{loop_med * 1e3:.0f}",
                        f"{loop_med / med:.0f}x", f"{loop_min / mn:.0f}x", f"{goal}x" if goal and n == 10_000 else "",
                        f"{diff:.1e}" + ("" if same_nan else " NaN!"),
                    ], widths))
                    if mode == "one-off" and n == 10_000 and goal:
                        summary.setdefault(kind, []).append((name, loop_med / med, goal, 1e6 * med / n))
                del ds
            if kind == "letters":  # peak extra memory of one one-off query against the largest stack
                big = stacks[sizes[-1]]
                tracemalloc.start()
                base_mem = tracemalloc.get_traced_memory()[0]
                simlab.scores(query, big, metric, **kwargs)
                peak = tracemalloc.get_traced_memory()[1] - base_mem
                tracemalloc.stop()
                memory.append((name, peak))
        del stacks

    # pairwise Pearson against np.corrcoef of the flattened stack
    n_pair = 4_000 if quick else 10_000
    flat = _stack(n_pair)
    pair_reps = 2 if quick else 3
    ours = _times(lambda: simlab.pairwise(flat, "pearson", progress=False), pair_reps)
    ref = _times(lambda: np.corrcoef(flat.reshape(n_pair, -1)), pair_reps)
    diff = float(np.nanmax(np.abs(simlab.pairwise(flat, "pearson", progress=False)
                                  - np.corrcoef(flat.reshape(n_pair, -1)))))

    print(f"simlab {simlab.__version__}, numpy {np.__version__}; one query against N images "
          f"(reference looped over {subset} pairs and scaled to N; {repeats} repeats)\n")
    print("\n".join(lines))
    print("\none-off ratios against the goals, N = 10,000 (us per pair in brackets):")
    for kind, rows in summary.items():
        cells = [f"{name} {ratio:.0f}x/{goal}x{'' if ratio >= goal else ' MISSED'} ({us:.1f} us)"
                 for name, ratio, goal, us in rows]
        print(f"  {kind:<8} " + "; ".join(cells))
    print(f"\npairwise pearson, N = {n_pair:,}: ours median {ours[0]:.2f} s (min {ours[1]:.2f} s), "
          f"np.corrcoef median {ref[0]:.2f} s (min {ref[1]:.2f} s): {ref[0] / ours[0]:.2f}x "
          f"(min {ref[1] / ours[1]:.2f}x), goal 1.5x; max |diff| {diff:.1e}")
    if memory:
        print("\npeak extra memory (tracemalloc) of one one-off query against 60,000 letters (goal <= 64 MB):")
        for name, peak in memory:
            print(f"  {name:<17} {peak / 2**20:6.1f} MB")
        print(f"\n(chunks of 256 images: {math.ceil(60_000 / 256)} chunks for N = 60,000; the Dataset cache is "
              "extra memory held by the Dataset, not counted above)")


if __name__ == "__main__":
    main()
