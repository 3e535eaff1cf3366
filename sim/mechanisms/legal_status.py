"""Legal status and its transitions; work authorisation follows from status (guide §1.1, §2.10).

- Asylum: a decision after a gamma-distributed procedure (mean ``asylum.decision_mean_months``,
  DE 2023: 6.8 months, target T19), positive with ``asylum.recognition_rate`` (EU 2023: 53 %
  of first-instance decisions, T17). Rejected applicants leave with
  ``rejected_departure_share``; the others stay undocumented.
- Temporary permits expire every ``permit_duration_months``; renewal is near-certain for
  family permits and depends on holding a declared job for the others. Students finish
  and some stay to seek work. A permit not renewed means leaving or overstaying.
- Long-term residence after five years of legal residence (Directive 2003/109/EC), then
  naturalisation after the national residence requirement, with a language condition.
- A background regularisation rate (family and humanitarian grounds; FR 2023: 22,167 of
  34,724 exceptional admissions were on family grounds, T23). Regularisation *through
  work* is a policy lever, not part of the baseline.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.jobs import leave_enterprise
from sim.mechanisms.outflow import depart
from sim.population import NO_MONTH
from sim.states import IS_FORMAL_WORK, LabourState, LegalStatus, Reason

if TYPE_CHECKING:
    from sim.model import CityModel


def change_status(model: "CityModel", rows: np.ndarray, status: LegalStatus) -> None:
    """Move people to a new legal status, with what it entails for their residence and job."""
    pop = model.pop
    was_undocumented = pop.status[rows] == LegalStatus.UNDOCUMENTED
    pop.status[rows] = status
    pop.status_since_month[rows] = model.month
    if status == LegalStatus.UNDOCUMENTED:
        pop.legal_since_month[rows] = NO_MONTH
        pop.studying[rows] = False
        _lose_legal_activities(model, rows)
    else:
        # Solidarity activity kept through regularisation becomes paid, declared work at the
        # collective's next pay day (``sim.sse``).
        pop.legal_since_month[rows[was_undocumented]] = model.month


def _lose_legal_activities(model: "CityModel", rows: np.ndarray) -> None:
    """Without papers: no declared job (an SSE collective open to undocumented people may
    keep them, unpaid, in solidarity activity: guide §2.10, §5), no course or training."""
    pop = model.pop
    working = rows[IS_FORMAL_WORK[pop.labour[rows]]]
    # Indexed by the sse_enterprise column; its -1 ("none") reads the trailing False.
    open_to_undocumented = np.array([e.accepts_undocumented for e in model.sse_enterprises] + [False], dtype=bool)
    keeps = (pop.labour[working] == LabourState.SSE_COOP_MEMBER) & open_to_undocumented[pop.sse_enterprise[working]]
    leave_enterprise(model, working[~keeps])
    unpaid = working[keeps]
    pop.labour[unpaid] = LabourState.SOLIDARITY_ACTIVITY
    pop.wage_eur_per_month[unpaid] = 0.0
    learning = rows[(pop.labour[rows] == LabourState.LANGUAGE_COURSE) | (pop.labour[rows] == LabourState.INTEGRATED_TRAINING)]
    pop.labour[learning] = LabourState.SEARCHING
    pop.labour_since_month[learning] = model.month
    pop.course_end_month[learning] = NO_MONTH
    pop.programme_end_month[learning] = NO_MONTH
    # Mentoring ends (last month was its last); it stays on record as given once.
    pop.mentored_until_month[rows] = np.minimum(pop.mentored_until_month[rows], model.month - 1)


def asylum_decisions(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.asylum
    due = np.flatnonzero((pop.status == LegalStatus.ASYLUM_SEEKER) & (pop.status_review_month <= model.month))
    if due.size == 0:
        return
    recognised = draws.happens(rng, p.recognition_rate, due.size)
    change_status(model, due[recognised], LegalStatus.REFUGEE)
    rejected = due[~recognised]
    departs = draws.happens(rng, p.rejected_departure_share, rejected.size)
    depart(model, rejected[departs])
    change_status(model, rejected[~departs], LegalStatus.UNDOCUMENTED)


def permit_reviews(model: "CityModel", rng: np.random.Generator) -> None:
    """Ends of study and expiries of temporary permits."""
    pop, p, month = model.pop, model.params.permits, model.month
    permit_months = np.int32(round(p.permit_duration_months))
    due = np.flatnonzero((pop.status == LegalStatus.TEMPORARY_PERMIT) & (pop.status_review_month <= month))
    if due.size == 0:
        return
    studying = pop.studying[due]
    graduates = due[studying]
    stays = draws.happens(rng, p.students_staying_share, graduates.size)
    depart(model, graduates[~stays])
    staying = graduates[stays]
    pop.studying[staying] = False
    pop.status_review_month[staying] = month + permit_months

    holders = due[~studying]
    has_job = IS_FORMAL_WORK[pop.labour[holders]]
    probability = np.where(
        pop.reason[holders] == Reason.FAMILY,
        p.renewal_probability_family,
        np.where(has_job, p.renewal_probability_with_job, p.renewal_probability_without_job),
    )
    renewed = draws.happens(rng, probability, holders.size)
    pop.status_review_month[holders[renewed]] = month + permit_months
    lapsed = holders[~renewed]
    overstays = draws.happens(rng, p.overstay_share, lapsed.size)
    depart(model, lapsed[~overstays])
    change_status(model, lapsed[overstays], LegalStatus.UNDOCUMENTED)


def long_term_residence(model: "CityModel", rng: np.random.Generator) -> None:
    """Eligible people take up long-term residence at a monthly rate.

    As in every rare monthly event here, the takers are drawn among all rows first and
    the eligibility rule then applied to them alone: the same law, far less work.
    """
    pop, p, month = model.pop, model.params.permits, model.month
    rows = draws.chosen(rng, p.long_term_residence_uptake_rate_per_month, pop.slots)
    status = pop.status[rows]
    eligible = ((status == LegalStatus.TEMPORARY_PERMIT) & ~pop.studying[rows]) | (status == LegalStatus.REFUGEE)
    eligible &= pop.legal_since_month[rows] <= month - p.long_term_residence_after_months
    change_status(model, rows[eligible], LegalStatus.LONG_TERM_RESIDENT)


def naturalisation(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p, month = model.pop, model.params.permits, model.month
    rows = draws.chosen(rng, p.naturalisation_rate_per_month, pop.slots)
    status = pop.status[rows]
    eligible = (status == LegalStatus.LONG_TERM_RESIDENT) | (status == LegalStatus.REFUGEE)
    eligible &= pop.legal_since_month[rows] <= month - p.naturalisation_after_months
    eligible &= pop.language[rows] >= p.naturalisation_min_language
    change_status(model, rows[eligible], LegalStatus.NATURALISED)


def background_regularisation(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.permits
    rows = draws.chosen(rng, p.background_regularisation_rate_per_month, pop.slots)
    regularised = rows[pop.status[rows] == LegalStatus.UNDOCUMENTED]
    change_status(model, regularised, LegalStatus.TEMPORARY_PERMIT)
    pop.status_review_month[regularised] = model.month + np.int32(round(p.permit_duration_months))
