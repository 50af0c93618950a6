"""Exercises for the notebooks, in the style of Kaggle's learntools.

Each notebook imports its own set and checks answers against it::

    from simlab.exercises import ____, nb01 as ex
    answer = ____          # replace ____ with your answer
    ex.q1.check(answer)    # a verdict that explains the usual wrong answers
    ex.q1.hint()
    ex.q1.solution()

``nbNN`` modules are imported on first use; the machinery is in :mod:`simlab.exercises._core`
(:class:`Question`, :class:`Mistake` and small predicates to declare questions compactly).
"""

from __future__ import annotations

from ._core import Message, Mistake, Question, Verdict, ____

__all__ = ["Message", "Mistake", "Question", "Verdict", "____"]
