"""Exercises for notebook 03, mutual information (``from simlab.exercises import nb03 as ex``).

All questions use the same two images, ``p, q = ex.exercise_pair()``: two drawings of the letter
B from the letters test split, floats in [0, 1].

Examples
--------
>>> from simlab.exercises import nb03 as ex
>>> bool(ex.q1.check(ex.q1.answer()))
True
>>> ex.q1.check(ex.q1.answer() * np.log(2)).mistake
'nats'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._core import Mistake, Question, close_to

__all__ = ["OPTIONS", "exercise_pair", "q1", "q2", "q3", "q4"]

_BINS = 16
_LN2 = math.log(2)


def exercise_pair() -> tuple[np.ndarray, np.ndarray]:
    """The two images the exercises use: two drawings of B (float32 copies, values in [0, 1])."""
    from ..datasets import load_dataset

    letters = load_dataset("letters", split="test").by_class("B")
    return np.array(letters[0]), np.array(letters[6])


# ---------------------------------------------------------------- the quantities the checks need


def _entropy_bits(image: np.ndarray, bins: int) -> float:
    from ..information import entropy

    return entropy(np.histogram(image, bins=bins)[0], base=2)


def _mi(bins: int = _BINS, base: float = 2) -> float:
    from ..information import mutual_information

    p, q = exercise_pair()
    return mutual_information(p, q, bins=bins, base=base)


def _raw_float_mi_nats() -> float:
    import warnings

    from sklearn.metrics import mutual_info_score

    p, q = exercise_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(mutual_info_score(p.ravel(), q.ravel()))


def _all_edges_mi_bits() -> float:
    """MI with labels from ``np.digitize(x, edges)`` (all 17 edges): the maximum gets its own label."""
    from sklearn.metrics import mutual_info_score

    p, q = exercise_pair()
    labels = [np.digitize(x.ravel(), np.histogram_bin_edges(x, bins=_BINS)) for x in (p, q)]
    return float(mutual_info_score(*labels)) / _LN2


def _nmi(method: str, bins: int = _BINS) -> float:
    from ..information import normalized_mutual_information

    p, q = exercise_pair()
    return normalized_mutual_information(p, q, bins=bins, method=method)


def _raw_float_nmi() -> float:
    """sklearn's normalized_mutual_info_score on raw float pixels: every distinct value a label."""
    import warnings

    from sklearn.metrics import normalized_mutual_info_score

    p, q = exercise_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(normalized_mutual_info_score(p.ravel(), q.ravel()))


def _fixed_range_counts(image: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Histogram (or joint histogram) with 16 bins over the fixed range [0, 1], not min..max."""
    if other is None:
        return np.histogram(image, bins=_BINS, range=(0.0, 1.0))[0]
    return np.histogram2d(image.ravel(), other.ravel(), bins=_BINS, range=[[0.0, 1.0], [0.0, 1.0]])[0]


def _fixed_range_entropy() -> float:
    from ..information import entropy

    return entropy(_fixed_range_counts(exercise_pair()[0]), base=2)


def _fixed_range_mi() -> float:
    from ..information import entropy

    joint = _fixed_range_counts(*exercise_pair())
    return entropy(joint.sum(axis=1)) + entropy(joint.sum(axis=0)) - entropy(joint)


def _near(value: Any) -> Any:
    return close_to(value, rtol=1e-4)


# ---------------------------------------------------------------- question 1: entropy


def _q1_answer() -> float:
    return _entropy_bits(exercise_pair()[0], _BINS)


def _q1_distinct() -> float:
    from ..information import entropy

    return entropy(np.unique(exercise_pair()[0], return_counts=True)[1], base=2)


q1 = Question(
    "Question 1",
    "What is the entropy H(p), in bits, of image p's histogram with 16 equal-width bins?",
    answer=_q1_answer,
    mistakes=[
        Mistake("nats", _near(lambda: _q1_answer() * _LN2),
                "That is the entropy in nats (natural logarithm). Use log base 2 for bits: np.log2, "
                "or divide your answer by ln 2.", example=lambda: _q1_answer() * _LN2),
        Mistake("numpy_default_bins", _near(lambda: _entropy_bits(exercise_pair()[0], 10)),
                "That is the entropy with 10 bins, np.histogram's default: pass bins=16.",
                example=lambda: _entropy_bits(exercise_pair()[0], 10)),
        Mistake("skimage_default_bins", _near(lambda: _entropy_bits(exercise_pair()[0], 100)),
                "That is the entropy with 100 bins (scikit-image's default): the question asks for 16.",
                example=lambda: _entropy_bits(exercise_pair()[0], 100)),
        Mistake("distinct_values", _near(_q1_distinct),
                "You counted every distinct grey level as its own bin (e.g. np.unique(p, "
                "return_counts=True)): bin the pixels first, np.histogram(p, bins=16).",
                example=_q1_distinct),
        Mistake("fixed_range", _near(_fixed_range_entropy),
                "You spread the 16 bins over the fixed range [0, 1] (range=(0, 1), or edges "
                "np.linspace(0, 1, 17)). np.histogram's bins, like simlab's, span the image's own "
                "minimum..maximum: np.histogram(p, bins=16) without range=.",
                example=_fixed_range_entropy),
        Mistake("sign", _near(lambda: -_q1_answer()),
                "An entropy is never negative: H = -sum(p * log2(p)). You dropped the minus sign.",
                example=lambda: -_q1_answer()),
    ],
    hint=["counts, edges = np.histogram(p, bins=16); turn counts into probabilities; skip the empty bins.",
          "H = -sum(prob * log2(prob)) over the bins with prob > 0."],
    solution=("counts, _ = np.histogram(p, bins=16)\n"
              "prob = counts[counts > 0] / counts.sum()\n"
              "answer_1 = -np.sum(prob * np.log2(prob))\n"
              "# or: simlab.information.entropy(counts)"),
)


# ---------------------------------------------------------------- question 2: MI with scikit-learn


q2 = Question(
    "Question 2",
    "Using sklearn.metrics.mutual_info_score, compute the mutual information of p and q in bits, "
    "with 16 equal-width bins per image (the same number simlab.mutual_information(p, q) gives).",
    answer=_mi,
    mistakes=[
        Mistake("raw_floats_nats", _near(_raw_float_mi_nats),
                "You passed raw float pixels to mutual_info_score: it treats every distinct value as a "
                "label, so the result depends on how many values happen to be distinct, not on the "
                "images. Bin first: labels = np.digitize(p.ravel(), edges[1:-1]).",
                example=_raw_float_mi_nats),
        Mistake("raw_floats_bits", _near(lambda: _raw_float_mi_nats() / _LN2),
                "You passed raw float pixels to mutual_info_score (then converted to bits): every "
                "distinct value became its own label. Bin each image into 16 bins first.",
                example=lambda: _raw_float_mi_nats() / _LN2),
        Mistake("nats", _near(lambda: _mi() * _LN2),
                "Right labels, wrong unit: mutual_info_score answers in nats. Divide by np.log(2).",
                example=lambda: _mi() * _LN2),
        Mistake("all_edges", _near(_all_edges_mi_bits),
                "Close: you digitised with all 17 edges, so each image's maximum pixel got a 17th label "
                "of its own. Use the 15 inner edges, edges[1:-1] (numpy's last bin includes its right "
                "edge).", example=_all_edges_mi_bits),
        Mistake("bins_100", _near(lambda: _mi(bins=100)),
                "That is MI with 100 bins (scikit-image's default), inflated by the few-pixels bias; "
                "the question asks for 16.", example=lambda: _mi(bins=100)),
        Mistake("fixed_range", _near(_fixed_range_mi),
                "You cut both images into 16 bins over the fixed range [0, 1] (e.g. edges "
                "np.linspace(0, 1, 17)). The question, like simlab and np.histogram2d, uses 16 bins over "
                "each image's own minimum..maximum: edges = np.histogram_bin_edges(p, bins=16).",
                example=_fixed_range_mi),
    ],
    hint=["mutual_info_score wants labels: give each pixel the number of its bin.",
          "edges = np.histogram_bin_edges(p, bins=16); labels_p = np.digitize(p.ravel(), edges[1:-1]); "
          "the result is in nats."],
    solution=("from sklearn.metrics import mutual_info_score\n"
              "labels = [np.digitize(x.ravel(), np.histogram_bin_edges(x, bins=16)[1:-1]) for x in (p, q)]\n"
              "answer_2 = mutual_info_score(*labels) / np.log(2)   # nats -> bits\n"
              "# check: simlab.mutual_information(p, q, bins=16)"),
)


# ---------------------------------------------------------------- question 3: which NMI


def _q3_mistake(method: str, text: str) -> Mistake:
    return Mistake(method, _near(lambda: _nmi(method)), text, example=lambda: _nmi(method))


q3 = Question(
    "Question 3",
    "What is the normalised mutual information of p and q (16 bins) as "
    "sklearn.metrics.normalized_mutual_info_score computes it by default?",
    answer=lambda: _nmi("arithmetic"),
    mistakes=[
        _q3_mistake("studholme", "That is Studholme's NMI, (H(A) + H(B)) / H(A, B), in [1, 2]: scikit-image's "
                                 "normalisation. scikit-learn's default divides MI by the arithmetic mean "
                                 "of H(A) and H(B), giving a number in [0, 1]."),
        _q3_mistake("geometric", "That is the geometric normalisation, MI / sqrt(H(A) H(B)); scikit-learn's "
                                 "default average_method is 'arithmetic'."),
        _q3_mistake("min", "That divides by min(H(A), H(B)); scikit-learn's default is the arithmetic mean."),
        _q3_mistake("max", "That divides by max(H(A), H(B)); scikit-learn's default is the arithmetic mean."),
        Mistake("unnormalised", _near(_mi),
                "That is the plain MI in bits: normalise it by an entropy.", example=_mi),
        Mistake("raw_floats", _near(_raw_float_nmi),
                "You passed raw float pixels to normalized_mutual_info_score (Mistake 1 of the notebook): "
                "it treats every distinct grey level as its own label. Bin each image into 16 bins first "
                "and pass the bin labels.", example=_raw_float_nmi),
        Mistake("skimage_default_bins", _near(lambda: _nmi("studholme", bins=100)),
                "That is skimage.metrics.normalized_mutual_information with its default bins=100 "
                "(Mistake 3 of the notebook): Studholme's NMI, inflated by 100 bins on 784 pixels. The "
                "question asks for scikit-learn's default normalisation with 16 bins.",
                example=lambda: _nmi("studholme", bins=100)),
        Mistake("bins_100", _near(lambda: _nmi("arithmetic", bins=100)),
                "Right normalisation, but with 100 bins (scikit-image's default), inflated by the "
                "few-pixels bias: the question asks for 16 bins.",
                example=lambda: _nmi("arithmetic", bins=100)),
    ],
    hint="Look up average_method in the docstring of normalized_mutual_info_score.",
    solution=("answer_3 = simlab.normalized_mutual_information(p, q, bins=16, method='arithmetic')\n"
              "# = MI / ((H(p) + H(q)) / 2) = normalized_mutual_info_score(labels_p, labels_q)"),
)


# ---------------------------------------------------------------- question 4: invariances


#: The transformations question 4 asks about.
OPTIONS = {
    "a": "invert q (1 - q)",
    "b": "shift q one pixel to the right",
    "c": "shuffle the pixel positions of p and q with the same permutation",
    "d": "shuffle the pixel positions of q only",
    "e": "blur q (Gaussian, sigma 1 pixel)",
}
_UNCHANGED = frozenset("ac")


def _choices(answer: Any) -> frozenset[str] | None:
    """The answer as a set of option letters, or None if it is not one."""
    if isinstance(answer, str):
        letters = [ch for ch in answer.lower() if ch.isalpha()]
    elif isinstance(answer, (set, frozenset, list, tuple)) and all(isinstance(x, str) for x in answer):
        letters = [x.strip().lower() for x in answer]
    else:
        return None
    chosen = frozenset(letters)
    return chosen if chosen <= set(OPTIONS) else None


def _option_mi(letter: str) -> float:
    """MI(p, q) after option ``letter`` is applied (the shuffles use permutation seed 0)."""
    from ..information import mutual_information
    from ..transforms import blur, invert, shift

    p, q = exercise_pair()
    order = np.random.default_rng(0).permutation(p.size)

    def scramble(x: np.ndarray) -> np.ndarray:
        return x.ravel()[order].reshape(x.shape)

    changed = {"a": lambda: (p, invert(q)), "b": lambda: (p, shift(q, dx=1)),
               "c": lambda: (scramble(p), scramble(q)), "d": lambda: (p, scramble(q)),
               "e": lambda: (p, blur(q, 1.0))}[letter]()
    return mutual_information(*changed)


def _picks(letter: str) -> Any:
    return lambda answer: letter in (_choices(answer) or ())


def _misses(letter: str) -> Any:
    return lambda answer: _choices(answer) is not None and letter not in _choices(answer)


q4 = Question(
    "Question 4",
    "Which of these leave MI(p, q) (16 bins) unchanged (up to bin-edge effects)? Answer with a set of "
    "letters, e.g. {'a', 'b'}. "
    + "; ".join(f"{k}: {v}" for k, v in OPTIONS.items()),
    answer=lambda: set(_UNCHANGED),
    correct=lambda answer: _choices(answer) == _UNCHANGED,
    mistakes=[
        Mistake("not_letters", lambda answer: _choices(answer) is None,
                f"Answer with a set of option letters from {sorted(OPTIONS)}, e.g. {{'a', 'b'}}.",
                example=lambda: 42),
        Mistake("shuffle_one", _picks("d"),
                lambda _: "(d) keeps q's histogram but destroys the pairing: MI compares paired pixels, not "
                f"the shapes of two histograms. For p and q it falls from {_mi():.2f} to "
                f"{_option_mi('d'):.2f} bits, and what is left is the few-pixels bias (section 4: a "
                "shuffled pair's true MI is 0), not shared information.",
                example=lambda: {"a", "c", "d"}),
        Mistake("shift", _picks("b"),
                lambda _: "(b) moves q's ink away from where p's ink was paired with it: MI compares pixels at "
                f"the same position, so a shift changes it. For p and q, one pixel to the right moves MI "
                f"from {_mi():.3f} to {_option_mi('b'):.3f} bits: for this pair it happens to rise a little, "
                "but it is not the same number; shift further and it falls.",
                example=lambda: {"a", "b", "c"}),
        Mistake("blur", _picks("e"),
                lambda _: "(e) mixes neighbouring grey levels into new ones: not a one-to-one relabelling of "
                f"q's bins, so MI changes (for p and q from {_mi():.3f} to {_option_mi('e'):.3f} bits).",
                example=lambda: {"a", "c", "e"}),
        Mistake("missed_scramble", _misses("c"),
                "(c) also leaves MI unchanged: the same permutation keeps every pair (p[i], q[i]) "
                "together, and the joint histogram never knew where a pair came from.",
                example=lambda: {"a"}),
        Mistake("missed_inversion", _misses("a"),
                "(a) also leaves MI unchanged, up to bin-edge effects: 1 - q relabels q's grey levels "
                "one-to-one, so its bins come in reverse order; only a pixel lying exactly on a bin edge "
                "can change bins (not the case for p and q). Pearson's r changes sign; MI does not care.",
                example=lambda: {"c"}),
    ],
    hint="MI depends only on the joint histogram of the pairs (p[i, j], q[i, j]). Which changes keep "
         "every pair, up to renaming q's bins one-to-one?",
    solution=("answer_4 = {'a', 'c'}\n"
              "# check: simlab.mutual_information(p, 1 - q) == simlab.mutual_information(p, q)\n"
              "# (equal here; for an image with a pixel exactly on a bin edge, (a) can differ slightly)"),
)
