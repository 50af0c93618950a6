"""MSE and PSNR of one query against a stack: one broadcast difference per chunk."""

from __future__ import annotations

import numpy as np

from .._validation import psnr_data_range
from .base import Kernel

__all__ = ["MSEKernel", "PSNRKernel", "mse_rows"]


def mse_rows(query: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """MSE of one image (H, W) against each image of a stack (n, H, W), in float64."""
    diff = np.asarray(stack, dtype=np.float64) - np.asarray(query, dtype=np.float64)
    diff *= diff
    return diff.reshape(diff.shape[0], -1).mean(axis=1)


class MSEKernel(Kernel):
    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None) -> None:
        self.q = query

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        return mse_rows(self.q, prepared)


class PSNRKernel(MSEKernel):
    def __init__(self, query: np.ndarray, sample: np.ndarray, data_range: float | None) -> None:
        self.q = query
        self.peak = psnr_data_range(query, sample[None], data_range)

    def check_pairwise(self, stack: np.ndarray, data_range: float | None) -> None:
        if data_range is None and stack.dtype.kind == "i":
            negative = stack.min(axis=(1, 2)) < 0
            if negative.any() and not negative.all():
                raise ValueError(
                    f"pairwise psnr of {stack.dtype} images: some have negative values and some do not, so "
                    "psnr's default peak (the dtype's maximum, or its span when the reference has negative "
                    "values) would differ between psnr(a, b) and psnr(b, a): pass data_range= explicitly"
                )

    def score(self, prepared: np.ndarray, stats: tuple) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return 10.0 * np.log10(self.peak**2 / mse_rows(self.q, prepared))
