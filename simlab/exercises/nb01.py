"""Exercises for notebook 01, "Why ``np.corrcoef(image, image)`` is not a similarity score".

Expected values are computed at check time from the embedded data and NumPy, never stored.

Examples
--------
>>> from simlab.exercises import nb01 as ex
>>> ex.q1.check((64, 64)).mistake
'rowvar_true'
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import Mistake, Question, array_close, close_to, has_shape, is_blank, is_nan, not_a_number, scalar

__all__ = ["q1", "q2", "q3", "q4", "q5"]


def _test_images(*indices: int) -> list[np.ndarray]:
    from simlab.datasets import notmnist_dict

    test = notmnist_dict()["test_dataset"]
    return [test[i] for i in indices]


def _quiet_corrcoef(x: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # blank rows give nan, as the notebook shows
        return np.corrcoef(x, y, **kwargs)


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def _near(expected: Any) -> Callable[[Any], bool]:
    """A correlation is right to 1e-6 absolute: on float32 letters scipy.stats.pearsonr computes in
    float32 and differs from the float64 value by about 1e-8 (a relative 1e-6 when r is near 0).
    """
    return close_to(expected, atol=1e-6)


def _nanmean(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(x))


_MATRIX_MEAN = (
    "you took the mean of the 56x56 matrix — that averages row-to-row correlations (mostly between rows "
    "of the same image), not how alike the two images are. "
)

# ------------------------------------------------------------------------------------------ q1


def _as_shape(answer: Any) -> tuple[int, ...] | None:
    """A shape given as a tuple, a list or a 1-D array of whole numbers (how .shape prints, or not)."""
    if isinstance(answer, (tuple, list)) or (isinstance(answer, np.ndarray) and answer.ndim == 1):
        values = [scalar(v) for v in answer]
        if values and all(v is not None and float(v).is_integer() for v in values):
            return tuple(int(v) for v in values)
    return None


def _shape_is(expected: tuple[int, ...]) -> Callable[[Any], bool]:
    return lambda answer: _as_shape(answer) == expected


q1 = Question(
    "Question 1",
    "a and b are two images of 32 rows and 20 columns. What is the shape of "
    "np.corrcoef(a, b, rowvar=False)?",
    answer=lambda: (40, 40),
    correct=_shape_is((40, 40)),
    mistakes=[
        Mistake("rowvar_true", _shape_is((64, 64)),
                "(64, 64) is the shape with the default rowvar=True, where the 32 rows of each image are "
                "the variables. With rowvar=False the variables are the columns.", example=lambda: (64, 64)),
        Mistake("one_block", _shape_is((20, 20)),
                "(20, 20) is one block: the columns of a against the columns of a. b brings 20 more "
                "variables of its own.", example=lambda: (20, 20)),
        Mistake("one_block_rows", _shape_is((32, 32)),
                "(32, 32) would be one block of rows. With rowvar=False the variables are the 20 columns "
                "of each image.", example=lambda: (32, 32)),
        Mistake("flattened", _shape_is((2, 2)),
                "(2, 2) is what two *flattened* images give (two variables). Here the images are 2-D, so "
                "every column is a variable.", example=lambda: (2, 2)),
        Mistake("not_a_shape", lambda x: _as_shape(x) is None,
                "answer with a shape, (rows, columns), like the .shape of an array.", example=lambda: 40),
    ],
    hint=["With rowvar=False every column is a variable. How many columns do a and b have together?",
          "np.corrcoef returns one row and one column per variable."],
    solution="answer = (40, 40)  # 20 columns of a + 20 columns of b = 40 variables\n"
             "# check: np.corrcoef(np.random.rand(32, 20), np.random.rand(32, 20), rowvar=False).shape",
)

# ------------------------------------------------------------------------------------------ q2


def _q2_pair() -> list[np.ndarray]:
    return _test_images(1, 2)


def _q2_expected() -> float:
    return _r(*_q2_pair())


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    x, y = np.ravel(a).astype(float), np.ravel(b).astype(float)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


q2 = Question(
    "Question 2",
    "Compute the Pearson correlation of data['test_dataset'][1] and data['test_dataset'][2] as one number.",
    answer=_q2_expected,
    correct=_near(_q2_expected),
    mistakes=[
        Mistake("matrix_mean_nan", is_nan,
                "your answer is nan, which comes from the 56x56 matrix of the unflattened images. Either "
                + _MATRIX_MEAN + "Blank rows made it nan. Or you took its entry [0, 1]: without "
                "flattening, that is row 0 of the first image against its row 1 (blank here, so nan). "
                "Flatten the images first: np.corrcoef(a.ravel(), b.ravel())[0, 1].",
                example=lambda: _quiet_corrcoef(*_q2_pair()).mean()),
        Mistake("matrix_nanmean", _near(lambda: _nanmean(_quiet_corrcoef(*_q2_pair()))),
                _MATRIX_MEAN + "Flatten the images first: np.corrcoef(a.ravel(), b.ravel()).",
                example=lambda: np.nanmean(_quiet_corrcoef(*_q2_pair()))),
        Mistake("columns_mean", _near(lambda: _nanmean(_quiet_corrcoef(*_q2_pair(), rowvar=False))),
                "you took the mean of np.corrcoef(a, b, rowvar=False): that averages column-to-column "
                "correlations — the same mistake turned sideways. Flatten the images first.",
                example=lambda: np.nanmean(_quiet_corrcoef(*_q2_pair(), rowvar=False))),
        Mistake("ab_block_mean", _near(lambda: _nanmean(_quiet_corrcoef(*_q2_pair())[:28, 28:])),
                "you averaged the a-against-b block: it still correlates row i of a with row j of b for "
                "every i and j. Flatten the images first.",
                example=lambda: np.nanmean(_quiet_corrcoef(*_q2_pair())[:28, 28:])),
        Mistake("diagonal_entry", _near(1.0),
                "1.0 is the [0, 0] entry of the 2x2 matrix: the first image with itself. Take [0, 1].",
                example=lambda: np.corrcoef(*[x.ravel() for x in _q2_pair()])[0, 0]),
        Mistake("uncentred_cosine", _near(lambda: _cosine(*_q2_pair())),
                "that is the cosine of the raw pixel vectors. Pearson's r centres them first (subtracts "
                "each image's mean); np.corrcoef does that for you.",
                example=lambda: _cosine(*_q2_pair())),
        Mistake("two_by_two", has_shape((2, 2)),
                "you gave the whole 2x2 matrix [[1, r], [r, 1]]: r is its entry [0, 1].",
                example=lambda: np.corrcoef(*[x.ravel() for x in _q2_pair()])),
        Mistake("big_matrix", has_shape((56, 56)),
                "that is the 56x56 matrix of row-to-row correlations. Flatten the images first.",
                example=lambda: _quiet_corrcoef(*_q2_pair())),
        Mistake("not_a_number", not_a_number, "answer with one number (a float), not an array or a string.",
                example=lambda: [0.5]),
    ],
    hint=["Flatten both images: every pixel is one observation of the pair (image 1, image 2).",
          "np.corrcoef of two 1-D arrays is a 2x2 matrix; r is its off-diagonal entry."],
    solution="a, b = data['test_dataset'][1], data['test_dataset'][2]\n"
             "answer = np.corrcoef(a.ravel(), b.ravel())[0, 1]   # = simlab.pearson(a, b)",
)

# ------------------------------------------------------------------------------------------ q3


def _q3_blank_rows() -> int:
    (image,) = _test_images(3)
    return int(np.sum(np.ptp(image, axis=1) == 0))


def _q3_expected() -> int:
    (image,) = _test_images(3)
    return int(np.isnan(_quiet_corrcoef(image, image)).sum())


def _blanks(f: Any) -> Any:
    return lambda: f(_q3_blank_rows())


q3 = Question(
    "Question 3",
    "How many entries of np.corrcoef(image, image) are nan for image = data['test_dataset'][3]?",
    answer=_q3_expected,
    correct=close_to(_q3_expected),
    mistakes=[
        Mistake("blank_rows", close_to(_blanks(lambda k: k)),
                "that is the number of blank rows. Each blank row is a variable that appears twice (once "
                "per copy of the image), and each wipes out a whole row and a whole column of the matrix.",
                example=_blanks(lambda k: k)),
        Mistake("variables", close_to(_blanks(lambda k: 2 * k)),
                "that is the number of constant variables (each blank row, twice). Each of them makes a "
                "whole row and a whole column of the 56x56 matrix nan.", example=_blanks(lambda k: 2 * k)),
        Mistake("rows_only", close_to(_blanks(lambda k: 2 * k * 56)),
                "you counted the nan rows of the matrix but not the nan columns (the matrix is symmetric).",
                example=_blanks(lambda k: 2 * k * 56)),
        Mistake("double_count", close_to(_blanks(lambda k: 2 * (2 * k * 56))),
                "you counted nan rows and nan columns, but the entries where they cross were counted twice.",
                example=_blanks(lambda k: 4 * k * 56)),
        Mistake("crossings_only", close_to(_blanks(lambda k: (2 * k) ** 2)),
                "that counts only the entries where two blank rows meet. A blank row is nan against *every* "
                "row, blank or not.", example=_blanks(lambda k: (2 * k) ** 2)),
        Mistake("one_block", close_to(_blanks(lambda k: 28**2 - (28 - k) ** 2)),
                "that is the count in one 28x28 block. np.corrcoef(image, image) has four of them.",
                example=_blanks(lambda k: 28**2 - (28 - k) ** 2)),
        Mistake("not_a_number", not_a_number, "answer with one whole number.", example=lambda: "many"),
    ],
    hint=["Count the blank rows: np.sum(image.std(axis=1) == 0). The matrix has 56 variables; how many "
          "are constant?",
          "The entries that are *not* nan form a square: the non-constant variables against each other."],
    solution="image = data['test_dataset'][3]\n"
             "k = np.sum(image.std(axis=1) == 0)      # blank rows\n"
             "answer = 56**2 - (56 - 2 * k) ** 2       # = np.isnan(np.corrcoef(image, image)).sum()",
)

# ------------------------------------------------------------------------------------------ q4


def _q4_table() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(100, 5)).cumsum(axis=1)


q4 = Question(
    "Question 4",
    "X = np.random.default_rng(0).normal(size=(100, 5)).cumsum(axis=1) has one row per observation and "
    "one column per feature. Compute the 5x5 correlation matrix of its features.",
    answer=lambda: np.corrcoef(_q4_table(), rowvar=False),
    correct=array_close(lambda: np.corrcoef(_q4_table(), rowvar=False)),
    mistakes=[
        Mistake("rowvar_default", has_shape((100, 100)),
                "you got 100x100: np.corrcoef's default rowvar=True treats each of the 100 rows as a "
                "variable. Pass rowvar=False (or transpose X).", example=lambda: np.corrcoef(_q4_table())),
        Mistake("covariance", array_close(lambda: np.cov(_q4_table(), rowvar=False)),
                "that is the covariance matrix. Correlation divides each covariance by the two standard "
                "deviations: use np.corrcoef.", example=lambda: np.cov(_q4_table(), rowvar=False)),
        Mistake("wrong_shape", lambda x: np.shape(x) != (5, 5),
                lambda x: f"your answer has shape {np.shape(x)}; five features give a 5x5 matrix.",
                example=lambda: np.corrcoef(_q4_table()[:, :2], rowvar=False)),
    ],
    hint="np.corrcoef expects variables in rows by default. Here the variables are the columns.",
    solution="X = np.random.default_rng(0).normal(size=(100, 5)).cumsum(axis=1)\n"
             "answer = np.corrcoef(X, rowvar=False)   # or np.corrcoef(X.T)",
)

# ------------------------------------------------------------------------------------------ q5

_Q5_PAIRS = ((0, 1), (1, 2), (3, 7), (4, 4), (5, 9))
_Q5_CROP = (slice(2, 22), slice(4, 28))  # "any (equal) shape": one pair is cropped to 20x24


def _q5_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    images = _test_images(*range(10))
    pairs = [(images[i], images[j]) for i, j in _Q5_PAIRS]
    return pairs + [(images[0][_Q5_CROP], images[1][_Q5_CROP])]


def _q5_results(function: Any, *, square_only: bool = False) -> list[Any]:
    pairs = _q5_pairs()
    return [function(a, b) for a, b in (pairs[:-1] if square_only else pairs)]


def _q5_expected() -> list[float]:
    return _q5_results(_r)


def _q5_correct(function: Any) -> bool:
    return all(_near(want)(got) for got, want in zip(_q5_results(function), _q5_expected()))


def _q5_like(reference: Any) -> Any:
    def test(function: Any) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got, want = _q5_results(function), _q5_results(reference)
        return all(_near(w)(g) for g, w in zip(got, want))

    return test


def _only_28x28(function: Any) -> bool:
    """Right on the 28x28 pairs, but raises or is wrong on the 20x24 pair (e.g. reshape(784))."""
    square = _q5_results(function, square_only=True)
    if not all(_near(want)(got) for got, want in zip(square, _q5_expected())):
        return False
    a, b = _q5_pairs()[-1]
    try:
        return not _near(_r(a, b))(function(a, b))
    except Exception:
        return True


def _rows_0_1(a: np.ndarray, b: np.ndarray) -> float:
    """np.corrcoef(a, b)[0, 1] without ravel: row 0 of a against row 1 of a."""
    return float(_quiet_corrcoef(a, b)[0, 1])


def _matrix_mean(a: np.ndarray, b: np.ndarray) -> float:
    return float(_quiet_corrcoef(a, b).mean())


def _matrix_nanmean(a: np.ndarray, b: np.ndarray) -> float:
    return _nanmean(_quiet_corrcoef(a, b))


q5 = Question(
    "Question 5",
    "Write a function similarity(a, b) that returns Pearson's r of two images of any (equal) shape as a "
    "single number.",
    answer=lambda: _r,
    correct=_q5_correct,
    unanswered=lambda f: callable(f) and is_blank(f(np.eye(3), np.eye(3))),
    mistakes=[
        Mistake("not_a_function", lambda f: not callable(f),
                "pass the function itself, check(similarity), not its result.", example=lambda: 0.5),
        Mistake("no_ravel", _q5_like(_rows_0_1),
                "your function returns np.corrcoef(a, b)[0, 1] without flattening: with 2-D images every "
                "row is a variable, so entry [0, 1] correlates row 0 of a with row 1 of a — two rows of "
                "the same image, and nan when either is blank. Flatten first: "
                "np.corrcoef(a.ravel(), b.ravel())[0, 1].",
                example=lambda: (lambda a, b: np.corrcoef(a, b)[0, 1])),
        Mistake("only_28x28", _only_28x28,
                "right for 28x28 images, but the check's 20x24 pair fails: your function assumes 784 pixels "
                "(e.g. reshape(784)). Use a.ravel() (or np.ravel(a)), which works for any shape.",
                example=lambda: (lambda a, b: np.corrcoef(a.reshape(784), b.reshape(784))[0, 1])),
        Mistake("matrix_mean", lambda f: any(is_nan(x) for x in _q5_results(f)),
                "your function returns nan for some pairs of letters: " + _MATRIX_MEAN
                + "Blank rows make it nan. Flatten the images first.", example=lambda: _matrix_mean),
        Mistake("matrix_nanmean", _q5_like(_matrix_nanmean),
                _MATRIX_MEAN + "Flatten the images first.", example=lambda: _matrix_nanmean),
        Mistake("returns_matrix", lambda f: any(np.ndim(x) > 0 for x in _q5_results(f)),
                "your function returns an array. np.corrcoef of two flattened images is 2x2: return its "
                "entry [0, 1].", example=lambda: (lambda a, b: np.corrcoef(a.ravel(), b.ravel()))),
        Mistake("diagonal_entry", lambda f: all(_near(1.0)(x) for x in _q5_results(f)),
                "your function always returns 1: that is the [0, 0] entry (an image with itself). Return "
                "[0, 1].", example=lambda: (lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 0])),
        Mistake("uncentred_cosine", _q5_like(_cosine),
                "that is the cosine of the raw pixel vectors. Pearson's r subtracts each image's mean first.",
                example=lambda: _cosine),
    ],
    hint="One line: flatten both images, np.corrcoef, take the off-diagonal entry.",
    solution="def similarity(a, b):\n    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]   # = simlab.pearson(a, b)",
)
