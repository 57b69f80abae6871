"""Two variants compared (netspec.results.comparison): the bootstrap against values computed
by hand and by scipy, Holm's correction, the degenerate cases, the seeds a comparison needs."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.results.comparison import accuracy_interval, compare, holm, seeds_for


def test_holm_matches_a_hand_computed_example():
    # sorted: 0.01 x 4 = 0.04, 0.02 x 3 = 0.06, 0.03 x 2 = 0.06 (monotone), 0.5 x 1 = 0.5
    assert holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([]) == []


def test_the_difference_is_the_hand_computed_mean_and_images_alone_match_scipys_bootstrap():
    from scipy import stats

    rng = np.random.default_rng(1)
    a = {s: rng.random(400) < 0.95 for s in range(3)}
    b = {s: rng.random(400) < 0.90 for s in range(3)}
    found = compare(a, b, ("a", "b"))
    by_hand = np.mean([a[s].mean() - b[s].mean() for s in range(3)])
    assert found.difference == pytest.approx(100 * by_hand)
    assert found.low < found.difference < found.high and found.seeds == 3 and found.images == 400
    # one seed each: only images are resampled, paired; scipy's percentile bootstrap of the
    # mean per-image difference gives the same interval to within Monte Carlo error
    one = compare({0: a[0]}, {0: b[0]}, ("a", "b"), replicates=4000)
    diff = a[0].astype(float) - b[0].astype(float)
    reference = stats.bootstrap(
        (diff,), np.mean, n_resamples=4000, method="percentile", random_state=0
    ).confidence_interval
    assert one.low == pytest.approx(100 * reference.low, abs=0.5)
    assert one.high == pytest.approx(100 * reference.high, abs=0.5)
    # and twice the same study gives the same numbers: a fixed random stream
    assert compare(a, b, ("a", "b")) == found


def test_no_degenerate_interval_when_seeds_agree_and_identical_models_are_said():
    rng = np.random.default_rng(2)
    a = rng.random(300) < 0.95
    b = a.copy()
    b[:6] = ~b[:6]  # six images differ, the same six on every seed
    found = compare({0: a, 1: a}, {0: b, 1: b}, ("a", "b"))
    assert found.high - found.low > 0.5  # the images give the interval its width
    same = compare({0: a, 1: a}, {0: a, 1: a}, ("a", "b"))
    assert same.identical and same.p_value == 1.0


def test_seeds_needed_follow_the_variance_and_say_when_images_are_the_limit():
    rng = np.random.default_rng(3)
    # per-seed differences that vary by about a point, on 20,000 images: seeds are the limit
    a = np.array([rng.random(20000) < p for p in (0.95, 0.96, 0.94, 0.955)])
    b = np.array([rng.random(20000) < p for p in (0.945, 0.945, 0.945, 0.945)])
    needed = seeds_for(a.astype(float), b.astype(float), True, 0.01, 0.05)
    per_seed = a.mean(1) - b.mean(1)
    image_part = (a.astype(float) - b).mean(0).var(ddof=1) / 20000
    expected = per_seed.var(ddof=1) / ((0.01 / (1.959964 + 0.841621)) ** 2 - image_part)
    assert needed == max(2, int(np.ceil(expected)))
    # on 450 images the test set's own noise already exceeds what a 1-point difference allows
    small = seeds_for(a[:, :450].astype(float), b[:, :450].astype(float), True, 0.01, 0.05)
    assert small is None


def test_a_variants_accuracy_interval_is_its_mean_and_scipys_bootstrap_for_one_seed():
    from scipy import stats

    rng = np.random.default_rng(4)
    runs = {s: rng.random(500) < 0.9 for s in range(3)}
    mean, low, high = accuracy_interval(runs)
    assert mean == pytest.approx(100 * np.mean([runs[s].mean() for s in range(3)]))
    assert low < mean < high
    one = accuracy_interval({0: runs[0]}, replicates=4000)
    reference = stats.bootstrap(
        (runs[0].astype(float),), np.mean, n_resamples=4000, method="percentile", random_state=0
    ).confidence_interval
    assert one[1] == pytest.approx(100 * reference.low, abs=0.5)
    assert one[2] == pytest.approx(100 * reference.high, abs=0.5)
    assert accuracy_interval({}) is None
