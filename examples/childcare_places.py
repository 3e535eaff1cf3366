"""A policy lever written outside the core: municipal childcare places for migrant parents.

The guide asks for "particular attention" to migrant women, "especially single women with
children", whose "unequal access to employment and childcare ... can be an obstacle to
training and employment" (§2.5.1.2), and lists childcare among the levers that remove
obstacles to employment (§2.8, the Lyon food-truck school). In the model, care duties keep
people who are out of work out of the labour force (``sim.mechanisms.readiness``).

Each month, up to ``places_per_month`` parents with care duties who are out of the labour
force get a place: the care duties that kept them out are lifted, so they search for work
from the next month, and the municipality pays ``cost_eur_per_place`` for each place.

Use it from the command line (docs/extending.md)::

    PATHWAYS_PLUGINS=examples/childcare_places.py pathways run examples/childcare.toml
"""

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from sim.policies import LeverSpec, register
from sim.policies.programmes import admit
from sim.scenario.policies import Lever
from sim.states import LabourState

if TYPE_CHECKING:
    from sim.model import CityModel


class ChildcarePlaces(Lever):
    """Childcare places for migrant parents kept out of work by care duties (guide §2.5.1.2)."""

    places_per_month: Annotated[int, Field(ge=0, le=100_000)] = 30
    """New places each month, for the scenario's city (rescaled with the migrants)."""
    cost_eur_per_place: Annotated[float, Field(ge=0.0, le=1e6)] = 6_000.0
    """What the municipality pays for a place (assumption: a year of a crèche place, net of parents' fees)."""


def childcare_places(model: "CityModel", rng: np.random.Generator) -> None:
    """Lift the care duties of this month's new place holders."""
    p = model.params.policies.extensions["childcare_places"]
    pop = model.pop
    parents = np.flatnonzero(pop.care_duties & (pop.labour == LabourState.INACTIVE) & ~pop.studying)
    placed = admit(model, rng, parents, model.scaled(p.places_per_month, "childcare_places.places"), unit_cost=p.cost_eur_per_place)
    pop.care_duties[placed] = False
    model.municipality.spend("childcare_places", placed.size * p.cost_eur_per_place)


register(LeverSpec(name="childcare_places", phase="readiness", mechanisms=(childcare_places,)),
         parameters=ChildcarePlaces)
