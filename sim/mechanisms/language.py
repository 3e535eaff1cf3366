"""Host-language learning (guide §1.1 'insufficient language skills', §2.9; target T20).

The level runs 0-1, 0.5 being CEFR B1. The baseline is the *linear* pathway: searchers
below B1 with a legal status enrol in a language course and stop searching while in it
(``course_duration_months``; the German integration course is 600 + 100 hours and
48.7 % reach B1). Some drop out each month (attrition in linear courses is high, guide
§2.9 on Kokkola). Everyone also learns at work and, more slowly, from daily life; each
person's gains scale with their learning aptitude.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.population import by_code
from sim.states import N_LABOUR, IS_FORMAL_WORK, LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

B1 = 0.5
"""The language level most employers and vocational courses ask for."""
A2 = 0.33
"""CEFR A2 on the same 0-1 scale (the default basic level of the one-off regime)."""
# Codes as NumPy scalars: NumPy reads an IntEnum member as a generic Python object and
# widens a whole int8 column to compare with it, ten times slower than with these.
SEARCHING, LANGUAGE_COURSE = np.int8(LabourState.SEARCHING), np.int8(LabourState.LANGUAGE_COURSE)
UNDOCUMENTED = np.int8(LegalStatus.UNDOCUMENTED)


def course_enrolment(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.language
    rows = np.flatnonzero(pop.labour == SEARCHING)
    rows = np.compress((pop.language[rows] < B1) & (pop.status[rows] != UNDOCUMENTED), rows)  # rows[mask], faster
    rows = rows[draws.chosen(rng, p.course_enrolment_rate_per_month, rows.size)]
    pop.labour[rows] = LabourState.LANGUAGE_COURSE
    pop.labour_since_month[rows] = model.month
    pop.course_end_month[rows] = model.month + np.int32(round(p.course_duration_months))


def course_exits(model: "CityModel", rng: np.random.Generator) -> None:
    """Drop-outs and completions go back to searching."""
    pop, p = model.pop, model.params.language
    rows = np.flatnonzero(pop.labour == LANGUAGE_COURSE)
    leaving = pop.course_end_month[rows] <= model.month
    leaving[draws.chosen(rng, p.course_dropout_rate_per_month, rows.size)] = True
    rows = np.compress(leaving, rows)
    pop.labour[rows] = LabourState.SEARCHING
    pop.labour_since_month[rows] = model.month
    pop.course_end_month[rows] = np.iinfo(np.int32).min


def learning(model: "CityModel", rng: np.random.Generator) -> None:
    """language <- min(1, language + gain(labour state) * aptitude)."""
    pop, p = model.pop, model.params.language
    gain = np.full(N_LABOUR, p.ambient_learning_per_month, dtype=np.float32)
    gain[IS_FORMAL_WORK] = p.learning_at_work_per_month
    gain[LabourState.UNDECLARED_WORK] = p.learning_in_undeclared_work_per_month
    gain[LabourState.LANGUAGE_COURSE] = p.course_gain_per_month
    gain[LabourState.INTEGRATED_TRAINING] = model.params.policies.integrated_training.language_gain_per_month
    gain[LabourState.GONE] = 0.0
    step = by_code(gain, pop.labour)  # in place: the same float32 operations as language += gain * aptitude
    step *= pop.aptitude
    pop.language += step
    np.minimum(pop.language, 1.0, out=pop.language)
