"""SSE transitional jobs as a springboard (guide §2.8: Sandwich Brothers, Cannelle et Piment).

Work-integration enterprises (``enterprises`` of them, in the lever's sector) hold
``places`` transitional jobs of ``spell_months`` paid ``wage_eur_per_month``, funded by a
municipal subsidy per occupied place and by their sales. Authorised searchers are
admitted (one-stop-shop referrals first, then the longest unemployed); at the end of the
spell a partner employer hires the graduate with ``partner_hiring_probability`` (Spain's
insertion enterprises: 67.2 % exit to ordinary jobs, T25), the others search again with
the language, ties and experience gained.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.sse import SSEEnterprise, alive_enterprises, hire_into_sector, join, leave_sse
from sim.states import LabourState

if TYPE_CHECKING:
    from sim.model import CityModel


def open_enterprises(model: "CityModel") -> None:
    p = model.params.policies.sse_transitional_jobs
    sector = model.sector_index(p.sector)
    enterprises = max(1, model.scaled(p.enterprises))
    per_enterprise = -(-model.scaled(p.places) // enterprises)
    for _ in range(enterprises):
        SSEEnterprise(
            model, "work_integration", sector, per_enterprise, model.params.sse.initial_cash_eur,
            founder_dependence=float(model.rng.uniform(0.0, 0.5)),
        )


def spells(model: "CityModel") -> None:
    """Spells end (partner hiring or back to search); free places are filled."""
    pop, p = model.pop, model.params.policies.sse_transitional_jobs
    rows = np.flatnonzero(pop.labour == LabourState.SSE_TRANSITIONAL_JOB)
    ending = rows[pop.programme_end_month[rows] <= model.month]
    leave_sse(model, ending)
    hired = ending[draws.happens(model.rng, p.partner_hiring_probability, ending.size)]
    hire_into_sector(model, hired, model.sector_index(p.sector))
    enterprises = [e for e in alive_enterprises(model) if e.kind == "work_integration"]
    occupied = np.bincount(pop.sse_enterprise[pop.sse_enterprise >= 0], minlength=len(model.sse_enterprises))
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    candidates = candidates[work_authorised(model, candidates)]
    for enterprise in enterprises:
        free = enterprise.capacity - occupied[enterprise.index]
        # Referrals first, then the longest unemployed.
        entrants = admit(model, candidates, int(free), waiting_since=pop.labour_since_month[candidates],
                         unit_cost=p.subsidy_eur_per_place_month)
        join(model, entrants, enterprise, LabourState.SSE_TRANSITIONAL_JOB, p.wage_eur_per_month)
        pop.programme_end_month[entrants] = model.month + np.int32(round(p.spell_months))
        model.programme_outcomes.enter(model, "sse_transitional_jobs", entrants)
        candidates = candidates[pop.labour[candidates] == LabourState.SEARCHING]


register(LeverSpec("sse_transitional_jobs", "programmes", (spells,), setup=open_enterprises, priority=20))
