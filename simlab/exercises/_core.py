"""The machinery behind the notebook exercises: ``check``, ``hint`` and ``solution``.

A question is declared once, compactly, in ``simlab/exercises/nbNN.py``::

    q1 = Question(
        "Question 1",
        prompt="What is the shape of np.corrcoef(a, b) for two 28x28 images?",
        answer=lambda: (56, 56),                       # the right answer, computed at check time
        correct=equals((56, 56)),                      # is a given answer right?
        mistakes=[
            Mistake("one_block", equals((28, 28)),
                    "(28, 28) is one block of the matrix: ...", example=lambda: (28, 28)),
        ],
        hint="Every row of each image is one variable.",
        solution="np.corrcoef(a, b).shape  # (56, 56)",
    )

and the notebook does ``from simlab.exercises import nb01 as ex`` and ``ex.q1.check(answer)``.
``check`` returns a :class:`Verdict`: it is truthy only for a right answer, it names the recognised
mistake (``verdict.mistake``) and it shows its message as the cell's output in Jupyter (plain text in
a terminal). ``answer`` and each mistake's ``example`` let the test suite prove that every check
accepts the right answer and recognises every wrong one it claims to.

The placeholder ``____`` stands for "not answered yet": checking it says so instead of failing, so a
notebook with blank exercises still runs top to bottom.

Every question whose answer is one number also recognises, without declaring it, a value copied from
a printout: a wrong number that equals the right one rounded to the digits typed (``0.205`` for
``0.20517...``) gets "close, but rounded" (``verdict.mistake == "rounded"``); see :func:`rounded_from`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

__all__ = [
    "Message",
    "Mistake",
    "Question",
    "Verdict",
    "____",
    "array_close",
    "close_to",
    "equals",
    "has_shape",
    "is_blank",
    "is_nan",
    "not_a_number",
    "rounded_from",
    "scalar",
]


class _Blank:
    """The placeholder ``____`` for an answer not given yet."""

    def __repr__(self) -> str:
        return "____"

    def __call__(self, *args: Any, **kwargs: Any) -> _Blank:
        return self


#: Placeholder for an answer not given yet: ``answer = ____``.
____ = _Blank()

Predicate = Callable[[Any], bool]

_STYLES = {  # status -> (symbol, background, border)
    "correct": ("✔ Correct", "#e6f4ea", "#1e8e3e"),
    "incorrect": ("✘ Not yet", "#fce8e6", "#d93025"),
    "unanswered": ("… Not answered", "#f1f3f4", "#80868b"),
    "error": ("⚠ Could not check", "#fef7e0", "#f29900"),
    "hint": ("Hint", "#e8f0fe", "#1a73e8"),
    "solution": ("Solution", "#f3e8fd", "#8430ce"),
}


def _html_box(status: str, title: str, body: str, code: bool = False) -> str:
    label, background, border = _STYLES[status]
    text = html.escape(body)
    text = f"<pre style='margin:0.3em 0 0 0'>{text}</pre>" if code else text.replace("\n", "<br>")
    return (
        f"<div style='background:{background};border-left:5px solid {border};padding:0.5em 0.8em;"
        f"margin:0.3em 0;color:#202124'><b>{label}</b> <span style='color:#5f6368'>{html.escape(title)}"
        f"</span><br>{text}</div>"
    )


@dataclass(frozen=True)
class Verdict:
    """The result of ``Question.check``: truthy only for a right answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is right.
    status : str
        ``"correct"``, ``"incorrect"``, ``"unanswered"`` or ``"error"``.
    message : str
        What to tell the learner.
    question : str
        The question's name, e.g. ``"Question 1"``.
    mistake : str or None
        The name of the recognised common mistake, if any.
    route : str or None
        For a right answer reached by a declared other route (``Question(also_correct=...)``), its name.
    """

    correct: bool
    status: str
    message: str
    question: str
    mistake: str | None = None
    route: str | None = None

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return f"{_STYLES[self.status][0]} ({self.question}): {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return _html_box(self.status, self.question, self.message)


@dataclass(frozen=True)
class Message:
    """A hint or a solution; prints as plain text and shows as a coloured box in Jupyter."""

    kind: str  # "hint" or "solution"
    question: str
    text: str

    def __str__(self) -> str:
        return f"{_STYLES[self.kind][0]} ({self.question}):\n{self.text}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return _html_box(self.kind, self.question, self.text, code=self.kind == "solution")


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer: how to recognise it and what to say about it.

    Parameters
    ----------
    name : str
        A short identifier (``"matrix_mean"``), reported as ``Verdict.mistake``.
    test : callable
        ``test(answer) -> bool``; an exception counts as "not this mistake".
    message : str or callable
        What to say; a callable gets the answer and returns the text.
    example : callable, optional
        Produces one answer with this mistake, for the test suite.
    """

    name: str
    test: Predicate
    message: str | Callable[[Any], str]
    example: Callable[[], Any] | None = None

    def text(self, answer: Any) -> str:
        return self.message(answer) if callable(self.message) else self.message


def _holds(predicate: Predicate, answer: Any) -> bool:
    try:
        return bool(predicate(answer))
    except Exception:  # a predicate that cannot handle this kind of answer does not match it
        return False


class Question:
    """One exercise: ``check(answer)``, ``hint()``, ``solution()``.

    Parameters
    ----------
    name : str
        How the question is called in messages, e.g. ``"Question 1"``.
    prompt : str
        The question as the notebook asks it (shown by ``repr(question)``).
    answer : callable
        ``answer()`` computes the right answer (from simlab/numpy, at check time). Used by the tests
        and by the default ``correct`` test.
    correct : callable, optional
        ``correct(answer) -> bool``. Default: ``close_to(answer)``.
    mistakes : sequence of Mistake
        Common wrong answers, tried in order after ``correct``.
    also_correct : sequence of Mistake
        Right answers reached by another legitimate route (e.g. the same computation in float64 instead
        of float32), tried after ``correct`` and before ``mistakes``. Such an answer is accepted
        (``verdict.correct``, ``verdict.route`` = its name) and its message says why it differs from
        ``answer()``.
    hint : str or sequence of str
        One or more hints; ``hint(2)`` shows the second.
    solution : str
        The solution code, shown by ``solution()``. It must run as is in the notebook and set the
        name that the check cell passes (usually ``answer = ...``): ``tests/test_notebooks.py`` runs
        every solution in its notebook and asserts that the check then passes.
    otherwise : str or callable
        What to say about a wrong answer that no mistake recognises.
    unanswered : callable, optional
        ``unanswered(answer) -> bool``: the answer still holds the placeholder ``____`` (default:
        it *is* ``____``; for a function answer, e.g. ``lambda f: is_blank(f(x))``).
    rounded : bool, default True
        Recognise a number rounded to the digits the learner typed (``0.205`` for ``0.20517...``) and
        say "close, but rounded" (``verdict.mistake == "rounded"``). Tried after the declared
        mistakes, only when ``answer()`` is one number; see :func:`rounded_from`.

    Examples
    --------
    >>> q = Question("Q", "What is 6 x 7?", answer=lambda: 42,
    ...              mistakes=[Mistake("sum", equals(13), "That is 6 + 7: multiply instead.")],
    ...              hint="Count 7 six times.", solution="6 * 7")
    >>> bool(q.check(42)), q.check(13).mistake, q.check(____).status
    (True, 'sum', 'unanswered')
    >>> print(q.check(13))
    ✘ Not yet (Q): That is 6 + 7: multiply instead.
    >>> Question("Q", "What is 1 / 7?", answer=lambda: 1 / 7).check(0.143).mistake
    'rounded'
    """

    def __init__(
        self,
        name: str,
        prompt: str,
        *,
        answer: Callable[[], Any],
        correct: Predicate | None = None,
        mistakes: Sequence[Mistake] = (),
        also_correct: Sequence[Mistake] = (),
        hint: str | Sequence[str] = (),
        solution: str = "",
        otherwise: str | Callable[[Any], str] = (
            "That is not the expected answer, and not one of the usual mistakes either: "
            "re-read the question, and try .hint()."
        ),
        unanswered: Predicate | None = None,
        rounded: bool = True,
    ) -> None:
        self.name = name
        self.prompt = prompt
        self.answer = answer
        self.correct = correct if correct is not None else close_to(answer)
        self.mistakes = tuple(mistakes)
        self.also_correct = tuple(also_correct)
        self.hints = (hint,) if isinstance(hint, str) else tuple(hint)
        self._solution = solution
        self.otherwise = otherwise
        self.unanswered = unanswered
        self.rounded = rounded

    def __repr__(self) -> str:
        return f"{self.name}: {self.prompt}"

    def _repr_html_(self) -> str:
        return f"<div><b>{html.escape(self.name)}</b>: {html.escape(self.prompt)}</div>"

    def check(self, answer: Any) -> Verdict:
        """Say whether ``answer`` is right, and if not, why not (naming the usual mistakes)."""
        if isinstance(answer, _Blank) or (self.unanswered is not None and _holds(self.unanswered, answer)):
            return Verdict(False, "unanswered", "replace ____ with your answer, then run the cell again.", self.name)
        error = None
        try:
            if self.correct(answer):
                return Verdict(True, "correct", "well done.", self.name)
        except Exception as exc:  # e.g. a function answer that raises
            error = exc
        for route in self.also_correct:
            if _holds(route.test, answer):
                return Verdict(True, "correct", f"well done. {route.text(answer)}", self.name, route=route.name)
        for mistake in self.mistakes:
            if _holds(mistake.test, answer):
                return Verdict(False, "incorrect", mistake.text(answer), self.name, mistake.name)
        digits = self._rounded_digits(answer) if self.rounded and error is None else None
        if digits is not None:
            return Verdict(False, "incorrect", _rounded_message(answer, digits), self.name, "rounded")
        if error is not None:
            return Verdict(
                False, "error", f"checking your answer raised {type(error).__name__}: {error}", self.name
            )
        text = self.otherwise(answer) if callable(self.otherwise) else self.otherwise
        return Verdict(False, "incorrect", text, self.name)

    def _rounded_digits(self, answer: Any) -> int | None:
        """The decimals ``answer`` was rounded to, if it is the right number rounded; else None."""
        if scalar(answer) is None:
            return None
        try:
            expected = scalar(self.answer())
        except Exception:  # an answer() that cannot run here says nothing about rounding
            return None
        return None if expected is None else rounded_from(expected)(answer)

    def hint(self, n: int = 1) -> Message:
        """The ``n``-th hint (1-based)."""
        if not self.hints:
            return Message("hint", self.name, "no hint for this one: try .solution().")
        if not 1 <= n <= len(self.hints):
            raise ValueError(f"n must be between 1 and {len(self.hints)} for {self.name}, got {n}")
        return Message("hint", self.name, self.hints[n - 1])

    def solution(self) -> Message:
        """The solution code."""
        return Message("solution", self.name, self._solution)


# ---------------------------------------------------------------- predicates to declare questions


def scalar(answer: Any) -> float | None:
    """``answer`` as a Python float if it is one real number (int, float, NumPy scalar, 0-d array).

    >>> scalar(np.float32(0.5)), scalar([0.5]), scalar(True)
    (0.5, None, None)
    """
    if isinstance(answer, (bool, np.bool_)):
        return None
    if isinstance(answer, (int, float, np.integer, np.floating)):
        return float(answer)
    if isinstance(answer, np.ndarray) and answer.ndim == 0 and np.issubdtype(answer.dtype, np.number):
        return float(answer)
    return None


def _value(expected: Any) -> Any:
    return expected() if callable(expected) else expected


def close_to(expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> Predicate:
    """Predicate: the answer is one number close to ``expected`` (a value, or a callable computing it).

    >>> close_to(lambda: 0.25)(np.float64(0.25000001)), close_to(0.25)("0.25")
    (True, False)
    """

    def test(answer: Any) -> bool:
        value, target = scalar(answer), _value(expected)
        if value is None:
            return False
        if math.isnan(target):
            return math.isnan(value)
        return math.isclose(value, float(target), rel_tol=rtol, abs_tol=atol)

    return test


def _typed_digits(value: Any) -> str:
    """The shortest decimal text that gives back ``value`` in its own precision (what was typed)."""
    if isinstance(value, (np.floating, np.ndarray)):
        value = np.asarray(value)[()]
        if isinstance(value, np.floating):
            return np.format_float_positional(value, trim="-")
    return np.format_float_positional(float(value), trim="-")


def rounded_from(expected: Any, *, max_digits: int = 12) -> Callable[[Any], int | None]:
    """Test whether an answer is ``expected`` rounded to the decimals it shows; give those decimals.

    The returned function gives the number of decimals ``d`` (1 to ``max_digits``) when the answer,
    read as the digits it was typed with (its shortest repr), is not ``expected`` itself but lies
    within half a unit of its last digit (plus 1e-6, the precision of float32 data), and ``None``
    otherwise.

    >>> test = rounded_from(0.20517312)
    >>> test(0.205), test(np.float32(0.2052)), test(0.21), test(0.206), test(0.20517312)
    (3, 4, 2, None, None)
    """

    def test(answer: Any) -> int | None:
        value, target = scalar(answer), scalar(_value(expected))
        if value is None or target is None or not (math.isfinite(value) and math.isfinite(target)):
            return None
        exponent = Decimal(_typed_digits(answer)).as_tuple().exponent
        digits = -exponent if isinstance(exponent, int) else 0
        if not 1 <= digits <= max_digits or value == target:
            return None
        return digits if abs(value - target) <= 0.5 * 10.0**-digits + 1e-6 else None

    return test


def _rounded_message(answer: Any, digits: int) -> str:
    return (
        f"close, but rounded: {_typed_digits(answer)} matches the expected value only to the {digits} "
        f"decimal{'s' if digits > 1 else ''} you typed. Pass the full value (the variable itself, "
        "e.g. answer = r), not the printed digits."
    )


def equals(expected: Any) -> Predicate:
    """Predicate: the answer equals ``expected`` (tuples and lists compare alike).

    >>> equals((56, 56))([56, 56]), equals((56, 56))(np.zeros((56, 56)).shape)
    (True, True)
    """

    def test(answer: Any) -> bool:
        target = _value(expected)
        if isinstance(target, (tuple, list)):
            return isinstance(answer, (tuple, list)) and tuple(answer) == tuple(target)
        if isinstance(target, str):
            return isinstance(answer, str) and answer.strip().lower() == target.strip().lower()
        return bool(answer == target)

    return test


def array_close(expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> Predicate:
    """Predicate: the answer is an array of ``expected``'s shape with close values (nan equals nan)."""

    def test(answer: Any) -> bool:
        target = np.asarray(_value(expected), dtype=float)
        arr = np.asarray(answer, dtype=float)
        return arr.shape == target.shape and bool(np.allclose(arr, target, rtol=rtol, atol=atol, equal_nan=True))

    return test


def has_shape(shape: tuple[int, ...]) -> Predicate:
    """Predicate: the answer is an array with this shape."""
    return lambda answer: np.shape(answer) == tuple(shape) and not isinstance(answer, (tuple, list))


def is_nan(answer: Any) -> bool:
    """Predicate: the answer is one number, and it is nan."""
    value = scalar(answer)
    return value is not None and math.isnan(value)


def is_blank(answer: Any) -> bool:
    """Predicate: the answer is the placeholder ``____``."""
    return isinstance(answer, _Blank)


def not_a_number(answer: Any) -> bool:
    """Predicate: the answer is not one real number (an array, a matrix, a string...)."""
    return scalar(answer) is None
