"""Exercises for notebook 02, "Pearson's r of two images, step by step".

Expected values are computed at check time from the embedded letters, never stored.

Examples
--------
>>> from simlab.exercises import nb02 as ex
>>> ex.q4.check(0.0).mistake
'zero'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._core import Mistake, Question, close_to, equals, is_nan, not_a_number, scalar

__all__ = ["q1", "q2", "q3", "q4"]


def _letters() -> Any:
    from simlab.datasets import load_dataset

    return load_dataset("letters", split="test")


def _pair() -> tuple[np.ndarray, np.ndarray]:
    letters = _letters()
    return letters[10].astype(np.float64).ravel(), letters[11].astype(np.float64).ravel()


def _r() -> float:
    x, y = _pair()
    xc, yc = x - x.mean(), y - y.mean()
    return float(xc @ yc / (np.linalg.norm(xc) * np.linalg.norm(yc)))


def _raw_cosine() -> float:
    x, y = _pair()
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def _covariance() -> float:
    x, y = _pair()
    return float(np.mean((x - x.mean()) * (y - y.mean())))


def _unscaled_dot() -> float:
    x, y = _pair()
    return float((x - x.mean()) @ (y - y.mean()))


def _n() -> int:
    return _pair()[0].size


# ------------------------------------------------------------------------------------------ q1

q1 = Question(
    "Question 1",
    "Compute Pearson's r of letters[10] and letters[11] by hand, with NumPy operations only.",
    answer=_r,
    mistakes=[
        Mistake("uncentred_cosine", close_to(_raw_cosine),
                "that is the cosine of the raw pixel vectors: you skipped the centring. Subtract each "
                "image's mean first — otherwise the answer depends on where 0 is on the grey scale.",
                example=_raw_cosine),
        Mistake("covariance", close_to(_covariance),
                "that is the covariance: you centred and multiplied but did not scale. Divide by the two "
                "standard deviations (or scale each centred vector to length 1).", example=_covariance),
        Mistake("unscaled_dot", close_to(_unscaled_dot),
                "that is the dot product of the centred vectors before scaling: divide by the lengths "
                "(np.linalg.norm) of both.", example=_unscaled_dot),
        Mistake("ddof_mix_small", close_to(lambda: _r() * (_n() - 1) / _n()),
                "close, but scaled by (n − 1)/n: you divided by n in the mean but used standard deviations "
                "with ddof=1 (n − 1). Use the same n throughout (np.std's default ddof=0).",
                example=lambda: _r() * (_n() - 1) / _n()),
        Mistake("ddof_mix_large", close_to(lambda: _r() * _n() / (_n() - 1)),
                "close, but scaled by n/(n − 1): you divided by n − 1 in the sum but used np.std (ddof=0, "
                "divides by n). Use the same n throughout.", example=lambda: _r() * _n() / (_n() - 1)),
        Mistake("self", close_to(1.0),
                "1 is the correlation of an image with itself. Did you use the same image twice?",
                example=lambda: 1.0),
        Mistake("out_of_range", lambda x: abs(scalar(x)) > 1,
                "a correlation lies between −1 and 1: divide by the lengths of both centred vectors.",
                example=lambda: 42.0),
        Mistake("not_a_number", not_a_number,
                "answer with one number; if you have the 2x2 matrix, r is its entry [0, 1].",
                example=lambda: np.eye(2)),
    ],
    hint=["Flatten both images to float64 vectors x and y, subtract each one's mean, then scale each to "
          "length 1 with np.linalg.norm.",
          "r is the dot product of the two unit vectors: xu @ yu."],
    solution="x = letters[10].ravel().astype(np.float64)\n"
             "y = letters[11].ravel().astype(np.float64)\n"
             "xc, yc = x - x.mean(), y - y.mean()\n"
             "answer = xc @ yc / (np.linalg.norm(xc) * np.linalg.norm(yc))   # = simlab.pearson(...)",
)

# ------------------------------------------------------------------------------------------ q2

q2 = Question(
    "Question 2",
    "What is simlab.pearson(letters[10], 1 - letters[11])?",
    answer=lambda: -_r(),
    mistakes=[
        Mistake("same_sign", close_to(_r),
                "that is r without the inversion. 1 − b is α·b + β with α = −1: the size of r stays, its "
                "sign flips.", example=_r),
        Mistake("one_minus_r", close_to(lambda: 1 - _r()),
                "inverting the image does not turn r into 1 − r: it multiplies b by −1 (and adds 1, which "
                "centring removes), so r changes sign.", example=lambda: 1 - _r()),
        Mistake("minus_one", close_to(-1.0),
                "−1 is r between an image and its *own* inversion. Here the inverted image is a different "
                "letter image, so the size of r is that of question 1.", example=lambda: -1.0),
        Mistake("not_a_number", not_a_number, "answer with one number.", example=lambda: "negative"),
    ],
    hint="1 − b = α·b + β with α = −1, β = 1. What do centring and scaling do to β and to α?",
    solution="answer = -simlab.pearson(letters[10], letters[11])   # = simlab.pearson(letters[10], 1 - letters[11])",
)

# ------------------------------------------------------------------------------------------ q3

_THRESHOLD = 0.5


def _shift_r(dx: int) -> float:
    from simlab import correlation, transforms

    image = _letters()[0]
    return correlation.pearson(image, transforms.shift(image, dx=dx))


def _first_shift_below() -> int:
    for dx in range(1, 28):
        if _shift_r(dx) < _THRESHOLD:
            return dx
    raise RuntimeError("no shift brings r below 0.5")  # pragma: no cover - the letters always do


def _is_whole_number(x: Any) -> bool:
    value = scalar(x)
    return value is not None and math.isfinite(value) and value == round(value)


q3 = Question(
    "Question 3",
    "What is the smallest horizontal shift dx >= 1 (whole pixels) for which "
    "simlab.pearson(letters[0], transforms.shift(letters[0], dx=dx)) is below 0.5?",
    answer=_first_shift_below,
    correct=lambda x: _is_whole_number(x) and int(scalar(x)) == _first_shift_below(),
    mistakes=[
        Mistake("gave_r", lambda x: not _is_whole_number(x) and -1 <= scalar(x) <= 1,
                "that looks like a value of r: answer with the shift dx, in whole pixels.",
                example=lambda: _shift_r(_first_shift_below())),
        Mistake("one_too_few", lambda x: _is_whole_number(x) and int(scalar(x)) == _first_shift_below() - 1,
                lambda x: f"at dx = {int(scalar(x))} r is still at least 0.5 "
                          f"({_shift_r(int(scalar(x))):.3f}): one more pixel.",
                example=lambda: _first_shift_below() - 1),
        Mistake("too_many", lambda x: _is_whole_number(x) and int(scalar(x)) > _first_shift_below(),
                "r is already below 0.5 at a smaller shift: we want the first dx where it drops below.",
                example=lambda: _first_shift_below() + 1),
        Mistake("zero", lambda x: _is_whole_number(x) and int(scalar(x)) <= 0,
                "dx = 0 is no shift at all (r = 1); the question asks for dx >= 1.", example=lambda: 0),
        Mistake("not_a_number", not_a_number, "answer with one whole number of pixels.",
                example=lambda: [1, 2, 3]),
    ],
    hint=["Loop dx = 1, 2, 3, ... and print simlab.pearson(letters[0], transforms.shift(letters[0], dx=dx)).",
          "Stop at the first dx where the value is below 0.5."],
    solution="a = letters[0]\n"
             "answer = next(dx for dx in range(1, 28)\n"
             "              if simlab.pearson(a, transforms.shift(a, dx=dx)) < 0.5)",
)

# ------------------------------------------------------------------------------------------ q4

q4 = Question(
    "Question 4",
    "What does simlab.pearson(np.zeros((28, 28)), letters[0]) return?",
    answer=lambda: float("nan"),
    correct=is_nan,
    mistakes=[
        Mistake("zero", close_to(0.0),
                "0 would mean 'no linear relation'. A constant image has standard deviation 0, so r is "
                "0/0: undefined, not 0. simlab returns nan (with a RuntimeWarning saying why).",
                example=lambda: 0.0),
        Mistake("plus_or_minus_one", lambda x: scalar(x) is not None and abs(scalar(x)) == 1,
                "±1 would be a perfect straight-line relation. A blank image has no spread at all, so no "
                "line can be fitted: r is undefined (nan).", example=lambda: 1.0),
        Mistake("error", equals("error"), "it does not raise: it warns and returns a value.",
                example=lambda: "error"),
        Mistake("string", lambda x: isinstance(x, str),
                "answer with the value itself, np.nan (or float('nan')), not a string.",
                example=lambda: "nan"),
    ],
    hint="Centring a constant image leaves a vector of zeros. What happens when you scale it to length 1?",
    solution="answer = np.nan   # 0/0: simlab.pearson warns (RuntimeWarning) and returns nan",
)
