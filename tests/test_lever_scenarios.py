"""Every city ships one scenario per policy lever, and each is its baseline plus that lever.

The levers are the tables of ``sim.scenario.policies.Policies`` (all but the budget cap and
the plugins' ``extensions``). A lever scenario must load, name its city in ``meta``, switch
its lever on, and differ from ``<city>/baseline`` only in that lever's table, so that
comparing the two at the same seeds measures that lever alone.

Regularisation is national law: where the city's rules set the ``regularisation`` table
(Spain's arraigo, France's OACAS, Belgium's none), a city file may not change it, and no
city scenario of that table is asked for. Each city's ``regularisation_through_work`` is
what the city does for regularisation: one of the levers that act on it (the Prato
protocol's table in Prato, support for an OACAS host organisation in Paris, legal advice
in Barcelona), or, in Liège, an assumed national reform (``[law] assumed_reform``). Scenario
files only: no model runs.
"""

from functools import cache

import pytest

from sim.rules import model_settings
from sim.scenario import load
from sim.scenario.policies import Policies

CITIES = ("liege", "paris", "barcelona", "prato")
NOT_LEVERS = {"policy_budget_eur_per_year", "extensions"}
LEVERS = tuple(name for name in Policies.model_fields if name not in NOT_LEVERS)
REGULARISATION_FILE = "regularisation_through_work"
REGULARISATION_LEVERS = ("regularisation", "oacas_host_support", "regularisation_advice")
"""The tables through which a scenario acts on regularisation."""
CITY_REGULARISATION_LEVER = {"prato": "regularisation", "paris": "oacas_host_support",
                             "barcelona": "regularisation_advice"}
"""The lever each city's ``regularisation_through_work`` switches on (Liège's assumes a reform)."""


def file_name(city: str, lever: str) -> str:
    return REGULARISATION_FILE if CITY_REGULARISATION_LEVER.get(city) == lever else lever


@cache
def scenario(name: str):
    return load(name)


def set_by_national_rules(city: str, lever: str) -> bool:
    """Whether the rules the city's baseline runs under set fields of this lever's table."""
    law = scenario(f"{city}/baseline").law
    fields = model_settings(law.rules, law.start, 0) if law.rules is not None else {}
    return any(name.startswith(f"policies.{lever}.") for name in fields)


def switched_on(table) -> bool:
    return table.regime != "none" if hasattr(table, "regime") else table.enabled


def changed_policies(name: str, city: str) -> set[str]:
    lever_scenario, baseline = scenario(name), scenario(f"{city}/baseline")
    return {field for field in Policies.model_fields
            if getattr(lever_scenario.policies, field) != getattr(baseline.policies, field)}


def cases():
    for city in CITIES:
        for lever in LEVERS:
            if not set_by_national_rules(city, lever):
                yield pytest.param(city, lever, id=f"{city}/{file_name(city, lever)}")


def test_the_levers_are_the_policy_tables():
    assert {"regularisation", "oacas_host_support", "regularisation_advice", "one_stop_shop"} <= set(LEVERS)
    assert len(LEVERS) == 14
    assert NOT_LEVERS <= set(Policies.model_fields)
    # The national rules set the regularisation table in three of the four cities.
    assert [city for city in CITIES if set_by_national_rules(city, "regularisation")] == ["liege", "paris", "barcelona"]


@pytest.mark.parametrize(("city", "lever"), list(cases()))
def test_city_ships_a_scenario_enabling_exactly_that_lever(city, lever):
    name = f"{city}/{file_name(city, lever)}"
    lever_scenario, baseline = scenario(name), scenario(f"{city}/baseline")

    assert lever_scenario.meta.city == city, f"{name} names city {lever_scenario.meta.city!r}"
    assert switched_on(getattr(lever_scenario.policies, lever)), f"{name} does not switch {lever} on"
    changed = changed_policies(name, city)
    assert changed == {lever}, f"{name} changes policies {sorted(changed)}, expected only {lever!r}"

    # Nothing outside the policies differs from the baseline either.
    outside = {"meta", "policies"}
    assert lever_scenario.model_dump(exclude=outside) == baseline.model_dump(exclude=outside), (
        f"{name} changes more than its lever's table"
    )


@pytest.mark.parametrize("city", CITIES)
def test_regularisation_through_work_is_a_city_lever_on_regularisation_or_an_assumed_reform(city):
    # What a city does for regularisation: switch on one lever that acts on it, or, where
    # the country has no route, assume a national reform that says so in words and sets
    # only regularisation fields over the rules, with the city's policies as in its baseline.
    name = f"{city}/{REGULARISATION_FILE}"
    lever_scenario, baseline = scenario(name), scenario(f"{city}/baseline")
    assert lever_scenario.meta.city == city
    changed = changed_policies(name, city)
    law = lever_scenario.law
    if law.assumed_reform is not None:
        assert changed == set(), f"{name} assumes a reform and changes policies {sorted(changed)}"
        assert law.reformed and all(field.startswith("policies.regularisation.") for field in law.reformed)
        assert law.model_dump(exclude={"assumed_reform", "reformed"}) == baseline.law.model_dump(
            exclude={"assumed_reform", "reformed"})
        outside = {"meta", "policies", "law"}
    else:
        assert len(changed) == 1 and changed <= set(REGULARISATION_LEVERS), (
            f"{name} changes policies {sorted(changed)}, expected one of {REGULARISATION_LEVERS}")
        assert switched_on(getattr(lever_scenario.policies, changed.pop()))
        outside = {"meta", "policies"}
    assert lever_scenario.model_dump(exclude=outside) == baseline.model_dump(exclude=outside), (
        f"{name} changes more than regularisation")


@pytest.mark.parametrize("city", CITIES)
def test_the_combined_package_holds_each_lever_as_its_own_scenario_does(city):
    # A planner sets the combined package beside the single levers: each lever the package
    # switches on must have the same parameters as in the lever's own scenario.
    package = scenario(f"{city}/combined").policies
    for lever in LEVERS:
        if getattr(package, lever) != getattr(scenario(f"{city}/baseline").policies, lever):
            assert getattr(package, lever) == getattr(scenario(f"{city}/{file_name(city, lever)}").policies, lever), lever
