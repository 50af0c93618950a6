"""Exercises for notebook 05, "Compare live: what each metric rewards and punishes".

Expected values are computed at check time with simlab, never stored.

Examples
--------
>>> from simlab.exercises import nb05 as ex
>>> bool(ex.q1.check(-1.0)), ex.q1.check(1.0).mistake
(True, 'magnitude_only')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import Mistake, Question, close_to, equals

__all__ = ["q1", "q2", "q3"]

_INVARIANT_TO_INVERSION = ("mutual_information", "normalized_mutual_information")


def _inverted_pearson() -> float:
    import simlab
    from simlab import transforms

    image = simlab.load_dataset("letters")[0]
    return float(simlab.pearson(image, transforms.invert(image)))


def _noise_mse() -> float:
    import simlab
    from simlab import transforms

    grey = np.full((28, 28), 0.5)
    return float(simlab.mse(grey, transforms.noise(grey, 0.1, seed=0)))


def _name(answer: Any) -> str:
    return str(answer).strip().strip("'\"").lower()


q1 = Question(
    "Question 1",
    "Set B to the same sample as A and tick 'invert B'. What is Pearson's r between A and B?",
    answer=_inverted_pearson,
    correct=close_to(_inverted_pearson, atol=1e-6),
    mistakes=[
        Mistake("magnitude_only", close_to(1.0, atol=1e-6),
                "the two images are perfectly related, so |r| = 1, but B goes *down* where A goes up: "
                "the sign of r flips (notebook 02).", example=lambda: 1.0),
        Mistake("uncorrelated", close_to(0.0, atol=0.05),
                "inversion does not scramble the pixels: every pixel of B is 1 - (the same pixel of A), "
                "a perfect straight line with a negative slope.", example=lambda: 0.0),
    ],
    hint=["Inverting is the linear map b = 1 - a. What does a linear map with slope -1 do to r?"],
    solution="answer = -1.0   # simlab.pearson(A, simlab.transforms.invert(A))",
)

q2 = Question(
    "Question 2",
    "Keep B = A inverted. Which metric in the table keeps (almost) the value it had for B = A "
    "(give its name as in simlab.METRICS)?",
    answer=lambda: _INVARIANT_TO_INVERSION[0],
    correct=lambda answer: _name(answer) in _INVARIANT_TO_INVERSION,
    mistakes=[
        Mistake("pearson", lambda answer: _name(answer) == "pearson",
                "Pearson's |r| stays 1, but its sign flips from 1 to -1: it changes.", example=lambda: "pearson"),
        Mistake("ssim", lambda answer: _name(answer) == "ssim",
                "SSIM falls below 0: its structure term is a correlation, which flips sign, and its "
                "luminance term sees the mean grey level change (notebook 04).", example=lambda: "ssim"),
        Mistake("errors", lambda answer: _name(answer) in ("mse", "psnr"),
                "MSE and PSNR compare grey levels pixel by pixel: black against white is the largest "
                "error there is.", example=lambda: "mse"),
    ],
    hint=["Which metric only asks whether B's grey level can be predicted from A's, whatever the rule?",
          "Notebook 03: mutual information is unchanged by a one-to-one remapping of grey levels that maps "
          "histogram bins onto bins."],
    solution="answer = 'mutual_information'   # (normalized_mutual_information too)",
)

q3 = Question(
    "Question 3",
    "Take a uniformly mid-grey image, np.full((28, 28), 0.5), and add noise with sigma = 0.1 "
    "(simlab.transforms.noise). About what MSE do you expect between the image and its noisy copy?",
    answer=_noise_mse,
    correct=lambda answer: np.isscalar(answer) and abs(float(answer) - 0.01) <= 0.002,
    mistakes=[
        Mistake("sigma_not_squared", close_to(0.1, rtol=0.2),
                "0.1 is sigma, the typical size of one pixel's error. MSE averages the *squared* "
                "errors: sigma squared.", example=lambda: 0.1),
        Mistake("zero", equals(0), "noise with mean 0 cancels in the mean of the differences, not in "
                "the mean of their squares.", example=lambda: 0),
    ],
    hint=["MSE is the mean of (b - a)^2, and b - a is the noise itself (no clipping at mid-grey).",
          "The mean of the square of a zero-mean Gaussian is its variance."],
    solution="answer = 0.1 ** 2   # = 0.01; measured: simlab.mse(grey, simlab.transforms.noise(grey, 0.1))",
)
