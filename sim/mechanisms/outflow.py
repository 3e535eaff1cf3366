"""Leaving the city's working-age migrant population: onward migration, return, ageing out.

Monthly emigration hazards differ by legal status: people with precarious status move on
or return more often than long-term residents and naturalised citizens. Reaching
``outflow.exit_age_years`` (65, the upper bound of the LFS working-age band) ends a
person's part in the model.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.states import LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


def depart(model: "CityModel", rows: np.ndarray) -> None:
    """Remove people from the city, keeping what the indicators need from them."""
    if rows.size == 0:
        return
    model.first_formal_job.censor(model.pop, rows, model.month)
    model.flows.leavers += rows.size
    model.pop.remove(rows)


def emigration(model: "CityModel") -> None:
    rates = model.params.outflow.emigration_rate_per_month
    by_status = np.array(
        [
            rates.asylum_seeker,
            rates.refugee,
            rates.undocumented,
            rates.temporary_permit,
            rates.long_term_resident,
            rates.naturalised,
            0.0,  # GONE
        ],
        dtype=np.float32,
    )
    assert len(by_status) == len(LegalStatus)
    probability = by_status[model.pop.status]
    rows = np.flatnonzero(probability > 0)
    depart(model, rows[draws.happens(model.rng, probability[rows], rows.size)])


def ageing_out(model: "CityModel") -> None:
    pop = model.pop
    exit_month_age = model.params.outflow.exit_age_years * 12
    depart(model, np.flatnonzero(pop.alive() & ((model.month - pop.birth_month) >= exit_month_age)))
