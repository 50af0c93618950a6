"""simlab: a teaching toolkit about image similarity.

``np.corrcoef(img, img)`` answers a question about the *rows* of an image. simlab explains why,
and gives the measures to use instead: Pearson's r of the flattened images, mutual information and
SSIM, each built from public step-by-step pieces and checked against scipy, scikit-learn and
scikit-image.

Importing simlab is cheap: every public name is loaded on first use (PEP 562), and matplotlib and
ipywidgets are imported only by the modules that draw.

Examples
--------
>>> import numpy as np
>>> import simlab
>>> a = np.arange(16.0).reshape(4, 4)
>>> round(simlab.pearson(a, 2 * a + 1), 6)
1.0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Dataset": "_dataset",
    "load_dataset": "datasets",
    "pearson": "correlation",
    "mutual_information": "information",
    "normalized_mutual_information": "information",
    "ssim": "structural",
    "mse": "errors",
    "psnr": "errors",
    "METRICS": "metrics",
    "compare": "comparison",
    "scores": "batch",
    "rank": "batch",
    "pairwise": "batch",
    "exact_duplicates": "duplicates",
    "near_duplicates": "duplicates",
}
_SUBMODULES = {
    "batch",
    "cli",
    "comparison",
    "correlation",
    "datasets",
    "duplicates",
    "errors",
    "evaluation",
    "exercises",
    "figures",
    "gallery",
    "information",
    "kernels",
    "metrics",
    "structural",
    "transforms",
    "widgets",
}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._dataset import Dataset
    from .batch import pairwise, rank, scores
    from .comparison import compare
    from .correlation import pearson
    from .datasets import load_dataset
    from .duplicates import exact_duplicates, near_duplicates
    from .errors import mse, psnr
    from .information import mutual_information, normalized_mutual_information
    from .metrics import METRICS
    from .structural import ssim


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'simlab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
