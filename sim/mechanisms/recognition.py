"""Diploma recognition and services knowledge (guide §1.1: recognition procedures are
"tedious, long, costly and uncertain, even for the most qualified people"; target T21).

People with a medium or high qualification and a legal residence apply at
``application_rate_per_month`` scaled by their knowledge of services (which grows with
time in the city, and which a one-stop shop raises); the decision comes after a
gamma-distributed wait (mean ``decision_mean_months``; BIBB: 111 days) and is positive
with ``success_probability``.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.states import Education, LegalStatus, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel

# Codes as NumPy scalars: NumPy reads an IntEnum member as a generic Python object and
# widens a whole int8 column to compare with it, ten times slower than with these.
MEDIUM = np.int8(Education.MEDIUM)
NOT_APPLIED, PENDING = np.int8(RecognitionState.NOT_APPLIED), np.int8(RecognitionState.PENDING)
UNDOCUMENTED, ASYLUM_SEEKER, GONE = (np.int8(s) for s in (LegalStatus.UNDOCUMENTED, LegalStatus.ASYLUM_SEEKER, LegalStatus.GONE))


def services_knowledge(model: "CityModel", rng: np.random.Generator) -> None:
    pop = model.pop
    knowledge = pop.services_knowledge
    # In place, the same float32 operations as knowledge += (1 - knowledge) * gain.
    step = np.subtract(1.0, knowledge)
    step *= np.float32(model.params.recognition.services_knowledge_gain_per_month)
    knowledge += step
    knowledge *= pop.alive()  # free rows (status GONE) keep their empty values: x * 1 is x, x * 0 is 0


def applications(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.recognition
    # Candidates drawn at the highest rate among everyone, then the eligibility rule, then
    # thinning by each one's knowledge of services: the same law as a per-person draw.
    rows = draws.chosen(rng, p.application_rate_per_month, pop.slots)
    status = pop.status[rows]
    eligible = (pop.education[rows] >= MEDIUM) & (pop.recognition[rows] == NOT_APPLIED)
    eligible &= (status != UNDOCUMENTED) & (status != ASYLUM_SEEKER) & (status != GONE)
    rows = np.compress(eligible, rows)  # rows[eligible], four to five times faster on long arrays
    rows = np.compress(draws.happens(rng, pop.services_knowledge[rows], rows.size), rows)
    pop.recognition[rows] = RecognitionState.PENDING
    pop.recognition_due_month[rows] = model.month + draws.duration_months(rng, p.decision_mean_months, rows.size)


def decisions(model: "CityModel", rng: np.random.Generator) -> None:
    pop = model.pop
    due = pop.recognition == PENDING
    due &= pop.recognition_due_month <= model.month
    rows = np.flatnonzero(due)
    success = draws.happens(rng, model.params.recognition.success_probability, rows.size)
    pop.recognition[rows] = np.where(success, RecognitionState.RECOGNISED, RecognitionState.REFUSED)
