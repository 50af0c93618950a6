"""The exercises of notebooks 03 (mutual information) and 04 (SSIM).

Every check accepts the right answer, recognises each common wrong answer with its own message, and
says "not answered" for the placeholder. The right answers are also pinned against the reference
libraries (scikit-learn, scikit-image), not only against simlab.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from simlab.exercises import ____, nb03, nb04
from simlab.exercises._core import Question

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"nb03": nb03, "nb04": nb04}
NOTEBOOKS = {"nb03": ROOT / "notebooks" / "03_mutual_information.ipynb",
             "nb04": ROOT / "notebooks" / "04_ssim.ipynb"}


def _questions() -> list[tuple[str, str, Question]]:
    return [(mod, name, getattr(module, name)) for mod, module in MODULES.items()
            for name in sorted(vars(module)) if isinstance(getattr(module, name), Question)]


QUESTIONS = _questions()
MISTAKES = [pytest.param(q, m, id=f"{mod}.{name}.{m.name}") for mod, name, q in QUESTIONS for m in q.mistakes]


def test_each_notebook_has_at_least_three_exercises() -> None:
    for mod in MODULES:
        assert sum(1 for m, _, _ in QUESTIONS if m == mod) >= 3, mod


@pytest.mark.parametrize("question", [pytest.param(q, id=f"{m}.{n}") for m, n, q in QUESTIONS])
def test_check_accepts_the_right_answer(question: Question) -> None:
    verdict = question.check(question.answer())
    assert verdict.correct, str(verdict)
    assert verdict.status == "correct"


@pytest.mark.parametrize("question, mistake", MISTAKES)
def test_check_names_each_common_mistake_with_its_message(question: Question, mistake) -> None:
    assert mistake.example is not None, f"{mistake.name} has no example answer to test"
    answer = mistake.example()
    verdict = question.check(answer)
    assert not verdict.correct
    assert verdict.mistake == mistake.name, f"{answer!r} was read as {verdict.mistake!r}: {verdict.message}"
    assert verdict.message == mistake.text(answer)


@pytest.mark.parametrize("question", [pytest.param(q, id=f"{m}.{n}") for m, n, q in QUESTIONS])
def test_placeholder_is_unanswered_and_hint_and_solution_exist(question: Question) -> None:
    assert question.check(____).status == "unanswered"
    assert question.hint().text and question.solution().text


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_notebook_does_not_give_the_answers_away(mod: str) -> None:
    path = NOTEBOOKS[mod]
    if not path.exists():
        pytest.fail(f"{path} is missing")
    source = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"])
    for _, name, question in (q for q in QUESTIONS if q[0] == mod):
        assignment = next(line for line in question.solution().text.splitlines() if line.startswith("answer_"))
        assert assignment not in source, f"{mod}.{name}: the notebook contains its solution {assignment!r}"
        assert f"ex.{name}.check(" in source, f"{mod}.{name} is never checked in the notebook"


# ---------------------------------------------------------------- right answers against references


def _labels(image: np.ndarray, bins: int = 16) -> np.ndarray:
    return np.digitize(image.ravel(), np.histogram_bin_edges(image, bins=bins)[1:-1])


def test_nb03_entropy_answer_matches_a_direct_computation() -> None:
    p, _ = nb03.exercise_pair()
    counts, _ = np.histogram(p, bins=16)
    prob = counts[counts > 0] / counts.sum()
    assert math.isclose(nb03.q1.answer(), float(-(prob * np.log2(prob)).sum()), rel_tol=1e-12)


def test_nb03_mutual_information_answer_matches_sklearn() -> None:
    from sklearn.metrics import mutual_info_score

    p, q = nb03.exercise_pair()
    reference = mutual_info_score(_labels(p), _labels(q)) / math.log(2)
    assert math.isclose(nb03.q2.answer(), reference, rel_tol=1e-10)


def test_nb03_raw_float_mistake_is_what_sklearn_gives_on_raw_pixels() -> None:
    from sklearn.metrics import mutual_info_score

    p, q = nb03.exercise_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = mutual_info_score(p.ravel(), q.ravel())
    assert nb03.q2.check(raw).mistake == "raw_floats_nats"


def test_nb03_nmi_answer_matches_sklearn_default_and_studholme_matches_skimage() -> None:
    from skimage.metrics import normalized_mutual_information
    from sklearn.metrics import normalized_mutual_info_score

    p, q = nb03.exercise_pair()
    assert math.isclose(nb03.q3.answer(), normalized_mutual_info_score(_labels(p), _labels(q)), rel_tol=1e-10)
    assert nb03.q3.check(normalized_mutual_information(p, q, bins=16)).mistake == "studholme"


def test_nb03_invariance_answer_holds_on_the_exercise_images() -> None:
    import simlab
    from simlab.transforms import blur, shift

    p, q = nb03.exercise_pair()
    mi = simlab.mutual_information(p, q)
    order = np.random.default_rng(0).permutation(p.size)
    scramble = lambda x: x.ravel()[order].reshape(x.shape)  # noqa: E731
    unchanged = {
        "a": simlab.mutual_information(p, 1 - q),
        "b": simlab.mutual_information(p, shift(q, dx=1)),
        "c": simlab.mutual_information(scramble(p), scramble(q)),
        "d": simlab.mutual_information(p, scramble(q)),
        "e": simlab.mutual_information(p, blur(q, 1.0)),
    }
    measured = {k for k, v in unchanged.items() if math.isclose(v, mi, rel_tol=1e-9)}
    assert measured == nb03.q4.answer()
    assert nb03.q4.check("a, c").correct and nb03.q4.check(["C", "A"]).correct


def test_nb04_ssim_answers_match_skimage() -> None:
    from skimage.metrics import structural_similarity

    p, q = nb04.exercise_pair()
    assert math.isclose(nb04.q1.answer(), structural_similarity(p, q, data_range=1.0), rel_tol=1e-9)
    wang = structural_similarity(p, q, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    assert math.isclose(nb04.q4.answer(), wang, rel_tol=1e-9)


def test_nb04_border_answer_is_the_part_skimage_averages() -> None:
    from skimage.metrics import structural_similarity

    p, q = nb04.exercise_pair()
    score, full = structural_similarity(p, q, data_range=1.0, gaussian_weights=True, sigma=1.0, full=True)
    side = math.isqrt(nb04.q2.answer())
    pad = (28 - side) // 2
    assert side * side == nb04.q2.answer() == 400                 # radius int(3.5 * 1.0 + 0.5) = 4
    assert math.isclose(full[pad:-pad, pad:-pad].mean(), score, rel_tol=1e-12)
    assert not math.isclose(full[pad + 1:-pad - 1, pad + 1:-pad - 1].mean(), score, rel_tol=1e-6)


def test_nb04_constants_answer_follows_the_paper() -> None:
    c1, c2 = nb04.q3.answer()
    span = np.iinfo(np.uint16).max - np.iinfo(np.uint16).min
    assert math.isclose(c1, (0.01 * span) ** 2) and math.isclose(c2, (0.03 * span) ** 2)


def test_nb03_q3_mistakes_are_what_the_libraries_give() -> None:
    from skimage.metrics import normalized_mutual_information
    from sklearn.metrics import normalized_mutual_info_score

    p, q = nb03.exercise_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = normalized_mutual_info_score(p.ravel(), q.ravel())
    assert nb03.q3.check(raw).mistake == "raw_floats"
    assert nb03.q3.check(normalized_mutual_information(p, q)).mistake == "skimage_default_bins"


def test_nb03_fixed_range_mistakes_are_bins_over_zero_to_one() -> None:
    from sklearn.metrics import mutual_info_score

    p, q = nb03.exercise_pair()
    edges = np.linspace(0, 1, 17)
    counts, _ = np.histogram(p, bins=edges)
    prob = counts[counts > 0] / counts.sum()
    assert nb03.q1.check(float(-(prob * np.log2(prob)).sum())).mistake == "fixed_range"
    labels = [np.digitize(x.ravel(), edges[1:-1]) for x in (p, q)]
    assert nb03.q2.check(mutual_info_score(*labels) / math.log(2)).mistake == "fixed_range"
