"""Leaving the city's working-age migrant population: onward migration, return, ageing out.

Monthly emigration hazards differ by legal status: people with precarious status move on
or return more often than long-term residents and naturalised citizens. Reaching
``outflow.exit_age_years`` (65, the upper bound of the LFS working-age band) ends a
person's part in the model.
"""

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.states import LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

GONE = np.int8(LegalStatus.GONE)
"""As a NumPy scalar: compared with an IntEnum member, NumPy widens the whole column first."""


def depart(model: "CityModel", rows: np.ndarray) -> None:
    """Remove people from the city, keeping what the indicators need from them."""
    if rows.size == 0:
        return
    model.first_formal_job.censor(model.pop, rows, model.month)
    model.departures.leave(model.pop, rows, model.month)
    model.flows.leavers += rows.size
    model.pop.remove(rows)


def emigration(model: "CityModel", rng: np.random.Generator) -> None:
    rates = model.params.outflow.emigration_rate_per_month
    by_status = np.zeros(len(LegalStatus), dtype=np.float32)
    for status in LegalStatus:
        if status != LegalStatus.GONE:
            by_status[status] = getattr(rates, status.name.lower())
    depart(model, draws.chosen_by_category(rng, by_status, model.pop.status))


def ageing_out(model: "CityModel", rng: np.random.Generator) -> None:
    pop = model.pop
    exit_month_age = model.params.outflow.exit_age_years * 12
    # Birth months are whole: born by a (possibly fractional) month is born by its floor,
    # and comparing with a whole number keeps the column in int32.
    old = np.flatnonzero(pop.birth_month <= math.floor(model.month - exit_month_age))
    depart(model, old[pop.status[old] != GONE])
