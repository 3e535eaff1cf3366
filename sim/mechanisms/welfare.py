"""Income: earnings, or social assistance when not working (brief §4 'income').

Recognised refugees, long-term residents and naturalised citizens without work receive
social assistance (Belgium 2023: revenu d'intégration, about €1,260 a month for a single
person, paid by the municipal CPAS, which the municipality's accounts record); asylum
seekers in reception receive a small allowance; undocumented people and temporary-permit
holders receive nothing.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.population import blocks
from sim.states import IS_EMPLOYED, N_LABOUR, N_STATUS, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

ASSISTED_STATUSES = (LegalStatus.REFUGEE, LegalStatus.LONG_TERM_RESIDENT, LegalStatus.NATURALISED)


def benefit_by_status(model: "CityModel") -> np.ndarray:
    """Monthly benefit, EUR, of a person not working, by legal status code."""
    p = model.params.welfare
    benefit = np.zeros(N_STATUS, dtype=np.float32)
    benefit[list(ASSISTED_STATUSES)] = p.social_assistance_eur_per_month
    benefit[LegalStatus.ASYLUM_SEEKER] = p.asylum_allowance_eur_per_month
    return benefit


def income_eur_per_month(model: "CityModel", rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Each person's monthly income: earnings if working, else their benefit."""
    pop = model.pop
    working = IS_EMPLOYED[pop.labour[rows]]
    return np.where(working, pop.wage_eur_per_month[rows], benefit_by_status(model)[pop.status[rows]])


def census(model: "CityModel") -> np.ndarray:
    """Everyone in the city by (legal status, labour state); free rows fall in GONE."""
    pop = model.pop
    counts = np.zeros(N_STATUS * N_LABOUR, dtype=np.int64)
    for block in blocks(pop.slots):  # block by block, so that the temporaries stay in cache
        cell = pop.status[block].astype(np.int16)
        cell *= np.int16(N_LABOUR)
        cell += pop.labour[block]
        counts += np.bincount(cell, minlength=N_STATUS * N_LABOUR)
    return counts.reshape(N_STATUS, N_LABOUR)


def social_assistance(model: "CityModel", rng: np.random.Generator) -> None:
    """Take the month's census and pay benefits to those not working (municipal accounts)."""
    model.census = census(model)
    if model.month >= 0:
        not_working = model.census[:, ~IS_EMPLOYED].sum(axis=1)
        paid = not_working[list(ASSISTED_STATUSES)].sum() * model.params.welfare.social_assistance_eur_per_month
        model.municipality.spend("social_assistance", paid)


def mean_income_eur_per_month(model: "CityModel") -> float | None:
    """Mean income of everyone in the city this month, from earnings and the census."""
    people = model.census[:N_STATUS - 1].sum()
    if people == 0:
        return None
    benefits = benefit_by_status(model) @ model.census[:, ~IS_EMPLOYED].sum(axis=1)
    return float((model.pop.wage_eur_per_month.sum(dtype=np.float64) + benefits) / people)
