"""Newcomers: who arrives each month, and with what (brief §2; targets P-xx, T18).

The mix by reason of arrival follows the country's first permits by reason (Eurostat
migr_resfirst), with "other" read as protection, hence asylum applicants. Each newcomer
gets an age, a sex, an education and origin occupation, a host-language level, care
duties, bonding ties and a readiness to work; the legal status follows from the reason.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.labour_market import graduate_mismatch
from sim.states import LabourState, LegalStatus, Reason

if TYPE_CHECKING:
    from sim.model import CityModel


def arrivals(model: "CityModel", rng: np.random.Generator) -> None:
    """Add this month's newcomers: a Poisson number around the scenario's monthly mean."""
    n = int(rng.poisson(model.params.inflow.newcomers_per_month * model.scale))
    if n:
        arrive(model, np.full(n, model.month, dtype=np.int32), rng)
    model.flows.newcomers += n


def arrive(model: "CityModel", arrival_month: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Create people who arrived in the given months; return their rows in the population."""
    p, n = model.params, arrival_month.size
    pop = p.population
    reason = draws.categorical(rng, _shares(p.inflow.reason_shares, ("work", "family", "study", "asylum")), n)
    female = draws.happens(rng, np.where(reason == Reason.ASYLUM, pop.share_female_asylum, pop.share_female), n)
    age_years = np.clip(rng.normal(pop.age_at_arrival_mean_years, pop.age_at_arrival_sd_years, n), 18.0, 60.0)
    education = draws.categorical(rng, _shares(pop.education_shares, ("low", "medium", "high")), n)
    origin_sector = draws.categorical(rng, [s.origin_occupation_share for s in model.sectors], n)
    care_share = np.where(female, np.where(reason == Reason.ASYLUM, pop.care_duties_share_female_asylum,
                                           pop.care_duties_share_female), pop.care_duties_share_male)
    speaks = draws.happens(rng, pop.host_language_speakers_share, n)
    language = np.where(
        speaks,
        draws.beta_with_mean(rng, 0.75, n, concentration=10.0),
        draws.beta_with_mean(rng, pop.language_at_arrival_mean, n),
    )
    sigma = pop.learning_aptitude_sd
    aptitude = rng.lognormal(-(sigma**2) / 2, sigma, n) if sigma > 0 else np.ones(n)
    asylum = reason == Reason.ASYLUM
    readiness = np.where(
        asylum,
        draws.beta_with_mean(rng, p.readiness.arrival_mean_asylum, n),
        draws.beta_with_mean(rng, p.readiness.arrival_mean_other_reasons, n),
    )
    study = reason == Reason.STUDY
    review = np.where(
        asylum,
        draws.duration_months(rng, p.asylum.decision_mean_months, n),
        np.where(
            study,
            draws.duration_months(rng, p.permits.study_duration_mean_months, n),
            np.int32(round(p.permits.permit_duration_months)),
        ),
    )
    care = draws.happens(rng, care_share, n)
    ready = readiness >= p.readiness.ready_threshold
    labour = np.where(
        care | study,
        LabourState.INACTIVE,
        np.where(ready, LabourState.SEARCHING, LabourState.NOT_READY),
    )
    return model.pop.add(
        n,
        status=np.where(asylum, LegalStatus.ASYLUM_SEEKER, LegalStatus.TEMPORARY_PERMIT),
        status_since_month=arrival_month,
        legal_since_month=arrival_month,
        status_review_month=arrival_month + review,
        studying=study,
        labour=labour,
        labour_since_month=arrival_month,
        reason=reason,
        sex=female.astype(np.int8),
        care_duties=care,
        education=education,
        origin_sector=origin_sector,
        birth_month=arrival_month - np.round(age_years * 12).astype(np.int32),
        arrival_month=arrival_month,
        skill=1.0,
        field_mismatch=graduate_mismatch(model, education, rng),
        language=language,
        aptitude=aptitude,
        readiness=readiness,
        services_knowledge=draws.beta_with_mean(rng, pop.services_knowledge_at_arrival_mean, n),
        bonding_ties=rng.poisson(pop.bonding_ties_at_arrival_mean, n),
    )


def _shares(section, names: tuple[str, ...]) -> np.ndarray:
    shares = np.array([getattr(section, name) for name in names], dtype=float)
    return shares / shares.sum()
