"""Mentoring (guide §2.8.1, Duo for a Job): a mentor from the same trade for some months.

``places`` mentees at a time, for ``duration_months``, among whom Duo for a Job admits:
legally resident job seekers aged ``min_age_years`` to ``max_age_years`` (18-33), who
speak the host language at ``min_language_level`` at least and were never mentored. A
mentee's job applications carry the mentor's referral with ``referral_probability`` (``mechanisms.networks.referral``) and
go to the mentor's trade, the mentee's origin sector (``mechanisms.labour_market``); the
mentor also pushes a diploma-recognition application. Duo for a Job reports that 3 of 4
mentees reach a job, an internship or training.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.population import NO_MONTH
from sim.states import Education, LabourState, LegalStatus, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel


def mentored(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    return model.pop.mentored_until_month[rows] >= model.month


def matches(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.mentoring
    active = np.count_nonzero(pop.mentored_until_month >= model.month)
    candidates = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    age_years = (model.month - pop.birth_month[candidates]) / 12
    resident = ~np.isin(pop.status[candidates], (LegalStatus.ASYLUM_SEEKER, LegalStatus.UNDOCUMENTED))
    # Mentoring is offered once (Duo for a Job's six months), not renewed.
    candidates = candidates[resident & (age_years >= p.min_age_years) & (age_years <= p.max_age_years)
                            & (pop.language[candidates] >= p.min_language_level)
                            & (pop.mentored_until_month[candidates] == NO_MONTH)]
    mentees = admit(model, rng, candidates, model.scaled(p.places, "mentoring.places", each_month=False) - active, unit_cost=p.cost_eur_per_mentee)
    pop.mentored_until_month[mentees] = model.month + np.int32(round(p.duration_months)) - 1
    model.municipality.spend("mentoring", mentees.size * p.cost_eur_per_mentee)
    model.programme_outcomes.enter(model, "mentoring", mentees)
    qualified = mentees[(pop.education[mentees] >= Education.MEDIUM) & (pop.recognition[mentees] == RecognitionState.NOT_APPLIED)]
    qualified = qualified[pop.status[qualified] != LegalStatus.ASYLUM_SEEKER]
    applying = qualified[draws.happens(rng, p.recognition_application_boost, qualified.size)]
    pop.recognition[applying] = RecognitionState.PENDING
    pop.recognition_due_month[applying] = model.month + draws.duration_months(
        rng, model.params.recognition.decision_mean_months, applying.size
    )


register(LeverSpec("mentoring", "programmes", (matches,), priority=30))
