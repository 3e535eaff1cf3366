"""The mainstream labour market: openings, the hiring rule, job loss and deskilling (guide §1.1).

Hiring. Each month every employer opens positions (Poisson around its sector's rate per
1,000 working-age migrants). Applicants with work authorisation apply to one opening:
people whose foreign qualification is recognised and still usable apply to a *skilled*
opening in their origin sector, and, failing that, everyone applies to an *elementary*
opening in a sector drawn by ``elementary_application_weight`` — heavier for shortage
sectors, which is the ethno-stratification of the guide's §1.1. The employer accepts
with probability

    logistic(hiring_logit[level] + language_weight * (language - requirement[level])
             + referral_weight * referral - employer.discrimination_logit)

where a referral comes through bridging ties (and, for elementary jobs, bonding ties).
An opening is filled once: when several accepted applicants hit the same opening, one is
taken, so openings bind when applicants are many. Highly educated people in elementary
jobs are over-qualified, and their unused qualification decays.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.networks import referral
from sim.states import IS_FORMAL_WORK, IS_MAINSTREAM_JOB, Education, JobLevel, LabourState, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel


def leave_job(model: "CityModel", rows: np.ndarray) -> None:
    """People lose or leave their job and search again."""
    pop = model.pop
    pop.labour[rows] = LabourState.SEARCHING
    pop.labour_since_month[rows] = model.month
    pop.employer[rows] = -1
    pop.job_level[rows] = -1
    pop.wage_eur_per_month[rows] = 0.0
    pop.exploited[rows] = False


def take_job(
    model: "CityModel", rows: np.ndarray, employers: np.ndarray, level: JobLevel | np.ndarray, state: np.ndarray
) -> None:
    """People start a job at the given employers (indices into ``model.employers``)."""
    pop = model.pop
    first_formal = IS_FORMAL_WORK[state] & (pop.first_formal_job_month[rows] == np.iinfo(np.int32).min)
    model.first_formal_job.hired(pop, rows[first_formal], model.month)
    pop.first_formal_job_month[rows[first_formal]] = model.month
    pop.labour[rows] = state
    pop.labour_since_month[rows] = model.month
    pop.employer[rows] = employers
    pop.job_level[rows] = level


def skilled_eligible(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Whose qualification opens skilled positions: recognised, and not decayed below the threshold."""
    pop = model.pop
    return (
        (pop.education[rows] >= Education.MEDIUM)
        & (pop.recognition[rows] == RecognitionState.RECOGNISED)
        & (pop.skill[rows] >= model.params.recognition.skill_threshold)
    )


def job_loss(model: "CityModel") -> None:
    """Declared jobs end at ``labour_market.job_loss_rate_per_month`` (temporary contracts: 23 %
    of non-EU employees, target T10); undeclared ones at ``undeclared.job_loss_rate_per_month``."""
    pop, rng = model.pop, model.rng
    rows = np.flatnonzero(IS_MAINSTREAM_JOB[pop.labour])
    leave_job(model, rows[draws.happens(rng, model.params.labour_market.job_loss_rate_per_month, rows.size)])
    rows = np.flatnonzero(pop.labour == LabourState.UNDECLARED_WORK)
    leave_job(model, rows[draws.happens(rng, model.params.undeclared.job_loss_rate_per_month, rows.size)])


def formal_hiring(model: "CityModel", authorised: np.ndarray) -> None:
    """Match authorised applicants to this month's openings (module docstring)."""
    pop = model.pop
    labour = pop.labour
    searching = (labour == LabourState.SEARCHING) | (labour == LabourState.UNDECLARED_WORK)
    searching &= authorised
    below_skills = labour == LabourState.JOB_BELOW_SKILLS
    candidates = np.flatnonzero(searching | below_skills)
    skilled = candidates[skilled_eligible(model, candidates)]
    hired = _fill_openings(model, skilled, JobLevel.SKILLED, sector_of=pop.origin_sector[skilled])
    elementary = np.setdiff1d(np.flatnonzero(searching), hired, assume_unique=True)
    weights = np.array([s.elementary_application_weight for s in model.sectors], dtype=float)
    sector_of = model.rng.choice(len(weights), size=elementary.size, p=weights / weights.sum())
    _fill_openings(model, elementary, JobLevel.ELEMENTARY, sector_of=sector_of)


def _fill_openings(model: "CityModel", applicants: np.ndarray, level: JobLevel, sector_of: np.ndarray) -> np.ndarray:
    """Each applicant tries one opening of the level in their sector; return who was hired."""
    lm, rng, pop = model.params.labour_market, model.rng, model.pop
    employers = model.employers
    openings = np.array([e.openings[level] for e in employers], dtype=np.int64)
    employer_sector = np.array([e.sector for e in employers], dtype=np.int64)
    discrimination = np.array([e.discrimination_logit for e in employers])
    wage = np.array([_wage(model.sectors[e.sector], level) for e in employers], dtype=np.float32)
    skilled = level == JobLevel.SKILLED
    base = lm.hiring_logit_skilled if skilled else lm.hiring_logit_elementary
    requirement = lm.language_requirement_skilled if skilled else lm.language_requirement_elementary
    hired_rows, hired_employers = [], []
    for sector in range(len(model.sectors)):
        in_sector = employer_sector == sector
        slots = np.repeat(np.flatnonzero(in_sector), openings[in_sector])
        who = applicants[sector_of == sector]
        if slots.size == 0 or who.size == 0:
            continue
        slot = rng.integers(0, slots.size, who.size)
        employer = slots[slot]
        logit = (
            base
            + lm.language_weight_logit * (pop.language[who] - requirement)
            + lm.referral_weight_logit * referral(model, who, with_bonding=not skilled)
            - discrimination[employer]
        )
        accepted = draws.happens(rng, 1.0 / (1.0 + np.exp(-logit)), who.size)
        # One hire per opening: among accepted applicants to the same opening, a random one.
        order = rng.permutation(np.flatnonzero(accepted))
        _, first = np.unique(slot[order], return_index=True)
        winners = order[first]
        hired_rows.append(who[winners])
        hired_employers.append(employer[winners])
    if not hired_rows:
        return np.empty(0, dtype=np.int64)
    rows, chosen = np.concatenate(hired_rows), np.concatenate(hired_employers)
    filled = np.bincount(chosen, minlength=len(employers))
    for index in np.flatnonzero(filled):
        employers[index].openings[level] -= filled[index]
    if skilled:
        state = np.full(rows.size, LabourState.JOB_MATCHING_SKILLS, dtype=np.int8)
    else:
        state = np.where(
            pop.education[rows] == Education.LOW, LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS
        ).astype(np.int8)
    take_job(model, rows, chosen, level, state)
    pop.exploited[rows] = False
    pop.wage_eur_per_month[rows] = wage[chosen]
    return rows


def _wage(sector, level: JobLevel) -> float:
    return sector.skilled_wage_eur_per_month if level == JobLevel.SKILLED else sector.elementary_wage_eur_per_month


def undeclared_hiring(model: "CityModel", authorised: np.ndarray) -> None:
    """Undeclared work (guide §1.1, §2.10.1): the default for people without a permit.

    Searchers without work authorisation find undeclared work at
    ``undeclared.job_finding_rate_per_month``, raised by each bonding tie (jobs in the
    community's niches); authorised searchers take such jobs more rarely. The employer is
    one of those hiring undeclared labour, weighted like elementary applications; if it
    is exploitative the worker is exploited and paid less.
    """
    pop, p, rng = model.pop, model.params.undeclared, model.rng
    undeclared_employers = [e for e in model.employers if e.hires_undeclared]
    if not undeclared_employers:
        return
    searching = pop.labour == LabourState.SEARCHING
    rows = np.flatnonzero(searching)
    rate = np.where(
        authorised[rows],
        p.authorised_job_finding_rate_per_month,
        p.job_finding_rate_per_month * (1.0 + p.bonding_tie_effect_per_tie * pop.bonding_ties[rows]),
    )
    rows = rows[draws.happens(rng, np.minimum(rate, 1.0), rows.size)]
    if rows.size == 0:
        return
    weight = np.array(
        [model.sectors[e.sector].elementary_application_weight * e.size_share for e in undeclared_employers]
    )
    pick = rng.choice(len(undeclared_employers), size=rows.size, p=weight / weight.sum())
    index = np.array([e.index for e in undeclared_employers])[pick]
    exploitative = np.array([e.exploitative for e in undeclared_employers])[pick]
    state = np.full(rows.size, LabourState.UNDECLARED_WORK, dtype=np.int8)
    take_job(model, rows, index, JobLevel.ELEMENTARY, state)
    elementary_wage = np.array([model.sectors[e.sector].elementary_wage_eur_per_month for e in undeclared_employers])
    share = np.where(exploitative, p.exploited_wage_share_of_elementary, p.wage_share_of_elementary)
    pop.wage_eur_per_month[rows] = elementary_wage[pick] * share
    pop.exploited[rows] = exploitative


def skill_decay(model: "CityModel") -> None:
    """Qualifications unused in jobs below one's level decay (guide §1.1 'social deskilling')."""
    pop = model.pop
    below = (pop.labour == LabourState.JOB_BELOW_SKILLS) | (
        (pop.labour == LabourState.UNDECLARED_WORK) & (pop.education >= Education.MEDIUM)
    )
    pop.skill[below] *= np.float32(1.0 - model.params.recognition.skill_decay_rate_per_month)
