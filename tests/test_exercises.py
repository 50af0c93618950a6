"""The notebook exercises accept the right answer and recognise each common mistake they claim to.

Every question of every ``simlab.exercises.nbNN`` module is collected: its ``answer()`` must pass its
check, and each declared mistake's ``example()`` must fail it with that mistake's targeted message.
Further tests pin the machinery (placeholder, errors, display) and the messages notebooks 01 and 02
promise.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

import numpy as np
import pytest

import simlab
import simlab.exercises
from simlab.exercises import Mistake, Question, ____
from simlab.exercises._core import close_to, equals, scalar

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(simlab.exercises.__path__) if info.name.startswith("nb")
)


def _questions() -> list[tuple[str, str, Question]]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(f"simlab.exercises.{module_name}")
        for name, value in sorted(vars(module).items()):
            if isinstance(value, Question):
                found.append((module_name, name, value))
    return found


QUESTIONS = _questions()
MISTAKES = [
    pytest.param(question, mistake, id=f"{module}.{name}-{mistake.name}")
    for module, name, question in QUESTIONS
    for mistake in question.mistakes
    if mistake.example is not None
]


def _quiet(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args)


def test_notebooks_01_and_02_have_at_least_three_exercises_each():
    for module in ("nb01", "nb02"):
        assert sum(1 for m, _, _ in QUESTIONS if m == module) >= 3, module


@pytest.mark.parametrize("question", [pytest.param(q, id=f"{m}.{n}") for m, n, q in QUESTIONS])
def test_check_accepts_the_right_answer(question):
    verdict = _quiet(question.check, question.answer())
    assert verdict.correct, verdict
    assert verdict.status == "correct" and verdict.mistake is None


@pytest.mark.parametrize("question", [pytest.param(q, id=f"{m}.{n}") for m, n, q in QUESTIONS])
def test_check_says_not_answered_for_the_placeholder_and_every_question_has_hint_and_solution(question):
    verdict = question.check(____)
    assert not verdict and verdict.status == "unanswered"
    assert question.hint().text and question.solution().text
    assert question.prompt


@pytest.mark.parametrize(("question", "mistake"), MISTAKES)
def test_check_rejects_each_common_mistake_with_its_targeted_message(question, mistake):
    wrong = _quiet(mistake.example)
    verdict = _quiet(question.check, wrong)
    assert not verdict.correct
    assert verdict.mistake == mistake.name, verdict
    assert verdict.message == mistake.text(wrong)


def test_every_question_of_nb01_and_nb02_recognises_at_least_two_mistakes():
    for module, name, question in QUESTIONS:
        if module in ("nb01", "nb02"):
            with_examples = [m for m in question.mistakes if m.example is not None]
            assert len(with_examples) >= 2, f"{module}.{name}"


# ---------------------------------------------------------------------------- the machinery


def _toy() -> Question:
    return Question(
        "Q", "What is 6 x 7?", answer=lambda: 42,
        mistakes=[Mistake("sum", equals(13), "That is 6 + 7.")],
        hint=["first", "second"], solution="6 * 7",
    )


def test_verdict_is_truthy_only_when_correct_and_prints_the_message():
    q = _toy()
    assert q.check(42) and q.check(np.int64(42)) and q.check(np.float32(42.0))
    wrong = q.check(13)
    assert not wrong and "That is 6 + 7." in str(wrong) and "Not yet" in str(wrong)
    assert "That is 6 + 7." in wrong._repr_html_()


def test_unrecognised_wrong_answer_gets_the_generic_message():
    verdict = _toy().check(41)
    assert not verdict and verdict.mistake is None and "hint" in verdict.message


def test_hints_are_numbered_and_out_of_range_is_a_clear_error():
    q = _toy()
    assert q.hint().text == "first" and q.hint(2).text == "second"
    with pytest.raises(ValueError, match="between 1 and 2"):
        q.hint(3)
    assert "6 * 7" in str(q.solution()) and "<pre" in q.solution()._repr_html_()


def test_an_answer_function_that_raises_gives_an_error_verdict_not_an_exception():
    def boom(_):
        raise ZeroDivisionError("division by zero")

    q = Question("Q", "call it", answer=lambda: 1, correct=lambda f: f(0) == 1)
    verdict = q.check(boom)
    assert verdict.status == "error" and "ZeroDivisionError" in verdict.message


def test_close_to_handles_nan_and_refuses_arrays_and_booleans():
    assert close_to(float("nan"))(np.nan)
    assert not close_to(0.5)(np.array([0.5])) and not close_to(1.0)(True)


# ------------------------------------------------------------- what notebooks 01 and 02 promise


def test_nb01_mean_of_the_56x56_matrix_gets_the_targeted_message():
    from simlab.exercises import nb01

    test = simlab.datasets.notmnist_dict()["test_dataset"]
    a, b = test[1], test[2]
    verdict = _quiet(nb01.q2.check, _quiet(np.nanmean, _quiet(np.corrcoef, a, b)))
    assert not verdict and "you took the mean of the 56x56 matrix" in verdict.message
    assert nb01.q2.check(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    assert nb01.q2.check(simlab.pearson(a, b))


def test_nb01_similarity_function_is_checked_on_several_pairs():
    from simlab.exercises import nb01

    assert nb01.q5.check(lambda a, b: simlab.pearson(a, b))
    assert nb01.q5.check(lambda a, b: ____).status == "unanswered"
    verdict = _quiet(nb01.q5.check, lambda a, b: np.corrcoef(a, b).mean())
    assert verdict.mistake == "matrix_mean" and "56x56" in verdict.message


def test_nb01_accepts_scipy_pearsonr_on_the_float32_letters():
    import scipy.stats

    from simlab.exercises import nb01

    test = simlab.datasets.notmnist_dict()["test_dataset"]
    a, b = test[1], test[2]
    r32 = scipy.stats.pearsonr(a.ravel(), b.ravel()).statistic  # computed in float32
    assert r32.dtype == np.float32
    assert abs(r32 - nb01.q2.answer()) > 1e-6 * abs(nb01.q2.answer())  # a relative 1e-6 would reject it
    assert nb01.q2.check(r32)
    assert nb01.q5.check(lambda a, b: scipy.stats.pearsonr(a.ravel(), b.ravel()).statistic)
    assert not nb01.q2.check(nb01.q2.answer() + 1e-5)  # the tolerance is 1e-6, not loose


# ------------------------------------------------------- "close, but rounded", for every question


def _scalar_questions() -> list:
    params = []
    for module, name, question in QUESTIONS:
        value = scalar(_quiet(question.answer))
        if value is not None and np.isfinite(value) and value != round(value):
            params.append(pytest.param(question, value, id=f"{module}.{name}"))
    return params


def test_a_rounded_number_gets_close_but_rounded_with_the_digits_typed():
    q = Question("Q", "What is 1 / 7?", answer=lambda: 1 / 7)
    for typed, digits in ((0.143, 3), (0.14, 2), (np.float32(0.1429), 4), (0.14286, 5)):
        verdict = q.check(typed)
        assert not verdict and verdict.mistake == "rounded", (typed, verdict)
        assert f"only to the {digits} decimals you typed" in verdict.message
        assert "Pass the full value" in verdict.message
    for wrong in (0.144, 0.15, 1 / 6, 0, 1):  # not 1/7 rounded to the digits shown
        assert _quiet(q.check, wrong).mistake is None, wrong
    assert q.check(1 / 7) and q.check(np.float64(1 / 7))


def test_rounded_is_tried_after_the_declared_mistakes_and_can_be_switched_off():
    q = Question("Q", "r?", answer=lambda: 0.20517,
                 mistakes=[Mistake("two_digits", equals(0.21), "declared first.")])
    assert q.check(0.21).mistake == "two_digits" and q.check(0.205).mistake == "rounded"
    plain = Question("Q", "r?", answer=lambda: 0.20517, rounded=False)
    assert plain.check(0.205).mistake is None


@pytest.mark.parametrize(("question", "value"), _scalar_questions())
def test_every_numeric_question_says_rounded_for_its_answer_rounded_to_four_decimals(question, value):
    typed = round(value, 4)
    verdict = _quiet(question.check, typed)
    if verdict.correct:  # the question's own tolerance already accepts four decimals
        assert abs(typed - value) <= 5e-5
    else:
        assert verdict.mistake == "rounded", verdict
        assert "close, but rounded" in verdict.message
