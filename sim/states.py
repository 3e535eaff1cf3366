"""The categorical states a migrant can be in, as small integer codes.

Migrants are held as NumPy columns (see :mod:`sim.population`), so every category is an
``IntEnum`` whose values index arrays. The lists follow the product brief §2 and the
guide's vocabulary.
"""

from enum import IntEnum

import numpy as np


class LegalStatus(IntEnum):
    """Residence status (guide §1.1 'obstacles linked to ... a sustainable residence status')."""

    ASYLUM_SEEKER = 0
    REFUGEE = 1  # recognised refugee or subsidiary protection
    UNDOCUMENTED = 2
    TEMPORARY_PERMIT = 3  # work, family or study permit, renewable
    LONG_TERM_RESIDENT = 4
    NATURALISED = 5
    GONE = 6  # left the city's working-age population; the row is free for reuse


class LabourState(IntEnum):
    """Labour-market state (brief §2). One state per person per month."""

    NOT_READY = 0  # trauma, health or housing come first (guide §2.10)
    SEARCHING = 1
    LANGUAGE_COURSE = 2  # linear pathway: language first (guide §2.9)
    INTEGRATED_TRAINING = 3  # language learnt with a trade (guide §2.9); a policy lever
    UNDECLARED_WORK = 4  # guide §1.1, §2.10.1
    SSE_TRANSITIONAL_JOB = 5  # guide §2.8; a policy lever
    EPHEMERAL_COOP_MEMBER = 6  # guide §2.8 (Migracoop); a policy lever
    SSE_COOP_MEMBER = 7
    JOB_MATCHING_SKILLS = 8
    JOB_BELOW_SKILLS = 9
    SELF_EMPLOYED = 10
    INACTIVE = 11  # out of the labour force: care duties (guide §2.5.1.2) or study
    GONE = 12
    SOLIDARITY_ACTIVITY = 13  # unpaid activity in an SSE collective without the right to work (guide §5)


class Reason(IntEnum):
    """Reason of arrival, as in Eurostat's first permits by reason (migr_resfirst)."""

    WORK = 0
    FAMILY = 1
    STUDY = 2
    ASYLUM = 3


class Education(IntEnum):
    """ISCED groups: low (0-2), medium (3-4), high (5-8)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2


class Sex(IntEnum):
    MALE = 0
    FEMALE = 1


class RecognitionState(IntEnum):
    """Where a person stands with the recognition of a foreign diploma (guide §1.1)."""

    NOT_APPLIED = 0
    PENDING = 1
    RECOGNISED = 2
    REFUSED = 3


class JobLevel(IntEnum):
    """Level of a position: skilled positions need recognised qualifications."""

    ELEMENTARY = 0
    SKILLED = 1


N_STATUS = len(LegalStatus)
N_LABOUR = len(LabourState)

#: Whether each legal status gives the right to work formally. Asylum seekers get it
#: only after a waiting period, which :mod:`sim.mechanisms.legal_status` checks.
WORK_AUTHORISED_BY_STATUS = np.array(
    [
        False,  # ASYLUM_SEEKER (until the waiting period ends)
        True,  # REFUGEE
        False,  # UNDOCUMENTED
        True,  # TEMPORARY_PERMIT
        True,  # LONG_TERM_RESIDENT
        True,  # NATURALISED
        False,  # GONE
    ]
)

#: States in which a person works, formally or not (the LFS counts any paid work).
EMPLOYED_STATES = (
    LabourState.UNDECLARED_WORK,
    LabourState.SSE_TRANSITIONAL_JOB,
    LabourState.EPHEMERAL_COOP_MEMBER,
    LabourState.SSE_COOP_MEMBER,
    LabourState.JOB_MATCHING_SKILLS,
    LabourState.JOB_BELOW_SKILLS,
    LabourState.SELF_EMPLOYED,
)
#: States of declared work: a formal job, self-employment or a formal SSE position.
FORMAL_WORK_STATES = tuple(s for s in EMPLOYED_STATES if s != LabourState.UNDECLARED_WORK)
SSE_STATES = (
    LabourState.SSE_TRANSITIONAL_JOB,
    LabourState.EPHEMERAL_COOP_MEMBER,
    LabourState.SSE_COOP_MEMBER,
    LabourState.SOLIDARITY_ACTIVITY,
)
"""States of activity in an SSE enterprise: the solidarity-activity clock of OACAS runs in all
of them, paid or not."""
MAINSTREAM_JOB_STATES = (LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS)


def lookup(states: tuple[IntEnum, ...], size: int) -> np.ndarray:
    """A boolean table ``t`` with ``t[code]`` true for the given states, for fast masks."""
    table = np.zeros(size, dtype=bool)
    table[list(states)] = True
    return table


IS_EMPLOYED = lookup(EMPLOYED_STATES, N_LABOUR)
_FIRST_EMPLOYED, _LAST_EMPLOYED = min(EMPLOYED_STATES), max(EMPLOYED_STATES)
assert len(EMPLOYED_STATES) == _LAST_EMPLOYED - _FIRST_EMPLOYED + 1, "employed states must be contiguous codes"


def employed(labour: np.ndarray) -> np.ndarray:
    """``IS_EMPLOYED[labour]``, computed as a range test: much faster on a million rows."""
    return (labour >= _FIRST_EMPLOYED) & (labour <= _LAST_EMPLOYED)
IS_FORMAL_WORK = lookup(FORMAL_WORK_STATES, N_LABOUR)
IS_SSE = lookup(SSE_STATES, N_LABOUR)
IS_SSE_JOB = IS_SSE & IS_EMPLOYED
"""Paid SSE jobs: SSE activity but unpaid solidarity activity."""
IS_MAINSTREAM_JOB = lookup(MAINSTREAM_JOB_STATES, N_LABOUR)
