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

def _first_a() -> np.ndarray:
    """The app's starting A in notebook 05: the first 'A' of the letters."""
    import simlab

    letters = simlab.load_dataset("letters")
    return letters[int(np.flatnonzero(letters.labels == letters.classes.index("A"))[0])]


def _flat_inverted_pearson() -> float:
    import simlab
    from simlab import transforms

    image = _first_a()
    return float(simlab.pearson(image, transforms.apply(image, contrast=0.5, invert=True)))


def _contrast_mse(factor: float) -> float:
    import simlab
    from simlab import transforms

    image = _first_a()
    return float(simlab.mse(image, transforms.contrast(image, factor)))


def _noise_mse() -> float:
    import simlab
    from simlab import transforms

    grey = np.full((28, 28), 0.5)
    return float(simlab.mse(grey, transforms.noise(grey, 0.1, seed=0)))


def _either(*predicates: Any) -> Any:
    return lambda answer: any(predicate(answer) for predicate in predicates)


q1 = Question(
    "Question 1",
    "Set B to the same sample as A, then set contrast to 0.5 AND tick 'invert B' (both at once). "
    "Predict Pearson's r between A and B before you look at the table.",
    answer=_flat_inverted_pearson,
    correct=close_to(_flat_inverted_pearson, atol=1e-6),
    mistakes=[
        Mistake("magnitude_only", close_to(1.0, atol=1e-6),
                "B is still a perfect straight-line function of A, so |r| = 1, but inverting makes B go *down* "
                "where A goes up: the sign of r flips (notebook 02).", example=lambda: 1.0),
        Mistake("scaled_by_contrast", _either(close_to(0.5, atol=0.01), close_to(-0.5, atol=0.01)),
                "r does not depend on the scale of B: halving every distance from mid-grey divides both the "
                "covariance and B's standard deviation by 2 (notebook 02).", example=lambda: -0.5),
        Mistake("uncorrelated", close_to(0.0, atol=0.05),
                "contrast and inversion move each pixel's grey level on its own, without mixing pixels: "
                "B = 0.75 - A/2, a straight line with a negative slope.", example=lambda: 0.0),
    ],
    hint=["Contrast 0.5 maps a to 0.25 + a/2, inverting maps that to 0.75 - a/2. What does any straight "
          "line with a negative slope do to r?"],
    solution="answer = -1.0   # simlab.pearson(A, simlab.transforms.apply(A, contrast=0.5, invert=True))",
)

q2 = Question(
    "Question 2",
    "Set B to the same sample as A (the app's first A) and contrast to 0.5, and note the MSE in the "
    "table. Now predict, without the app, the MSE for contrast 0 (every pixel of B mid-grey). Then "
    "check it in the app.",
    answer=lambda: _contrast_mse(0.0),
    correct=close_to(lambda: _contrast_mse(0.0), rtol=0.01),
    mistakes=[
        Mistake("doubled", close_to(lambda: 2 * _contrast_mse(0.5), rtol=0.02),
                "each pixel's error doubles, from (a - 0.5)/2 to (a - 0.5), but MSE averages *squared* "
                "errors: twice the error is four times the MSE.", example=lambda: 2 * _contrast_mse(0.5)),
        Mistake("unchanged", close_to(lambda: _contrast_mse(0.5), rtol=0.02),
                "that is the MSE at contrast 0.5. At contrast 0, B moves all the way to mid-grey: every "
                "error is larger.", example=lambda: _contrast_mse(0.5)),
        Mistake("all_black_or_white", close_to(0.25, atol=0.002),
                "0.25 would be right if every pixel were pure black or white (error 0.5, squared 0.25); "
                "a letter also has grey pixels, whose error is smaller.", example=lambda: 0.25),
    ],
    hint=["With contrast c, b - a = (c - 1)(a - 0.5): at c = 0.5 each error is half of what it is at c = 0.",
          "Errors twice as large, squared: how many times the MSE?"],
    solution="answer = 4 * simlab.mse(A, simlab.transforms.contrast(A, 0.5))   # twice the error: 4x the MSE",
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
