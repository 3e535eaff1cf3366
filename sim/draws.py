"""Random draws shared by the mechanisms. Every draw takes the model's generator."""

import numpy as np


def duration_months(rng: np.random.Generator, mean_months: float, size: int, shape: float = 2.0) -> np.ndarray:
    """Whole months (at least 1) until an administrative decision.

    A gamma law of shape 2: waiting times for decisions are right-skewed and rarely
    immediate (BIBB reports 35-318 days across Länder for a mean of 111, target T21).
    """
    months = rng.gamma(shape, mean_months / shape, size)
    return np.maximum(1, np.ceil(months)).astype(np.int32)


def beta_with_mean(rng: np.random.Generator, mean: float, size: int, concentration: float = 4.0) -> np.ndarray:
    """A 0-1 level with the given mean; ``concentration`` is a + b of the beta law."""
    mean = min(max(mean, 1e-3), 1 - 1e-3)
    return rng.beta(mean * concentration, (1 - mean) * concentration, size).astype(np.float32)


def happens(rng: np.random.Generator, probability: float | np.ndarray, size: int) -> np.ndarray:
    """Bernoulli draws: which of ``size`` people see an event of the given probability."""
    return rng.random(size, dtype=np.float32) < probability
