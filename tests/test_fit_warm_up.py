"""The fit's warm-up (``FIT_WARMUP_MONTHS``): a particle warmed up for 72 months from the
closed-form stock gives every fitted target within about a quarter of its tolerance of what the
preset's 180 months give, so a fit spends its simulations on the months it measures."""

import numpy as np
import pytest
from scipy import stats

from sim.calibration.targets import FIT_WARMUP_MONTHS, fit_scenario, metric_value, targets
from sim.model import CityModel
from sim.scenario import Scenario, load

PRESETS = ["eu27", "liege", "paris", "barcelona", "prato"]
MIGRANTS = 40_000
MONTHS = 48
"""The months the presets' fits run after the warm-up (their fitted files' headers)."""
SEEDS = range(1, 9)
ALLOWED_BIAS = 0.25
"""The part of a target's tolerance the shorter warm-up may shift it by: a fit's distance
and a report's hits and misses count gaps in whole tolerances."""
FAMILY_ERROR = 0.01


def fitted_values(params: Scenario, preset: str) -> dict[str, np.ndarray]:
    """Each fitted target's simulated value, one per seed, as the fit reads them."""
    fitted = [target for target in targets(preset) if target.fit]
    runs = []
    for seed in SEEDS:
        model = CityModel(params, rng=seed, migrants=MIGRANTS, long_warm_up=True)
        model.run(MONTHS)
        results = model.results()
        runs.append({target.id: metric_value(results, target.metric) for target in fitted})
    return {target.id: np.array([run[target.id] for run in runs], dtype=float) for target in fitted}


@pytest.mark.parametrize("preset", PRESETS)
def test_the_fits_warm_up_gives_the_presets_targets(preset):
    # Each preset's fitted targets over 8 seeds at 40,000 migrants, after the preset's own
    # 180-month warm-up and after the fit's 72. The gap between the two means may be the
    # bias allowed (a quarter of the target's tolerance) plus chance: a Student quantile
    # (2 x 7 degrees of freedom, the variances estimated from 8 seeds each) at a family-wise
    # error of 1 % over every preset and target (Bonferroni: a fifth of it per preset),
    # times the standard error of the difference of two independent means. Runs of the same
    # seed start from the same closed-form stock, which can only correlate them positively,
    # so the two-sample variance errs on the safe side.
    # The bound can fail: after a 36-month warm-up the nationals' employment (T02) is 1.8
    # points short, beyond its bound of 1.5. After 72 months the largest gaps are the
    # employment rates, migrants' and nationals', up to about 0.8 points.
    scenario = load(f"{preset}/baseline")
    long = fitted_values(fit_scenario(scenario, MONTHS, scenario.population.warmup_months), preset)
    short = fitted_values(fit_scenario(scenario, MONTHS, FIT_WARMUP_MONTHS), preset)
    tolerance = {target.id: target.tolerance for target in targets(preset) if target.fit}
    quantile = stats.t.ppf(1 - FAMILY_ERROR / (2 * len(PRESETS) * len(tolerance)), df=2 * (len(SEEDS) - 1))
    far = {}
    for name, tol in tolerance.items():
        noise = quantile * np.sqrt(long[name].var(ddof=1) / len(SEEDS) + short[name].var(ddof=1) / len(SEEDS))
        gap = short[name].mean() - long[name].mean()
        if abs(gap) > ALLOWED_BIAS * tol + noise:
            far[name] = f"long {long[name].mean():.4f}, short {short[name].mean():.4f}, noise {noise:.4f}"
    assert not far, far
    assert scenario.population.warmup_months > FIT_WARMUP_MONTHS  # the test compares two warm-ups
