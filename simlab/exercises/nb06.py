"""Exercises for notebook 06, "Choosing a metric".

``from simlab.exercises import ____, nb06 as ex`` then ``ex.q1.check(answer)``, ``ex.q1.hint()``,
``ex.q1.solution()``. The right answers are computed here, at check time, from simlab itself.

Examples
--------
>>> from simlab.exercises import nb06 as ex
>>> ex.q3.check("mutual_information").correct, ex.q3.check("pearson").mistake
(True, 'pearson_sign')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import Mistake, Question, close_to

__all__ = ["leave_one_out_precision_at_1", "q1", "q2", "q3", "q4"]

_INVARIANT_TO_INVERSION = ("mutual_information", "normalized_mutual_information")


def _chance(per_class: int = 100, classes: int = 10) -> float:
    return (per_class - 1) / (per_class * classes - 1)


q1 = Question(
    "Question 1",
    "The letters subset has 10 classes of 100 images. In leave-one-out retrieval (each image is a "
    "query, all the OTHER images are candidates), what precision@1 does a random ranking get?",
    answer=_chance,
    correct=close_to(_chance, rtol=2e-3),
    mistakes=[
        Mistake(
            "query_counted", close_to(0.1, rtol=1e-9),
            "0.1 = 100/1000 counts the query itself as a candidate. Leave-one-out removes it: of the "
            "999 candidates, how many share the query's class?",
            example=lambda: 0.1,
        ),
        Mistake(
            "one_image", lambda a: any(close_to(v, rtol=2e-3)(a) for v in (1 / 999, 1 / 1000)),
            "That is the chance of drawing one particular image. Any image of the same class counts "
            "as a hit, and there are 99 of them among the candidates.",
            example=lambda: 1 / 999,
        ),
    ],
    hint=["Count the candidates (everything but the query) and the hits (same class, not the query).",
          "hits / candidates = (100 - 1) / (1000 - 1)."],
    solution="answer = (100 - 1) / (10 * 100 - 1)   # 0.0991, a little under 1/10",
)


def _digits_subset(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    from ..datasets import load_dataset

    ds = load_dataset("digits", split="test")[:n]
    return ds.images, ds.labels


def leave_one_out_precision_at_1(matrix: Any, labels: Any, higher_is_better: bool) -> float:
    """Share of rows whose best column, other than the row itself, has the row's label.

    Parameters
    ----------
    matrix : array_like, (N, N)
        ``matrix[i, j]`` = score of image i against image j (e.g. :func:`simlab.pairwise`).
    labels : array_like, (N,)
    higher_is_better : bool
        ``simlab.METRICS[metric] == "higher"``.

    Returns
    -------
    float
        precision@1 in [0, 1].

    Examples
    --------
    >>> m = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])  # distances
    >>> leave_one_out_precision_at_1(m, [0, 0, 1], higher_is_better=False)
    0.6666666666666666
    """
    scores = np.array(matrix, dtype=float)
    scores = scores if higher_is_better else -scores
    np.fill_diagonal(scores, -np.inf)  # the query may not find itself
    nearest = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=1)
    labels = np.asarray(labels)
    return float(np.mean(labels[nearest] == labels))


def _mse_precision(*, exclude_self: bool = True, higher_is_better: bool = False) -> float:
    from ..batch import pairwise

    images, labels = _digits_subset()
    matrix = pairwise(images, metric="mse", progress=False)
    if not exclude_self:  # the classic slip: the diagonal (each image with itself) is left in
        best = np.argmax(matrix if higher_is_better else -matrix, axis=1)
        return float(np.mean(labels[best] == labels))
    return leave_one_out_precision_at_1(matrix, labels, higher_is_better)


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
            "You took the LARGEST MSE: for MSE lower is more similar (simlab.METRICS['mse'] == 'lower'). "
            "Your answer is the precision of the least similar image.",
            example=lambda: _mse_precision(higher_is_better=True),
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


def _mentions(name: str):
    return lambda answer: isinstance(answer, str) and answer.strip().lower() == name


q3 = Question(
    "Question 3",
    "Which metric gives a letter and its negative (simlab.transforms.invert) exactly the score of the "
    "letter with itself? Answer with its name as in simlab.METRICS.",
    answer=lambda: _INVARIANT_TO_INVERSION[0],
    correct=lambda answer: isinstance(answer, str) and answer.strip().lower() in _INVARIANT_TO_INVERSION,
    mistakes=[
        Mistake(
            "pearson_sign", _mentions("pearson"),
            "Pearson's r of a letter and its negative is exactly -1: as strong a relation as r = 1, "
            "but r reports it as 'opposite', and a ranking puts it last. Which metric only asks how "
            "well one image's grey levels predict the other's, whatever the mapping?",
            example=lambda: "pearson",
        ),
        Mistake(
            "ssim_structure", _mentions("ssim"),
            "SSIM's structure term is a local correlation, so it flips sign like Pearson's r; the "
            "luminance term drops too. Look at the 'invert' column of the heat map.",
            example=lambda: "ssim",
        ),
        Mistake(
            "pixel_error", lambda a: isinstance(a, str) and a.strip().lower() in ("mse", "psnr"),
            "Inversion changes almost every pixel by a lot, so MSE is large and PSNR low: the pair "
            "looks very different to a pixel-by-pixel error.",
            example=lambda: "mse",
        ),
    ],
    hint="Inversion is a one-to-one remapping of grey levels (v -> 1 - v). Which metric depends only "
         "on the joint histogram, not on the grey levels themselves?",
    solution=(
        "a = simlab.load_dataset('letters')[0]\n"
        "simlab.mutual_information(a, simlab.transforms.invert(a)) == simlab.mutual_information(a, a)\n"
        "answer = 'mutual_information'   # 'normalized_mutual_information' is right too"
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
    ],
    hint="data_range**2 / MSE = 1 / 0.01 = 100. Now take 10 log10 of that.",
    solution="answer = 10 * np.log10(1.0**2 / 0.01)   # 20 dB; equals simlab.psnr on such a pair",
)

