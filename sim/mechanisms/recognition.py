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


def services_knowledge(model: "CityModel", rng: np.random.Generator) -> None:
    pop = model.pop
    pop.services_knowledge += (1.0 - pop.services_knowledge) * np.float32(
        model.params.recognition.services_knowledge_gain_per_month
    )
    pop.services_knowledge[pop.free_rows()] = 0.0  # free rows keep their empty values


def applications(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.recognition
    # Candidates drawn at the highest rate among everyone, then the eligibility rule, then
    # thinning by each one's knowledge of services: the same law as a per-person draw.
    rows = draws.chosen(rng, p.application_rate_per_month, pop.slots)
    status = pop.status[rows]
    eligible = (pop.education[rows] >= Education.MEDIUM) & (pop.recognition[rows] == RecognitionState.NOT_APPLIED)
    eligible &= (status != LegalStatus.UNDOCUMENTED) & (status != LegalStatus.ASYLUM_SEEKER) & (status != LegalStatus.GONE)
    rows = rows[eligible]
    rows = rows[draws.happens(rng, pop.services_knowledge[rows], rows.size)]
    pop.recognition[rows] = RecognitionState.PENDING
    pop.recognition_due_month[rows] = model.month + draws.duration_months(rng, p.decision_mean_months, rows.size)


def decisions(model: "CityModel", rng: np.random.Generator) -> None:
    pop = model.pop
    rows = np.flatnonzero((pop.recognition == RecognitionState.PENDING) & (pop.recognition_due_month <= model.month))
    success = draws.happens(rng, model.params.recognition.success_probability, rows.size)
    pop.recognition[rows] = np.where(success, RecognitionState.RECOGNISED, RecognitionState.REFUSED)
