"""Regularisation advice: a municipal legal-advice service on the national route (Barcelona's SAIER).

A city cannot grant papers (rules/ES.toml, city_no_permits; rules/FR.toml,
city_no_permit_power): what it can do is tell undocumented people what the national route
asks and help them file. Each month the service sees up to ``clients_per_month``
undocumented people it has not advised yet, people the one-stop shop referred first,
then others at random (``programmes.admit``), while the year's lever budget pays
``cost_eur_per_client``. An advised person who meets the route's conditions then applies
at ``advised_application_rate_per_month`` instead of the regime's
``application_rate_per_month`` (``regularisation.application_rate_per_month``); advice
makes no one eligible, and the national authority decides as before, within its capacity.
Under the Prato protocol people denounce instead of applying, and advice changes nothing.

In 2022 the SAIER saw 21,000 people, more than 31 % of whom needed legal advice on
immigration procedures (Ajuntament de Barcelona, 29 March 2023); it runs before the
month's applications, so a client who is eligible may file the same month.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.states import LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

UNDOCUMENTED = np.int8(LegalStatus.UNDOCUMENTED)


def advise(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.regularisation_advice
    candidates = np.flatnonzero((pop.status == UNDOCUMENTED) & ~pop.regularisation_advised)
    capacity = model.scaled(p.clients_per_month, "regularisation_advice.clients")
    clients = admit(model, rng, candidates, capacity, unit_cost=p.cost_eur_per_client)
    pop.regularisation_advised[clients] = True
    model.municipality.spend("regularisation_advice", clients.size * p.cost_eur_per_client)
    model.programme_outcomes.enter(model, "regularisation_advice", clients)


register(LeverSpec("regularisation_advice", "status", (advise,), priority=50))
