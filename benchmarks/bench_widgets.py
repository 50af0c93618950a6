"""Kernel-side latency of the live comparison app (simlab.widgets.compare_app).

Sets control values from Python, exactly as a browser's change arrives in the kernel, and times the
whole synchronous update: for a change of B or of a transform, the transform, every metric and the
redraw of the panel to PNG; for a change of A or of the metric, also A's nearest neighbours over the
whole letters set (6,500 images). Goals (issue 6): median <= 50 ms and <= 200 ms.

Run:  python benchmarks/bench_widgets.py [--repeats 40]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np


def _time(changes: list[Callable[[], None]]) -> np.ndarray:
    seconds = []
    for change in changes:
        start = time.perf_counter()
        change()
        seconds.append(time.perf_counter() - start)
    return np.array(seconds) * 1e3


def _setter(control, value) -> Callable[[], None]:
    def change() -> None:
        control.value = value
    return change


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40, help="changes timed per kind (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import simlab
    from simlab.widgets import compare_app

    letters = simlab.load_dataset("letters")
    start = time.perf_counter()
    app = compare_app(letters, a=0, b=1)
    build = (time.perf_counter() - start) * 1e3
    rng = np.random.default_rng(args.seed)
    n, r = len(letters), args.repeats
    metrics = list(simlab.METRICS)

    kinds: dict[str, list[Callable[[], None]]] = {
        "right image index": [_setter(app.b, int(i)) for i in rng.choice(np.arange(2, n), r, replace=False)],
        "transform (each control in turn)": [
            _setter(control, value)
            for _, (control, value) in zip(range(r), _cycle_transforms(app, rng))
        ],
        "left image index (+ neighbours)": [
            _setter(app.a, int(i)) for i in rng.choice(np.arange(2, n), r, replace=False)
        ],
        "metric (+ neighbours)": [_setter(app.metric, metrics[i % len(metrics)]) for i in range(1, r + 1)],
    }
    print(f"simlab.widgets.compare_app on letters ({n} images); app built in {build:.0f} ms")
    print(f"{'change':36s} {'median ms':>10s} {'p90 ms':>8s} {'max ms':>8s}  goal")
    for kind, changes in kinds.items():
        ms = _time(changes)
        goal = 200 if "neighbours" in kind else 50
        verdict = "ok" if np.median(ms) <= goal else "MISSED"
        print(f"{kind:36s} {np.median(ms):10.1f} {np.percentile(ms, 90):8.1f} {ms.max():8.1f}  "
              f"<= {goal} ms median: {verdict}")


def _cycle_transforms(app, rng):
    """Endless (control, new value) pairs going round the transform controls."""
    values = {
        app.shift_x: lambda: int(rng.integers(-4, 5)),
        app.shift_y: lambda: int(rng.integers(-4, 5)),
        app.rotate: lambda: int(rng.integers(-18, 19)) * 5,
        app.noise: lambda: float(rng.integers(0, 26)) * 0.02,
        app.brightness: lambda: float(rng.integers(-10, 11)) * 0.05,
        app.contrast: lambda: float(rng.integers(0, 31)) * 0.1,
        app.blur: lambda: float(rng.integers(0, 7)) * 0.5,
        app.invert: None,
    }
    while True:
        for control, make in values.items():
            if make is None:
                yield control, not control.value
                continue
            value = make()
            while value == control.value:  # an unchanged value triggers no update: not a change
                value = make()
            yield control, value


if __name__ == "__main__":
    main()
