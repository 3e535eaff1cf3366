"""The random draws the mechanisms rely on follow the laws they claim."""

import numpy as np
import pytest
from scipy import stats

from sim import draws


@pytest.mark.parametrize("probability", [0.003, 0.02, 0.09, 0.3])
@pytest.mark.parametrize("batch", [None, 7])
def test_chosen_is_a_bernoulli_process(probability, batch):
    # 400 repetitions of 2,000 trials. For a Bernoulli process the count is Binomial(n, p):
    # its mean within 5 standard errors, its variance within 5 standard errors of
    # n p (1 - p) (the sample variance's s.e. is about var * sqrt(2 / reps)), and every row
    # equally likely: a chi-square test of the per-row hit counts at the 1e-6 level.
    # batch=7 forces the multi-batch path. A correct sampler fails with probability ~1e-6.
    rng = np.random.default_rng(7)
    n, reps = 2_000, 400
    hits = np.zeros(n)
    counts = []
    for _ in range(reps):
        rows = draws.chosen(rng, probability, n, batch=batch)
        if probability < 0.1:  # the sparse path; above, the dense one
            assert np.all(np.diff(rows) > 0)
        assert rows.size == 0 or (rows[0] >= 0 and rows[-1] < n)
        counts.append(rows.size)
        hits[rows] += 1
    variance = n * probability * (1 - probability)
    assert abs(np.mean(counts) - n * probability) < 5 * np.sqrt(variance / reps)
    assert abs(np.var(counts, ddof=1) - variance) < 5 * variance * np.sqrt(2 / reps)
    if probability >= 0.02:  # enough expected hits per row for the chi-square approximation
        assert stats.chisquare(hits).pvalue > 1e-6


def test_chosen_edge_cases():
    rng = np.random.default_rng(1)
    assert draws.chosen(rng, 0.0, 1000).size == 0
    assert draws.chosen(rng, 0.5, 0).size == 0
    assert draws.chosen(rng, 1.0, 50).tolist() == list(range(50))


def test_chosen_by_category_thins_to_each_probability():
    # Two categories with 0.01 and 0.04: each category's hit rate must match its own
    # probability within 5 standard errors; a probability above 1 counts as 1.
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
    certain = draws.chosen_by_category(rng, np.array([1.0, 2.0]), np.array([0, 1] * 500, dtype=np.int8))
    assert certain.size == 1000


def test_duration_months_keeps_the_mean_of_the_gamma():
    # Rounded to the nearest month, floored at 1: E[max(1, round(X))] = 1 + sum_{k>=2}
    # P(X > k - 1/2) for X ~ Gamma(2, mean / 2). The sample mean of 100,000 draws must be
    # within 5 standard errors of it, and it must be the scenario's mean to 0.02 month (the
    # floor adds little); rounding up would add half a month.
    rng = np.random.default_rng(5)
    mean = 6.8
    months = draws.duration_months(rng, mean, 100_000)
    assert months.min() >= 1
    law = stats.gamma(2, scale=mean / 2)
    k = np.arange(2, 200)
    expected = 1 + law.sf(k - 0.5).sum()
    assert abs(months.mean() - expected) < 5 * months.std() / np.sqrt(months.size)
    assert abs(expected - mean) < 0.02


def test_keyed_uniforms_are_uniform_independent_of_other_keys_and_reproducible():
    # 100,000 keyed draws (one name, keys 0..99,999) must pass a Kolmogorov-Smirnov test of
    # uniformity at the 1e-4 level, differ from another name's, and come back identical.
    keys = np.arange(100_000)
    u = draws.keyed_uniform(7, "sse.founder_exit", keys, 3)
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    assert np.array_equal(u, draws.keyed_uniform(7, "sse.founder_exit", keys, 3))
    assert abs(np.corrcoef(u, draws.keyed_uniform(7, "sse.collapse", keys, 3))[0, 1]) < 0.02  # ~6 s.e.
    assert not np.array_equal(u, draws.keyed_uniform(8, "sse.founder_exit", keys, 3))


def test_unbiased_round_keeps_the_mean():
    # 2.3 rounds to 3 with probability 0.3: over 100,000 uniforms the mean is 2.3 within
    # 5 standard errors (s.e. = sqrt(0.3 * 0.7 / 100,000)).
    u = np.random.default_rng(1).random(100_000)
    values = np.array([draws.unbiased_round(2.3, x) for x in u])
    assert set(np.unique(values)) == {2, 3}
    assert abs(values.mean() - 2.3) < 5 * np.sqrt(0.21 / u.size)
    assert draws.unbiased_round(4.0, 0.999) == 4
