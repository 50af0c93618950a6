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
import warnings
from collections.abc import Callable
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


def _near(expected: Any) -> Callable[[Any], bool]:
    """A correlation is right to 1e-6 absolute (a float32 computation differs by about 1e-8)."""
    return close_to(expected, atol=1e-6)


# ------------------------------------------------------------------------------------------ q1

q1 = Question(
    "Question 1",
    "Compute Pearson's r of letters[10] and letters[11] by hand, with NumPy operations only.",
    answer=_r,
    correct=_near(_r),
    mistakes=[
        Mistake("uncentred_cosine", _near(_raw_cosine),
                "that is the cosine of the raw pixel vectors: you skipped the centring. Subtract each "
                "image's mean first — otherwise the answer depends on where 0 is on the grey scale.",
                example=_raw_cosine),
        Mistake("covariance", _near(_covariance),
                "that is the covariance: you centred and multiplied but did not scale. Divide by the two "
                "standard deviations (or scale each centred vector to length 1).", example=_covariance),
        Mistake("unscaled_dot", _near(_unscaled_dot),
                "that is the dot product of the centred vectors before scaling: divide by the lengths "
                "(np.linalg.norm) of both.", example=_unscaled_dot),
        Mistake("ddof_mix_small", _near(lambda: _r() * (_n() - 1) / _n()),
                "close, but scaled by (n − 1)/n: you divided by n in the mean but used standard deviations "
                "with ddof=1 (n − 1). Use the same n throughout (np.std's default ddof=0).",
                example=lambda: _r() * (_n() - 1) / _n()),
        Mistake("ddof_mix_large", _near(lambda: _r() * _n() / (_n() - 1)),
                "close, but scaled by n/(n − 1): you divided by n − 1 in the sum but used np.std (ddof=0, "
                "divides by n). Use the same n throughout.", example=lambda: _r() * _n() / (_n() - 1)),
        Mistake("self", _near(1.0),
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
    correct=_near(lambda: -_r()),
    mistakes=[
        Mistake("same_sign", _near(_r),
                "that is r without the inversion. 1 − b is α·b + β with α = −1: the size of r stays, its "
                "sign flips.", example=_r),
        Mistake("one_minus_r", _near(lambda: 1 - _r()),
                "inverting the image does not turn r into 1 − r: it multiplies b by −1 (and adds 1, which "
                "centring removes), so r changes sign.", example=lambda: 1 - _r()),
        Mistake("minus_one", _near(-1.0),
                "−1 is r between an image and its *own* inversion. Here the inverted image is a different "
                "letter image, so the size of r is that of question 1.", example=lambda: -1.0),
        Mistake("not_a_number", not_a_number, "answer with one number.", example=lambda: "negative"),
    ],
    hint="1 − b = α·b + β with α = −1, β = 1. What do centring and scaling do to β and to α?",
    solution="answer = -simlab.pearson(letters[10], letters[11])   # = simlab.pearson(letters[10], 1 - letters[11])",
)

# ------------------------------------------------------------------------------------------ q3

_THRESHOLD = 0.5
_Q3_IMAGE = 7  # an 'F'; notebook 02 shows only letters[0] shifted, and only sideways


def _shift_r(dy: int = 0, dx: int = 0) -> float:
    from simlab import correlation, transforms

    image = _letters()[_Q3_IMAGE]
    return correlation.pearson(image, transforms.shift(image, dx=dx, dy=dy))


def _first_shift_below(direction: str = "dy") -> int:
    for step in range(1, 28):
        if _shift_r(**{direction: step}) < _THRESHOLD:
            return step
    raise RuntimeError("no shift brings r below 0.5")  # pragma: no cover - the letters always do


def _is_whole_number(x: Any) -> bool:
    value = scalar(x)
    return value is not None and math.isfinite(value) and value == round(value)


def _is_shift(n: Callable[[], int]) -> Callable[[Any], bool]:
    return lambda x: _is_whole_number(x) and int(scalar(x)) == n()


q3 = Question(
    "Question 3",
    f"What is the smallest vertical shift dy >= 1 (whole pixels, downwards) for which "
    f"simlab.pearson(letters[{_Q3_IMAGE}], transforms.shift(letters[{_Q3_IMAGE}], dy=dy)) is below 0.5?",
    answer=_first_shift_below,
    correct=_is_shift(_first_shift_below),
    mistakes=[
        Mistake("gave_r", lambda x: not _is_whole_number(x) and -1 <= scalar(x) <= 1,
                "that looks like a value of r: answer with the shift dy, in whole pixels.",
                example=lambda: _shift_r(dy=_first_shift_below())),
        Mistake("horizontal", _is_shift(lambda: _first_shift_below("dx")),
                "that is the answer for a horizontal shift (dx). The question moves the letter down: "
                "shift(..., dy=dy).", example=lambda: _first_shift_below("dx")),
        Mistake("one_too_few", _is_shift(lambda: _first_shift_below() - 1),
                lambda x: f"at dy = {int(scalar(x))} r is still at least 0.5 "
                          f"({_shift_r(dy=int(scalar(x))):.3f}): one more pixel.",
                example=lambda: _first_shift_below() - 1),
        Mistake("too_many", lambda x: _is_whole_number(x) and int(scalar(x)) > _first_shift_below(),
                "r is already below 0.5 at a smaller shift: we want the first dy where it drops below.",
                example=lambda: _first_shift_below() + 1),
        Mistake("zero", lambda x: _is_whole_number(x) and int(scalar(x)) <= 0,
                "dy = 0 is no shift at all (r = 1), and a negative dy moves the letter up; the question "
                "asks for dy >= 1.", example=lambda: 0),
        Mistake("not_a_number", not_a_number, "answer with one whole number of pixels.",
                example=lambda: [1, 2, 3]),
    ],
    hint=[f"Loop dy = 1, 2, 3, ... and print "
          f"simlab.pearson(letters[{_Q3_IMAGE}], transforms.shift(letters[{_Q3_IMAGE}], dy=dy)).",
          "Stop at the first dy where the value is below 0.5."],
    solution=f"f = letters[{_Q3_IMAGE}]\n"
             "answer = next(dy for dy in range(1, 28)\n"
             "              if simlab.pearson(f, transforms.shift(f, dy=dy)) < 0.5)",
)

# ------------------------------------------------------------------------------------------ q4

_Q4_DELTA = 1.0


def _q4_pair() -> tuple[np.ndarray, np.ndarray]:
    from simlab import transforms

    image = _letters()[0]
    return image, transforms.brightness(image, _Q4_DELTA)


def _q4_expected() -> float:
    from simlab import correlation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the brightened image is constant: r is nan
        return correlation.pearson(*_q4_pair())


def _q4_unclipped() -> float:
    image, _ = _q4_pair()
    return float(np.corrcoef(image.ravel(), image.ravel() + _Q4_DELTA)[0, 1])


q4 = Question(
    "Question 4",
    f"What does simlab.pearson(letters[0], transforms.brightness(letters[0], {_Q4_DELTA})) return?",
    answer=_q4_expected,
    correct=is_nan,
    mistakes=[
        Mistake("unchanged", _near(_q4_unclipped),
                "r ignores brightness only while nothing is clipped (section 4). brightness keeps the "
                f"image in [0, 1]: adding {_Q4_DELTA} pushes every pixel, background included, to 1 or "
                "beyond, so every pixel ends up at exactly 1 — a blank white image.",
                example=_q4_unclipped),
        Mistake("zero", _near(0.0),
                "0 would mean 'no linear relation'. The brightened image is constant (every pixel is 1), "
                "so its standard deviation is 0 and r is 0/0: undefined, not 0. simlab returns nan (with "
                "a RuntimeWarning saying why).", example=lambda: 0.0),
        Mistake("minus_one", lambda x: scalar(x) is not None and scalar(x) == -1,
                "brightening is not inverting. Here every pixel ends up at 1: a constant image, which "
                "has no r at all.", example=lambda: -1.0),
        Mistake("error", equals("error"), "it does not raise: it warns and returns a value.",
                example=lambda: "error"),
        Mistake("string", lambda x: isinstance(x, str),
                "answer with the value itself, np.nan (or float('nan')), not a string.",
                example=lambda: "nan"),
    ],
    hint=["What does brightness(image, 1.0) do to a background pixel (0)? To an ink pixel (0.9)? "
          "brightness clips the result to [0, 1].",
          "Look at np.ptp(transforms.brightness(letters[0], 1.0)). Section 6 says what r does then."],
    solution="answer = np.nan   # every pixel is clipped to 1: a constant image, r = 0/0\n"
             "# check: simlab.pearson(letters[0], transforms.brightness(letters[0], 1.0)) warns, returns nan",
)
