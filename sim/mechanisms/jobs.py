"""Starting and ending jobs: the state changes every mechanism and lever shares.

Hiring decisions are made elsewhere (the mainstream hiring rule in
:mod:`sim.mechanisms.labour_market`, an SSE enterprise's own hiring in :mod:`sim.sse`);
these functions only record them, so that a job's start, its employer and its pay are
written the same way whoever hires.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.work_authorisation import work_authorised
from sim.population import NO_MONTH
from sim.states import IS_FORMAL_WORK, JobLevel, LabourState

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.sse import SSEEnterprise


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
    """People start a job at the given employers (indices into ``model.employers``, -1 for
    none); the first declared job starts the first-job clock."""
    if rows.size == 0:  # most calls in a month (an enterprise with no one to declare): nothing to write
        return
    pop = model.pop
    first_formal = IS_FORMAL_WORK[state] & (pop.first_formal_job_month[rows] == NO_MONTH)
    first_formal &= work_authorised(model, rows)  # solidarity activity without papers is not declared work
    model.first_formal_job.hired(pop, rows[first_formal], model.month)
    pop.first_formal_job_month[rows[first_formal]] = model.month
    pop.labour[rows] = state
    pop.labour_since_month[rows] = model.month
    pop.employer[rows] = employers
    pop.job_level[rows] = level


def join_enterprise(
    model: "CityModel", rows: np.ndarray, enterprise: "SSEEnterprise", state: LabourState, wage_eur_per_month: float
) -> None:
    """People start working in an SSE enterprise, paid from its accounts (``sim.sse``).

    People without the right to work can only join a collective, and then unpaid, in
    solidarity activity (guide §5: a collective cannot pay members without papers); it
    still counts for the solidarity-activity regularisation routes.
    """
    authorised = work_authorised(model, rows)
    states = np.where(authorised, state, LabourState.SOLIDARITY_ACTIVITY).astype(np.int8)
    take_job(model, rows, np.full(rows.size, -1, dtype=np.int32), JobLevel.ELEMENTARY, states)
    pop = model.pop
    pop.sse_enterprise[rows] = enterprise.index
    pop.wage_eur_per_month[rows] = np.where(authorised, np.float32(wage_eur_per_month), np.float32(0.0))
    pop.exploited[rows] = False


def declare_members(model: "CityModel", rows: np.ndarray) -> None:
    """Unpaid members of a collective who now have the right to work become paid,
    declared members (after a regularisation, or an asylum seeker's waiting period). They
    keep the month they joined as their state's start: it is their seniority in the
    collective (the last to join leave first), not a new job."""
    joined = model.pop.labour_since_month[rows]
    take_job(model, rows, np.full(rows.size, -1, dtype=np.int32), JobLevel.ELEMENTARY,
             np.full(rows.size, LabourState.SSE_COOP_MEMBER, dtype=np.int8))
    model.pop.labour_since_month[rows] = joined


def leave_enterprise(model: "CityModel", rows: np.ndarray) -> None:
    """People leave their SSE enterprise (or it closes) and search again."""
    leave_job(model, rows)
    model.pop.sse_enterprise[rows] = -1
    model.pop.programme_end_month[rows] = NO_MONTH
