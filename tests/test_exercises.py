"""The notebook exercises accept the right answer and recognise each common mistake they claim to.

Every question of every ``simlab.exercises.nbNN`` module is collected once, here: its ``answer()`` must
pass its check, each declared other route's ``example()`` must pass it with that route's note, and each
declared mistake's ``example()`` must fail it with that mistake's targeted message. Further tests pin the
machinery (placeholder, errors, display), that each notebook checks its questions without printing
their solutions, and the messages notebooks 01, 02 and 06 promise (the numbers the messages quote).
``test_exercises_match_references.py`` pins the right answers of 03 and 04 against scikit-learn and
scikit-image.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import warnings
from pathlib import Path

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
]
ROUTES = [
    pytest.param(question, route, id=f"{module}.{name}-{route.name}")
    for module, name, question in QUESTIONS
    for route in question.also_correct
]
NOTEBOOK_OF = {path.name[:2]: path for path in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")}


def _quiet(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args)


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
    assert mistake.example is not None, f"{mistake.name} has no example answer to test"
    wrong = _quiet(mistake.example)
    verdict = _quiet(question.check, wrong)
    assert not verdict.correct
    assert verdict.mistake == mistake.name, verdict
    assert verdict.message == mistake.text(wrong)


@pytest.mark.parametrize(("question", "route"), ROUTES)
def test_check_accepts_each_other_route_and_says_how_it_differs(question, route):
    other = _quiet(route.example)
    verdict = _quiet(question.check, other)
    assert verdict.correct and verdict.route == route.name, verdict
    assert verdict.message == f"well done. {route.text(other)}"
    assert not _quiet(question.check, question.answer()).route  # the main answer is not a detour


@pytest.mark.parametrize("module", MODULES)
def test_notebook_checks_every_question_and_does_not_print_its_solution(module):
    path = NOTEBOOK_OF.get(module[2:])
    assert path is not None, f"simlab.exercises.{module} has no notebook {module[2:]}_*.ipynb"
    source = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"])
    for mod, name, question in QUESTIONS:
        if mod != module:
            continue
        assert f"ex.{name}.check(" in source, f"{module}.{name} is never checked in {path.name}"
        for line in question.solution().text.splitlines():
            if line.startswith("answer") and "=" in line and "____" not in line:
                assert line not in source, f"{path.name} contains the solution of {name}: {line!r}"


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
    assert 0 < abs(r32 - nb01.q2.answer()) < 1e-6  # float32 rounding: not equal, within the 1e-6 tolerance
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


# ------------------------------------------------------- the slips notebook 01's checks must diagnose


def test_nb01_q1_takes_the_shape_as_a_tuple_a_list_or_an_array_alike():
    from simlab.exercises import nb01

    rng = np.random.default_rng(0)
    a, b = rng.random((32, 20)), rng.random((32, 20))
    for right in ((40, 40), [40, 40], np.array([40, 40]), np.corrcoef(a, b, rowvar=False).shape):
        assert _quiet(nb01.q1.check, right), right
    for rowvar_true in ((64, 64), [64, 64], np.array([64, 64])):
        assert nb01.q1.check(rowvar_true).mistake == "rowvar_true"
    assert nb01.q1.check("40x40").mistake == "not_a_shape"


def test_nb01_q2_nan_message_names_both_ways_to_get_nan_and_both_are_real():
    from simlab.exercises import nb01

    test = simlab.datasets.notmnist_dict()["test_dataset"]
    a, b = test[1], test[2]
    no_ravel = _quiet(np.corrcoef, a, b)[0, 1]
    mean = _quiet(np.corrcoef, a, b).mean()
    assert np.isnan(no_ravel) and np.isnan(mean)
    assert (a[0].std() == 0) or (a[1].std() == 0)  # "row 0 ... against its row 1 (blank here, so nan)"
    for wrong in (no_ravel, mean):
        verdict = nb01.q2.check(wrong)
        assert verdict.mistake == "matrix_mean_nan"
        assert "mean of the 56x56 matrix" in verdict.message and "entry [0, 1]" in verdict.message


def test_nb01_q5_forgetting_ravel_is_diagnosed_as_rows_of_one_image_not_as_the_matrix_mean():
    from simlab.exercises import nb01

    for forgot in (lambda a, b: np.corrcoef(a, b)[0, 1], lambda a, b: np.corrcoef(a, b)[0][1]):
        verdict = _quiet(nb01.q5.check, forgot)
        assert verdict.mistake == "no_ravel", verdict
        assert "row 0 of a with row 1 of a" in verdict.message and "56x56" not in verdict.message
    a, b = nb01._q5_pairs()[1]
    row_entry = _quiet(np.corrcoef, a, b)[0, 1]
    assert np.isnan(row_entry) or np.isclose(row_entry, np.corrcoef(a[0], a[1])[0, 1])


def test_nb01_q5_checks_a_pair_that_is_not_28x28():
    from simlab.exercises import nb01

    shapes = {a.shape for a, _ in nb01._q5_pairs()}
    assert (28, 28) in shapes and len(shapes) == 2
    hard_coded = _quiet(nb01.q5.check, lambda a, b: np.corrcoef(a.reshape(784), b.reshape(784))[0, 1])
    assert not hard_coded and hard_coded.mistake == "only_28x28"
    assert nb01.q5.check(lambda a, b: np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


# --------------------------------------------------------------- the numbers notebook 06's checks quote


def test_nb06_q3_right_answer_is_the_stored_float32_letters_and_float64_copies_are_also_right():
    from simlab.exercises import nb06

    assert np.isclose(nb06.q3.answer(), 0.301) and np.isclose(nb06._share_changed(np.float64), 0.26)
    verdict = nb06.q3.check(0.26)
    assert verdict and verdict.route == "float64_copies" and "0.301" in verdict.message
    assert nb06.q3.check(30.1).mistake == "percent" and nb06.q3.check(26.0).mistake == "percent_float64"


def test_nb06_q4_rmse_message_is_the_number_a_student_gets_from_the_rmse():
    from simlab.exercises import nb06

    mse = 0.01
    assert np.isclose(10 * np.log10(1 / np.sqrt(mse)), 10.0)                       # RMSE in 10 log10
    assert np.isclose(20 * np.log10(1 / np.sqrt(mse)), nb06.q4.answer())            # RMSE in 20 log10
    assert nb06.q4.check(10.0).mistake == "rmse_power"
    assert nb06.q1.check(100 * nb06.q1.answer()).mistake == "percent"
    assert nb06.q2.check(100 * nb06.q2.answer()).mistake == "percent"
