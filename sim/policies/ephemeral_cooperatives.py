"""Ephemeral cooperatives (guide §2.8, Migracoop in Paris; Sunucoop in Pantin).

Every ``cohort_interval_months`` cohorts of ``cohort_size`` searchers (both sexes, as
Migracoop; women only with ``women_only``, as Sunucoop in Pantin) test a trade together for
``duration_months`` as a cooperative, with municipal orders as an outlet; cohorts
alternate between the lever's sectors (one culinary, one textile). The number of cohorts
scales with the run's size (one per interval at the scenario's size); a cohort keeps its
size. The cohort is an SSE enterprise with its own accounts (``sim.sse``): its members'
output sells to the municipal orders and to a clientele that it builds over the test
(from nothing to what its members produce; assumption).

At the end, what happens follows from the accounts and the members' own state:

- the cohort carries on as a lasting cooperative if its last month's market sales and
  donations cover its costs net of the start-up support it can get (Diomcoop's 95 %, when
  that lever is on): a viable trade, or a supported one;
- otherwise it closes. Its members share its clientele, the market sales of its last
  month, in proportion to their output; a member whose share (no more than her own
  output), net of a self-employed worker's contributions
  (``sse.self_employment_contribution_share``), pays at least what the cohort paid her
  (``sse.member_pay_eur_per_month``) goes on alone, self-employed, selling to it; the
  others search again with the ties, language and knowledge gained. Nobody goes on alone
  to sell what the cohort could not sell.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.jobs import join_enterprise, take_job
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.policies.start_up_support import support_new_enterprise
from sim.population import NO_MONTH
from sim.sse import SSEEnterprise, alive_enterprises, output_eur_per_month
from sim.states import JobLevel, LabourState, Sex

if TYPE_CHECKING:
    from sim.model import CityModel


def cohorts(model: "CityModel", rng: np.random.Generator) -> None:
    p = model.params.policies.ephemeral_cooperatives
    for enterprise in alive_enterprises(model):
        if enterprise.kind == "ephemeral_cooperative":
            if enterprise.ends_month <= model.month:
                _conclude(model, rng, enterprise)
            else:
                _build_clientele(model, enterprise)
    rows = np.flatnonzero(model.pop.labour == LabourState.EPHEMERAL_COOP_MEMBER)
    model.pop.bridging_ties[rows] += p.bridging_gain_per_month
    if model.month % max(1, round(p.cohort_interval_months)) == 0:
        for _ in range(model.scaled(1, "ephemeral_cooperatives.cohorts")):
            _start_cohort(model, rng)


def _build_clientele(model: "CityModel", cohort: SSEEnterprise) -> None:
    """The clientele grows over the test, from nothing to what the members produce."""
    p = model.params.policies.ephemeral_cooperatives
    progress = min(1.0, (model.month - cohort.founded_month + 1) / max(p.duration_months, 1))
    cohort.market_demand_eur_per_month = progress * float(output_eur_per_month(model, cohort.worker_rows()).sum())


def _start_cohort(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.ephemeral_cooperatives
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    candidates = candidates[work_authorised(model, candidates)]
    if p.women_only:
        candidates = candidates[pop.sex[candidates] == Sex.FEMALE]
    if model.municipality.budget_left_eur() < p.cost_eur_per_cohort:
        return
    members = admit(model, rng, candidates, p.cohort_size)
    if members.size < 2:
        return
    number = sum(e.founded_as == "ephemeral_cooperative" for e in model.sse_enterprises)
    sector = model.sector_index(p.sectors[number % len(p.sectors)])
    cohort = SSEEnterprise(model, "ephemeral_cooperative", sector, p.cohort_size, cash_eur=0.0, founder_dependence=0.0,
                           pay_eur_per_month=model.params.sse.member_pay_eur_per_month)
    cohort.ends_month = model.month + int(round(p.duration_months))
    cohort.orders_due_eur_per_month = p.municipal_orders_eur_per_cohort / max(p.duration_months, 1)
    join_enterprise(model, members, cohort, LabourState.EPHEMERAL_COOP_MEMBER, cohort.pay_eur_per_month)
    model.pop.programme_end_month[members] = cohort.ends_month
    # The programme's money pays the cohort's test: members' pay beyond what it sells.
    cohort.accounts.book("subsidies", p.cost_eur_per_cohort)
    model.municipality.spend("ephemeral_cooperatives", p.cost_eur_per_cohort)
    model.programme_outcomes.enter(model, "ephemeral_cooperatives", members)


def viable(model: "CityModel", cohort: SSEEnterprise) -> bool:
    """Whether the cohort's own sales carry its costs net of the start-up support it can
    get, on last month's accounts (this month's books have just opened), and it ends the
    test with no debt."""
    s = model.params.policies.start_up_support
    supported = s.enabled and model.municipality.budget_left_eur() >= s.launch_grant_eur
    public_share = s.initial_public_share if supported else 0.0
    accounts = cohort.accounts
    own = accounts.last_month["market_sales"] + accounts.last_month["donations"]
    return (cohort.worker_rows().size >= 2 and cohort.cash_eur >= 0
            and own >= (1.0 - public_share) * accounts.last_month_costs)


def _conclude(model: "CityModel", rng: np.random.Generator, cohort: SSEEnterprise) -> None:
    pop = model.pop
    members = cohort.worker_rows()
    cohort.orders_due_eur_per_month = 0.0
    if viable(model, cohort):
        cohort.kind = "cooperative"
        cohort.founder_dependence = float(rng.uniform(0.0, 1.0))
        cohort.market_demand_eur_per_month = float(output_eur_per_month(model, members).sum())
        pop.labour[members] = LabourState.SSE_COOP_MEMBER
        pop.programme_end_month[members] = NO_MONTH
        support_new_enterprise(model, cohort)
        model.programme_outcomes.placed("ephemeral_cooperatives", members.size)
        return
    output = output_eur_per_month(model, members)
    clientele = cohort.accounts.last_month["market_sales"] * output / max(float(output.sum()), 1e-9)
    earnings = np.minimum(output, clientele) * (1.0 - model.params.sse.self_employment_contribution_share)
    cohort.close()
    pays = earnings >= cohort.pay_eur_per_month
    alone = members[pays]
    take_job(model, alone, np.full(alone.size, -1, dtype=np.int32), JobLevel.ELEMENTARY,
             np.full(alone.size, LabourState.SELF_EMPLOYED, dtype=np.int8))
    pop.wage_eur_per_month[alone] = earnings[pays]
    model.programme_outcomes.placed("ephemeral_cooperatives", alone.size)
    model.flows.self_employment_starts += alone.size


register(LeverSpec("ephemeral_cooperatives", "programmes", (cohorts,), priority=40))
