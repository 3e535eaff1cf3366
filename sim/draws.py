"""Random draws shared by the mechanisms. Every draw takes a generator, or is keyed.

Keyed draws (``keyed_uniform``) are a pure function of the run's seed, a name and
integer keys (an enterprise's identity, a person's id, a month): they hold common random
numbers across scenarios whatever else differs, because no other draw can shift them.
"""

import functools
import zlib
from collections.abc import Callable

import numpy as np

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))


def duration_months(rng: np.random.Generator, mean_months: float, size: int, shape: float = 2.0) -> np.ndarray:
    """Whole months (at least 1) until an administrative decision.

    A gamma law of shape 2: waiting times for decisions are right-skewed and rarely
    immediate (BIBB reports 35-318 days across Länder for a mean of 111, target T21).
    Rounded to the nearest month, so the mean wait is the scenario's (rounding up would add
    half a month to every wait); a decision comes one month after filing at the earliest.
    """
    months = rng.gamma(shape, mean_months / shape, size)
    return np.maximum(1, np.rint(months)).astype(np.int32)


def beta_with_mean(rng: np.random.Generator, mean: float, size: int, concentration: float = 4.0) -> np.ndarray:
    """A 0-1 level with the given mean; ``concentration`` is a + b of the beta law."""
    mean = min(max(mean, 1e-3), 1 - 1e-3)
    return rng.beta(mean * concentration, (1 - mean) * concentration, size).astype(np.float32)


def categorical(rng: np.random.Generator, probabilities: np.ndarray | list[float], size: int) -> np.ndarray:
    """``size`` indices drawn with the given probabilities: ``rng.choice(len(probabilities),
    size, p=probabilities)``, the same numbers from the same stream, by NumPy's own method
    (the normalised cumulative probabilities searched with uniforms), without its checks of
    ``p``, which cost ten times the draws for the few dozen newcomers of a month. The
    probabilities come from validated scenarios."""
    cdf = np.asarray(probabilities, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")


def happens(rng: np.random.Generator, probability: float | np.ndarray, size: int) -> np.ndarray:
    """Bernoulli draws: which of ``size`` people see an event of the given probability.

    Single-precision uniforms (half the cost at a million rows) resolve probabilities to
    2^-24, far finer than any rate in the model.
    """
    return rng.random(size, dtype=np.float32) < probability


def chosen(rng: np.random.Generator, probability: float, size: int, batch: int | None = None) -> np.ndarray:
    """Sorted indices of the successes among ``size`` Bernoulli trials of one probability.

    Exact, and in O(size * probability) time: the gaps between successes of a Bernoulli
    sequence are geometric. Monthly hazards are small (1-3 %), so drawing only the
    successes is what keeps a month of a million migrants fast. ``batch`` fixes how many
    gaps are drawn at a time (by default, enough to finish in one batch almost always).
    """
    if size == 0 or probability <= 0.0:
        return np.empty(0, dtype=np.int64)
    if probability >= 0.1:
        return np.flatnonzero(happens(rng, probability, size))
    found, position = [], -1
    while True:
        remaining = size - 1 - position
        expected = remaining * probability
        gaps = rng.geometric(probability, batch or int(expected + 5 * np.sqrt(expected) + 16))
        positions = position + np.cumsum(gaps)
        if positions[-1] >= size:
            found.append(positions[positions < size])
            return np.concatenate(found)
        found.append(positions)
        position = int(positions[-1])


def chosen_by_category(rng: np.random.Generator, probability: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Rows whose event happens, when its probability depends on a small code per row.

    ``probability[c]`` is the probability for rows of code ``c``. Candidates are drawn at
    the highest probability, then each is kept with ``probability[c] / highest``
    (thinning), so every row's chance is exactly its code's probability.
    """
    return chosen_by_code(rng, probability, category.size, category.__getitem__)


def chosen_by_code(rng: np.random.Generator, probability: np.ndarray, size: int,
                   code_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``chosen_by_category`` for a code computed from several columns: ``code_of(rows)``
    gives the codes of the candidate rows only, so the code is computed for the few drawn
    at the highest probability, not for all ``size`` rows."""
    probability = np.clip(probability, 0.0, 1.0)
    highest = float(probability.max(initial=0.0))
    if highest <= 0.0:
        return np.empty(0, dtype=np.int64)
    rows = chosen(rng, highest, size)
    return np.compress(happens(rng, probability[code_of(rows)] / highest, rows.size), rows)  # rows[mask], faster


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijective, well-mixed hash of 64-bit integers (Steele,
    Lea & Flood 2014, the seeding function of Java's SplittableRandom). ``x`` is an array:
    NumPy's unsigned array arithmetic wraps modulo 2^64 silently, as the hash needs (a
    scalar would warn), and the steps after the first work in place on its copy."""
    x = x + _GOLDEN_GAMMA
    x ^= x >> _SHIFTS[0]
    x *= _MIX[0]
    x ^= x >> _SHIFTS[1]
    x *= _MIX[1]
    x ^= x >> _SHIFTS[2]
    return x


def keyed_uniform(seed: int, name: str, *keys: int | np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1), one per element of the integer ``keys`` (scalars, or arrays of one
    length).

    A pure function of ``(seed, name, keys)``: the same enterprise in the same month of
    the same seed gets the same draw in every scenario, however many enterprises, people
    or draws come before it. ``name`` separates the uses (``"sse.founder_exit"``...).
    """
    return keyed_uniforms(seed, (name,), *keys)[0]


def keyed_uniforms(seed: int, names: tuple[str, ...], *keys: int | np.ndarray) -> np.ndarray:
    """``keyed_uniform`` for several names over the same keys, one row per name, in one pass
    over the keys (a person's pay and hours at an employer)."""
    x = np.array([_name_hash(seed % 2**64, name) for name in names], dtype=np.uint64)[:, None]
    for key in keys:
        x = _splitmix64(x ^ (np.asarray(key, dtype=np.int64).astype(np.uint64)))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


@functools.lru_cache(maxsize=1024)
def _name_hash(seed: int, name: str) -> np.uint64:
    """The first step of ``keyed_uniform``, ``_splitmix64(seed ^ crc32(name))``, once per
    seed and name rather than once per call."""
    return _splitmix64(np.atleast_1d(np.uint64(seed) ^ np.uint64(zlib.crc32(name.encode()))))[0]


def unbiased_round(value: float, uniform: float) -> int:
    """``value`` rounded down or up with the probabilities that keep its mean exact
    (stochastic rounding): 2.3 is 3 with probability 0.3, else 2."""
    whole = int(np.floor(value))
    return whole + int(uniform < value - whole)
