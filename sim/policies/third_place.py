"""A third place / migration hub (guide §2.7): premises and a place to meet.

SSE enterprises are housed there without rent (``SSEEnterprise.in_third_place``), and
each month ``visitors_per_month`` people not in work come to its activities, gaining
bridging ties and knowledge of services.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.registry import LeverSpec, register
from sim.states import employed

if TYPE_CHECKING:
    from sim.model import CityModel


def visits(model: "CityModel", rng: np.random.Generator) -> None:
    """The month's running cost (premises and staff, like the one-stop shop's), then the
    visits: none once the year's lever budget is spent (SSE tenants keep their lease)."""
    pop, p = model.pop, model.params.policies.third_place
    model.municipality.spend("third_place", model.scaled_eur(p.cost_eur_per_month))
    rows = np.flatnonzero(pop.alive() & ~employed(pop.labour))
    if rows.size == 0 or not model.municipality.can_fund():
        return
    size = min(model.scaled(p.visitors_per_month, "third_place.visitors"), rows.size)
    visitors = rows[rng.choice(rows.size, size=size, replace=False)]
    pop.bridging_ties[visitors] += p.bridging_ties_per_visit
    pop.services_knowledge[visitors] += (1.0 - pop.services_knowledge[visitors]) * np.float32(p.services_knowledge_gain)


register(LeverSpec("third_place", "services", (visits,), priority=30))
