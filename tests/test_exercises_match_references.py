"""The right answers of notebooks 03 (mutual information) and 04 (SSIM), against scikit-learn and scikit-image.

``test_exercises.py`` already feeds every question its right answer and every declared mistake; this
file pins those answers against the reference libraries (not only against simlab), checks that the
mistakes are what those libraries give for the same slip, and that the numbers the messages quote
are true for the exercise images.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from simlab.exercises import nb03, nb04

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


def test_nb03_q4_messages_state_what_happens_to_this_pair() -> None:
    import simlab
    from simlab.transforms import shift

    p, q = nb03.exercise_pair()
    mi = simlab.mutual_information(p, q)
    # (b): one pixel to the right raises MI a little for this pair, further shifts lower it
    assert mi < nb03._option_mi("b") < mi + 0.02
    assert all(simlab.mutual_information(p, shift(q, dx=dx)) < mi for dx in (2, 3, 4))
    # (d): what is left after shuffling q is the bias of any shuffled pair, well above 0
    rng = np.random.default_rng(1)
    bias = np.mean([simlab.mutual_information(p, rng.permutation(q.ravel()).reshape(q.shape)) for _ in range(50)])
    assert abs(nb03._option_mi("d") - bias) < 0.03 and nb03._option_mi("d") > 0.3 * mi
    messages = {k: nb03.q4.check(v).message for k, v in (("b", {"a", "b", "c"}), ("d", {"a", "c", "d"}))}
    assert f"{mi:.3f} to {nb03._option_mi('b'):.3f} bits" in messages["b"] and "rise" in messages["b"]
    assert f"{nb03._option_mi('d'):.2f} bits" in messages["d"] and "about zero" not in messages["d"]


def test_nb04_pair_does_not_span_zero_to_one_so_the_joint_range_is_a_mistake() -> None:
    from skimage.metrics import structural_similarity

    p, q = nb04.exercise_pair()
    joint = max(p.max(), q.max()) - min(p.min(), q.min())
    assert 0.9 < joint < 0.99 and np.ptp(p) < 0.85          # neither the joint nor p's own range is 1
    wrong = structural_similarity(p, q, data_range=joint)
    assert nb04.q1.check(wrong).mistake == "joint_range"
    assert nb04.q1.check(structural_similarity(p, q, data_range=1.0))


def test_nb04_uint8_route_is_close_but_not_equal_and_says_so() -> None:
    from skimage.metrics import structural_similarity

    p, q = nb04.exercise_pair()
    as_uint8 = structural_similarity(*[(x * 255).round().astype(np.uint8) for x in (p, q)])
    assert 1e-5 < abs(as_uint8 - nb04.q1.answer()) < 1e-3
    verdict = nb04.q1.check(as_uint8)
    assert verdict.mistake == "uint8_route" and "rounds every pixel" in verdict.message
