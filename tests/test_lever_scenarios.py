"""Every city ships one scenario per policy lever, and each is its baseline plus that lever.

The levers are the tables of ``sim.scenario.policies.Policies`` (all but the budget cap and
the plugins' ``extensions``); the regularisation table lives in
``<city>/regularisation_through_work.toml``. A lever scenario must load, name its city in
``meta``, switch its lever on, and differ from ``<city>/baseline`` only in that lever's
table, so that comparing the two at the same seeds measures that lever alone. Scenario
files only: no model runs.
"""

from functools import cache

import pytest

from sim.model import in_month
from sim.scenario import load
from sim.scenario.policies import Policies

CITIES = ("liege", "paris", "barcelona", "prato")
NOT_LEVERS = {"policy_budget_eur_per_year", "extensions"}
LEVERS = tuple(name for name in Policies.model_fields if name not in NOT_LEVERS)
FILE_NAMES = {"regularisation": "regularisation_through_work"}

def file_name(lever: str) -> str:
    return FILE_NAMES.get(lever, lever)


@cache
def scenario(name: str):
    return load(name)


def cases():
    for city in CITIES:
        for lever in LEVERS:
            yield pytest.param(city, lever, id=f"{city}/{file_name(lever)}")


def test_the_levers_are_the_policy_tables():
    assert "regularisation" in LEVERS and "one_stop_shop" in LEVERS
    assert len(LEVERS) == 12
    assert NOT_LEVERS <= set(Policies.model_fields)


@pytest.mark.parametrize(("city", "lever"), list(cases()))
def test_city_ships_a_scenario_enabling_exactly_that_lever(city, lever):
    name = f"{city}/{file_name(lever)}"
    # As they stand in month 0: a reform a scenario assumes (law.reformed) is in force then.
    lever_scenario, baseline = in_month(scenario(name), 0), in_month(scenario(f"{city}/baseline"), 0)

    assert lever_scenario.meta.city == city, f"{name} names city {lever_scenario.meta.city!r}"
    table = getattr(lever_scenario.policies, lever)
    if lever == "regularisation":
        assert table.regime != "none", f"{name} leaves the regime at 'none'"
    else:
        assert table.enabled, f"{name} does not switch {lever} on"

    changed = {
        field for field in Policies.model_fields
        if getattr(lever_scenario.policies, field) != getattr(baseline.policies, field)
    }
    assert changed == {lever}, f"{name} changes policies {sorted(changed)}, expected only {lever!r}"

    # Nothing outside the policies differs from the baseline either.
    outside = {"meta", "policies"}
    assert lever_scenario.model_dump(exclude=outside) == baseline.model_dump(exclude=outside), (
        f"{name} changes more than its lever's table"
    )


@pytest.mark.parametrize("city", CITIES)
def test_the_combined_package_holds_each_lever_as_its_own_scenario_does(city):
    # A planner sets the combined package beside the single levers: each lever the package
    # switches on must have the same parameters as in the lever's own scenario.
    package = scenario(f"{city}/combined").policies
    for lever in LEVERS:
        if getattr(package, lever) != scenario(f"{city}/baseline").policies.__getattribute__(lever):
            assert getattr(package, lever) == getattr(scenario(f"{city}/{file_name(lever)}").policies, lever), lever
