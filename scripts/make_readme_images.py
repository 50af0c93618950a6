"""Draw the pictures the README shows that come straight from the data.

Run from the repository root: ``python scripts/make_readme_images.py``. It writes
``docs/images/samples.png`` (a grid of the embedded letters and digits). The screenshot of the live app,
``docs/images/app.png``, comes from the browser test: ``SIMLAB_SCREENSHOTS=docs/images python -m pytest
tests/test_browser.py`` saves it (``voila.png``), and the notebook figure from running notebook 06.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import simlab
from simlab import figures

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def sample_grid(per_class: int = 1, seed: int = 0) -> figures.SimlabFigure:
    """Two rows: one test image of each letter A-J, one of each digit 0-9."""
    rows, titles = [], []
    for name in ("letters", "digits"):
        data = simlab.load_dataset(name, split="test")
        rng = np.random.default_rng(seed)
        picks = [rng.choice(np.flatnonzero(data.labels == k)) for k in range(len(data.classes))]
        rows.append([data[int(i)] for i in picks])
        titles.append([data.class_name(int(i)) for i in picks])
    return figures.image_grid(rows, titles, size=1.1,
                              title="The embedded data: letters A-J (notMNIST-style) and digits 0-9")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    sample_grid().savefig(OUT / "samples.png", dpi=100, bbox_inches="tight")
    print(f"wrote {OUT / 'samples.png'}")
