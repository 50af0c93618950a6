"""Fast forms of the metrics: one query against a stack of images, chunk by chunk.

The pair functions (:func:`simlab.pearson`, :func:`simlab.ssim`, ...) are the definitions; the
kernels here compute the same numbers for one query against many images at once (stacks,
pixel-major layouts, cached per-image statistics), for :func:`simlab.scores`, :func:`simlab.rank`
and :func:`simlab.pairwise`. Each is tested against its pair function and against the reference
library, never against itself. A kernel takes checked inputs: :mod:`simlab.batch` and
:mod:`simlab._validation` check them first.

One module per family, as the pair functions: :mod:`~simlab.kernels.correlation`,
:mod:`~simlab.kernels.structural`, :mod:`~simlab.kernels.information`,
:mod:`~simlab.kernels.errors`. They import only numpy, scipy, threadpoolctl and
:mod:`simlab._validation`.
"""

from . import correlation, errors, information, structural
from .base import Kernel

__all__ = ["Kernel", "correlation", "errors", "information", "structural"]
