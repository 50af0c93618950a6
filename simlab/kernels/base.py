"""What every kernel provides to the chunked engine of :mod:`simlab.batch`."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Kernel"]


class Kernel:
    """A metric for one query against chunks of a stack (N, H, W).

    The engine calls ``prepare(chunk)`` once per chunk, then either ``score_once(prepared)`` or,
    to keep them for the next query, ``stats(prepared)`` (what does not depend on the query,
    cached on a ``Dataset`` under ``key``) and ``score(prepared, stats)``; ``finish(values)`` sees
    all the scores at the end (for warnings).
    """

    key: tuple | None = None  # cache key of the per-image statistics (None: nothing to cache)
    nbytes_per_image = 0
    gram = False  # True: stats are one row per image and a score is the dot product of two rows

    def check_pairwise(self, stack: np.ndarray, data_range: float | None) -> None:
        """Refuse a stack whose (N, N) matrix would not be symmetric (see PSNRKernel)."""

    def prepare(self, chunk: np.ndarray) -> Any:
        return chunk

    def stats(self, prepared: Any) -> tuple:
        return ()

    def score(self, prepared: Any, stats: tuple) -> np.ndarray:
        raise NotImplementedError

    def score_once(self, prepared: Any) -> np.ndarray:
        """Scores when the statistics are not kept (no cache)."""
        return self.score(prepared, self.stats(prepared))

    def finish(self, values: np.ndarray) -> np.ndarray:
        return values
