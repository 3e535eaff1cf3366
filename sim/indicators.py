"""Indicators: monthly series and end-of-run figures, as pure functions of the model.

Rates follow the Eurostat labour force survey definitions for people aged 20-64
(lfsa_ergan, lfsa_urgan, lfsa_eoqgan): the employment rate counts any paid work,
declared or not; the unemployment rate is searchers over the labour force (people in a
language course or not ready are outside it); the over-qualification rate is the share of
employed tertiary graduates in elementary or undeclared jobs or running an elementary
business (the LFS classes the self-employed by occupation). End-of-run rates are
averaged over the final 12 months. A rate with an empty denominator is ``None`` ("no
data"), never NaN.
"""

from typing import TYPE_CHECKING, Any

import numpy as np

from sim import public_finances
from sim.mechanisms import earnings, welfare
from sim.population import in_table
from sim.provenance import provenance
from sim.scenario.policies import Policies
from sim.records import MAX_YEARS_SINCE_ARRIVAL, WORKING_AGE_MONTHS, WorkQuality, group_key, kaplan_meier_median
from sim.sse import alive_enterprises
from sim.states import IS_EMPLOYED, IS_FORMAL_WORK, IS_SSE_JOB, Education, LabourState, LegalStatus, Reason, Sex

if TYPE_CHECKING:
    from sim.model import CityModel

FINAL_WINDOW_MONTHS = 12
UNCAPPED_BUDGET_EUR = Policies.model_fields["policy_budget_eur_per_year"].default
"""``policies.policy_budget_eur_per_year``'s default: no cap on lever spending."""
_OVERQUALIFIED = np.zeros(len(LabourState), dtype=bool)
_OVERQUALIFIED[[LabourState.JOB_BELOW_SKILLS, LabourState.UNDECLARED_WORK]] = True


def ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator > 0 else None


def rates(cells: np.ndarray, businesses_below_skills: np.ndarray | None = None) -> dict[str, float | None]:
    """Headline rates from counts by (status, labour state, sex, education), with the
    graduates running an elementary business by status (``MonthlyCounts.businesses_below``),
    who are over-qualified."""
    by_labour = cells.sum(axis=(0, 2, 3))
    employed = by_labour[IS_EMPLOYED].sum()
    searching = by_labour[LabourState.SEARCHING]
    high = cells[:, :, :, Education.HIGH].sum(axis=(0, 2))
    below = 0 if businesses_below_skills is None else businesses_below_skills.sum()
    return {
        "employment_rate": ratio(employed, by_labour.sum()),
        "formal_employment_rate": ratio(by_labour[IS_FORMAL_WORK].sum(), by_labour.sum()),
        "unemployment_rate": ratio(searching, employed + searching),
        "undeclared_work_share": ratio(by_labour[LabourState.UNDECLARED_WORK], employed),
        "self_employment_share": ratio(by_labour[LabourState.SELF_EMPLOYED], employed),
        "overqualification_rate": ratio(high[_OVERQUALIFIED].sum() + below, high[IS_EMPLOYED].sum()),
    }


def rate_by(cells: np.ndarray, axis: int, enum) -> dict[str, float | None]:
    """Employment rate for each category along one axis of the counts (0 status, 2 sex, 3 education)."""
    counts = cells.sum(axis=tuple(a for a in range(cells.ndim) if a not in (axis, 1)))
    if axis > 1:
        counts = counts.T  # now (category, labour state)
    return {
        member.name.lower(): ratio(counts[member][IS_EMPLOYED].sum(), counts[member].sum())
        for member in enum
        if member.name != "GONE"
    }


GROUP_MEASURES = {
    "people_by_group": tuple(WorkQuality),
    "people_in_work_by_group": tuple(q for q in WorkQuality if q != WorkQuality.NONE),
    "people_in_declared_work_by_group": (WorkQuality.DECLARED, WorkQuality.DECLARED_BELOW_SKILLS),
    "people_below_skills_by_group": (WorkQuality.DECLARED_BELOW_SKILLS,),
    "people_exploited_by_group": (WorkQuality.UNDECLARED_EXPLOITED,),
}
"""Who gains: each measure counts the people whose work is of these kinds (``WorkQuality``)."""


def by_group(groups: np.ndarray) -> dict[str, dict[str, float]]:
    """People aged 20-64 by group: legal status, reason of arrival, sex and education
    (``MonthlyCounts.GROUPS``), keyed ``status|reason|sex|education``: all of them, in work,
    in declared work, in declared work below their skills, exploited in undeclared work
    (``GROUP_MEASURES``), and the working poor (``sim.mechanisms.earnings``); groups nobody
    is in are left out. Each measure sums to its total (``employed_20_64``...)."""
    people = groups.sum(axis=(0, 1))
    out: dict[str, dict[str, float]] = {name: {} for name in (*GROUP_MEASURES, "working_poor_by_group")}
    for index in zip(*np.nonzero(people), strict=True):
        key = group_key(index)
        cell = groups[(slice(None), slice(None), *index)]
        for name, kinds in GROUP_MEASURES.items():
            out[name][key] = float(cell[list(kinds)].sum())
        out["working_poor_by_group"][key] = float(cell[:, 1].sum())
    return out


def in_work_poverty_rate(groups: np.ndarray) -> float | None:
    """Share of people aged 20-64 in work whose net income is below the poverty line
    (``sim.mechanisms.earnings``), from the monthly counts by group."""
    in_work = groups[1:]
    return ratio(in_work[:, 1].sum(), in_work.sum())


def net_income_deciles(model: "CityModel", rows: np.ndarray) -> dict[str, float] | None:
    """Deciles (d1-d9) of the net monthly income, EUR, of the given people at the end: pay,
    net of employees' deductions if declared, or their benefit (``earnings.net_income_eur_per_month``)."""
    if rows.size == 0:
        return None
    quantiles = np.quantile(earnings.net_income_eur_per_month(model, rows), np.arange(1, 10) / 10)
    return {f"d{decile}": float(value) for decile, value in enumerate(quantiles, start=1)}


def non_eu_citizens(cells: np.ndarray) -> np.ndarray:
    """Eurostat's "non-EU citizens" as the labour force survey sees them: not naturalised,
    and with papers, since the survey samples households from registers and censuses that
    miss most people without them. ``cells`` by status first (the counts, or the
    businesses below skills)."""
    citizens = cells.copy()
    citizens[[LegalStatus.NATURALISED, LegalStatus.UNDOCUMENTED]] = 0
    return citizens


def monthly_row(model: "CityModel") -> dict[str, Any]:
    """The month just run, as one row of the monthly series: cheap aggregates only, and the
    month's survey rates of non-EU citizens and nationals (a replay's yearly series)."""
    counts = model.counts
    month_rates = rates(counts.cells[-1], counts.businesses_below_skills[-1])
    citizens = rates(non_eu_citizens(counts.cells[-1]), non_eu_citizens(counts.businesses_below_skills[-1]))
    nationals = {} if model.nationals is None else model.nationals.month_rates(model.month - 1)
    return {
        "month": model.month - 1,
        "migrants": model.pop.count(),
        "working_age_20_64": int(model.counts.cells[-1].sum()),
        "newcomers": model.flows.newcomers,
        "leavers": model.flows.leavers,
        **month_rates,
        "non_eu_citizens_employment_rate": citizens["employment_rate"],
        "non_eu_citizens_unemployment_rate": citizens["unemployment_rate"],
        "nationals_employment_rate": nationals.get("employment_rate"),
        "nationals_unemployment_rate": nationals.get("unemployment_rate"),
        "undocumented_count": int(model.census[LegalStatus.UNDOCUMENTED].sum()),
        "exploited_count": int(np.count_nonzero(model.pop.exploited)),
        "mean_language": _mean(model, model.pop.language),
        "mean_bridging_ties": _mean(model, model.pop.bridging_ties),
        "mean_income_eur_per_month": welfare.mean_income_eur_per_month(model),
        "formal_earnings_eur": _formal_earnings_eur(model),
        "municipal_spending_eur": model.municipality.total_spending_eur,
        "regularisations": model.regularisations,
        "sse_jobs": int(model.census[:, IS_SSE_JOB].sum()),
        "sse_enterprises_alive": len(alive_enterprises(model)),
    }


def _formal_earnings_eur(model: "CityModel") -> float:
    """Earnings from declared work this month: the sum of the declared workers' wages."""
    pop = model.pop
    # np.compress(mask, a) is a[mask] (the same array, so the same sum), four to five times faster.
    return float(np.compress(in_table(IS_FORMAL_WORK, pop.labour), pop.wage_eur_per_month).sum(dtype=np.float64))


def _largest_year_share(model: "CityModel") -> float | None:
    """The lever spending of the costliest calendar year of the run over the year's lever
    budget (``policies.policy_budget_eur_per_year``, at the run's size): above 1, the
    budget was overrun (programmes admitted within it go on costing); None without a
    budget, or before any spending."""
    budget = model.scaled_eur(model.params.policies.policy_budget_eur_per_year)
    by_year = model.municipality.lever_spending_by_year
    if budget <= 0 or budget >= model.scaled_eur(UNCAPPED_BUDGET_EUR) or not by_year:
        return None
    return max(by_year.values()) / budget


def _mean(model: "CityModel", column: np.ndarray) -> float | None:
    """Mean over everyone in the city: free rows hold zeros (see Population.remove)."""
    people = model.pop.count()
    return float(column.sum(dtype=np.float64) / people) if people else None


def final(model: "CityModel") -> dict[str, Any]:
    """End-of-run indicators (rates as fractions 0-1), with the monthly series and provenance."""
    if not model.counts.cells:
        raise ValueError("no month has been run yet")
    window = min(FINAL_WINDOW_MONTHS, len(model.counts.cells))
    cells, by_years = model.counts.window(window), model.counts.years_since_arrival(window)
    businesses_below = model.counts.businesses_below(window)
    headline = rates(cells, businesses_below)
    citizens = non_eu_citizens(cells)
    citizens_below = non_eu_citizens(businesses_below)
    pop = model.pop
    last = model.month - 1  # the last month run (model.month counts months done)
    working_age = np.flatnonzero(
        (pop.birth_month <= last - WORKING_AGE_MONTHS[0]) & (pop.birth_month > last - WORKING_AGE_MONTHS[1])
    )
    monthly = model.monthly_frame()
    return {
        "scenario": model.params.meta.name,
        "city": model.params.meta.city,
        "months": int(model.month),
        "indicator_window_months": window,
        "migrants": pop.count(),
        "working_age_20_64": int(working_age.size),
        **headline,
        "employment_rate_non_eu_citizens": rates(citizens)["employment_rate"],
        "non_eu_citizens": {
            **rates(citizens, citizens_below),
            "employment_rate_by_sex": rate_by(citizens, 2, Sex),
            "long_term_unemployed_share": long_term_unemployed_share(model),
        },
        "employed_20_64": float(cells.sum(axis=(0, 2, 3))[IS_EMPLOYED].sum() / window),
        **by_group(model.counts.groups(window) / window),
        "in_work_poverty_rate": in_work_poverty_rate(model.counts.groups(window)),
        "net_income_deciles_eur_per_month": net_income_deciles(model, working_age),
        "mean_net_income_eur_per_month": float(earnings.net_income_eur_per_month(model, working_age).mean())
        if working_age.size else None,
        "declared_employed_20_64": float(cells.sum(axis=(0, 2, 3))[IS_FORMAL_WORK].sum() / window),
        "declared_employed_20_64_at_end": int(model.counts.cells[-1].sum(axis=(0, 2, 3))[IS_FORMAL_WORK].sum()),
        "participants_in_declared_work_at_end": int(model.programme_outcomes.in_declared_work_at_end(model).size),
        "displaced_by_group": model.programme_outcomes.displaced_by_group(),
        "employment_rate_by_status": rate_by(cells, 0, LegalStatus),
        "employment_rate_by_sex": rate_by(cells, 2, Sex),
        "employment_rate_by_education": rate_by(cells, 3, Education),
        "labour_state_shares": _shares(cells.sum(axis=(0, 2, 3)), LabourState),
        "legal_status_shares": _shares(cells.sum(axis=(1, 2, 3)), LegalStatus),
        "undocumented_count": int(np.count_nonzero(pop.status == LegalStatus.UNDOCUMENTED)),
        "exploited_count": int(np.count_nonzero(pop.exploited)),
        "median_monthly_income_eur": float(np.median(welfare.income_eur_per_month(model, working_age)))
        if working_age.size
        else None,
        **_first_formal_job(model),
        "employment_rate_by_years_since_arrival": _by_years_since_arrival(by_years),
        "formal_employment_rate_by_years_since_arrival": _by_years_since_arrival(by_years, declared_only=True),
        **({"nationals": model.nationals.indicators()} if model.nationals is not None else {}),
        "newcomers_total": int(monthly["newcomers"].sum()),
        "leavers_total": int(monthly["leavers"].sum()),
        "municipal_spending_eur": {
            "total": model.municipality.total_spending_eur,
            **model.municipality.spending_eur,
        },
        "municipal_orders_to_sse_eur": sum(model.municipality.orders_eur.values()),
        "lever_spending_eur": model.municipality.total_spending_eur - model.municipality.spending_eur.get("social_assistance", 0.0),
        "largest_yearly_lever_spending_share_of_budget": _largest_year_share(model),
        "social_assistance_eur": model.municipality.spending_eur.get("social_assistance", 0.0),
        "formal_earnings_eur": float(sum(row["formal_earnings_eur"] for row in model.series)),
        "public_revenue_eur": model.params.impact.public_revenue_share_of_formal_earnings
        * float(sum(row["formal_earnings_eur"] for row in model.series)),
        **public_finances.indicators(model),
        "regularisations_total": model.regularisations,
        "regularisation_applications_total": model.regularisation_applications,
        "regularisation_employer_applications_total": model.regularisation_employer_applications,
        "regularisation_fees_eur": model.regularisation_fees_eur,
        "regularisation_pending_count": int(np.count_nonzero(model.pop.regularisation_filed_month != np.iinfo(np.int32).min)),
        **_sse(model),
        "programme_outcomes": model.programme_outcomes.summary(model),
        "monthly": {column: [row[column] for row in model.series] for column in model.series[0]},
        "provenance": provenance(model),
    }


def long_term_unemployed_share(model: "CityModel", citizens: bool = False) -> float | None:
    """Searchers searching for 12 months or more, over all searchers (T12): non-EU citizens
    with papers, as ``non_eu_citizens``, or (``citizens``) the naturalised, who are all the
    nationals' comparison population."""
    pop = model.pop
    searching = pop.labour == LabourState.SEARCHING
    if citizens:
        searching &= pop.status == LegalStatus.NATURALISED
    else:
        searching &= (pop.status != LegalStatus.NATURALISED) & (pop.status != LegalStatus.UNDOCUMENTED)
    long_term = searching & (pop.labour_since_month <= model.month - 12)
    return ratio(np.count_nonzero(long_term), np.count_nonzero(searching))


def _sse(model: "CityModel") -> dict[str, Any]:
    """The SSE at the end: enterprises alive, jobs, and how much of their income they earn.

    The self-financing ratio is market sales over all income (sales, public orders,
    subsidies, donations) of the enterprises alive, since their founding.
    """
    alive = alive_enterprises(model)
    income = sum(sum(e.accounts.total.values()) for e in alive)
    sales = sum(e.accounts.total["market_sales"] for e in alive)
    return {
        "sse_enterprises_alive": len(alive),
        "sse_enterprises_closed": sum(not e.alive for e in model.sse_enterprises),
        "sse_jobs": int(np.count_nonzero(IS_SSE_JOB[model.pop.labour])),
        "sse_self_financing_ratio": ratio(sales, income),
    }


def _shares(counts: np.ndarray, enum) -> dict[str, float | None]:
    total = counts.sum()
    return {m.name.lower(): ratio(counts[m], total) for m in enum if m.name != "GONE"}


def first_formal_job_tables(model: "CityModel") -> tuple[np.ndarray, np.ndarray]:
    """Counts of first declared jobs and of censorings, by (reason, sex, education, months waited)."""
    events, censored = model.first_formal_job.tables(model.pop, model.month - 1)
    shape = (len(Reason), len(Sex), len(Education), events.shape[1])
    return events.reshape(shape), censored.reshape(shape)


def _first_formal_job(model: "CityModel") -> dict[str, Any]:
    """Kaplan-Meier medians of months from arrival to a first declared job, overall and by group.

    Only people who arrived during the reported run count; those who left or still wait are
    censored.
    """
    events, censored = first_formal_job_tables(model)
    by_group: dict[str, dict[str, float | None]] = {}
    for axis, enum, key in ((0, Reason, "reason"), (1, Sex, "sex"), (2, Education, "education")):
        other = tuple(a for a in range(3) if a != axis)
        e, c = events.sum(axis=other), censored.sum(axis=other)
        by_group[key] = {m.name.lower(): kaplan_meier_median(e[m], c[m]) for m in enum}
    return {
        "median_months_to_first_formal_job": kaplan_meier_median(events.sum(axis=(0, 1, 2)), censored.sum(axis=(0, 1, 2))),
        "median_months_to_first_formal_job_by_group": by_group,
    }


def _by_years_since_arrival(by_years: np.ndarray, declared_only: bool = False) -> dict[str, dict[str, float | None]]:
    """Employment rate (any work, or ``declared_only``) by completed years since arrival
    (1-10): by reason of arrival, by reason and sex (``asylum_female``: T16 publishes
    refugees' curve by sex), and overall."""
    employed = by_years[2] if declared_only else by_years[1] + by_years[2]
    total = by_years.sum(axis=0)
    years = range(1, MAX_YEARS_SINCE_ARRIVAL + 1)
    out = {r.name.lower(): {str(y): ratio(employed[r, :, y].sum(), total[r, :, y].sum()) for y in years} for r in Reason}
    for r in Reason:
        for s in Sex:
            key = f"{r.name.lower()}_{s.name.lower()}"
            out[key] = {str(y): ratio(employed[r, s, y], total[r, s, y]) for y in years}
    out["all"] = {str(y): ratio(employed[..., y].sum(), total[..., y].sum()) for y in years}
    return out
