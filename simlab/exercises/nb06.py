"""Exercises for notebook 06, "Choosing a metric".

``from simlab.exercises import ____, nb06 as ex`` then ``ex.q1.check(answer)``, ``ex.q1.hint()``,
``ex.q1.solution()``. The right answers are computed here, at check time, from simlab itself.

Examples
--------
>>> from simlab.exercises import nb06 as ex
>>> ex.q4.check(20.0).correct, ex.q4.check(2.0).mistake
(True, 'bels')
"""

from __future__ import annotations

import numpy as np

from ..evaluation import chance_precision, precision_at_k
from ._core import Mistake, Question, close_to

__all__ = ["q1", "q2", "q3", "q4"]


def _chance(per_class: int = 50, classes: int = 10) -> float:
    return chance_precision(np.repeat(np.arange(classes), per_class))


q1 = Question(
    "Question 1",
    "Section 2 used the whole letters test split (10 classes of 100 images). A quicker run keeps 50 "
    "letters per class (500 images). In leave-one-out retrieval on those 500 (each image is a query, all "
    "the OTHER images are candidates), what precision@1 does a random ranking get?",
    answer=_chance,
    correct=close_to(_chance, rtol=5e-4),
    mistakes=[
        Mistake(
            "query_counted", close_to(0.1, rtol=1e-9),
            "0.1 = 50/500 counts the query itself as a candidate. Leave-one-out removes it: of the "
            "499 candidates, how many share the query's class?",
            example=lambda: 0.1,
        ),
        Mistake(
            "full_split", close_to(lambda: _chance(per_class=100), rtol=5e-4),
            "That is the chance level of the whole split, 100 letters per class (99 / 999), printed in "
            "section 2. With 50 per class, count the same-class candidates and all candidates again.",
            example=lambda: 99 / 999,
        ),
        Mistake(
            "query_kept_as_candidate", close_to(49 / 500, rtol=1e-6),
            "49 / 500 = 0.098 removes the query from the hits but not from the candidates: the query is "
            "not a candidate either, so divide by 499. (If you rounded the right value to 0.098, pass the "
            "full value instead.)",
            example=lambda: 49 / 500,
        ),
        Mistake(
            "percent", close_to(lambda: 100 * _chance(), rtol=5e-4),
            "Right value, as a percentage: the question asks for precision@1 as a share in [0, 1] "
            "(divide by 100).",
            example=lambda: 100 * _chance(),
        ),
        Mistake(
            "one_image", lambda a: any(close_to(v, rtol=2e-3)(a) for v in (1 / 499, 1 / 500)),
            "That is the chance of drawing one particular image. Any image of the same class counts "
            "as a hit, and there are 49 of them among the candidates.",
            example=lambda: 1 / 499,
        ),
    ],
    hint=["Count the candidates (everything but the query) and the hits (same class, not the query).",
          "hits / candidates = (50 - 1) / (500 - 1)."],
    solution=(
        "answer = (50 - 1) / (10 * 50 - 1)   # 0.0982, a little under 1/10\n"
        "# the same: simlab.evaluation.chance_precision(np.repeat(np.arange(10), 50))"
    ),
)


def _digits_subset(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    from ..datasets import load_dataset

    ds = load_dataset("digits", split="test")[:n]
    return ds.images, ds.labels


def _mse_precision(*, exclude_self: bool = True, higher_is_better: bool = False) -> float:
    from ..batch import pairwise

    images, labels = _digits_subset()
    matrix = pairwise(images, metric="mse", progress=False)
    if not exclude_self:  # the classic slip: the diagonal (each image with itself) is left in
        best = np.argmax(matrix if higher_is_better else -matrix, axis=1)
        return float(np.mean(labels[best] == labels))
    return precision_at_k(matrix, labels, 1, direction="higher" if higher_is_better else "lower")


q2 = Question(
    "Question 2",
    "Take the first 200 images of the digits test split (load_dataset('digits', split='test')[:200]). "
    "What is the leave-one-out precision@1 of MSE on them? (simlab.pairwise gives the matrix.)",
    answer=_mse_precision,
    correct=close_to(_mse_precision, rtol=1e-9, atol=1e-12),
    mistakes=[
        Mistake(
            "diagonal", close_to(1.0, rtol=1e-12),
            "1.0 means every image found... itself: the diagonal of the pairwise matrix is each image "
            "against itself (MSE 0). Set it to the worst possible score (np.inf for MSE) first.",
            example=lambda: 1.0,
        ),
        Mistake(
            "wrong_direction", close_to(lambda: _mse_precision(higher_is_better=True), rtol=1e-9),
            "You took the LARGEST MSE: for MSE lower is more similar (simlab.METRICS['mse'].direction == 'lower'). "
            "Your answer is the precision of the least similar image.",
            example=lambda: _mse_precision(higher_is_better=True),
        ),
        Mistake(
            "percent", close_to(lambda: 100 * _mse_precision(), rtol=1e-9),
            "Right value, as a percentage: precision@1 is a share in [0, 1] (divide by 100).",
            example=lambda: 100 * _mse_precision(),
        ),
        Mistake(
            "diagonal_percent", close_to(100.0, rtol=1e-12),
            "100 % means every image found... itself: the diagonal of the pairwise matrix is each image "
            "against itself (MSE 0). Set it to np.inf first; and answer with a share in [0, 1].",
            example=lambda: 100.0,
        ),
    ],
    hint=["D = simlab.pairwise(images, metric='mse'); D[i, j] is the MSE of image i and image j.",
          "Exclude each image from its own search: np.fill_diagonal(D, np.inf), then argmin per row."],
    solution=(
        "ds = simlab.load_dataset('digits', split='test')[:200]\n"
        "D = simlab.pairwise(ds.images, metric='mse')\n"
        "np.fill_diagonal(D, np.inf)              # leave one out\n"
        "nearest = D.argmin(axis=1)              # lower MSE = more similar\n"
        "answer = np.mean(ds.labels[nearest] == ds.labels)"
    ),
)


def _inversion_changes_mi(dtype: type = np.float32) -> np.ndarray:
    """Per test letter: does MI(x, invert(x)) differ from MI(x, x) by more than 1e-9 bits?

    ``dtype=np.float32`` is the letters as stored; ``np.float64`` the float64 copies notebook 03 also
    measures. Which pixels lie exactly on a bin edge depends on the precision (the edges are rounded
    to the images' own type), so the two shares differ: 0.301 and 0.26.
    """
    from ..datasets import load_dataset
    from ..information import mutual_information
    from ..transforms import invert

    letters = load_dataset("letters", split="test")
    return np.array([abs(mutual_information(x, invert(x)) - mutual_information(x, x)) > 1e-9
                     for x in letters.images.astype(dtype)])


def _share_changed(dtype: type = np.float32) -> float:
    return float(np.mean(_inversion_changes_mi(dtype)))


q3 = Question(
    "Question 3",
    "Mutual information forgives inversion only almost: for some letters MI(x, invert(x)) differs from "
    "MI(x, x). Over the 1,000 letters of the test split, what SHARE of letters (a number in [0, 1]) have "
    "MI(x, simlab.transforms.invert(x)) different from MI(x, x) by more than 1e-9 bits?",
    answer=_share_changed,
    correct=close_to(_share_changed, rtol=1e-9, atol=1e-12),
    also_correct=[
        Mistake(
            "float64_copies", close_to(lambda: _share_changed(np.float64), rtol=1e-9, atol=1e-12),
            lambda _: f"You measured on float64 copies ({_share_changed(np.float64):.3f}); on the letters as "
            f"stored, in float32, it is {_share_changed():.3f}. Both are right for their precision: "
            "whether a pixel lies exactly on a bin edge depends on how the edges are rounded (notebook 03, "
            "section 6).",
            example=lambda: _share_changed(np.float64),
        ),
    ],
    mistakes=[
        Mistake(
            "exact_invariance", close_to(0.0, atol=1e-12),
            "0 would mean inversion never changes MI. Inversion is a one-to-one remapping of grey levels, "
            "but MI is computed on a histogram with fixed bins: a pixel exactly on a bin edge (e.g. 0.5 "
            "with 16 bins over [0, 1]) lands in another bin once inverted. Measure it: compare MI(x, "
            "invert(x)) with MI(x, x) for every letter.",
            example=lambda: 0.0,
        ),
        Mistake(
            "percent", close_to(lambda: 100 * _share_changed(), rtol=1e-9),
            "That is a percentage: the question asks for a share in [0, 1] (divide by 100).",
            example=lambda: 100 * _share_changed(),
        ),
        Mistake(
            "percent_float64", close_to(lambda: 100 * _share_changed(np.float64), rtol=1e-9),
            "That is a percentage (of the float64 copies): the question asks for a share in [0, 1] "
            "(divide by 100).",
            example=lambda: 100 * _share_changed(np.float64),
        ),
        Mistake(
            "count", close_to(lambda: float(np.sum(_inversion_changes_mi())), rtol=1e-9),
            "That is the number of letters: divide by the 1,000 letters for the share.",
            example=lambda: float(np.sum(_inversion_changes_mi())),
        ),
    ],
    hint=["Loop over letters.images (load_dataset('letters', split='test')) and compare "
          "simlab.mutual_information(x, transforms.invert(x)) with simlab.mutual_information(x, x).",
          "changed = [abs(mi(x, invert(x)) - mi(x, x)) > 1e-9 for x in letters.images]; the share is "
          "np.mean(changed)."],
    solution=(
        "mi, test_letters = simlab.mutual_information, simlab.load_dataset('letters', split='test')\n"
        "changed = [abs(mi(x, transforms.invert(x)) - mi(x, x)) > 1e-9 for x in test_letters.images]\n"
        "answer = np.mean(changed)   # 0.301 (0.26 on float64 copies), by up to a few per cent of MI"
    ),
)


def _psnr_at_mse_001() -> float:
    from ..errors import psnr

    return float(psnr(np.zeros((28, 28)), np.full((28, 28), 0.1), data_range=1.0))


q4 = Question(
    "Question 4",
    "Two images with values in [0, 1] (data_range 1) have MSE 0.01. What is their PSNR, in dB? "
    "(PSNR = 10 log10(data_range**2 / MSE).)",
    answer=_psnr_at_mse_001,
    correct=close_to(_psnr_at_mse_001, rtol=1e-6),
    mistakes=[
        Mistake("bels", close_to(2.0), "log10(1 / 0.01) = 2 is in bels; a decibel is a tenth of a bel, "
                "so multiply by 10.", example=lambda: 2.0),
        Mistake("amplitude", close_to(40.0), "20 log10 is for amplitudes (the RMSE); MSE is a power: "
                "10 log10(1 / MSE).", example=lambda: 40.0),
        Mistake("no_log", close_to(100.0), "1 / MSE = 100 is the ratio itself; PSNR is its logarithm, in dB.",
                example=lambda: 100.0),
        Mistake("negative", close_to(-20.0), "The ratio is data_range**2 / MSE, not MSE / data_range**2.",
                example=lambda: -20.0),
        Mistake("rmse_power", close_to(10.0),
                "10 = 10 log10(1 / 0.1): you put the RMSE (sqrt(0.01) = 0.1) where the MSE goes. Either "
                "10 log10(data_range**2 / MSE) with the MSE, or 20 log10(data_range / RMSE) with the RMSE.",
                example=lambda: 10.0),
    ],
    hint="data_range**2 / MSE = 1 / 0.01 = 100. Now take 10 log10 of that.",
    solution="answer = 10 * np.log10(1.0**2 / 0.01)   # 20 dB; equals simlab.psnr on such a pair",
)

