"""The verdict for many variants (netspec.results.verdict): ties, the top group, a baseline,
its notes, and a simulation of whole studies that checks its false winners."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.results.verdict import Evidence, evidence, pack, study_verdict, unpack


def test_per_image_results_survive_metrics_json():
    correct = np.random.default_rng(0).random(451) < 0.9
    assert np.array_equal(unpack(pack(correct), 451), correct)
    metrics = {
        "selected_val_accuracy": 0.9,
        "test_accuracy": 0.8,
        "test_correct": pack(correct),
        "test_images": 451,
    }
    record = {"variant": "a", "seed": 3, "samples": {"validation": 50}}
    found = evidence(metrics, record)
    assert (found.variant, found.seed, found.validation, found.validation_images) == (
        "a",
        3,
        0.9,
        50,
    )
    assert np.array_equal(found.correct, correct)
    assert evidence({**metrics, "diverged": True}, record) is None
    old = evidence({k: v for k, v in metrics.items() if k != "test_correct"}, record)
    assert old.correct is None  # a run from before: ranked, not compared


def runs(accuracies: dict[str, list[float]], images=450, validation=200, seed=0) -> list:
    """Evidence whose per-image results have the given accuracy per seed (images right at
    random), validation scores equal to the test accuracies."""
    rng = np.random.default_rng(seed)
    made = []
    for variant, per_seed in accuracies.items():
        for s, accuracy in enumerate(per_seed):
            correct = np.zeros(images, bool)
            correct[rng.permutation(images)[: round(accuracy * images)]] = True
            made.append(Evidence(variant, s, accuracy, validation, correct))
    return made


def test_a_tie_within_one_validation_image_is_a_tie_and_no_winner_is_named():
    # b is 0.3 of a validation image (1/200 = 0.5 points) below a: tied; c is far below
    found = study_verdict(runs({"a": [0.970, 0.972], "b": [0.969, 0.970], "c": [0.80, 0.81]}))
    assert found.ranking == ["a", "b", "c"] and found.tied == ["a", "b"]
    assert found.group == ["a", "b"] and found.alone is None
    # c is compared with each of the tied best: out only when worse than both
    assert [(c.first, c.second) for c in found.against_best] == [("a", "c"), ("b", "c")]
    tied_out = study_verdict(runs({"a": [0.97, 0.97], "b": [0.969, 0.97], "c": [0.80, 0.81]}))
    assert tied_out.group == ["a", "b"]
    assert found.validation_image == pytest.approx(0.5)
    assert found.test_image == pytest.approx(100 / 450)


def test_a_clear_best_stands_alone_and_a_baseline_is_compared_with_every_variant():
    found = study_verdict(
        runs({"a": [0.99, 0.99, 0.99], "b": [0.80, 0.81, 0.80], "c": [0.70, 0.71, 0.70]}),
        baseline="c",
    )
    assert found.alone == "a"
    assert [(c.first, c.second) for c in found.against_baseline] == [("a", "c"), ("b", "c")]
    assert all(c.distinguishable() and c.difference > 0 for c in found.against_baseline)


def simulated_study(rng, better: float, variants=6, seeds=3, test=450, validation=269):
    """One study from a stated model (docs: README, 'The verdict'): image i's logit of being
    right is 18 + d_i + e_vs (+ `better` for variant 0), d_i ~ N(0, 10) shared by every variant
    (images hard for all alike), e_vs ~ N(0, 0.3) per run; about 97% accurate, a seed-to-seed
    sd of about 0.5 points and 1-2% of images changing between seeds, as the default study."""
    d_test, d_val = rng.normal(0, 10, test), rng.normal(0, 10, validation)
    made = []
    for v in range(variants):
        for s in range(seeds):
            logit = 18 + (better if v == 0 else 0) + rng.normal(0, 0.3)
            p_test = 1 / (1 + np.exp(-(logit + d_test)))
            p_val = 1 / (1 + np.exp(-(logit + d_val)))
            score = float((rng.random(validation) < p_val).mean())
            made.append(Evidence(f"v{v}", s, score, validation, rng.random(test) < p_test))
    return made


@pytest.mark.slow
def test_simulated_studies_name_a_false_winner_rarely_and_a_real_one_often():
    studies = 1000
    null = [
        study_verdict(simulated_study(np.random.default_rng(k), 0.0), replicates=400).alone
        for k in range(studies)
    ]
    false_winners = sum(name is not None for name in null)
    assert false_winners <= 0.05 * studies, false_winners
    shift = logit_shift(0.02)  # v0 truly 2 points better in expected test accuracy
    real = [
        study_verdict(simulated_study(np.random.default_rng(k), shift), replicates=400).group
        for k in range(studies // 5)
    ]
    alone = sum(group == ["v0"] for group in real) / len(real)
    print(f"false single winners {false_winners}/{studies}; v0 alone at +2 points {alone:.0%}")
    assert alone > 0.5


def expected_accuracy(shift: float) -> float:
    """The model's expected accuracy (simulated_study) for a logit shifted by `shift`."""
    from scipy import integrate
    from scipy.stats import norm

    value, _ = integrate.quad(
        lambda d: norm.pdf(d, 0, 10) / (1 + np.exp(-(18 + shift + d))), -100, 100, points=[-18]
    )
    return value


def logit_shift(points: float) -> float:
    from scipy.optimize import brentq

    return brentq(lambda s: expected_accuracy(s) - expected_accuracy(0) - points, 0, 20)


def test_the_simulation_model_is_as_stated():
    assert expected_accuracy(0) == pytest.approx(0.9617, abs=1e-3)  # about 96-97% accurate
    assert logit_shift(0.02) == pytest.approx(3.25, abs=0.01)  # +2 points, not a logit of +2


def test_seeds_that_differ_beyond_image_churn_are_said_to_flatter_the_best():
    """Each run's luck shifts all its images (a logit of sd 2 per run): the verdict warns that
    three seeds make its comparisons optimistic; with the stated model's small shifts it is quiet."""
    rng = np.random.default_rng(5)
    d = rng.normal(0, 10, 450)

    def study(spread):
        made = []
        for v in range(3):
            for s in range(3):
                p = 1 / (1 + np.exp(-(18 + rng.normal(0, spread) + d)))
                made.append(Evidence(f"v{v}", s, 0.97 - 0.01 * v, 269, rng.random(450) < p))
        return made

    assert any("flattered" in note for note in study_verdict(study(2.0), replicates=200).notes)
    assert not any("flattered" in n for n in study_verdict(study(0.0), replicates=200).notes)


def test_the_page_renders_the_verdict_through_autoescaped_templates():
    from netspec.results.answer import headline, verdict_section

    found = study_verdict(
        runs({"<i>a</i>": [0.99, 0.99], "b&c": [0.80, 0.81]}), baseline="<script>x</script>"
    )
    page = headline(found) + verdict_section(found)
    assert "<i>a</i>" not in page and "&lt;i&gt;a&lt;/i&gt;" in page and "b&amp;c" in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # a note naming the baseline
    assert "<b>&lt;i&gt;a&lt;/i&gt;</b> is best" in page  # the template's own markup stays


def test_a_row_shown_worse_yet_in_the_group_names_the_tied_best_that_keeps_it():
    """a and b tie on validation; c is far below a on test, level with b: in the top group,
    and its row against a says why, beside a p-value under the level."""
    from netspec.results.answer import verdict_section

    rng = np.random.default_rng(6)

    def made(variant, validation, accuracy):
        return [Evidence(variant, s, validation, 200, rng.random(450) < accuracy) for s in range(3)]

    found = study_verdict(made("a", 0.97, 0.97) + made("b", 0.97, 0.80) + made("c", 0.80, 0.80))
    assert found.tied == ["a", "b"] and found.group == ["a", "b", "c"]
    (a_c,) = [c for c in found.against_best if (c.first, c.second) == ("a", "c")]
    assert a_c.distinguishable() and a_c.difference > 0
    page = verdict_section(found)
    assert "yes: not shown worse than <b>b</b>, tied best" in page
    assert page.count("not shown worse than") == 1  # the row against b decides nothing apart
