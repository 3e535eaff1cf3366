"""Who may work formally: it follows from legal status (guide §1.1, §2.10)."""

from typing import TYPE_CHECKING

import numpy as np

from sim.population import by_code
from sim.states import WORK_AUTHORISED_BY_STATUS, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

ASYLUM_SEEKER = np.int8(LegalStatus.ASYLUM_SEEKER)
"""As a NumPy scalar: compared with an IntEnum member, NumPy widens the whole column first."""


def work_authorised(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Whether each of these people may work formally this month.

    Asylum seekers may work once ``asylum.work_waiting_months`` have passed since they
    applied (BE: 4 months; the Reception Conditions Directive caps the wait at 9).
    """
    pop = model.pop
    status = pop.status[rows]
    authorised = by_code(WORK_AUTHORISED_BY_STATUS, status)
    # Arrival months only for the asylum seekers (about one in a hundred): reading them for
    # everyone cost a fortieth of a month at a million.
    seekers = np.flatnonzero(status == ASYLUM_SEEKER)
    arrived = pop.arrival_month[rows.take(seekers)]
    authorised[seekers] = (model.month - arrived) >= model.params.asylum.work_waiting_months
    return authorised
