"""What a sceptical economist checks first: every declared job comes through an opening or
is paid by an enterprise's accounts; a lever gives the same answer per 1,000 migrants at any
run size; and common random numbers hold for the SSE enterprises' fates."""

import pickle
from collections import defaultdict

import numpy as np
import pytest
from scipy import stats

from sim.model import CityModel, warm_up_key
from sim.scenario import load
from sim.scenario.loader import available
from sim.states import IS_MAINSTREAM_JOB, IS_SSE, IS_SSE_JOB, LabourState
from sim.mechanisms.work_authorisation import work_authorised
from tests.helpers import small_model


def _warmed_up(scenarios: list[str], seed: int, migrants: int):
    """Each scenario started from a copy of one warm-up of its city (they share it)."""
    groups: dict[str, list] = defaultdict(list)
    for name in scenarios:
        params = load(name)
        groups[warm_up_key(params)].append((name, params))
    for members in groups.values():
        frozen = pickle.dumps(CityModel(members[0][1], rng=seed, migrants=migrants, start=False))
        for name, params in members:
            model = pickle.loads(frozen)
            model.start(params)
            yield name, model


def _check_month(model: CityModel, name: str) -> None:
    """After a month: mainstream starts are openings filled, SSE workers are paid from accounts."""
    pop, month = model.pop, model.month - 1
    # Starters who left the city later in the month (emigration runs after hiring) are no
    # longer here: the starts seen may fall short of the openings filled by at most the leavers.
    started = IS_MAINSTREAM_JOB[pop.labour] & (pop.labour_since_month == month)
    assert 0 <= model.flows.openings_filled - np.count_nonzero(started) <= model.flows.leavers, name
    self_employed = (pop.labour == LabourState.SELF_EMPLOYED) & (pop.labour_since_month == month)
    assert 0 <= model.flows.self_employment_starts - np.count_nonzero(self_employed) <= model.flows.leavers, name
    # Residents of an approved host organisation (OACAS, an Emmaus community) are in unpaid
    # solidarity activity outside the SSE enterprises' accounts; everyone else in the SSE's
    # states belongs to an enterprise alive.
    in_sse = np.flatnonzero(IS_SSE[pop.labour] & (pop.host_months < 0))
    enterprise = pop.sse_enterprise[in_sse]
    assert np.all(enterprise >= 0), name
    assert all(model.sse_enterprises[i].alive for i in np.unique(enterprise)), name
    # Declared work has one meaning: only people with the right to work are in it; the others
    # in an SSE collective are unpaid.
    formal = np.flatnonzero(started | IS_SSE[pop.labour] & (pop.labour != LabourState.SOLIDARITY_ACTIVITY))
    assert np.all(work_authorised(model, formal)), name
    assert np.all(pop.wage_eur_per_month[pop.labour == LabourState.SOLIDARITY_ACTIVITY] == 0), name
    wages = np.bincount(enterprise, weights=pop.wage_eur_per_month[in_sse], minlength=len(model.sse_enterprises))
    for e in model.sse_enterprises:
        if e.alive and e.founded_month < model.month:
            fixed = 0.0 if e.in_third_place else model.params.sse.fixed_costs_eur_per_month
            booked = e.accounts.costs_month - fixed + e.accounts.distributed_month
            # People may leave after pay day (emigration): wages of those still here <= booked.
            assert wages[e.index] <= booked + 1e-3 * max(booked, 1.0), (name, e.index)


def test_every_declared_job_comes_through_an_opening_or_is_paid_by_an_enterprise():
    # Every shipped scenario, 24 months at a small size: each month, each mainstream job that
    # started filled one of an employer's openings (the count of starts equals the count of
    # openings filled), each self-employment start is counted (a business start or a
    # cohort's end), and each SSE
    # job is in an enterprise alive whose books paid it.
    for name, model in _warmed_up(sorted(available()), seed=1, migrants=1500):
        for _ in range(24):
            model.step()
            _check_month(model, name)


SSE_LEVERS = ("ephemeral_cooperatives", "reserved_procurement", "start_up_support", "sse_transitional_jobs", "combined")


def test_the_sse_levers_at_their_city_s_size_hire_and_pay_through_the_same_checks():
    # At 1,500 migrants the SSE levers of most cities round to no enterprise at all, so the
    # test above checks little of the SSE. Here Liège and Prato run their SSE levers at the
    # preset's own size, under the same monthly checks, and each thing checked happens:
    # every kind of enterprise is founded, SSE workers are paid, reserved orders are
    # placed, and cohort members go on self-employed.
    kinds, sse_jobs, self_employed, orders = set(), 0, 0, 0.0
    for city in ("liege", "prato"):
        for name, model in _warmed_up([f"{city}/{lever}" for lever in SSE_LEVERS], seed=1, migrants=None):
            for _ in range(24):
                model.step()
                _check_month(model, name)
                self_employed += model.flows.self_employment_starts
            kinds |= {enterprise.kind for enterprise in model.sse_enterprises}
            sse_jobs += model.results()["sse_jobs"]
            orders += model.results()["municipal_orders_to_sse_eur"]
    assert kinds == {"collective", "cooperative", "ephemeral_cooperative", "work_integration"}
    assert sse_jobs > 0 and self_employed > 0 and orders > 0


LEVERS = (
    "one_stop_shop", "integrated_training", "sse_transitional_jobs", "ephemeral_cooperatives", "reserved_procurement",
    "start_up_support", "third_place", "mentoring", "regularisation_through_work", "union_contact_points",
    "municipal_id_card", "anti_discrimination", "oacas_host_support", "regularisation_advice",
)


def _jobs_in_the_levers_enterprises(model: CityModel, baseline: CityModel) -> int:
    """Paid SSE jobs in the enterprises the lever founded: those beyond the baseline's, which
    opens the city's existing ones first, from the same stream, so they come first in both."""
    pop = model.pop
    rows = np.flatnonzero(IS_SSE_JOB[pop.labour])
    return int(np.count_nonzero(pop.sse_enterprise[rows] >= len(baseline.sse_enterprises)))


def _per_thousand(model: CityModel, baseline: CityModel) -> dict[str, float]:
    results, reference = model.results(), baseline.results()
    per = 1000 / model.initial_migrants
    outcomes = results["programme_outcomes"]
    return {
        "participants": per * sum(lever["participants"] for lever in outcomes.values()),
        "lever_spending_eur": per * results["lever_spending_eur"],
        "regularisations": per * results["regularisations_total"],
        "sse_jobs_added": per * _jobs_in_the_levers_enterprises(model, baseline),
        "extra_people_in_work": per * (results["employed_20_64"] - reference["employed_20_64"]),
    }


@pytest.fixture(scope="module")
def sizes() -> dict[int, list[dict[str, dict[str, float]]]]:
    """Liège with each lever, 36 months: 8 seeds at 3,000 migrants, 1 at 30,000."""
    scenarios = ["liege/baseline"] + [f"liege/{lever}" for lever in LEVERS]
    out: dict[int, list] = {}
    for migrants, seeds in ((3000, range(1, 9)), (30000, (1,))):
        out[migrants] = []
        for seed in seeds:
            models = dict(_warmed_up(scenarios, seed=seed, migrants=migrants))
            for model in models.values():
                model.run(36)
            out[migrants].append({lever: _per_thousand(models[f"liege/{lever}"], models["liege/baseline"])
                                  for lever in LEVERS})
    return out


@pytest.mark.parametrize("lever", LEVERS)
def test_a_lever_gives_the_same_answer_per_thousand_migrants_at_any_size(sizes, lever):
    # Participants, spending, regularisations, SSE jobs and extra people in work per 1,000
    # migrants, at 3,000 (8 seeds) and 30,000 migrants (1 seed). A size-dependent lever (a
    # cohort that does not scale, a rounding that drops a small lever) shifts the mean by
    # far more than sampling error. Sampling error: the small runs' standard deviation s
    # gives their mean's s/sqrt(8); the large run's is taken as s too (conservative: what
    # employers draw, which clauses bind, does not average out with more migrants). The
    # difference over its standard error is then a Student t with 7 degrees of freedom:
    # bound at its 0.9995 quantile (70 comparisons at 1e-3 each), plus 2 % of the value for
    # figures that barely vary (fixed running costs). SSE jobs are the lever's own: those in
    # the enterprises it founded. Liège's existing enterprises (0.7 of one at 3,000
    # migrants, hiring a team of 8 or nobody) exist in hardly any small run, so a lever that
    # moves their hiring by a job or two at 30,000 would fail on noise the small runs cannot
    # show; that effect still counts, in the extra people in work. The old
    # cohorts, at 20 participants per 1,000 in every small run against 2 in the large, fail
    # it by far.
    small = {metric: np.array([run[lever][metric] for run in sizes[3000]]) for metric in sizes[3000][0][lever]}
    large = sizes[30000][0][lever]
    critical = stats.t.ppf(1 - 0.0005, df=7)
    for metric, values in small.items():
        s = values.std(ddof=1)
        bound = critical * s * np.sqrt(1 / values.size + 1) + 0.02 * abs(values.mean())
        assert abs(large[metric] - values.mean()) <= bound, (metric, values, large[metric])
    assert any(abs(v) > 0 for v in large.values()), f"{lever} does nothing measurable"


def test_reserved_procurement_never_lowers_the_enterprises_alive():
    # Common random numbers: founders' exits are drawn per enterprise and month, keyed by its
    # identity, so they are the same in both runs; orders only add sales, and an enterprise
    # hires only people whose output pays their wage. So, seed by seed, every enterprise
    # alive without orders is alive with them (and none closes earlier).
    for seed in (1, 2, 3, 4):
        runs = {}
        for orders in (False, True):
            model = small_model(seed=seed, migrants=6000, sse__existing_enterprises=20,
                                policies__reserved_procurement__enabled=orders)
            model.run(60)
            runs[orders] = model
        for without, with_orders in zip(runs[False].sse_enterprises, runs[True].sse_enterprises[:20], strict=True):
            if with_orders.closed_month is not None:
                assert without.closed_month is not None and without.closed_month <= with_orders.closed_month
        assert runs[True].results()["sse_enterprises_alive"] >= runs[False].results()["sse_enterprises_alive"]
        assert runs[True].results()["sse_jobs"] > runs[False].results()["sse_jobs"]
        assert runs[True].municipality.spending_eur["reserved_procurement"] > 0


def test_a_graduate_with_priority_displaces_the_job_seeker_taken_without_them():
    # Partner employers open no extra positions: at an opening a graduate takes, the accepted
    # applicant who would have been taken without the graduates is displaced. So every person
    # counted is an ordinary applicant that month (no graduate with priority, looking for
    # work), none of them starts a mainstream job that month (they applied once, and lost),
    # the count never exceeds the graduates' placements (one opening, one person), the
    # groups add up to the lever's count, and the baseline, without graduates, displaces nobody.
    model = small_model("liege/integrated_training", seed=2, migrants=8000)
    pop, displaced_ids, record = model.pop, [], model.programme_outcomes.displace

    def displace(model_, lever, rows):
        assert np.all(pop.partner_priority_until_month[rows] < model_.month)
        assert np.all(np.isin(pop.labour[rows], [LabourState.SEARCHING, LabourState.UNDECLARED_WORK]))
        displaced_ids.append((model_.month, pop.person_id[rows].copy()))
        record(model_, lever, rows)

    model.programme_outcomes.displace = displace
    record_placed, checked = model.programme_outcomes.placed, []

    def placed(lever, count):
        # Called once the month's hires have their jobs and before their priority ends:
        # the placements are graduates with priority who started a job now (or fewer: a
        # graduate hired into a skilled opening is not the partner's placement). A past
        # graduate hired as anyone is, whose priority ran out, must not count.
        month = model.month
        with_priority = (pop.partner_priority_until_month >= month) & pop.alive()
        started = with_priority & IS_MAINSTREAM_JOB[pop.labour] & (pop.labour_since_month == month)
        assert count <= np.count_nonzero(started)
        checked.append(count)
        record_placed(lever, count)

    model.programme_outcomes.placed = placed
    for _ in range(36):
        model.step()
        month, ids = displaced_ids[-1] if displaced_ids else (None, None)
        if month == model.month - 1:
            rows = np.flatnonzero(np.isin(pop.person_id, ids) & pop.alive())
            started = IS_MAINSTREAM_JOB[pop.labour[rows]] & (pop.labour_since_month[rows] == month)
            assert not started.any()
    assert sum(checked) > 0
    outcome = model.results()["programme_outcomes"]["integrated_training"]
    total = sum(ids.size for _, ids in displaced_ids)
    assert 0 < total == outcome["displaced"] <= outcome["placements"]
    assert sum(model.results()["displaced_by_group"].values()) == total
    baseline = small_model("liege/baseline", seed=2, migrants=8000)
    baseline.run(36)
    assert baseline.results()["displaced_by_group"] == {}


def test_the_shipped_reserved_procurement_creates_sse_jobs_and_books_its_cost():
    # liege/reserved_procurement as shipped, at Liège's own size, against its baseline at
    # the same seeds: the orders are sales its enterprises must serve, so they hire, and
    # the orders' premium is the lever's cost. Over four seeds the SSE jobs rise (seed by
    # seed they may tie: an enterprise already staffed for its orders).
    added = 0
    for seed in (1, 2, 3, 4):
        runs = dict(_warmed_up(["liege/baseline", "liege/reserved_procurement"], seed=seed, migrants=None))
        for model in runs.values():
            model.run(36)
        with_orders, without = runs["liege/reserved_procurement"].results(), runs["liege/baseline"].results()
        assert with_orders["municipal_orders_to_sse_eur"] > 0 and with_orders["lever_spending_eur"] > 0
        added += with_orders["sse_jobs"] - without["sse_jobs"]
    assert added > 0
