"""SSIM of one large pair: simlab.ssim against skimage.metrics.structural_similarity, same run.

For square images of side 256, 512, 1024, 2048 and 3000 (smooth random images in [0, 1], float64)
and both windows (uniform 7x7, Gaussian sigma 1.5), the median and minimum of a few repeats of
each, alternating the two so that a loaded machine slows both alike. Goal (issue 10): simlab within
1.3x of scikit-image's time; and 28x28 pairs no slower than scikit-image. Also the time of
``python -m simlab compare`` of two 3000x2000 PNG photographs against a plain scikit-image script
computing the same metrics.

Run:  python benchmarks/bench_large.py [--repeats 5] [--sizes 256,512,1024,2048,3000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import ndimage


def _pair(side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two smooth random images in [0, 1]: blurred noise, the second a noisy copy of the first."""
    rng = np.random.default_rng(seed)
    a = ndimage.gaussian_filter(rng.random((side, side)), 3)
    a = (a - a.min()) / (a.max() - a.min())
    b = np.clip(a + 0.05 * rng.standard_normal(a.shape), 0, 1)
    return a, b


def _alternate(ours, theirs, repeats: int) -> tuple[list[float], list[float]]:
    t_ours, t_theirs = [], []
    for _ in range(repeats):
        for func, times in ((ours, t_ours), (theirs, t_theirs)):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
    return t_ours, t_theirs


def _photos(folder: str) -> tuple[str, str]:
    """Two 3000x2000 8-bit grey PNGs made from scikit-image's astronaut (upscaled, one noisier)."""
    from PIL import Image
    from skimage import data, transform
    from skimage.color import rgb2gray

    base = transform.resize(rgb2gray(data.astronaut()), (2000, 3000), order=3)
    rng = np.random.default_rng(1)
    paths = []
    for i, noise in enumerate((0.0, 0.03)):
        image = np.clip(base + noise * rng.standard_normal(base.shape), 0, 1)
        path = os.path.join(folder, f"photo{i}.png")
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths[0], paths[1]


_SKIMAGE_SCRIPT = """
import sys
import numpy as np
from PIL import Image
from scipy.stats import pearsonr
from skimage.metrics import (mean_squared_error, normalized_mutual_information, peak_signal_noise_ratio,
                             structural_similarity)
a, b = (np.asarray(Image.open(p).convert("L"), dtype=np.float64) / 255 for p in sys.argv[1:3])
print(pearsonr(a.ravel(), b.ravel())[0], structural_similarity(a, b, data_range=1.0),
      normalized_mutual_information(a, b, bins=16), mean_squared_error(a, b),
      peak_signal_noise_ratio(a, b, data_range=1.0))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="256,512,1024,2048,3000")
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line comparison")
    args = parser.parse_args(argv)

    from skimage.metrics import structural_similarity

    import simlab

    print(f"simlab.ssim vs skimage.metrics.structural_similarity, one pair, float64 (median / min of "
          f"{args.repeats}, alternating)\n")
    print(f"{'side':>5}  {'window':<9} {'simlab med s':>12} {'skimage med s':>13} {'ratio med':>9} "
          f"{'ratio min':>9}  {'|diff|':>7}  goal <= 1.3x")
    sides = [28] + [int(s) for s in args.sizes.split(",")]
    for side in sides:
        a, b = _pair(side)
        repeats = 200 if side == 28 else args.repeats
        for window, options in (("uniform", {}), ("gaussian", {"gaussian_weights": True})):
            ours, theirs = _alternate(lambda: simlab.ssim(a, b, data_range=1.0, **options),
                                      lambda: structural_similarity(a, b, data_range=1.0, **options), repeats)
            diff = abs(simlab.ssim(a, b, data_range=1.0, **options)
                       - structural_similarity(a, b, data_range=1.0, **options))
            ratio_med, ratio_min = np.median(ours) / np.median(theirs), min(ours) / min(theirs)
            goal = 1.0 if side == 28 else 1.3
            verdict = "ok" if ratio_med <= goal else "MISSED"
            unit = 1e6 if side == 28 else 1.0
            print(f"{side:>5}  {window:<9} {np.median(ours) * unit:>12.4g} {np.median(theirs) * unit:>13.4g} "
                  f"{ratio_med:>8.2f}x {ratio_min:>8.2f}x  {diff:7.1e}  {verdict} (<= {goal}x)"
                  + ("  [times in us]" if side == 28 else ""))
    if args.no_cli:
        return
    with tempfile.TemporaryDirectory() as folder:
        a_path, b_path = _photos(folder)
        script = os.path.join(folder, "plain_skimage.py")
        with open(script, "w") as handle:
            handle.write(_SKIMAGE_SCRIPT)
        commands = {
            "python -m simlab compare A B": [sys.executable, "-m", "simlab", "compare", a_path, b_path],
            "python -m simlab compare A B --figure": [sys.executable, "-m", "simlab", "compare", a_path, b_path,
                                                      "--figure", os.path.join(folder, "pair.png")],
            "plain scikit-image script": [sys.executable, script, a_path, b_path],
        }
        print("\ntwo 3000x2000 PNG photographs, whole process (start-up, reading, every metric):")
        times = {name: [] for name in commands}
        for _ in range(3):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
        reference = np.median(times["plain scikit-image script"])
        for name, values in times.items():
            print(f"  {name:<40} median {np.median(values):6.2f} s  ({np.median(values) / reference:.2f}x the script)")


if __name__ == "__main__":
    main()
