"""Exercises for notebook 07, "Same picture?".

``from simlab.exercises import ____, nb07 as ex`` then ``ex.q1.check(answer)``, ``ex.q1.hint()``,
``ex.q1.solution()``. The right answers are computed here, at check time, from simlab itself.

Examples
--------
>>> from simlab.exercises import nb07 as ex
>>> ex.q1.check(55).correct, ex.q1.check(29).mistake
(True, 'unique_images')
"""

from __future__ import annotations

from functools import cache

from ._core import Mistake, Question, close_to, equals

__all__ = ["q1", "q2", "q3"]


@cache
def _splits() -> tuple:
    from ..datasets import load_dataset

    return tuple(load_dataset("overlap", split=s) for s in ("train", "valid", "test"))


def _valid_counts() -> dict:
    from ..duplicates import exact_duplicates

    train, valid, _ = _splits()
    return exact_duplicates(train, valid).counts()


q1 = Question(
    "Question 1",
    "How many of the 500 images of the overlap data set's VALID split have an exact copy in its TRAIN "
    "split? (Count validation images, as 'samples of valid also in train'.)",
    answer=lambda: _valid_counts()["b"],
    correct=equals(lambda: _valid_counts()["b"]),
    mistakes=[
        Mistake(
            "unique_images", equals(lambda: _valid_counts()["groups"]),
            "That counts distinct images (groups of copies, or unique hashes): several validation images "
            "can be copies of one train image. The question counts validation images: counts()['b'].",
            example=lambda: _valid_counts()["groups"],
        ),
        Mistake(
            "share", close_to(lambda: _valid_counts()["b"] / 500, rtol=1e-9),
            "That is the share of the validation split; the question asks how many images.",
            example=lambda: _valid_counts()["b"] / 500,
        ),
    ],
    hint=["simlab.exact_duplicates(train, valid) compares every train image with every valid image.",
          "Its .counts() has 'pairs', 'a' (train images with a copy), 'b' (valid images with a copy) and "
          "'groups'. Which one counts validation images?"],
    solution=(
        "train = simlab.load_dataset('overlap', split='train')\n"
        "valid = simlab.load_dataset('overlap', split='valid')\n"
        "answer = simlab.exact_duplicates(train, valid).counts()['b']"
    ),
)


def _recall_at(threshold: float = 0.005, kind: str = "any") -> float:
    from ..duplicates import ground_truth, near_duplicates

    train, _, test = _splits()
    found = {tuple(p) for p in near_duplicates(train, test, metric="mse", threshold=threshold).pairs.tolist()}
    true = {tuple(p) for p in ground_truth().pairs("train", "test", kind).tolist()}
    return len(found & true) / len(true)


def _precision_at(threshold: float = 0.005) -> float:
    from ..duplicates import ground_truth, near_duplicates

    train, _, test = _splits()
    found = {tuple(p) for p in near_duplicates(train, test, metric="mse", threshold=threshold).pairs.tolist()}
    true = {tuple(p) for p in ground_truth().pairs("train", "test").tolist()}
    return len(found & true) / len(found)


q2 = Question(
    "Question 2",
    "Search train x test of the overlap data set for near duplicates with MSE <= 0.01 (instead of the "
    "0.005 used above). What is the RECALL against all recorded copies (exact and near), "
    "ground_truth().pairs('train', 'test')?",
    answer=lambda: _recall_at(0.01),
    correct=close_to(lambda: _recall_at(0.01), rtol=1e-9),
    mistakes=[
        Mistake(
            "precision", close_to(lambda: _precision_at(0.01), rtol=1e-9),
            "That is the precision (true pairs among the pairs found). Recall divides the true pairs "
            "found by ALL true pairs.",
            example=lambda: _precision_at(0.01),
        ),
        Mistake(
            "near_only", close_to(lambda: _recall_at(0.01, "near"), rtol=1e-9),
            "That is the recall of the NEAR copies only; the question counts every recorded copy, the "
            "exact ones included: ground_truth().pairs('train', 'test') without kind=.",
            example=lambda: _recall_at(0.01, "near"),
        ),
    ],
    hint=["found = set of (i, j) from near_duplicates(train, test, metric='mse', threshold=0.01).pairs",
          "true = set of (i, j) from ground_truth().pairs('train', 'test'); recall = len(found & true) / len(true)."],
    solution=(
        "from simlab.duplicates import ground_truth\n"
        "train = simlab.load_dataset('overlap', split='train')\n"
        "test = simlab.load_dataset('overlap', split='test')\n"
        "found = set(map(tuple, simlab.near_duplicates(train, test, metric='mse', threshold=0.01).pairs.tolist()))\n"
        "true = set(map(tuple, ground_truth().pairs('train', 'test').tolist()))\n"
        "answer = len(found & true) / len(true)"
    ),
)


def _remaining(kind: str = "b") -> int:
    from ..duplicates import exact_duplicates

    train, _, test = _splits()
    found = exact_duplicates(train, test)
    if kind == "pairs":
        return len(test) - len(found)
    return int((~found.mask(kind)).sum()) if kind == "b" else len(test) - int(found.mask("a").sum())


q3 = Question(
    "Question 3",
    "Sanitise the overlap TEST split: remove every test image that has an exact copy in train. How many "
    "test images remain?",
    answer=_remaining,
    correct=equals(_remaining),
    mistakes=[
        Mistake(
            "pairs", equals(lambda: _remaining("pairs")),
            "You removed one image per PAIR: a test image with two identical train images is one pair too "
            "many. Remove test images: ~found.mask('b') keeps those without a copy.",
            example=lambda: _remaining("pairs"),
        ),
        Mistake(
            "train_side", equals(lambda: _remaining("a")),
            "You counted the TRAIN images that have a copy; the test images to remove are found.mask('b').",
            example=lambda: _remaining("a"),
        ),
    ],
    hint="found = simlab.exact_duplicates(train, test); found.mask('b') is True for test images with a copy.",
    solution=(
        "train = simlab.load_dataset('overlap', split='train')\n"
        "test = simlab.load_dataset('overlap', split='test')\n"
        "answer = int((~simlab.exact_duplicates(train, test).mask('b')).sum())"
    ),
)
