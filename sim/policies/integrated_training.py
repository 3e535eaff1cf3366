"""Integrated language and vocational training (guide §2.9) against the linear pathway.

Instead of language first, then a trade, then a job, participants learn the language of
a trade while practising it (Kokkola's INTEGRA, Grenzeloos, Sartoria Sociale). The lever
offers ``places`` at a time for ``duration_months``; it admits, as Finland's integration
training, searchers below B1 with a residence permit (not asylum seekers) who arrived at
most ``max_months_since_arrival`` ago (one-stop-shop referrals first). Attrition is lower than in the
linear course (Kokkola's reason for the programme), the language gain per month is
``language_gain_per_month`` and bridging ties grow as at work. Graduates then get
priority, with the programme's referral, on the openings of its partner employers in its
sector for ``partner_priority_months`` (``labour_market.give_partner_priority``): the
hiring rule still decides, and each placement takes an opening from someone else.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.language import B1
from sim.mechanisms.labour_market import give_partner_priority
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.states import LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


def exits(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.integrated_training
    rows = np.flatnonzero(pop.labour == LabourState.INTEGRATED_TRAINING)
    graduating = pop.programme_end_month[rows] <= model.month
    dropping = np.zeros(rows.size, dtype=bool)
    dropping[draws.chosen(rng, p.dropout_rate_per_month, rows.size)] = True
    dropping &= ~graduating
    leaving = rows[graduating | dropping]
    pop.labour[leaving] = LabourState.SEARCHING
    pop.labour_since_month[leaving] = model.month
    pop.programme_end_month[leaving] = np.iinfo(np.int32).min
    give_partner_priority(model, rows[graduating], "integrated_training", p.partner_priority_months)


def admissions(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.integrated_training
    in_training = np.count_nonzero(pop.labour == LabourState.INTEGRATED_TRAINING)
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    permit = ~np.isin(pop.status[candidates], (LegalStatus.ASYLUM_SEEKER, LegalStatus.UNDOCUMENTED))
    recent = model.month - pop.arrival_month[candidates] <= p.max_months_since_arrival
    candidates = candidates[(pop.language[candidates] < B1) & permit & recent]
    rows = admit(model, rng, candidates, model.scaled(p.places, "integrated_training.places", each_month=False) - in_training,
                 unit_cost=p.cost_eur_per_place_month)
    pop.labour[rows] = LabourState.INTEGRATED_TRAINING
    pop.labour_since_month[rows] = model.month
    pop.programme_end_month[rows] = model.month + np.int32(round(p.duration_months))
    model.programme_outcomes.enter(model, "integrated_training", rows)
    model.municipality.spend("integrated_training", (in_training + rows.size) * p.cost_eur_per_place_month)


register(LeverSpec("integrated_training", "programmes", (exits, admissions), priority=10))
