"""Duplicate search at the notMNIST assignment's sizes: 200,000 train x 10,000 test 28x28 float32 images.

Run ``python benchmarks/bench_duplicates.py`` (several minutes on 2 cores) or ``--quick`` (20,000 x
2,000, about a minute).

The images are generated from the letters: every letter tiled with a 1-2 px shift and a brightness
factor, so each image is distinct; then 12.5 % of the test images are replaced by exact copies of
train images and 5 % by near copies (a copy plus Gaussian noise of sd 0.01).

Measured in one run, so the ratios compare like with like on a loaded machine:

- the BLAS floor: one bare float32 product of the same shapes, train (N, 784) @ test.T (784, M),
  done in row blocks into one reused output buffer (the full N x M output would not fit in memory);
  an exact all-pairs search cannot be faster than this product. It is measured before and after
  each search, and the search is compared with the mean of the two (the machine's load changes);
- ``near_duplicates`` by MSE (threshold 0.005) and by Pearson (0.98): time, ratio to the floor,
  peak extra memory traced by ``tracemalloc`` (numpy's allocations) beyond the inputs;
- the same pairs as brute force on a 20,000 x 2,000 subset (brute force: the float64 distance of
  every pair, computed directly, then the pair function for pairs within 1e-9 of the threshold);
- ``exact_duplicates`` (hashing) on the same sets;
- SSIM near-duplicates on the ``overlap`` data (train 5,000 x test 1,000): time and recall against
  brute force (every pair scored with ``simlab.scores``, then the pair function near the threshold).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

import simlab
from simlab.duplicates import exact_duplicates, near_duplicates


def make_sets(n_train: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(train, test, exact copies planted, near copies planted), float32 (N, 28, 28)."""
    rng = np.random.default_rng(seed)
    base = simlab.load_dataset("letters").images
    total = n_train + n_test
    out = np.empty((total, 28, 28), dtype=np.float32)
    shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    done = 0
    k = 0
    while done < total:
        dy, dx = shifts[k % len(shifts)]
        take = min(len(base), total - done)
        factor = np.float32(1.0 - 0.02 * (k // len(shifts)))
        out[done : done + take] = np.roll(base[:take], (dy, dx), axis=(1, 2)) * factor
        done += take
        k += 1
    out = out[rng.permutation(total)]
    train, test = out[:n_train], np.array(out[n_train:])
    n_exact, n_near = n_test // 8, n_test // 20
    sources = rng.choice(n_train, n_exact + n_near, replace=False)
    test[:n_exact] = train[sources[:n_exact]]
    noise = rng.normal(0, 0.01, (n_near, 28, 28)).astype(np.float32)
    test[n_exact : n_exact + n_near] = np.clip(train[sources[n_exact:]] + noise, 0, 1)
    return np.ascontiguousarray(train), test, n_exact, n_near


def blas_floor(train: np.ndarray, test: np.ndarray, block: int = 4096) -> float:
    a = train.reshape(len(train), -1)
    b = test.reshape(len(test), -1)
    out = np.empty((block, len(b)), dtype=np.float32)
    t0 = time.perf_counter()
    for s in range(0, len(a), block):
        rows = a[s : s + block]
        np.matmul(rows, b.T, out=out[: len(rows)])
    return time.perf_counter() - t0


def timed(func):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    t0 = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, (peak - base) / 1e6


def brute_mse(train: np.ndarray, test: np.ndarray, threshold: float) -> set:
    """Every pair's MSE in float64 computed directly (x - y), block by block; pair function at the edge."""
    a = train.reshape(len(train), -1).astype(np.float64)
    found = set()
    for j, y in enumerate(test.reshape(len(test), -1).astype(np.float64)):
        d = np.mean((a - y) ** 2, axis=1)
        for i in np.flatnonzero(d <= threshold + 1e-9):
            if abs(d[i] - threshold) > 1e-9 or simlab.mse(train[i], test[j]) <= threshold:
                found.add((int(i), j))
    return found


def brute_pearson(train: np.ndarray, test: np.ndarray, threshold: float) -> set:
    """Every pair's r in float64 (centred, normalised rows, exact products), pair function at the edge."""
    def unit(x):
        x = x.reshape(len(x), -1).astype(np.float64)
        x = x - x.mean(axis=1, keepdims=True)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    za, zb = unit(train), unit(test)
    found = set()
    for j in range(len(zb)):
        r = za @ zb[j]
        for i in np.flatnonzero(r >= threshold - 1e-9):
            if abs(r[i] - threshold) > 1e-9 or simlab.pearson(train[i], test[j]) >= threshold:
                found.add((int(i), j))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 x 2,000 instead of 200,000 x 10,000")
    args = parser.parse_args(argv)
    n_train, n_test = (20_000, 2_000) if args.quick else (200_000, 10_000)
    train, test, n_exact, n_near = make_sets(n_train, n_test)
    print(f"train {train.shape} test {test.shape} float32 ({train.nbytes / 1e6:.0f} + {test.nbytes / 1e6:.0f} MB); "
          f"planted: {n_exact} exact and {n_near} near copies in test")

    # the floor is measured before and after each search; each search's ratio is to the mean of the
    # two floors around it, so a change of load on the shared machine hits both sides alike
    floors = [blas_floor(train, test)]
    rows = []
    for metric, threshold in (("mse", 0.005), ("pearson", 0.98)):
        found, seconds, peak = timed(lambda: near_duplicates(train, test, metric=metric, threshold=threshold,
                                                             progress=False))
        floors.append(blas_floor(train, test))
        floor = (floors[-2] + floors[-1]) / 2
        rows.append((f"near_duplicates {metric} {threshold}", seconds, floor, seconds / floor, peak,
                     f"{len(found)} pairs, {found.counts()['b']} test images"))
    found, seconds, peak = timed(lambda: exact_duplicates(train, test))
    rows.append(("exact_duplicates (hashing)", seconds, floors[-1], seconds / floors[-1], peak,
                 f"{len(found)} pairs, {found.counts()['b']} test images"))

    print("BLAS floor (train @ test.T, float32, in row blocks), measured before and after each search: "
          + ", ".join(f"{f:.1f} s" for f in floors))
    print(f"\n{'what':32s} {'seconds':>9s} {'floor s':>9s} {'x floor':>8s} {'peak MB':>8s}  result")
    for name, s, floor, ratio, peak, note in rows:
        print(f"{name:32s} {s:9.2f} {floor:9.2f} {ratio:8.2f} {peak:8.0f}  {note}")

    # the same pairs as brute force on a 20,000 x 2,000 subset
    sub_a, sub_b = train[:20_000], test[:2_000]
    for metric, threshold, brute in (("mse", 0.005, brute_mse), ("pearson", 0.98, brute_pearson)):
        t0 = time.perf_counter()
        expected = brute(sub_a, sub_b, threshold)
        t_brute = time.perf_counter() - t0
        got = {tuple(p) for p in near_duplicates(sub_a, sub_b, metric=metric, threshold=threshold,
                                                 progress=False).pairs.tolist()}
        print(f"brute force {metric} on 20,000 x 2,000: {len(expected)} pairs in {t_brute:.1f} s; "
              f"near_duplicates gives {'the same pairs' if got == expected else 'DIFFERENT pairs'} ({len(got)})")

    # SSIM: candidates by Pearson nearest neighbours, against brute force on the overlap data
    tr = simlab.load_dataset("overlap", split="train")
    te = simlab.load_dataset("overlap", split="test")
    for threshold in (0.95, 0.8):
        _, t_ssim, peak = timed(lambda: near_duplicates(tr, te, metric="ssim", threshold=threshold))
        found = near_duplicates(tr, te, metric="ssim", threshold=threshold)
        t0 = time.perf_counter()
        expected = set()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for j in range(len(te)):
                values = simlab.scores(te[j], tr, "ssim", progress=False)
                for i in np.flatnonzero(values >= threshold - 1e-9):
                    if simlab.ssim(tr[int(i)], te[j], data_range=1.0) >= threshold:
                        expected.add((int(i), j))
        t_brute = time.perf_counter() - t0
        got = {tuple(p) for p in found.pairs.tolist()}
        recall = len(got & expected) / max(len(expected), 1)
        print(f"SSIM >= {threshold} on overlap train x test (5,000 x 1,000): {t_ssim:.1f} s, {found.candidates} "
              f"candidates, {len(got)} pairs; brute force {len(expected)} pairs in {t_brute:.1f} s; "
              f"recall {recall:.3f}, extra pairs {len(got - expected)}")


if __name__ == "__main__":
    main()
