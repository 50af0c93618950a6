"""Exercises for notebook 04, SSIM (``from simlab.exercises import nb04 as ex``).

The questions use ``p, q = ex.exercise_pair()``: a letter G from the letters test split and a noisy
copy of it, float64 in [0, 1] (so ``data_range=1.0``). Neither image reaches 1 (the G's brightest pixel
is 0.81, the noisy copy's 0.98), so a data_range read off the images is not 1 and gets its own message.

Examples
--------
>>> from simlab.exercises import nb04 as ex
>>> bool(ex.q2.check(784)), ex.q2.check(784).mistake
(False, 'whole_map')
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ._core import Mistake, Question, close_to, equals, scalar

__all__ = ["exercise_pair", "q1", "q2", "q3", "q4"]

_WANG = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}


_G = 48  # a G whose brightest pixel is 0.81: the pair's joint range (0.98) is not the data range (1)


def exercise_pair() -> tuple[np.ndarray, np.ndarray]:
    """The two images the exercises use: a letter G and a noisy copy (float64 in [0, 1])."""
    from ..datasets import load_dataset
    from ..transforms import noise

    p = np.array(load_dataset("letters", split="test").by_class("G")[_G], dtype=np.float64)
    return p, noise(p, 0.1, seed=3)


def _ssim(**kwargs: Any) -> float:
    from ..structural import ssim

    p, q = exercise_pair()
    kwargs.setdefault("data_range", 1.0)
    return float(ssim(p, q, **kwargs))


def _full_map_mean(**kwargs: Any) -> float:
    from ..structural import ssim

    p, q = exercise_pair()
    return float(ssim(p, q, data_range=1.0, full=True, **kwargs)[1].mean())


def _own_range() -> float:
    p, _ = exercise_pair()
    with warnings.catch_warnings():  # the mistake itself: ssim warns that q's values exceed this range
        warnings.simplefilter("ignore", RuntimeWarning)
        return _ssim(data_range=float(p.max() - p.min()))


def _joint_range() -> float:
    p, q = exercise_pair()
    return _ssim(data_range=float(max(p.max(), q.max()) - min(p.min(), q.min())))


def _as_uint8() -> float:
    """Section 3's other route: both images rounded to 0..255 (uint8 implies data_range 255)."""
    from ..structural import ssim

    p, q = exercise_pair()
    return float(ssim(*[(x * 255).round().astype(np.uint8) for x in (p, q)]))


def _near(value: Any) -> Any:
    return close_to(value, rtol=1e-6)


# ---------------------------------------------------------------- question 1: data_range


q1 = Question(
    "Question 1",
    "What is the SSIM of p and q with scikit-image's default window settings and the right data_range?",
    answer=lambda: _ssim(),
    mistakes=[
        Mistake("data_range_2", _near(lambda: _ssim(data_range=2.0)),
                "You used data_range=2: that is the range scikit-image used to guess for floats "
                "(assuming [-1, 1]). p and q lie in [0, 1]: pass data_range=1.0.",
                example=lambda: _ssim(data_range=2.0)),
        Mistake("data_range_255", _near(lambda: _ssim(data_range=255.0)),
                "You used data_range=255, the uint8 convention, for float images in [0, 1]: C1 and C2 "
                "become 65,025 times too large and swamp the statistics. Pass data_range=1.0.",
                example=lambda: _ssim(data_range=255.0)),
        Mistake("own_range", _near(_own_range),
                "You used p.max() - p.min(), the range of this one image. data_range is the span the "
                "values *can* take (1.0 for [0, 1]), the same for every image you compare.",
                example=_own_range),
        Mistake("joint_range", _near(_joint_range),
                "You used the range of these two images together (max of both - min of both, about 0.98 "
                "here): neither image happens to reach 1. data_range is the span the values *can* take, "
                "1.0 for images in [0, 1], whatever these two pixels happen to do.",
                example=_joint_range),
        Mistake("uint8_route", _near(_as_uint8),
                "Right scale, but you converted to uint8 first (section 3's other route): that rounds "
                "every pixel to the nearest 1/255, so the score moves (here by about 1e-4). The question "
                "asks for the SSIM of p and q themselves: simlab.ssim(p, q, data_range=1.0).",
                example=_as_uint8),
        Mistake("full_map", _near(lambda: _full_map_mean()),
                "You averaged the full SSIM map including the border. scikit-image crops (7 - 1) / 2 = 3 "
                "pixels on every side before averaging (the windows there stick out of the image).",
                example=lambda: _full_map_mean()),
        Mistake("wang_settings", _near(lambda: _ssim(**_WANG)),
                "That is SSIM with Wang et al.'s Gaussian window and population covariance; the question "
                "asks for scikit-image's defaults (uniform 7x7 window, sample covariance).",
                example=lambda: _ssim(**_WANG)),
    ],
    hint="Float images need data_range: the span of values the pixels can take.",
    solution=("answer_1 = simlab.ssim(p, q, data_range=1.0)\n"
              "# = skimage.metrics.structural_similarity(p, q, data_range=1.0)"),
)


# ---------------------------------------------------------------- question 2: the cropped border


def _integer(answer: Any) -> int | None:
    value = scalar(answer)
    return int(value) if value is not None and float(value).is_integer() else None


_Q2_SIGMA = 1.0  # the notebook works the example through for sigma = 1.5 (324 pixels); this asks for 1.0


def _averaged_pixels(**kwargs: Any) -> int:
    """How many pixels of the 28x28 map scikit-image averages, from the pad simlab reports."""
    from ..structural import ssim_components

    p, q = exercise_pair()
    pad = ssim_components(p, q, data_range=1.0, **kwargs).pad
    return (p.shape[0] - 2 * pad) * (p.shape[1] - 2 * pad)


def _q2_answer() -> int:
    return _averaged_pixels(gaussian_weights=True, sigma=_Q2_SIGMA)


def _q2_is(value: Any) -> Any:
    return lambda answer: _integer(answer) == (value() if callable(value) else value)


def _side(answer: Any) -> bool:
    side = math.isqrt(_q2_answer())
    return _integer(answer) in (side, side + 1)


q2 = Question(
    "Question 2",
    "With a Gaussian window of sigma=1.0 (gaussian_weights=True, sigma=1.0; scikit-image truncates it "
    "at 3.5 sigma), how many of the 784 pixels of a 28x28 SSIM map are averaged into the SSIM score?",
    answer=_q2_answer,
    correct=_q2_is(_q2_answer),
    mistakes=[
        Mistake("whole_map", equals(784),
                "784 is the whole map. The windows of pixels near the border stick out of the image, and "
                "scikit-image crops them before averaging.", example=lambda: 784),
        Mistake("sigma_1_5", _q2_is(lambda: _averaged_pixels(gaussian_weights=True, sigma=1.5)),
                "That is the count for sigma = 1.5 (the notebook's example, an 11x11 window). Redo it for "
                "sigma = 1.0: the radius is int(3.5 * 1.0 + 0.5).",
                example=lambda: _averaged_pixels(gaussian_weights=True, sigma=1.5)),
        Mistake("radius_3", _q2_is(lambda: _averaged_pixels()),
                "That is (28 - 2*3)**2: a radius of 3, the 7x7 uniform window (or a Gaussian cut at "
                "3 sigma). scikit-image cuts its Gaussian at 3.5 sigma: radius int(3.5 * sigma + 0.5).",
                example=lambda: _averaged_pixels()),
        Mistake("one_window", _q2_is(lambda: (28 - math.isqrt(_q2_answer()) + 1) ** 2),
                "That is the number of pixels in one window, not in the averaged part of the map.",
                example=lambda: (28 - math.isqrt(_q2_answer()) + 1) ** 2),
        Mistake("side_only", _side,
                "That is the side of the averaged square: the question asks for its number of pixels.",
                example=lambda: math.isqrt(_q2_answer())),
    ],
    hint=["The radius of scikit-image's Gaussian window is int(truncate * sigma + 0.5) with truncate = 3.5.",
          "A window of radius r is cropped r pixels on every side: (28 - 2r)**2 pixels remain."],
    solution=("r = int(3.5 * 1.0 + 0.5)          # 4: a 9x9 window\n"
              "answer_2 = (28 - 2 * r) ** 2       # 20 * 20\n"
              "# check: simlab.structural.ssim_components(p, q, data_range=1.0, gaussian_weights=True,\n"
              "#                                          sigma=1.0).pad == r"),
)


# ---------------------------------------------------------------- question 3: the constants


def _two_numbers(answer: Any) -> tuple[float, float] | None:
    if isinstance(answer, (tuple, list, np.ndarray)) and len(answer) == 2:
        values = [scalar(x) for x in answer]
        if all(v is not None for v in values):
            return values[0], values[1]  # type: ignore[return-value]
    return None


def _pair_is(expected: tuple[float, float]) -> Any:
    def test(answer: Any) -> bool:
        got = _two_numbers(answer)
        return got is not None and all(math.isclose(g, e, rel_tol=1e-6) for g, e in zip(got, expected))

    return test


_L_UINT16 = 65535  # the notebook prints the constants for ranges up to 255; this asks for uint16


def _constants(L: float, K1: float = 0.01, K2: float = 0.03) -> tuple[float, float]:
    return (K1 * L) ** 2, (K2 * L) ** 2


q3 = Question(
    "Question 3",
    "For two uint16 images (so data_range = 65535) and the default K1 = 0.01, K2 = 0.03, what are "
    "(C1, C2)?",
    answer=lambda: _constants(_L_UINT16),
    correct=lambda answer: _pair_is(_constants(_L_UINT16))(answer),
    mistakes=[
        Mistake("not_a_pair", lambda answer: _two_numbers(answer) is None,
                "Answer with two numbers, (C1, C2).", example=lambda: _constants(_L_UINT16)[0]),
        Mistake("unit_range", _pair_is(_constants(1.0)),
                "Those are the constants for data_range = 1. uint16 images span 0..65535, so L = 65535.",
                example=lambda: _constants(1.0)),
        Mistake("uint8_range", _pair_is(_constants(255)),
                "Those are the constants for uint8 (L = 255). uint16 images span 0..65535.",
                example=lambda: _constants(255)),
        Mistake("levels_not_span", _pair_is(_constants(65536)),
                "Almost: you used L = 65536, the number of grey levels. data_range is the span of the "
                "values, max - min = 65535 - 0.", example=lambda: _constants(65536)),
        Mistake("not_squared", _pair_is((0.01 * _L_UINT16, 0.03 * _L_UINT16)),
                "Almost: the constants are squared, C1 = (K1 * L)**2 and C2 = (K2 * L)**2.",
                example=lambda: (0.01 * _L_UINT16, 0.03 * _L_UINT16)),
        Mistake("swapped", _pair_is(_constants(_L_UINT16)[::-1]),
                "Right numbers, swapped order: C1 uses K1 = 0.01 (the smaller one).",
                example=lambda: _constants(_L_UINT16)[::-1]),
        Mistake("c3", _pair_is((_constants(_L_UINT16)[0], _constants(_L_UINT16)[1] / 2)),
                "The second number is C3 = C2 / 2 (the structure term's constant); the question asks "
                "for C2.", example=lambda: (_constants(_L_UINT16)[0], _constants(_L_UINT16)[1] / 2)),
    ],
    hint=["C1 = (K1 * L)**2 and C2 = (K2 * L)**2, with L = data_range.",
          "For an integer dtype, L = np.iinfo(dtype).max - np.iinfo(dtype).min."],
    solution=("L = np.iinfo(np.uint16).max          # 65535\n"
              "answer_3 = ((0.01 * L) ** 2, (0.03 * L) ** 2)"),
)


# ---------------------------------------------------------------- question 4: Wang et al.'s settings


q4 = Question(
    "Question 4",
    "What is the SSIM of p and q with the settings of Wang et al. (2004): a Gaussian window of "
    "sigma 1.5 and the population covariance (with data_range=1.0)?",
    answer=lambda: _ssim(**_WANG),
    mistakes=[
        Mistake("skimage_defaults", _near(lambda: _ssim()),
                "That is scikit-image's default (uniform 7x7 window, sample covariance). Wang et al. used "
                "gaussian_weights=True, sigma=1.5 and use_sample_covariance=False.",
                example=lambda: _ssim()),
        Mistake("sample_covariance", _near(lambda: _ssim(gaussian_weights=True, sigma=1.5)),
                "Right window, but scikit-image's sample covariance (divide by N - 1) is still on: pass "
                "use_sample_covariance=False.", example=lambda: _ssim(gaussian_weights=True, sigma=1.5)),
        Mistake("uniform_window", _near(lambda: _ssim(use_sample_covariance=False)),
                "Population covariance, but still the uniform 7x7 window: pass gaussian_weights=True, "
                "sigma=1.5.", example=lambda: _ssim(use_sample_covariance=False)),
        Mistake("full_map", _near(lambda: _full_map_mean(**_WANG)),
                "Right settings, but you averaged the whole map: the 5-pixel border of the 11x11 window "
                "is cropped before averaging.", example=lambda: _full_map_mean(**_WANG)),
    ],
    hint="Three keyword arguments of simlab.ssim (or structural_similarity) change.",
    solution=("answer_4 = simlab.ssim(p, q, data_range=1.0, gaussian_weights=True, sigma=1.5,\n"
              "                       use_sample_covariance=False)"),
)
