"""What a city can do for regularisation through work, and the OACAS route as the law says.

France's OACAS route counts three years of activity as a resident of an approved host
organisation (CESEDA L435-2), not in any collective; host places are held, never
exceeded; a resident who gets papers searches from the community and leaves with a job.
The city's levers act only through what a city can do: it funds host places
(``oacas_host_support``) or advises people on the national route
(``regularisation_advice``), and each books its cost where public finances see it. Fixed
seeds; stochastic bounds give their reasoning.
"""

import pickle

import numpy as np
import pytest

from sim.mechanisms.jobs import take_job
from sim.mechanisms.legal_status import change_status
from sim.mechanisms.work_authorisation import work_authorised
from sim.model import CityModel, warm_up_key
from sim.policies import host_organisations
from sim.policies import regularisation as regularisation_lever
from sim.scenario import ScenarioError, load, with_overrides
from sim.states import IS_EMPLOYED, JobLevel, LabourState, LegalStatus
from tests.helpers import small_model


def _places(model: CityModel) -> int:
    return host_organisations.national_places(model) + host_organisations.city_places(model)


# --- the OACAS route ---------------------------------------------------------------------


def test_oacas_files_only_people_with_months_in_a_host_organisation(monkeypatch):
    # Paris with collectives open to undocumented people (start-up support, 60 a year for
    # the city, so that a 6,000-migrant run has a few):
    # their members pile up months of solidarity activity in an SSE collective, yet every
    # application the OACAS route files comes from a host organisation's resident with 36
    # months there (or 12 months, 60 months' presence and a promise: the second route).
    model = small_model("paris/baseline", seed=2, migrants=6000, policies__start_up_support__enabled=True,
                        policies__start_up_support__new_collectives_per_year=60.0)
    pop = model.pop
    filed = []
    original = regularisation_lever._file

    def record(model, eligible):
        filed.append((pop.host_months[eligible].copy(), model.month - pop.arrival_month[eligible],
                      pop.sse_enterprise[eligible].copy()))
        original(model, eligible)

    monkeypatch.setattr(regularisation_lever, "_file", record)
    collective_veterans = 0
    for _ in range(48):
        model.step()
        in_collective = (pop.status == LegalStatus.UNDOCUMENTED) & (pop.sse_enterprise >= 0)
        veterans = in_collective & (pop.labour_since_month <= model.month - 36)
        collective_veterans = max(collective_veterans, np.count_nonzero(veterans))
    r = model.params.policies.regularisation
    months = np.concatenate([host for host, _, _ in filed])
    presence = np.concatenate([present for _, present, _ in filed])
    enterprise = np.concatenate([e for _, _, e in filed])
    assert months.size > 0 and collective_veterans > 0  # both routes' candidates exist
    first_route = months >= r.oacas_activity_months
    second_route = (months >= r.oacas_short_activity_months) & (presence >= r.oacas_presence_months)
    assert np.all(first_route | second_route)
    assert np.all(enterprise < 0)  # no collective member among them


# --- host places ---------------------------------------------------------------------------


def test_host_places_are_held_and_never_exceeded():
    # Paris with the city's 50 places: the country's 140 and the city's 50, scaled to 6,000
    # migrants. Each month, residents never exceed the places and the city's occupied places
    # never exceed its own; undocumented residents are in solidarity activity; a resident
    # in a job was hired this month with the right to work (they leave next month).
    model = small_model("paris/regularisation_through_work", seed=3, migrants=6000)
    pop = model.pop
    occupancy = []
    for _ in range(36):
        model.step()
        places = _places(model)
        rows = host_organisations.residents(model)
        assert rows.size <= places
        assert host_organisations.occupied_city_places(model) <= host_organisations.city_places(model)
        undocumented = rows[pop.status[rows] == LegalStatus.UNDOCUMENTED]
        assert np.all(pop.labour[undocumented] == LabourState.SOLIDARITY_ACTIVITY)
        working = rows[IS_EMPLOYED[pop.labour[rows]]]
        assert np.all(pop.labour_since_month[working] == model.month - 1)
        assert np.all(work_authorised(model, working))
        occupancy.append(rows.size / places)
    # Free places are filled at once from hundreds of undocumented candidates; a month ends
    # below capacity only by residents who left the city or took a job after the month's
    # entries (a few in a hundred): held on average at 90 % or more.
    assert np.mean(occupancy) >= 0.9


def test_a_resident_with_papers_searches_from_the_community_and_leaves_with_a_job():
    model = small_model("paris/baseline", seed=4, migrants=6000,
                        policies__regularisation__oacas_host_exit_rate_per_month=0.0)
    pop = model.pop
    rows = host_organisations.residents(model)
    rows = rows[pop.status[rows] == LegalStatus.UNDOCUMENTED][:2]
    assert rows.size == 2
    change_status(model, rows, LegalStatus.TEMPORARY_PERMIT)
    host_organisations.residence(model, model.rng)
    assert np.all(pop.labour[rows] == LabourState.SEARCHING)
    assert np.all(pop.host_months[rows] == 0)  # still housed; the clock of activity restarts
    hired, searching = rows[:1], rows[1:]
    take_job(model, hired, np.zeros(1, dtype=np.int32), JobLevel.ELEMENTARY,
             np.full(1, LabourState.JOB_BELOW_SKILLS, dtype=np.int8))
    host_organisations.residence(model, model.rng)
    assert pop.host_months[hired][0] == -1 and pop.labour[hired][0] == LabourState.JOB_BELOW_SKILLS
    assert pop.host_months[searching][0] == 0


def test_without_a_route_host_places_house_people_but_regularise_no_one():
    # Belgium has no regularisation through work: Liège's funded places fill with
    # undocumented people in solidarity activity, and no one is regularised through work.
    model = small_model("liege/oacas_host_support", seed=1, migrants=6000)
    model.run(24)
    assert host_organisations.residents(model).size > 0
    assert model.regularisations == 0 and model.regularisation_applications == 0


@pytest.mark.parametrize("name", ["paris/regularisation_through_work", "barcelona/regularisation_through_work",
                                  "liege/oacas_host_support"])
def test_a_regularisation_lever_shares_its_warm_up_with_the_baseline(name):
    # Levers act from month 0: the city's places are not filled, nor anyone advised, in the
    # warm-up, which the national route's host places run in. Same seed, same city at month 0.
    params = load(name)
    baseline = load(f"{params.meta.city}/baseline")
    assert warm_up_key(params) == warm_up_key(baseline)
    with_lever = CityModel(params, rng=5, migrants=2000, start=False)
    without = CityModel(baseline, rng=5, migrants=2000, start=False)
    for column in ("person_id", "status", "labour", "host_months", "regularisation_advised", "regularisation_filed_month"):
        assert np.array_equal(getattr(with_lever.pop, column), getattr(without.pop, column)), column


# --- regularisation advice -----------------------------------------------------------------


def test_advice_raises_applications_among_the_eligible_only():
    # Arraigo (Liège without its Belgian rules): a half of the undocumented work undeclared
    # with 36 months' presence and a contract offer (eligible), the other half arrived 10
    # months ago (not); a half of each is advised. One month of filing, twice from the same
    # city: with the advice, and with nobody advised.
    model = small_model(migrants=12000, law__rules=None, policies__regularisation__regime="arraigo",
                        policies__regularisation__job_promise_probability=1.0,
                        policies__regularisation__application_rate_per_month=0.2,
                        policies__regularisation_advice__enabled=True,
                        policies__regularisation_advice__advised_application_rate_per_month=0.6)
    pop = model.pop
    rows = np.flatnonzero(pop.status == LegalStatus.UNDOCUMENTED)
    half = rows.size // 2
    eligible, recent = rows[:half], rows[half:]
    take_job(model, rows, np.zeros(rows.size, dtype=np.int32), JobLevel.ELEMENTARY,
             np.full(rows.size, LabourState.UNDECLARED_WORK, dtype=np.int8))
    pop.arrival_month[eligible] = model.month - 36
    pop.arrival_month[recent] = model.month - 10
    advised = np.zeros(pop.slots, dtype=bool)
    advised[eligible[::2]] = advised[recent[::2]] = True
    unadvised_city = pickle.loads(pickle.dumps(model))
    pop.regularisation_advised[advised] = True

    for city in (model, unadvised_city):
        regularisation_lever.regularisations(city, city.rng)
    filed = pop.regularisation_filed_month == model.month
    filed_without = unadvised_city.pop.regularisation_filed_month == model.month
    assert not filed[recent].any()  # advice makes no one eligible
    assert np.all(filed_without <= filed)  # keyed draws: whoever applies unadvised applies advised
    assert np.array_equal(filed[eligible[1::2]], filed_without[eligible[1::2]])  # the unadvised as before
    # The rates: 0.6 for the advised eligible, 0.2 without advice; each share within 4
    # binomial standard errors of its rate.
    for group, rate in ((filed[eligible[::2]], 0.6), (filed_without[eligible[::2]], 0.2), (filed[eligible[1::2]], 0.2)):
        assert abs(group.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / group.size)


def test_advice_may_not_slow_applications():
    with pytest.raises(ScenarioError, match="advised_application_rate_per_month must not be below"):
        with_overrides(load("barcelona/regularisation_through_work"),
                       {"policies.regularisation_advice.advised_application_rate_per_month": 0.1})


def test_advice_reaches_undocumented_people_once_within_its_capacity():
    # Each month at most the service's capacity (540 for Barcelona, scaled, rounded up or
    # down), each person once; at the month's end a new client is still undocumented,
    # or was regularised that month.
    model = small_model("barcelona/regularisation_through_work", seed=6, migrants=6000)
    pop = model.pop
    for _ in range(12):
        before = pop.regularisation_advised.copy()
        ids = pop.person_id.copy()
        model.step()
        month = model.month - 1
        new = pop.regularisation_advised & ~before & (pop.person_id == ids)
        assert 0 < np.count_nonzero(new) <= model.scaled(540, "regularisation_advice.clients") + 1
        regularised = (pop.status == LegalStatus.TEMPORARY_PERMIT) & (pop.status_since_month == month)
        assert np.all((pop.status[new] == LegalStatus.UNDOCUMENTED) | regularised[new])
    entries = np.concatenate(model.programme_outcomes.entries["regularisation_advice"], axis=1)
    assert np.unique(entries[1]).size == entries.shape[1]  # nobody advised twice


def test_the_budget_cap_stops_both_levers_admitting():
    # With no lever budget, the city's host places take no one and the advice sees no one;
    # the country's places are filled as in the baseline.
    for name in ("paris/regularisation_through_work", "barcelona/regularisation_through_work"):
        model = small_model(name, migrants=4000, policies__policy_budget_eur_per_year=0.0)
        model.run(12)
        assert host_organisations.occupied_city_places(model) == 0
        assert host_organisations.residents(model).size <= host_organisations.national_places(model)
        assert not model.pop.regularisation_advised.any()
        assert sum(model.municipality.spending_eur.get(item, 0.0) for item in
                   ("oacas_host_support", "regularisation_advice")) == 0.0


# --- costs ---------------------------------------------------------------------------------


def test_each_lever_books_its_cost_in_the_city_accounts_and_public_finances():
    # Host support: each month the city pays for its places in use after the month's
    # entries; free places are refilled at once from hundreds of candidates, so all of
    # them are in use every month, and the bill is months x places x cost.
    host = small_model("paris/regularisation_through_work", seed=7, migrants=6000)
    host.run(24)
    p = host.params.policies.oacas_host_support
    assert host_organisations.city_places(host) > 0
    assert host.municipality.spending_eur["oacas_host_support"] == pytest.approx(
        24 * host_organisations.city_places(host) * p.cost_eur_per_place_per_month)
    # Advice: the number of people advised times the cost per client.
    advice = small_model("barcelona/regularisation_through_work", seed=7, migrants=6000)
    advice.run(12)
    clients = advice.programme_outcomes.summary(advice)["regularisation_advice"]["participants"]
    cost = advice.params.policies.regularisation_advice.cost_eur_per_client
    assert clients > 0 and advice.municipality.spending_eur["regularisation_advice"] == pytest.approx(clients * cost)
    # Both are lever spending that the city pays, by default, in the split by level.
    for model, lever in ((host, "oacas_host_support"), (advice, "regularisation_advice")):
        results = model.results()
        assert results["public_finances_by_level"]["costs_by_item"][lever]["city"] == pytest.approx(
            results["municipal_spending_eur"][lever])
        assert results["lever_spending_eur"] >= results["municipal_spending_eur"][lever] > 0
    # A region or the state may co-finance them, like any lever.
    shared = with_overrides(load("paris/combined"), {"public_finances.lever_spending_paid_by": {
        "oacas_host_support": {"city": 0.5, "national": 0.5}, "regularisation_advice": {"region": 1.0}}})
    assert shared.public_finances.lever_payers("oacas_host_support").national == 0.5
    assert shared.public_finances.lever_payers("regularisation_advice").region == 1.0
