"""Bonding and bridging ties, and the referrals they bring (brief §2; guide §1.1 'lack of a
social and professional network').

Bonding ties (one's own community) are drawn at arrival and stay. Bridging ties to the
host society grow with contact (a job, a course, a little in undeclared work) and fade
without it, so their level follows gain / decay. Referrals to employers come through
bridging ties and, for elementary jobs in the community's niches, through bonding ties.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.population import by_code
from sim.states import N_LABOUR, IS_FORMAL_WORK, LabourState

if TYPE_CHECKING:
    from sim.model import CityModel


def bridging_ties(model: "CityModel", rng: np.random.Generator) -> None:
    """bridging <- bridging * (1 - decay) + gain(labour state), for everyone in the city."""
    p, pop = model.params.networks, model.pop
    gain = np.zeros(N_LABOUR, dtype=np.float32)
    gain[IS_FORMAL_WORK] = p.bridging_gain_per_month_in_job
    gain[LabourState.UNDECLARED_WORK] = p.bridging_gain_per_month_in_undeclared_work
    gain[LabourState.LANGUAGE_COURSE] = p.bridging_gain_per_month_in_course
    gain[LabourState.INTEGRATED_TRAINING] = p.bridging_gain_per_month_in_job  # learning in a workplace (guide §2.9)
    pop.bridging_ties *= np.float32(1.0 - p.bridging_decay_rate_per_month)
    pop.bridging_ties += by_code(gain, pop.labour)


def referral(model: "CityModel", rows: np.ndarray, with_bonding: bool, rng: np.random.Generator) -> np.ndarray:
    """Whether each applicant comes with a referral: each tie refers independently."""
    p, pop = model.params.networks, model.pop
    # (1 - q)^ties as exp(ties * log(1 - q)), in single precision: same law, less work.
    log_no_referral = pop.bridging_ties[rows] * np.float32(np.log1p(-p.referral_probability_per_bridging_tie))
    if with_bonding:
        log_no_referral += pop.bonding_ties[rows] * np.float32(np.log1p(-p.referral_probability_per_bonding_tie))
    no_referral = np.exp(log_no_referral)
    mentoring = model.params.policies.mentoring
    if mentoring.enabled:
        mentored = pop.mentored_until_month[rows] >= model.month
        no_referral = np.where(mentored, no_referral * (1.0 - mentoring.referral_probability), no_referral)
    return draws.happens(rng, 1.0 - no_referral, rows.size)
