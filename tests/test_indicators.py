"""Indicators: definitions, the Kaplan-Meier median, 'no data' instead of NaN, JSON keys."""

import json
import math

import numpy as np
import pytest

from sim.indicators import rates
from sim.records import kaplan_meier_median
from sim.states import LabourState

REQUIRED_KEYS = {
    "employment_rate", "employment_rate_by_status", "employment_rate_by_sex", "unemployment_rate",
    "overqualification_rate", "undeclared_work_share", "undocumented_count", "median_months_to_first_formal_job",
    "employment_rate_by_years_since_arrival", "median_monthly_income_eur", "exploited_count", "monthly", "provenance",
}


def test_kaplan_meier_median_without_censoring_is_the_plain_median():
    events = np.zeros(20, dtype=np.int64)
    for waited in [2, 3, 3, 5, 8, 9, 12]:
        events[waited] += 1
    assert kaplan_meier_median(events, np.zeros_like(events)) == 5.0


def test_kaplan_meier_median_accounts_for_censoring():
    # 4 events at month 2; 4 people censored at month 1 (left the city early). Of the 4
    # still at risk at month 2 all have the event, so survival drops from 1 to 0 at 2.
    events, censored = np.zeros(5, dtype=np.int64), np.zeros(5, dtype=np.int64)
    events[2], censored[1] = 4, 4
    assert kaplan_meier_median(events, censored) == 2.0
    # Too few events: the median is not reached, rather than a biased number.
    events[2], censored[3] = 1, 10
    assert kaplan_meier_median(events, censored) is None


def test_rates_follow_lfs_definitions_and_say_no_data_when_empty():
    cells = np.zeros((7, len(LabourState), 2, 3), dtype=np.int64)
    assert all(value is None for value in rates(cells).values())
    cells[3, LabourState.JOB_BELOW_SKILLS, 0, 2] = 30  # tertiary, in a job below skills
    cells[3, LabourState.JOB_MATCHING_SKILLS, 0, 2] = 70
    cells[3, LabourState.UNDECLARED_WORK, 1, 0] = 20
    cells[3, LabourState.SEARCHING, 1, 0] = 20
    cells[3, LabourState.LANGUAGE_COURSE, 1, 0] = 60  # outside the labour force
    cells[3, LabourState.SELF_EMPLOYED, 0, 2] = 20  # tertiary graduates running a business
    cells[4, LabourState.SELF_EMPLOYED, 1, 1] = 10  # secondary graduates running one
    businesses_below = np.zeros(7, dtype=np.int64)
    businesses_below[3] = 5  # of the 20 graduates, 5 run an elementary business
    r = rates(cells, businesses_below)
    assert r["employment_rate"] == 150 / 230
    assert r["formal_employment_rate"] == 130 / 230
    assert r["unemployment_rate"] == 20 / 170
    assert r["undeclared_work_share"] == 20 / 150
    assert r["self_employment_share"] == 30 / 150
    # The LFS classes the self-employed by occupation: a graduate's elementary business is
    # below her skills, as an elementary job is.
    assert r["overqualification_rate"] == (30 + 5) / 120


def test_results_have_the_documented_keys_and_no_nan(liege_run):
    results = liege_run.results()
    assert REQUIRED_KEYS <= set(results)
    text = json.dumps(results, allow_nan=False)  # raises on NaN or infinity
    assert "NaN" not in text
    # The rates are shares of the people they speak of: those aged 20-64 over the final 12
    # months, the same people the who-gains counts sum to (a rate over the wrong population,
    # all ages or the last month only, would differ).
    people = sum(results["people_by_group"].values())
    assert results["employment_rate"] == pytest.approx(results["employed_20_64"] / people, rel=1e-9)
    assert results["formal_employment_rate"] == pytest.approx(results["declared_employed_20_64"] / people, rel=1e-9)
    assert results["undeclared_work_share"] == pytest.approx(
        1 - results["declared_employed_20_64"] / results["employed_20_64"], rel=1e-9)
    curve = results["employment_rate_by_years_since_arrival"]
    reasons = {"work", "family", "study", "asylum"}
    assert set(curve) == reasons | {f"{r}_{s}" for r in reasons for s in ("male", "female")} | {"all"}
    assert list(curve["asylum"]) == [str(y) for y in range(1, 11)]
    declared = results["formal_employment_rate_by_years_since_arrival"]
    assert set(declared) == set(curve)
    for group, by_year in curve.items():  # declared work is part of all work
        for year, rate in by_year.items():
            assert rate is None or declared[group][year] <= rate
    # Men's and women's rates bracket the rate of both together.
    for year in curve["asylum"]:
        rates = [curve[f"asylum_{s}"][year] for s in ("male", "female")]
        if None not in rates and curve["asylum"][year] is not None:
            assert min(rates) - 1e-12 <= curve["asylum"][year] <= max(rates) + 1e-12
    assert len(results["monthly"]["employment_rate"]) == 60
    assert set(results["employment_rate_by_status"]) == {
        "asylum_seeker", "refugee", "undocumented", "temporary_permit", "long_term_resident", "naturalised"
    }


def test_monthly_income_matches_individual_incomes(liege_run):
    from sim.mechanisms.welfare import income_eur_per_month, mean_income_eur_per_month

    alive = np.flatnonzero(liege_run.pop.alive())
    assert math.isclose(mean_income_eur_per_month(liege_run), income_eur_per_month(liege_run, alive).mean(), rel_tol=1e-6)


def test_the_groups_add_up_to_the_totals_and_match_a_count_by_hand(liege_run):
    # Who gains rests on counts by group (legal status, reason of arrival, sex, education):
    # summed over the groups they are the totals, and the last month's are, cell by cell, a
    # count of the population by hand (a person counted under the wrong status, reason, sex,
    # education, kind of work or side of the poverty line would change a cell).
    from sim.records import GROUP_SEPARATOR
    from sim.mechanisms import earnings
    from sim.records import WorkQuality
    from sim.states import IS_EMPLOYED, IS_FORMAL_WORK, Education, JobLevel, LabourState, LegalStatus, Reason, Sex

    results = liege_run.results()
    cells = liege_run.counts.window(12).sum(axis=(0, 2, 3)) / 12
    businesses_below = liege_run.counts.businesses_below(12).sum() / 12
    for name, total in (("people_in_work_by_group", results["employed_20_64"]),
                        ("people_in_declared_work_by_group", results["declared_employed_20_64"]),
                        ("people_below_skills_by_group", cells[LabourState.JOB_BELOW_SKILLS] + businesses_below)):
        assert math.isclose(sum(results[name].values()), total, rel_tol=1e-9)
    assert math.isclose(sum(results["people_by_group"].values()), cells.sum(), rel_tol=1e-9)
    assert math.isclose(sum(results["working_poor_by_group"].values()) / results["employed_20_64"],
                        results["in_work_poverty_rate"], rel_tol=1e-9)
    pop, month = liege_run.pop, liege_run.month - 1
    age = month - pop.birth_month
    rows = np.flatnonzero(pop.alive() & (age >= 20 * 12) & (age < 65 * 12))
    labour = pop.labour[rows]
    business_below = (labour == LabourState.SELF_EMPLOYED) & (pop.education[rows] == Education.HIGH)
    business_below &= pop.job_level[rows] == JobLevel.ELEMENTARY
    assert business_below.any()  # graduates run elementary businesses in Liège: the count is not empty
    quality = np.select([(labour == LabourState.JOB_BELOW_SKILLS) | business_below,
                         IS_FORMAL_WORK[labour] & IS_EMPLOYED[labour],
                         (labour == LabourState.UNDECLARED_WORK) & pop.exploited[rows],
                         labour == LabourState.UNDECLARED_WORK],
                        [WorkQuality.DECLARED_BELOW_SKILLS, WorkQuality.DECLARED, WorkQuality.UNDECLARED_EXPLOITED,
                         WorkQuality.UNDECLARED], WorkQuality.NONE)
    poor = earnings.working_poor(liege_run, rows)  # net income against the line, not the counts' gross table
    by_hand = np.zeros_like(liege_run.counts.by_group[-1])
    np.add.at(by_hand, (quality, poor.astype(int), pop.status[rows], pop.reason[rows], pop.sex[rows],
                        pop.education[rows]), 1)
    assert np.array_equal(by_hand, liege_run.counts.by_group[-1])
    assert by_hand[WorkQuality.UNDECLARED_EXPLOITED].sum() > 0 and by_hand[:, 1].sum() > 0  # the cells are not empty
    # And the keys name the groups they count: the one of the first person in work, say.
    person = rows[IS_EMPLOYED[pop.labour[rows]]][0]
    index = (pop.status[person], pop.reason[person], pop.sex[person], pop.education[person])
    key = GROUP_SEPARATOR.join(e(v).name.lower() for e, v in zip((LegalStatus, Reason, Sex, Education), index, strict=True))
    assert results["people_in_work_by_group"][key] > 0
