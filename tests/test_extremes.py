"""Extreme but valid worlds: the model runs, its outputs stay finite and defined ("no data",
never NaN), and the accounting invariants hold every month. Sizes that cannot fit are
refused before the run with a one-line message."""

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.limits import MAX_PEOPLE, people_upper_bound
from sim.model import CityModel
from sim.scenario import ScenarioError, load, with_overrides
from sim.states import LabourState
from tests.test_accounting import check_invariants

MONTHS = 24

UNDOCUMENTED = {
    "inflow.reason_shares.work": 0.0, "inflow.reason_shares.family": 0.0, "inflow.reason_shares.study": 0.0,
    "inflow.reason_shares.asylum": 1.0, "asylum.recognition_rate": 0.0, "asylum.rejected_departure_share": 0.0,
    "asylum.decision_mean_months": 1.0, "permits.background_regularisation_rate_per_month": 0.0,
}

WORLDS = {
    "no vacancies": ("liege/combined", {"labour_market.openings_scale": 0.0}, 2000),
    "no budget": ("liege/combined", {"policies.policy_budget_eur_per_year": 0.0}, 2000),
    "everyone undocumented": ("liege/baseline", UNDOCUMENTED, 2000),
    "zero inflow": ("liege/combined", {"inflow.newcomers_per_month": 0.0}, 2000),
    "a single migrant": ("liege/combined", {}, 1),  # without inflow, the city drawn after the warm-up is empty
    "nobody": ("liege/combined", {"inflow.newcomers_per_month": 0.0}, 0),
}


def run_world(name: str) -> CityModel:
    scenario, overrides, migrants = WORLDS[name]
    model = CityModel(with_overrides(load(scenario), overrides), rng=3, migrants=migrants)
    for _ in range(MONTHS):
        model.step()
        check_invariants(model)
    return model


def numbers(value, path=""):
    """Every number in a nested result, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from numbers(item, f"{path}[{i}]")
    elif isinstance(value, float | int) and not isinstance(value, bool):
        yield path, value


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_extreme_world_runs_with_finite_defined_outputs(name):
    model = run_world(name)
    results = model.results()
    bad = [path for path, value in numbers(results) if not math.isfinite(value)]
    assert bad == []  # rates with nobody in their group are None ("no data"), never NaN


def test_no_vacancies_means_no_declared_hiring_without_levers():
    """Without openings, nobody enters a declared job at an employer (the baseline has no
    programme placements, which partner employers make outside the vacancy process)."""
    _, overrides, migrants = WORLDS["no vacancies"]
    model = CityModel(with_overrides(load("liege/baseline"), overrides), rng=3, migrants=migrants)
    declared = np.isin(model.pop.labour, [LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS])
    counts = [int((declared & (model.pop.employer >= 0)).sum())]
    for _ in range(MONTHS):
        model.step()
        declared = np.isin(model.pop.labour, [LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS])
        counts.append(int((declared & (model.pop.employer >= 0)).sum()))
    assert all(later <= earlier for earlier, later in zip(counts, counts[1:]))


def test_no_budget_admits_nobody_and_pays_only_running_costs():
    """The yearly cap stops admissions (policies.policy_budget_eur_per_year); services that
    exist keep their fixed running costs (staff, premises), rescaled with the city's size."""
    model = run_world("no budget")
    results, p = model.results(), model.params.policies
    assert results["programme_outcomes"] == {}
    spent = {item: eur for item, eur in model.municipality.spending_eur.items() if eur > 0 and item != "social_assistance"}
    assert spent == {
        "one_stop_shop": MONTHS * p.one_stop_shop.fixed_cost_eur_per_month * model.scale,
        "third_place": MONTHS * p.third_place.cost_eur_per_month * model.scale,
        "union_contact_points": MONTHS * p.union_contact_points.contact_points
        * p.union_contact_points.cost_eur_per_point_per_month * model.scale,
        "anti_discrimination": MONTHS * p.anti_discrimination.cost_eur_per_month * model.scale,
    }
    assert model.scale < 1  # the run is smaller than the preset's city


def test_everyone_undocumented_works_undeclared_or_in_solidarity_activity_only():
    model = run_world("everyone undocumented")
    results = model.results()
    assert results["undocumented_count"] >= 0.8 * model.pop.count()  # the rest await their asylum decision
    assert results["formal_employment_rate"] <= 0.05


def test_zero_inflow_means_nobody_arrives_and_the_city_only_shrinks():
    model = run_world("zero inflow")
    assert all(row["newcomers"] == 0 for row in model.series)
    people = [row["migrants"] for row in model.series]
    assert all(later <= earlier for earlier, later in zip(people, people[1:])) and people[-1] < people[0]


def test_a_single_migrant_gives_rates_of_her_own_months_or_no_data():
    # One person over the final 12 months: the employment rate is the share of her months
    # aged 20-64 in the city that she worked (whole months out of at most 12), or no data if
    # she had none. Over seeds she is sometimes there and sometimes not: both are seen.
    scenario, overrides, migrants = WORLDS["a single migrant"]
    seen = set()
    for seed in range(1, 13):
        model = CityModel(with_overrides(load(scenario), overrides), rng=seed, migrants=migrants)
        model.run(MONTHS)
        results = model.results()
        months_of_age = 12 * sum(results["people_by_group"].values())
        seen.add(months_of_age > 0)
        if months_of_age == 0:
            assert results["employment_rate"] is None and results["formal_employment_rate"] is None
            continue
        worked = 12 * results["employed_20_64"]
        assert months_of_age == pytest.approx(round(months_of_age)) and worked == pytest.approx(round(worked))
        assert results["employment_rate"] == pytest.approx(worked / months_of_age)
    assert True in seen


def test_nobody_gives_no_data_rather_than_numbers():
    results = run_world("nobody").results()
    assert results["employment_rate"] is None and results["unemployment_rate"] is None
    assert results["undocumented_count"] == 0


def test_a_run_too_large_for_memory_is_refused_before_it_starts(tmp_path):
    huge = with_overrides(load("eu27/baseline"), {"inflow.newcomers_per_month": 1_000_000.0})
    assert people_upper_bound(huge, None, 1200) > MAX_PEOPLE
    with pytest.raises(ScenarioError, match="inflow.newcomers_per_month"):
        CityModel(huge, rng=1)
    path = tmp_path / "huge.toml"
    path.write_text('extends = "eu27/baseline"\n[inflow]\nnewcomers_per_month = 1000000.0\n')
    result = CliRunner().invoke(app, ["run", str(path), "--months", "12"])
    assert result.exit_code == 2 and "more than the limit of 20,000,000" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_small_run_of_a_huge_city_is_refused_for_its_snapshot_city_too(tmp_path):
    # --migrants shrinks the run's own inflow, but a run smaller than the snapshot's city
    # first warms that city up the long way at the scenario's own inflow: 1,000,000
    # newcomers a month over 180 months, whatever --migrants says.
    huge = with_overrides(load("liege/baseline"), {"inflow.newcomers_per_month": 1_000_000.0})
    assert people_upper_bound(huge, 500, 12) > MAX_PEOPLE
    result = CliRunner().invoke(app, ["run", "liege/baseline", "--months", "12", "--migrants", "500", "--set",
                                      "inflow.newcomers_per_month=1000000", "--out", str(tmp_path / "r.json")])
    assert result.exit_code == 2 and "more than the limit of 20,000,000" in result.output
    assert "180 warm-up months and 12 months" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "r.json").exists()
    # A small run of an ordinary city is not refused for it.
    assert people_upper_bound(load("liege/baseline"), 500, 12) < 1_000_000
