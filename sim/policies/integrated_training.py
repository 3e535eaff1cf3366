"""Integrated language and vocational training (guide §2.9) against the linear pathway.

Instead of language first, then a trade, then a job, participants learn the language of
a trade while practising it (Kokkola's INTEGRA, Grenzeloos, Sartoria Sociale). The lever
offers ``places`` at a time for ``duration_months``; searchers below B1 with a legal
presence are admitted (one-stop-shop referrals first). Attrition is lower than in the
linear course (Kokkola's reason for the programme), the language gain per month is
``language_gain_per_month`` and bridging ties grow as at work; a share of graduates is
hired by the programme's partner employers in its sector.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.language import B1
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.sse import hire_into_sector
from sim.states import LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


def exits(model: "CityModel") -> None:
    pop, p = model.pop, model.params.policies.integrated_training
    rows = np.flatnonzero(pop.labour == LabourState.INTEGRATED_TRAINING)
    graduating = pop.programme_end_month[rows] <= model.month
    dropping = np.zeros(rows.size, dtype=bool)
    dropping[draws.chosen(model.rng, p.dropout_rate_per_month, rows.size)] = True
    dropping &= ~graduating
    leaving = rows[graduating | dropping]
    pop.labour[leaving] = LabourState.SEARCHING
    pop.labour_since_month[leaving] = model.month
    pop.programme_end_month[leaving] = np.iinfo(np.int32).min
    graduates = rows[graduating]
    placed = graduates[draws.happens(model.rng, p.placement_probability, graduates.size)]
    hire_into_sector(model, placed[work_authorised(model, placed)], model.sector_index(p.sector))


def admissions(model: "CityModel") -> None:
    pop, p = model.pop, model.params.policies.integrated_training
    in_training = np.count_nonzero(pop.labour == LabourState.INTEGRATED_TRAINING)
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    candidates = candidates[(pop.language[candidates] < B1) & (pop.status[candidates] != LegalStatus.UNDOCUMENTED)]
    rows = admit(model, candidates, model.scaled(p.places) - in_training, unit_cost=p.cost_eur_per_place_month)
    pop.labour[rows] = LabourState.INTEGRATED_TRAINING
    pop.labour_since_month[rows] = model.month
    pop.programme_end_month[rows] = model.month + np.int32(round(p.duration_months))
    model.programme_outcomes.enter(model, "integrated_training", rows)
    model.municipality.spend("integrated_training", (in_training + rows.size) * p.cost_eur_per_place_month)


register(LeverSpec("integrated_training", "programmes", (exits, admissions), priority=10))
