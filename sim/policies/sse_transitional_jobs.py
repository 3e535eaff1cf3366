"""SSE transitional jobs as a springboard (guide §2.8: Sandwich Brothers, Cannelle et Piment).

Work-integration enterprises (``enterprises`` of them at the city's size, in the lever's
sector, each with its share of the ``places``) hold transitional jobs of
``spell_months`` paid ``wage_eur_per_month`` from their accounts: their sales, and a
municipal subsidy per occupied place. An enterprise fills a free place only while its
cash is positive. It admits authorised searchers in social exclusion, as Spain's insertion
enterprises (Ley 44/2007 art. 2.1): unemployed for ``min_months_unemployed`` or on social
assistance (one-stop-shop referrals first, then the longest unemployed). At the end of the spell graduates search again with the
language, ties and experience gained, and with priority, with the programme's referral,
on the openings of its partner employers for ``partner_priority_months``
(``labour_market.give_partner_priority``): Spain's insertion enterprises report 67.2 % of
exits to ordinary jobs (T25), which the hiring rule must now reach on its own.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.jobs import join_enterprise, leave_enterprise
from sim.mechanisms.labour_market import give_partner_priority
from sim.mechanisms.welfare import ASSISTED_STATUSES
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.sse import SSEEnterprise, alive_enterprises
from sim.states import LabourState

if TYPE_CHECKING:
    from sim.model import CityModel


def open_enterprises(model: "CityModel", rng: np.random.Generator) -> None:
    """The enterprises keep the scenario's size whatever the run's size: their number scales."""
    p, sse = model.params.policies.sse_transitional_jobs, model.params.sse
    places_each = -(-p.places // p.enterprises)
    for _ in range(model.scaled(p.enterprises, "sse_transitional_jobs.enterprises")):
        SSEEnterprise(
            model, "work_integration", model.sector_index(p.sector), places_each, sse.initial_cash_eur,
            founder_dependence=float(rng.uniform(0.0, 0.5)), pay_eur_per_month=p.wage_eur_per_month,
            # Assumption: its business plan sells what its places produce at mid productivity.
            market_demand_eur_per_month=places_each * 0.75 * sse.market_sales_eur_per_worker_month,
        )


def spells(model: "CityModel", rng: np.random.Generator) -> None:
    """Spells end (graduates get partner priority); free places are filled."""
    pop, p = model.pop, model.params.policies.sse_transitional_jobs
    rows = np.flatnonzero(pop.labour == LabourState.SSE_TRANSITIONAL_JOB)
    ending = rows[pop.programme_end_month[rows] <= model.month]
    leave_enterprise(model, ending)
    give_partner_priority(model, ending, "sse_transitional_jobs", p.partner_priority_months)
    enterprises = [e for e in alive_enterprises(model) if e.kind == "work_integration" and e.cash_eur > 0]
    occupied = np.bincount(pop.sse_enterprise[pop.sse_enterprise >= 0], minlength=len(model.sse_enterprises))
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    excluded = (model.month - pop.labour_since_month[candidates] >= p.min_months_unemployed)
    excluded |= np.isin(pop.status[candidates], ASSISTED_STATUSES)
    candidates = candidates[work_authorised(model, candidates) & excluded]
    for enterprise in enterprises:
        free = enterprise.capacity - occupied[enterprise.index]
        # Referrals first, then the longest unemployed.
        entrants = admit(model, rng, candidates, int(free), waiting_since=pop.labour_since_month[candidates],
                         unit_cost=p.subsidy_eur_per_place_month)
        join_enterprise(model, entrants, enterprise, LabourState.SSE_TRANSITIONAL_JOB, p.wage_eur_per_month)
        pop.programme_end_month[entrants] = model.month + np.int32(round(p.spell_months))
        model.programme_outcomes.enter(model, "sse_transitional_jobs", entrants)
        candidates = candidates[pop.labour[candidates] == LabourState.SEARCHING]


register(LeverSpec("sse_transitional_jobs", "programmes", (spells,), setup=open_enterprises, priority=20))
