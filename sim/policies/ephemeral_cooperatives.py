"""Ephemeral cooperatives (guide §2.8, Migracoop in Paris; Sunucoop in Pantin).

Every ``cohort_interval_months`` a cohort of ``cohort_size`` searchers (women only by
default, as Migracoop's aspiring women entrepreneurs) tests a trade together for
``duration_months`` as a cooperative, with municipal orders as an outlet; cohorts
alternate between the lever's sectors (one culinary, one textile). At the end the cohort
becomes a lasting cooperative with ``lasting_cooperative_probability``; otherwise each
member becomes self-employed with ``self_employment_probability`` or searches again with
the ties, language and knowledge gained.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.labour_market import take_job
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.policies.start_up_support import support_new_enterprise
from sim.sse import SSEEnterprise, alive_enterprises, join
from sim.population import NO_MONTH
from sim.states import JobLevel, LabourState, Sex

if TYPE_CHECKING:
    from sim.model import CityModel


def cohorts(model: "CityModel") -> None:
    p = model.params.policies.ephemeral_cooperatives
    for enterprise in alive_enterprises(model):
        if enterprise.kind == "ephemeral_cooperative" and enterprise.ends_month <= model.month:
            _conclude(model, enterprise)
    rows = np.flatnonzero(model.pop.labour == LabourState.EPHEMERAL_COOP_MEMBER)
    model.pop.bridging_ties[rows] += p.bridging_gain_per_month
    if model.month % max(1, round(p.cohort_interval_months)) == 0:
        _start_cohort(model)


def _start_cohort(model: "CityModel") -> None:
    pop, p = model.pop, model.params.policies.ephemeral_cooperatives
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    candidates = candidates[work_authorised(model, candidates)]
    if p.women_only:
        candidates = candidates[pop.sex[candidates] == Sex.FEMALE]
    members = admit(model, candidates, p.cohort_size)
    if members.size < 2:
        return
    number = sum(e.founded_as == "ephemeral_cooperative" for e in model.sse_enterprises)
    sector = model.sector_index(p.sectors[number % len(p.sectors)])
    cohort = SSEEnterprise(model, "ephemeral_cooperative", sector, p.cohort_size, cash_eur=0.0, founder_dependence=0.0)
    cohort.ends_month = model.month + int(round(p.duration_months))
    cohort.orders_due_eur_per_month = p.municipal_orders_eur_per_cohort / max(p.duration_months, 1)
    join(model, members, cohort, LabourState.EPHEMERAL_COOP_MEMBER, model.params.sse.member_pay_eur_per_month)
    model.pop.programme_end_month[members] = cohort.ends_month
    model.municipality.spend("ephemeral_cooperatives", p.cost_eur_per_cohort)
    model.programme_outcomes.enter(model, "ephemeral_cooperatives", members)


def _conclude(model: "CityModel", cohort: SSEEnterprise) -> None:
    p = model.params.policies.ephemeral_cooperatives
    members = cohort.worker_rows()
    cohort.orders_due_eur_per_month = 0.0
    if draws.happens(model.rng, p.lasting_cooperative_probability, 1)[0]:
        cohort.kind = "cooperative"
        cohort.founder_dependence = float(model.rng.uniform(0.0, 1.0))
        model.pop.labour[members] = LabourState.SSE_COOP_MEMBER
        model.pop.programme_end_month[members] = NO_MONTH
        support_new_enterprise(model, cohort)
        return
    cohort.close()
    self_employed = members[draws.happens(model.rng, p.self_employment_probability, members.size)]
    take_job(model, self_employed, np.full(self_employed.size, -1, dtype=np.int32), JobLevel.ELEMENTARY,
             np.full(self_employed.size, LabourState.SELF_EMPLOYED, dtype=np.int8))
    model.pop.wage_eur_per_month[self_employed] = model.params.sse.member_pay_eur_per_month


register(LeverSpec("ephemeral_cooperatives", "programmes", (cohorts,), priority=40))
