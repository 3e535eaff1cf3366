"""The random draws the mechanisms rely on follow the laws they claim."""

import numpy as np
import pytest

from sim import draws


@pytest.mark.parametrize("probability", [0.003, 0.02, 0.09, 0.3])
def test_chosen_is_bernoulli(probability):
    # Over 200 draws of 10,000 trials, the mean count is n*p with standard error
    # sqrt(n*p*(1-p)/200); 5 standard errors is a bound a correct sampler breaks with
    # probability below 1e-6. Positions must also be uniform: the mean index is n/2.
    rng = np.random.default_rng(7)
    n, reps = 10_000, 200
    counts, positions = [], []
    for _ in range(reps):
        rows = draws.chosen(rng, probability, n)
        assert np.all(np.diff(rows) > 0) and (rows.size == 0 or (rows[0] >= 0 and rows[-1] < n))
        counts.append(rows.size)
        positions.append(rows)
    se = np.sqrt(n * probability * (1 - probability) / reps)
    assert abs(np.mean(counts) - n * probability) < 5 * se
    every = np.concatenate(positions)
    assert abs(every.mean() - (n - 1) / 2) < 5 * n / np.sqrt(12 * every.size)


def test_chosen_edge_cases():
    rng = np.random.default_rng(1)
    assert draws.chosen(rng, 0.0, 1000).size == 0
    assert draws.chosen(rng, 0.5, 0).size == 0
    assert draws.chosen(rng, 1.0, 50).tolist() == list(range(50))


def test_chosen_by_category_thins_to_each_probability():
    # Two categories with 0.01 and 0.04: each category's hit rate must match its own
    # probability within 5 standard errors.
    rng = np.random.default_rng(3)
    category = np.repeat(np.array([0, 1], dtype=np.int8), 200_000)
    probability = np.array([0.01, 0.04])
    hits = np.zeros(2)
    reps = 20
    for _ in range(reps):
        rows = draws.chosen_by_category(rng, probability, category)
        hits += np.bincount(category[rows], minlength=2)
    for c in (0, 1):
        trials = 200_000 * reps
        se = np.sqrt(trials * probability[c] * (1 - probability[c]))
        assert abs(hits[c] - trials * probability[c]) < 5 * se


def test_duration_months_has_the_requested_mean():
    rng = np.random.default_rng(5)
    months = draws.duration_months(rng, 6.8, 100_000)
    assert months.min() >= 1
    # Rounding up to whole months adds about half a month to the gamma mean.
    assert 6.8 < months.mean() < 6.8 + 1.0
