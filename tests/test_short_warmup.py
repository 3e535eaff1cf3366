"""The short warm-up (``sim/steady_state.py``): a run that draws its people from the
steady-state snapshot and warms up for ``population.short_warmup_months`` is the city the
long warm-up makes, whatever the cache holds, and shares its warm-up with the scenarios
that differ from it only in their levers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import steady_state
from sim.mechanisms import earnings
from sim.agents import employer_table
from sim.model import CityModel, warm_up_key
from sim.nationals import NationalsModel
from sim.population import COLUMNS
from sim.scenario import Scenario, ScenarioError, load, with_overrides
from sim.states import IS_FORMAL_WORK, LabourState, LegalStatus

PRESETS = ["eu27", "liege", "paris", "barcelona", "prato"]
MIGRANTS = 4000
SEEDS = range(1, 9)
MONTHS = 12
STATUSES = [status.name.lower() for status in LegalStatus if status != LegalStatus.GONE]
RATES = ["employment_rate", "formal_employment_rate", "unemployment_rate", "employment_rate_non_eu_citizens"]
HEADLINE = [*RATES, "undocumented_share", "nationals_employment_rate",
            *(f"employment_rate_by_status.{s}" for s in STATUSES)]
ROOT = Path(__file__).resolve().parents[1]
FAMILY_ERROR = 0.01
"""Chance that the whole test fails (over every preset and indicator) if the short warm-up
gives the long one's city."""


def headline(results: dict) -> dict[str, float]:
    """The indicators a user reads first, over the first 12 reported months."""
    return {
        **{name: results[name] for name in RATES},
        "undocumented_share": results["legal_status_shares"]["undocumented"],
        "nationals_employment_rate": results["nationals"]["employment_rate"],
        **{f"employment_rate_by_status.{s}": results["employment_rate_by_status"][s] for s in STATUSES},
    }


def over_seeds(params: Scenario, long_warm_up: bool) -> dict[str, np.ndarray]:
    """Each headline indicator, one value per seed."""
    runs = []
    for seed in SEEDS:
        model = CityModel(params, rng=seed, migrants=MIGRANTS, long_warm_up=long_warm_up)
        model.run(MONTHS)
        runs.append(headline(model.results()))
    return {name: np.array([run[name] for run in runs], dtype=float) for name in HEADLINE}


def sampling_bound(long: np.ndarray, short: np.ndarray, snapshot_share: float) -> float:
    """How far apart the two means may be by chance alone (the reasoning is in the test)."""
    n = len(SEEDS)
    quantile = stats.t.ppf(1 - FAMILY_ERROR / (2 * len(PRESETS) * len(HEADLINE)), df=2 * (n - 1))
    variance = long.var(ddof=1) / n + short.var(ddof=1) / n + long.var(ddof=1) * snapshot_share
    return float(quantile * np.sqrt(variance))


@pytest.mark.parametrize("preset", PRESETS)
def test_the_short_warm_up_gives_the_long_warm_ups_city(preset):
    # Each preset at 4,000 migrants, 8 seeds, warmed up the long way (closed-form stock,
    # 180 months) and the short way (snapshot, 24 months), then 12 months whose averages
    # are the headline. If the short warm-up gives the long one's city, the two means of
    # an indicator differ by the noise of each (its variance over seeds, / 8) plus the
    # snapshot's own: every short run draws from one snapshot, a city of R people (20,000,
    # or the preset's size if smaller), whose rates are off by the sampling error of a
    # city of R, a variance of the long runs' times 4,000 / R (a rate's variance goes as
    # one over the people counted), of which the short warm-up forgets part: counting all
    # of it errs on the safe side. Runs of the same seed share their employers, which can
    # only correlate them positively, so the two-sample variance errs on the safe side too.
    # The bound is a Student quantile (2 x 7 degrees of freedom, the variances being
    # estimated from 8 seeds) at a family-wise error of 1 % over every preset and indicator
    # (Bonferroni), times the standard error of the difference.
    params = load(f"{preset}/baseline")
    long, short = over_seeds(params, long_warm_up=True), over_seeds(params, long_warm_up=False)
    snapshot_share = MIGRANTS / steady_state.reference_migrants(params)
    far = {}
    for name in HEADLINE:
        bound = sampling_bound(long[name], short[name], snapshot_share)
        gap = short[name].mean() - long[name].mean()
        if abs(gap) > bound:
            far[name] = f"long {long[name].mean():.4f}, short {short[name].mean():.4f}, bound {bound:.4f}"
    assert not far, far
    # The bound can fail: the closed-form stock warmed up for as short a time misses the
    # long warm-up's employment by far more (6 to 9 points), the bias the snapshot removes.
    closed_form = with_overrides(params, {"population.warmup_months": params.population.short_warmup_months})
    naive = over_seeds(closed_form, long_warm_up=True)["employment_rate"]
    bound = sampling_bound(long["employment_rate"], naive, 0.0)
    assert abs(naive.mean() - long["employment_rate"].mean()) > bound


def _results(params: Scenario, seed: int) -> dict:
    model = CityModel(params, rng=seed, migrants=1500)
    model.run(MONTHS)
    results = model.results()
    results["provenance"].pop("created_utc")
    return results


def test_a_run_is_the_same_with_a_cold_or_a_warm_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHWAYS_CACHE", str(tmp_path))
    params = load("liege/baseline")
    cold = _results(params, seed=4)
    cached = sorted((tmp_path / "steady_state").iterdir())
    assert [path.suffix for path in cached] == [".npz", ".npz"]  # the migrants' snapshot and the nationals'

    def made_again(*args, **kwargs):
        raise AssertionError("the warm run made a snapshot instead of reading it")

    monkeypatch.setattr(CityModel, "reference_city", made_again)
    monkeypatch.setattr(NationalsModel, "reference_city", made_again)
    warm = _results(params, seed=4)
    assert json.dumps(cold, sort_keys=True) == json.dumps(warm, sort_keys=True)
    _results(params, seed=5)  # another seed draws from the same snapshots
    assert sorted((tmp_path / "steady_state").iterdir()) == cached


def test_two_processes_making_the_same_snapshot_at_once_agree(tmp_path):
    # Two cold runs at once write the same snapshots (temporary file, then rename); a third
    # reads them. All three give the same numbers, and no temporary file is left behind.
    def command(name: str) -> list[str]:
        return [sys.executable, "-m", "sim", "run", "prato/baseline", "--months", "6", "--seed", "2",
                "--migrants", "1500", "--out", str(tmp_path / name)]

    environment = {**os.environ, "PATHWAYS_CACHE": str(tmp_path / "cache")}
    together = [subprocess.Popen(command(name), env=environment, cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE) for name in ("a.json", "b.json")]
    for process in together:
        assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    after = subprocess.run(command("c.json"), env=environment, cwd=ROOT, capture_output=True, text=True, timeout=300,
                           check=False)
    assert after.returncode == 0, after.stderr
    outputs = []
    for name in ("a.json", "b.json", "c.json"):
        data = json.loads((tmp_path / name).read_text())
        data["provenance"].pop("created_utc")
        outputs.append(data)
    assert outputs[0] == outputs[1] == outputs[2]
    assert sorted(path.suffix for path in (tmp_path / "cache" / "steady_state").iterdir()) == [".npz", ".npz"]


def test_scenarios_differing_only_in_a_lever_share_their_warm_up_exactly():
    baseline, lever = load("liege/baseline"), load("liege/mentoring")
    assert warm_up_key(baseline) == warm_up_key(lever) and baseline.policies != lever.policies
    a = CityModel(baseline, rng=7, migrants=2000, start=False)
    b = CityModel(lever, rng=7, migrants=2000, start=False)
    for city, twin in ((a, b), (a.nationals, b.nationals)):
        for name in COLUMNS:
            assert np.array_equal(getattr(city.pop, name), getattr(twin.pop, name)), name
        for name in employer_table(city).COLUMNS:
            assert np.array_equal(getattr(employer_table(city), name), getattr(employer_table(twin), name)), name
    other_seed = CityModel(baseline, rng=8, migrants=2000, start=False)
    assert not np.array_equal(a.pop.labour, other_seed.pop.labour)  # the draw is the run's own


def test_a_parameter_that_changes_nothing_in_the_warm_up_gives_the_same_city():
    # Another allowance is another warm-up (another snapshot), but allowances do not change
    # who works: with the same snapshot seed the two snapshots, hence the two cities of a
    # seed, are the same (common random numbers across parameter values, as Morris needs).
    small = with_overrides(load("liege/baseline"), {"population.initial_migrants": 3000})
    richer = with_overrides(small, {"welfare.asylum_allowance_eur_per_month": 900.0})
    assert warm_up_key(small) != warm_up_key(richer)
    a = CityModel(small, rng=6, migrants=1500, start=False)
    b = CityModel(richer, rng=6, migrants=1500, start=False)
    for name in COLUMNS:
        assert np.array_equal(getattr(a.pop, name), getattr(b.pop, name)), name


def test_people_drawn_from_the_snapshot_work_for_the_runs_own_employers():
    # No short warm-up: the city at month 0 is the people just drawn. Prato has many
    # employers hiring undeclared labour; a snapshot of 5,000 and a run of 12,000, so
    # everyone in the snapshot is drawn twice or three times.
    params = with_overrides(load("prato/baseline"), {"population.initial_migrants": 5000,
                                                     "population.short_warmup_months": 0})
    model = CityModel(params, rng=3, migrants=12_000, start=False)
    pop, table = model.pop, employer_table(model)
    available = steady_state.snapshot(model)["employer_sector"].size
    assert pop.count() == round(12_000 * available / 5000)
    assert np.array_equal(np.sort(pop.person_id[pop.alive()]), np.arange(pop.count()))
    working = np.flatnonzero(pop.employer >= 0)
    assert working.size > 0 and pop.employer.max() < len(table)
    undeclared = pop.labour[working] == LabourState.UNDECLARED_WORK
    assert undeclared.any() and table.hires_undeclared[pop.employer[working[undeclared]]].all()
    assert np.array_equal(pop.exploited[working], undeclared & table.exploitative[pop.employer[working]])
    declared = working[IS_FORMAL_WORK[pop.labour[working]]]
    sectors = model.sectors
    wage = np.array([[s.elementary_wage_eur_per_month, s.skilled_wage_eur_per_month] for s in sectors], dtype=np.float32)
    # Paid as the hiring rule pays at the run's employer: the sector's wage for the level, on
    # the person's own factors there (earnings.pay_factor), not the snapshot's.
    factor = earnings.pay_factor(model, declared, pop.employer[declared])
    assert np.array_equal(pop.wage_eur_per_month[declared],
                          wage[table.sector[pop.employer[declared]], pop.job_level[declared]] * factor)


def test_a_short_warm_up_longer_than_the_long_one_is_refused():
    with pytest.raises(ScenarioError, match="short_warmup_months"):
        with_overrides(load("eu27/baseline"), {"population.warmup_months": 12})
