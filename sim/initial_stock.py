"""The migrants already in the city when the long warm-up starts.

They are drawn as newcomers of past months (years in the city are exponential around the
scenario's mean, as in a stock fed by steady inflows with constant departures), then
their legal status, language, readiness, care duties, diploma recognition and own
businesses are set to where the model's own rules would have taken them by now, in closed
form. Other labour states start from the barriers alone (inactive, not ready or
searching); the long warm-up's ``population.warmup_months`` then let jobs, ties and
status changes settle. Runs start from the steady-state snapshot of that warm-up instead
(:mod:`sim.steady_state`), so this stock is built once per warm-up, for the snapshot, for
runs that ask for the long warm-up, and for each simulation of a calibration (which warms
up for ``FIT_WARMUP_MONTHS``).
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms import self_employment
from sim.mechanisms.inflow import arrive
from sim.mechanisms.readiness import care_group, care_start_rate_by_group
from sim.population import NO_MONTH
from sim.states import Education, LabourState, LegalStatus, Reason, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel


def populate(model: "CityModel", n: int) -> None:
    """Create ``n`` people already living in the city at model month ``model.month``."""
    if n == 0:
        return
    p, rng, pop, now = model.params, model.rng, model.pop, model.month
    mean_months = max(p.population.initial_years_in_country_mean * 12, 1.0)
    months_ago = np.round(rng.exponential(mean_months, n)).astype(np.int32)
    rows = arrive(model, now - months_ago, rng)
    # Nobody in the stock can be older than the exit age now.
    age_at_arrival = pop.arrival_month[rows] - pop.birth_month[rows]
    limit = np.int32(p.outflow.exit_age_years * 12) - age_at_arrival - 1
    elapsed = np.minimum(months_ago, np.maximum(limit, 0))
    pop.arrival_month[rows] = now - elapsed
    pop.status_review_month[rows] += months_ago - elapsed  # timed from the (capped) arrival
    pop.birth_month[rows] = pop.arrival_month[rows] - age_at_arrival
    pop.status_since_month[rows] = pop.arrival_month[rows]
    pop.legal_since_month[rows] = pop.arrival_month[rows]
    pop.labour_since_month[rows] = now
    _settle_language(model, rows, elapsed)
    _settle_status(model, rows, elapsed)
    _settle_human_capital(model, rows, elapsed)
    _settle_labour(model, rows)
    self_employment.settled_businesses(model, rows, elapsed)


def _settle_status(model: "CityModel", rows: np.ndarray, elapsed: np.ndarray) -> None:
    p, rng, pop, now = model.params, model.rng, model.pop, model.month
    n = rows.size
    permit = np.int32(round(p.permits.permit_duration_months))
    decided = (pop.reason[rows] == Reason.ASYLUM) & (pop.status_review_month[rows] <= now)
    # Among rejected applicants, those who left are not in the stock: condition on staying.
    recognised, rejected_stay = p.asylum.recognition_rate, (1 - p.asylum.recognition_rate) * (
        1 - p.asylum.rejected_departure_share
    )
    p_recognised = recognised / max(recognised + rejected_stay, 1e-12)
    refugee = decided & draws.happens(rng, p_recognised, n)
    undocumented = decided & ~refugee
    _set(pop.status, rows, refugee, LegalStatus.REFUGEE)
    _set(pop.status, rows, undocumented, LegalStatus.UNDOCUMENTED)
    _set(pop.legal_since_month, rows, undocumented, NO_MONTH)
    pop.status_since_month[rows[decided]] = pop.status_review_month[rows[decided]]

    finished_study = pop.studying[rows] & (pop.status_review_month[rows] <= now)
    _set(pop.studying, rows, finished_study, False)
    temporary = pop.status[rows] == LegalStatus.TEMPORARY_PERMIT
    pop.status_review_month[rows[temporary & ~pop.studying[rows]]] = now + rng.integers(
        1, permit + 1, np.count_nonzero(temporary & ~pop.studying[rows]), dtype=np.int32
    )

    legal_months = np.where(pop.status[rows] == LegalStatus.UNDOCUMENTED, 0, elapsed).astype(float)
    eligible_ltr = (pop.status[rows] == LegalStatus.TEMPORARY_PERMIT) & ~pop.studying[rows]
    eligible_ltr |= pop.status[rows] == LegalStatus.REFUGEE
    past_ltr = np.maximum(legal_months - p.permits.long_term_residence_after_months, 0)
    ltr = eligible_ltr & draws.happens(
        rng, 1 - (1 - p.permits.long_term_residence_uptake_rate_per_month) ** past_ltr, n
    )
    _set(pop.status, rows, ltr, LegalStatus.LONG_TERM_RESIDENT)
    past_nat = np.maximum(legal_months - p.permits.naturalisation_after_months, 0)
    can_naturalise = np.isin(pop.status[rows], (LegalStatus.LONG_TERM_RESIDENT, LegalStatus.REFUGEE))
    naturalised = can_naturalise & draws.happens(rng, 1 - (1 - p.permits.naturalisation_rate_per_month) ** past_nat, n)
    _set(pop.status, rows, naturalised, LegalStatus.NATURALISED)
    changed = ltr | naturalised
    pop.status_since_month[rows[changed]] = now


def _settle_language(model: "CityModel", rows: np.ndarray, elapsed: np.ndarray) -> None:
    """Daily-life learning, plus a completed course for some (a course of d months has
    d - 1 monthly drop-out chances: exits are checked before the month's learning)."""
    lang, rng, pop = model.params.language, model.rng, model.pop
    months = elapsed.astype(np.float32)
    completed = (1 - lang.course_dropout_rate_per_month) ** max(lang.course_duration_months - 1, 0)
    took_course = (months > lang.course_duration_months) & draws.happens(rng, completed, rows.size)
    gain = months * lang.ambient_learning_per_month + took_course * lang.course_gain_per_month * lang.course_duration_months
    pop.language[rows] = np.minimum(1.0, pop.language[rows] + gain * pop.aptitude[rows])


def _settle_human_capital(model: "CityModel", rows: np.ndarray, elapsed: np.ndarray) -> None:
    """Readiness, care duties, services knowledge and recognition after ``elapsed`` months."""
    p, rng, pop = model.params, model.rng, model.pop
    n = rows.size
    months = elapsed.astype(np.float32)
    recovery = 1 - (1 - p.readiness.recovery_rate_per_month) ** months
    pop.readiness[rows] += (1 - pop.readiness[rows]) * recovery
    # Care duties as a two-state Markov chain started from the arrival state: after m
    # months P(care) = s + (c0 - s) * (1 - start - end)^m, s = start / (start + end).
    c = p.population
    start = care_start_rate_by_group(c)[care_group(pop.sex[rows], pop.reason[rows])].astype(np.float64)
    total = start + c.care_duties_end_rate_per_month
    stationary = np.divide(start, total, out=np.zeros_like(start), where=total > 0)
    p_care = stationary + (pop.care_duties[rows] - stationary) * (1 - total) ** months
    pop.care_duties[rows] = draws.happens(rng, p_care, n)
    learned = 1 - (1 - p.recognition.services_knowledge_gain_per_month) ** months
    pop.services_knowledge[rows] += (1 - pop.services_knowledge[rows]) * learned
    # Recognition: legal residents with a qualification may have applied and been decided.
    rec = p.recognition
    qualified = (pop.education[rows] >= Education.MEDIUM) & (pop.status[rows] != LegalStatus.UNDOCUMENTED)
    qualified &= pop.status[rows] != LegalStatus.ASYLUM_SEEKER
    decided = qualified & draws.happens(rng, 1 - (1 - rec.application_rate_per_month * pop.services_knowledge[rows]) ** months, n)
    success = draws.happens(rng, rec.success_probability, n)
    _set(pop.recognition, rows, decided & success, RecognitionState.RECOGNISED)
    _set(pop.recognition, rows, decided & ~success, RecognitionState.REFUSED)


def _settle_labour(model: "CityModel", rows: np.ndarray) -> None:
    pop, threshold = model.pop, model.params.readiness.ready_threshold
    inactive = pop.care_duties[rows] | pop.studying[rows]
    ready = pop.readiness[rows] >= threshold
    pop.labour[rows] = np.where(
        inactive, LabourState.INACTIVE, np.where(ready, LabourState.SEARCHING, LabourState.NOT_READY)
    )


def _set(column: np.ndarray, rows: np.ndarray, mask: np.ndarray, value) -> None:
    column[rows[mask]] = value
