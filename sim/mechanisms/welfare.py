"""Income: earnings, or social assistance when not working (brief §4 'income').

Recognised refugees, long-term residents and naturalised citizens without work receive
social assistance (Belgium 2023: revenu d'intégration, about €1,260 a month for a single
person, paid by the municipal CPAS, which the municipality's accounts record); asylum
seekers in reception receive a small allowance; undocumented people and temporary-permit
holders receive nothing.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.states import IS_EMPLOYED, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

ASSISTED_STATUSES = (LegalStatus.REFUGEE, LegalStatus.LONG_TERM_RESIDENT, LegalStatus.NATURALISED)


def income(model: "CityModel") -> None:
    pop, p = model.pop, model.params.welfare
    working = IS_EMPLOYED[pop.labour]
    assisted = ~working & np.isin(pop.status, ASSISTED_STATUSES)
    allowance = ~working & (pop.status == LegalStatus.ASYLUM_SEEKER)
    pop.income_eur_per_month[:] = np.where(working, pop.wage_eur_per_month, 0.0)
    pop.income_eur_per_month[assisted] = p.social_assistance_eur_per_month
    pop.income_eur_per_month[allowance] = p.asylum_allowance_eur_per_month
    if model.month >= 0:
        model.municipality.spend("social_assistance", np.count_nonzero(assisted) * p.social_assistance_eur_per_month)
