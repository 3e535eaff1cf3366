"""Readiness to work and the barriers that keep people out of the labour force.

Guide §2.10: "Not all newcomers are ready to enter the labour market": trauma, health and
housing come first. Readiness recovers towards 1 at ``recovery_rate_per_month``, slower
(``precarious_recovery_factor``) while one's status is precarious (asylum seekers,
undocumented). Care duties (guide §2.5.1.2: childcare is a barrier) start and end at monthly rates by
sex, so their share tends to start / (start + end); when they begin, someone in work gives
up the job with ``care_duties_job_exit_probability``, and someone with care duties who is
not working leaves the labour force. Whoever is free of every barrier searches.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.jobs import leave_job
from sim.population import by_code
from sim.states import MAINSTREAM_JOB_STATES, N_LABOUR, LabourState, LegalStatus, Reason, Sex, lookup

CAN_LEAVE_FOR_CARE = lookup((*MAINSTREAM_JOB_STATES, LabourState.SELF_EMPLOYED, LabourState.UNDECLARED_WORK), N_LABOUR)
"""Jobs one gives up alone; SSE places end through their programme or enterprise."""

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario.schema import Population

# Codes as NumPy scalars: NumPy reads an IntEnum member as a generic Python object and
# widens a whole int8 column to compare with it, ten times slower than with these.
NOT_READY, SEARCHING, INACTIVE = (np.int8(s) for s in (LabourState.NOT_READY, LabourState.SEARCHING, LabourState.INACTIVE))
GONE = np.int8(LegalStatus.GONE)
ASYLUM = np.int8(Reason.ASYLUM)


def recovery(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.readiness
    rate = np.full(len(LegalStatus), p.recovery_rate_per_month, dtype=np.float32)
    rate[[LegalStatus.ASYLUM_SEEKER, LegalStatus.UNDOCUMENTED]] *= p.precarious_recovery_factor
    rate[LegalStatus.GONE] = 0.0  # free rows keep their empty values
    step = np.subtract(1.0, pop.readiness)  # in place: the same float32 operations as readiness += (1 - readiness) * rate
    step *= by_code(rate, pop.status)
    pop.readiness += step


def care_group(sex: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Each person's care-duty group: sex, plus 2 for those who arrived seeking asylum
    (``care_start_rate_by_group``)."""
    return sex + np.int8(2) * (reason == ASYLUM)


def care_start_rate_by_group(p: "Population") -> np.ndarray:
    """Monthly chance that care duties begin, by ``care_group``: the rate of one's sex; for
    women who arrived seeking asylum, times ``care_duties_start_rate_female_factor_asylum``.
    Refugee families have more young children (76 % of refugee women live with children,
    IAB 2024) and children under 3 lower refugee women's employment by 11 points (IAB
    Kurzbericht 8/2021); that the care falls on the mothers, not the fathers, is an assumption."""
    rate = np.zeros(2 * len(Sex), dtype=np.float32)
    rate[[Sex.FEMALE, 2 + Sex.FEMALE]] = p.care_duties_start_rate_female_per_month
    rate[[Sex.MALE, 2 + Sex.MALE]] = p.care_duties_start_rate_male_per_month
    rate[2 + Sex.FEMALE] = min(rate[2 + Sex.FEMALE] * p.care_duties_start_rate_female_factor_asylum, 1.0)
    return rate


def care_duties(model: "CityModel", rng: np.random.Generator) -> None:
    """Care duties begin (a birth, a relative to look after) and end (childcare, school)."""
    pop, p = model.pop, model.params.population
    ending = draws.chosen(rng, p.care_duties_end_rate_per_month, pop.slots)
    ending = ending[pop.care_duties[ending]]
    starting = draws.chosen_by_code(rng, care_start_rate_by_group(p), pop.slots,
                                    lambda rows: care_group(pop.sex[rows], pop.reason[rows]))
    starting = starting[~pop.care_duties[starting] & (pop.status[starting] != GONE)]
    pop.care_duties[ending] = False
    pop.care_duties[starting] = True
    working = starting[CAN_LEAVE_FOR_CARE[pop.labour[starting]]]
    leave_job(model, working[draws.happens(rng, p.care_duties_job_exit_probability, working.size)])


def labour_force(model: "CityModel", rng: np.random.Generator) -> None:
    """Non-workers with care duties leave the labour force; people with no barrier left search.

    In turn: searchers and people not ready who have care duties become inactive; inactive
    and not-ready people free of care duties and study, and ready, search; inactive people
    free of them but not ready become not ready. The three groups do not overlap, so all
    three moves are made at once, on the rows that move.
    """
    pop = model.pop
    labour, care = pop.labour, pop.care_duties
    not_ready = labour == NOT_READY
    leaving = labour == SEARCHING
    leaving |= not_ready
    leaving &= care
    free_of_barriers = ~care
    free_of_barriers &= ~pop.studying
    ready = pop.readiness >= model.params.readiness.ready_threshold
    # Free of barriers: inactive people move (to searching if ready, else to not ready),
    # and people not ready move if ready.
    moving = not_ready & ready
    moving |= labour == INACTIVE
    moving &= free_of_barriers
    moving |= leaving
    rows = np.flatnonzero(moving)
    labour[rows] = np.where(care[rows], INACTIVE, np.where(ready[rows], SEARCHING, NOT_READY))
    pop.labour_since_month[rows] = model.month
