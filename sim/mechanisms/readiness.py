"""Readiness to work and the barriers that keep people out of the labour force.

Guide §2.10: "Not all newcomers are ready to enter the labour market": trauma, health and
housing come first. Readiness recovers towards 1 at ``recovery_rate_per_month``, slower
(``precarious_recovery_factor``) while one's status is precarious (asylum seekers,
undocumented). Care duties (guide §2.5.1.2: childcare is a barrier) end at
``population.care_duties_end_rate_per_month``. Whoever is free of every barrier searches.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.states import LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


def recovery(model: "CityModel") -> None:
    pop, p = model.pop, model.params.readiness
    precarious = (pop.status == LegalStatus.ASYLUM_SEEKER) | (pop.status == LegalStatus.UNDOCUMENTED)
    rate = np.where(precarious, p.recovery_rate_per_month * p.precarious_recovery_factor, p.recovery_rate_per_month)
    pop.readiness += (1.0 - pop.readiness) * rate.astype(np.float32)


def care_duties_end(model: "CityModel") -> None:
    pop = model.pop
    rows = np.flatnonzero(pop.care_duties)
    ends = draws.happens(model.rng, model.params.population.care_duties_end_rate_per_month, rows.size)
    pop.care_duties[rows[ends]] = False


def labour_force_entry(model: "CityModel") -> None:
    """Inactive or not-ready people with no barrier left start searching."""
    pop = model.pop
    waiting = (pop.labour == LabourState.INACTIVE) | (pop.labour == LabourState.NOT_READY)
    free = waiting & ~pop.care_duties & ~pop.studying & (pop.readiness >= model.params.readiness.ready_threshold)
    pop.labour[free] = LabourState.SEARCHING
    pop.labour_since_month[free] = model.month
    blocked = (pop.labour == LabourState.INACTIVE) & ~pop.care_duties & ~pop.studying
    pop.labour[blocked] = LabourState.NOT_READY
