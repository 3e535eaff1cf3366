"""The nationals' comparison population, the women's share among asylum arrivals, and care
duties that end jobs. Bounds are binomial standard errors (reasoning at each test)."""

import numpy as np

from sim.mechanisms import inflow, readiness
from sim.mechanisms.readiness import CAN_LEAVE_FOR_CARE
from sim.nationals import NationalsModel, nationals_scenario
from sim.scenario import load, with_overrides
from sim.states import IS_EMPLOYED, Education, LegalStatus, Reason, Sex
from tests.helpers import small_model


def test_nationals_run_beside_the_migrants_and_work_more():
    model = small_model(migrants=4000)
    model.run(24)
    results = model.results()
    nationals, migrants = results["nationals"], results["non_eu_citizens"]
    assert model.nationals is not None and model.nationals.month == model.month
    # About 3,000 nationals (the floor) against 4,000 migrants: a gap of 10+ points in employment (no
    # language, recognition, status or discrimination barrier) is many standard errors wide.
    assert nationals["employment_rate"] > migrants["employment_rate"] + 0.05
    assert nationals["unemployment_rate"] < migrants["unemployment_rate"]
    assert 0 < nationals["overqualification_rate"] < migrants["overqualification_rate"]


def test_nationals_are_citizens_with_domestic_qualifications_and_no_discrimination():
    model = NationalsModel(load("liege/baseline"), rng=3, people=3000)
    model.run(12)
    pop = model.pop
    alive = pop.alive()
    assert np.all(pop.status[alive] == LegalStatus.NATURALISED)
    assert np.all(pop.language[alive] == 1.0)
    assert all(employer.discrimination_logit == 0.0 for employer in model.employers)
    ages = (model.month - 1 - pop.birth_month[alive]) / 12  # at the last month run
    assert ages.min() >= 20 and ages.max() < 65
    # Entries at 20 replace exits at 65: the size stays near 3,000 (Poisson noise of a few
    # dozen a year, plus the warm-up's; 10 % is far outside it).
    assert abs(alive.sum() - 3000) < 300
    # Graduates' field mismatch is drawn for nationals too (T09), at the scenario's share:
    # about 1,000 graduates, so 4 binomial standard errors are about 4 points.
    share = model.params.labour_market.graduate_mismatch_share
    graduates = alive & (pop.education == Education.HIGH)
    assert not pop.field_mismatch[alive & ~graduates].any()
    assert abs(pop.field_mismatch[graduates].mean() - share) < 4 * np.sqrt(share * (1 - share) / graduates.sum())


def test_nationals_are_the_same_whatever_the_migrants_policies():
    # The levers are for migrants: with the same seed, the nationals' months are identical.
    base, combined = small_model("liege/baseline", migrants=2000), small_model("liege/combined", migrants=2000)
    base.run(12)
    combined.run(12)
    assert base.results()["nationals"] == combined.results()["nationals"]


def test_fewer_temporary_contracts_mean_less_unemployment_for_nationals():
    # Job loss 4x higher multiplies the inflow into unemployment: the rate rises by far
    # more than the seed-to-seed spread at 6,000 people.
    secure, precarious = [], []
    for seed in (1, 2):
        for store, factor in ((secure, 0.5), (precarious, 2.0)):
            params = with_overrides(load("eu27/baseline"), {"nationals.job_loss_factor": factor})
            model = NationalsModel(params, rng=seed, people=6000)
            model.run(12)
            store.append(model.indicators()["unemployment_rate"])
    assert min(precarious) > max(secure)


def test_nationals_scenario_removes_the_migrants_barriers_only():
    params = load("eu27/baseline")
    nationals = nationals_scenario(params)
    assert nationals.labour_market.discrimination_logit_penalty == 0.0
    assert nationals.labour_market.job_loss_rate_per_month == params.labour_market.job_loss_rate_per_month * params.nationals.job_loss_factor
    assert nationals.labour_market.sectors == params.labour_market.sectors
    assert nationals.labour_market.hiring_logit_elementary == params.labour_market.hiring_logit_elementary
    assert nationals.population.education_shares == params.nationals.education_shares


def test_asylum_arrivals_are_mostly_men():
    model = small_model(migrants=3000)
    rows = inflow.arrive(model, np.full(40000, model.month, dtype=np.int32), model.rng)
    pop, p = model.pop, model.params.population
    for reason_is_asylum, expected in ((True, p.share_female_asylum), (False, p.share_female)):
        group = rows[(pop.reason[rows] == Reason.ASYLUM) == reason_is_asylum]
        share = np.mean(pop.sex[group] == Sex.FEMALE)
        assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / group.size)


def test_care_duties_that_begin_end_jobs_at_the_scenario_probability():
    for probability in (0.0, 0.4):
        model = small_model(migrants=20000)  # warmed up with the usual rates, then every free woman starts caring
        model.params = with_overrides(model.params, {"population.care_duties_job_exit_probability": probability,
                                                     "population.care_duties_start_rate_female_per_month": 1.0})
        pop = model.pop
        women_in_work = np.flatnonzero(CAN_LEAVE_FOR_CARE[pop.labour] & (pop.sex == Sex.FEMALE) & ~pop.care_duties)
        readiness.care_duties(model, model.rng)
        starting = women_in_work[pop.care_duties[women_in_work]]
        assert starting.size >= 500
        left = np.mean(~IS_EMPLOYED[pop.labour[starting]])
        # Every woman free of care starts caring (rate 1); a share `probability` of those in
        # work leave it: within 4 binomial standard errors of it (exactly 0 when it is 0).
        assert abs(left - probability) <= 4 * np.sqrt(probability * (1 - probability) / starting.size)


def test_nationals_keep_enough_people_at_a_reduced_size():
    nationals = load("barcelona/baseline").nationals  # 6,000 nationals beside 200,000 migrants
    assert nationals.people(3000 / 200_000) == 3000  # not 90: the floor
    assert nationals.people(2.0) == 12_000  # above the floor, rescaled like every size
    assert nationals.model_copy(update={"comparison_people": 1000}).people(0.01) == 1000  # never more than asked
    assert nationals.model_copy(update={"comparison_people": 0}).people(1.0) == 0
