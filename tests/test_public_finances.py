"""Who pays, who gains: the split of costs and gains by level of government, its scenario
section, the comparison by level, and the city's own net cost per additional person in
work printed first by `pathways compare`."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from typer.testing import CliRunner

from sim.cli import app
from sim.experiments import store
from sim.experiments.compare import compare
from sim.experiments.store import flatten
from sim.model import CityModel
from sim.public_finances import by_level, refugee_share
from sim.scenario import ScenarioError, from_text, load, with_overrides
from sim.scenario.public_finances import LEVELS, PublicFinances

QUICK = {"population.warmup_months": 24, "nationals.comparison_people": 0}
"""A short warm-up and no nationals: the split does not depend on them, and runs take a second."""


def quick_run(scenario: str, months: int = 12, seed: int = 3, **overrides) -> dict:
    params = with_overrides(load(scenario), {**QUICK, **overrides})
    model = CityModel(params, rng=seed, migrants=800)
    model.run(months)
    return model.results()


def levels_frame(results_by_label: dict[str, list[dict]]) -> pd.DataFrame:
    """Per-run metrics as the results database holds them (flattened), for ``compare``."""
    rows = []
    for label, runs in results_by_label.items():
        for replication, results in enumerate(runs):
            rows.append({"label": label, "replication": replication, **flatten(results)})
    return pd.DataFrame(rows)


# --- the split of one run --------------------------------------------------------------

def test_belgian_refund_moves_the_federal_share_of_assistance_saved_from_city_to_national():
    # Liège: the federal state refunds 70 % of the revenu d'intégration (CPAS with 1,000
    # beneficiaries or more), and 100 % for recognised refugees.
    finances = load("liege/baseline").public_finances
    before = by_level(finances, {"social_assistance": 1_000_000.0}, 0.0)
    after = by_level(finances, {"social_assistance": 600_000.0}, 0.0)
    saved = {level: before[level]["social_assistance_eur"] - after[level]["social_assistance_eur"] for level in LEVELS}
    assert saved["city"] == pytest.approx(0.30 * 400_000)
    assert saved["national"] == pytest.approx(0.70 * 400_000)
    assert saved["region"] == saved["eu"] == 0
    # A quarter of the assistance going to refugees: that quarter is all federal.
    mixed = by_level(finances, {"social_assistance": 1_000_000.0}, 0.0, refugee_share_of_assistance=0.25)
    assert mixed["city"]["social_assistance_eur"] == pytest.approx(0.30 * 750_000)
    assert mixed["national"]["social_assistance_eur"] == pytest.approx(0.70 * 750_000 + 250_000)
    # Without the refund (the schema's default: the city pays) the city would bear it all.
    assert by_level(PublicFinances(), {"social_assistance": 1.0}, 0.0)["city"]["social_assistance_eur"] == 1.0


def test_refund_in_a_comparison_gives_the_city_30_percent_of_the_assistance_saved():
    # Two runs of Liège with the same seed: with and without a lever. Whatever the lever
    # does to assistance, the city's share of what is saved must be the refund's complement.
    runs = {"base": [quick_run("liege/baseline")], "shop": [quick_run("liege/one_stop_shop")]}
    table = compare(levels_frame(runs), ["base", "shop"]).impact_by_level.set_index("level")
    refugees = [refugee_share_from(results) for results in (*runs["base"], *runs["shop"])]
    assert table.loc["total", "social_assistance_saved_eur"] != 0  # the lever changed who is assisted
    total_saved = table.loc["total", "social_assistance_saved_eur"]
    refugee_saved = (runs["base"][0]["social_assistance_eur"] * refugees[0]
                     - runs["shop"][0]["social_assistance_eur"] * refugees[1])
    assert table.loc["city", "social_assistance_saved_eur"] == pytest.approx(0.30 * (total_saved - refugee_saved))
    assert table.loc["national", "social_assistance_saved_eur"] == pytest.approx(0.70 * (total_saved - refugee_saved)
                                                                               + refugee_saved)


def refugee_share_from(results: dict) -> float:
    """The refugees' share of assistance a run used: national assistance beyond 70 % of the
    rest is theirs (Liège: national = 0.7 (1 - s) A + s A, so s = (national / A - 0.7) / 0.3)."""
    split = results["public_finances_by_level"]
    national = split["national"]["social_assistance_eur"] / results["social_assistance_eur"]
    return (national - 0.7) / 0.3


def test_refugee_share_counts_refugees_out_of_work_among_the_assisted():
    from sim.records import MonthlyCounts
    from sim.states import LabourState, LegalStatus

    month = np.zeros(MonthlyCounts.SHAPE, dtype=np.int64)
    month[LegalStatus.REFUGEE, LabourState.SEARCHING, 0, 0] = 30
    month[LegalStatus.REFUGEE, LabourState.JOB_BELOW_SKILLS, 0, 0] = 50  # in work: not assisted
    month[LegalStatus.LONG_TERM_RESIDENT, LabourState.SEARCHING, 1, 1] = 60
    month[LegalStatus.NATURALISED, LabourState.SEARCHING, 0, 2] = 10
    month[LegalStatus.UNDOCUMENTED, LabourState.SEARCHING, 0, 0] = 99  # not assisted
    assert refugee_share([month, month]) == pytest.approx(30 / 100)
    assert refugee_share([]) == 0.0


def test_costs_and_gains_by_level_add_up_to_the_totals_of_a_run():
    results = quick_run("liege/combined")
    split = results["public_finances_by_level"]
    total = split["total"]
    for key in ("lever_spending_eur", "social_assistance_eur", "costs_eur", "revenue_eur", "net_cost_eur"):
        assert sum(split[level][key] for level in LEVELS) == pytest.approx(total[key])
    # ... and the totals are the run's own accounts.
    assert total["lever_spending_eur"] == pytest.approx(results["lever_spending_eur"]) and total["lever_spending_eur"] > 0
    assert total["social_assistance_eur"] == pytest.approx(results["social_assistance_eur"]) and total["social_assistance_eur"] > 0
    assert total["revenue_eur"] == pytest.approx(results["public_revenue_eur"]) and total["revenue_eur"] > 0
    spending = results["municipal_spending_eur"]
    for item, by in split["costs_by_item"].items():
        assert sum(by.values()) == pytest.approx(spending[item]), item
    assert set(split["costs_by_item"]) == set(spending) - {"total"}
    assert sum(sum(by.values()) for by in split["revenue_by_item"].values()) == pytest.approx(results["public_revenue_eur"])
    assert results["city_net_cost_eur"] == split["city"]["net_cost_eur"]
    # Liège keeps its municipal additional tax: 7.4 % of the income tax, 30 % of the assistance.
    assert split["revenue_by_item"]["income_tax"]["city"] == pytest.approx(0.074 * 0.3 * results["public_revenue_eur"])
    assert split["city"]["revenue_eur"] > 0 and split["region"]["revenue_eur"] > 0


@pytest.mark.parametrize("city", ["eu27", "paris", "barcelona", "prato"])
def test_every_preset_splits_its_totals_whole(city):
    finances = load(f"{city}/baseline").public_finances
    split = by_level(finances, {"social_assistance": 1234.0, "mentoring": 100.0}, 1000.0, 0.2)
    assert sum(split[level]["costs_eur"] for level in LEVELS) == pytest.approx(1334.0)
    assert sum(split[level]["revenue_eur"] for level in LEVELS) == pytest.approx(1000.0)
    assert split["city"]["lever_spending_eur"] == 100.0  # no co-financing in a baseline


def test_a_lever_half_financed_by_eu_funds_halves_the_citys_cost_and_nothing_else():
    plain = quick_run("liege/one_stop_shop")
    esf = quick_run("liege/one_stop_shop", **{"public_finances.lever_spending_paid_by": {"one_stop_shop": {"city": 0.5, "eu": 0.5}}})
    assert plain["lever_spending_eur"] > 0
    assert esf["public_finances_by_level"]["city"]["lever_spending_eur"] == pytest.approx(
        0.5 * plain["public_finances_by_level"]["city"]["lever_spending_eur"])
    assert esf["public_finances_by_level"]["eu"]["lever_spending_eur"] == pytest.approx(0.5 * plain["lever_spending_eur"])
    assert esf["city_net_cost_eur"] == pytest.approx(plain["city_net_cost_eur"] - 0.5 * plain["lever_spending_eur"])
    # Who pays never changes what happens: the same people in work, the same total spending.
    assert esf["employed_20_64"] == plain["employed_20_64"]
    assert esf["public_finances_by_level"]["total"] == pytest.approx(plain["public_finances_by_level"]["total"])


# --- the scenario section ----------------------------------------------------------------

BASE = 'extends = "liege/baseline"\n[public_finances]\n'


@pytest.mark.parametrize(("table", "expected"), [
    ("social_assistance_paid_by = { city = 0.5, province = 0.5 }",
     "unknown field 'public_finances.social_assistance_paid_by.province' (allowed: city, region, national, eu)"),
    ("income_tax_received_by = { city = 1.5, region = 0.0, national = 0.0, eu = 0.0 }",
     "field 'public_finances.income_tax_received_by.city': input should be less than or equal to 1 (got 1.5)"),
    ("income_tax_received_by = { city = -0.5, region = 0.0, national = 1.5, eu = 0.0 }",
     "field 'public_finances.income_tax_received_by.city': input should be greater than or equal to 0 (got -0.5)"),
    ("social_assistance_paid_by = { city = 0.5, region = 0.0, national = 0.4, eu = 0.0 }",
     "field 'public_finances.social_assistance_paid_by': value error, shares city, region, national, eu must add up "
     "to 1 (they add up to 0.9)"),
    ("lever_spending_paid_by = { one_stop_shop = { city = 0.5, province = 0.5 } }",
     "field 'public_finances.lever_spending_paid_by': value error, one_stop_shop.province: unknown level "
     "(allowed: city, region, national, eu)"),
    ("lever_spending_paid_by = { one_stop_shop = { city = 0.5, eu = 0.6 } }",
     "one_stop_shop: shares city, region, national, eu must add up to 1 (they add up to 1.1)"),
    ("lever_spending_paid_by = { one_stop_shop = { city = 2.0, eu = -1.0 } }",
     "one_stop_shop.city: input should be less than or equal to 1"),
    ("lever_spending_paid_by = { sports_club = { city = 1.0 } }",
     "unknown lever 'sports_club' (allowed: one_stop_shop, integrated_training,"),
    ("income_tax_share_of_public_revenue = 1.2",
     "field 'public_finances.income_tax_share_of_public_revenue': input should be less than or equal to 1"),
    ("taxes_received_by = { national = 1.0 }",
     "unknown field 'public_finances.taxes_received_by' (allowed: social_assistance_paid_by, "
     "refugee_social_assistance_paid_by, income_tax_share_of_public_revenue,"),
])
def test_bad_shares_get_one_line_naming_the_field_and_what_is_allowed(table, expected):
    with pytest.raises(ScenarioError) as caught:
        from_text(BASE + table + "\n", source="my.toml")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("my.toml: ")
    assert expected in message


def test_a_bad_share_in_a_file_ends_the_check_command_with_one_line(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text(BASE + "social_assistance_paid_by = { city = 0.2, region = 0.0, national = 0.7, eu = 0.0 }\n")
    done = subprocess.run([sys.executable, "-m", "sim", "check", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "public_finances.social_assistance_paid_by" in lines[0] and "add up to 1" in lines[0]


def test_a_valid_cofinancing_table_loads():
    params = from_text(BASE + "lever_spending_paid_by = { mentoring = { city = 0.4, region = 0.1, eu = 0.5 } }\n")
    payers = params.public_finances.lever_payers("mentoring")
    assert (payers.city, payers.region, payers.national, payers.eu) == (0.4, 0.1, 0.0, 0.5)
    assert params.public_finances.lever_payers("third_place").city == 1.0  # not named: the city pays


# --- the comparison -------------------------------------------------------------------------

def test_city_net_cost_per_extra_person_on_known_numbers():
    # B spends 1,000,000 more (half of it co-financed by the EU), saves 200,000 of assistance
    # (70 % refunded) and raises 20 more people into work in every replication.
    finances = with_overrides(load("liege/baseline"), {
        "public_finances.lever_spending_paid_by": {"mentoring": {"city": 0.5, "eu": 0.5}},
        "public_finances.refugee_social_assistance_paid_by": None}).public_finances
    rows = []
    for label, spend, assistance, extra in (("A", 0.0, 5e6, 0), ("B", 1e6, 4.8e6, 20)):
        for r in range(10):
            split = by_level(finances, {"social_assistance": assistance, "mentoring": spend}, 0.0)
            rows.append({"label": label, "replication": r, "employed_20_64": 500.0 + r + extra,
                         "lever_spending_eur": spend, "social_assistance_eur": assistance, "public_revenue_eur": 0.0,
                         **flatten({"public_finances_by_level": split, "city_net_cost_eur": split["city"]["net_cost_eur"]})})
    result = compare(pd.DataFrame(rows), ["A", "B"], ["employed_20_64"])
    city = result.city_cost_per_job.iloc[0]
    assert city.city_net_cost_eur == pytest.approx(0.5e6 - 0.3 * 0.2e6)
    assert city.city_net_cost_per_extra_person_eur == pytest.approx((0.5e6 - 0.3 * 0.2e6) / 20)
    assert city.low == pytest.approx(city.city_net_cost_per_extra_person_eur)  # every resample: the same 20 people
    by = result.impact_by_level.set_index("level")
    assert by.loc["eu", "extra_lever_spending_eur"] == pytest.approx(0.5e6)
    assert by.loc["national", "social_assistance_saved_eur"] == pytest.approx(0.7 * 0.2e6)
    assert by.loc["city", "net_benefit_eur"] == pytest.approx(-city.city_net_cost_eur)
    assert sum(by.loc[level, "net_benefit_eur"] for level in LEVELS) == pytest.approx(by.loc["total", "net_benefit_eur"])
    assert by.loc["total", "net_benefit_eur"] == pytest.approx(result.impact.iloc[0].net_benefit_eur)


def test_a_comparison_stored_before_the_split_still_opens():
    rows = [{"label": label, "replication": r, "employed_20_64": 100.0 + r + (label == "B"), "lever_spending_eur": 0.0,
             "public_revenue_eur": 0.0, "social_assistance_eur": 0.0} for label in "AB" for r in range(3)]
    result = compare(pd.DataFrame(rows), ["A", "B"])
    assert np.isnan(result.city_cost_per_job.iloc[0].city_net_cost_eur)
    assert result.impact_by_level.empty and "level" in result.impact_by_level.columns


def test_compare_prints_the_citys_net_cost_per_extra_person_first(tmp_path):
    scenarios = []
    for name, parent in (("base", "liege/baseline"), ("levers", "liege/combined")):
        path = tmp_path / f"{name}.toml"
        path.write_text(f'extends = "{parent}"\n[population]\nwarmup_months = 24\n[nationals]\ncomparison_people = 0\n')
        scenarios.append(str(path))
    db = f"sqlite:///{tmp_path}/results.db"
    # The command itself, in this process (the imports are then already paid for).
    done = CliRunner().invoke(app, ["compare", *scenarios, "--migrants", "1000", "--months", "12", "--reps", "2",
                                    "--db", db])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    # A sentence a council can quote comes first (one per scenario), then this table.
    assert lines[0].startswith(f"{scenarios[1]}: ") and "net over the run" in lines[0]
    assert lines[1].startswith("The city's own net cost per additional person in work")
    # The first table's row is the comparison's figure, as the results database gives it.
    engine = store.connect(db)
    experiment = store.load_experiment(engine, re.search(r"Experiment '([^']+)'", done.stdout).group(1))
    city = compare(store.load_metrics(engine, experiment.id), scenarios).city_cost_per_job.iloc[0]
    first_table = done.stdout[: done.stdout.index("Scenarios against")]
    assert f"{city.city_net_cost_eur:,.0f}" in first_table
    if city.city_net_cost_per_extra_person_eur == city.city_net_cost_per_extra_person_eur:
        assert f"{city.city_net_cost_per_extra_person_eur:,.0f} [" in first_table
    else:
        assert "not defined (no extra jobs)" in first_table
    # The split by level comes after the existing tables.
    assert done.stdout.index("Social impact, monetised") < done.stdout.index("Who pays, who gains")
