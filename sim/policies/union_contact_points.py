"""Trade-union contact points (guide §2.2; UnionMigrantNet: 186 points in 16 countries).

Each month the union's contact points meet migrants who have not met them yet, exploited
workers first, then undeclared workers and undocumented people, then others: they learn
their rights and the services (knowledge of services rises), and an exploited worker
leaves or contests the exploitative job with ``exploitation_exit_probability``. The union
also supports the city's SSE enterprises (guide §2.2 partnerships), and union contact
makes denunciation under the Prato protocol more likely (``policies.regularisation``).

Costs: the contact points' running cost (``cost_eur_per_point_per_month``, staff and
premises) is the lever's, paid by the city that funds them, like the one-stop shop's
fixed cost; once the year's lever budget is spent they reach nobody new. The cash support
to SSE enterprises is the union's own money (``TradeUnion.spending_eur``).
"""

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import draws
from sim.mechanisms.jobs import leave_job
from sim.policies.registry import LeverSpec, register
from sim.sse import alive_enterprises
from sim.states import LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


class TradeUnion(mesa.Agent):
    """A trade union with migrant contact points in the city."""

    model: "CityModel"

    def __init__(self, model: "CityModel", contact_points: int):
        super().__init__(model)
        self.contact_points = contact_points
        self.people_reached = 0
        self.spending_eur = 0.0
        """The union's own money given to SSE enterprises since the start."""

    def outreach(self, rng: np.random.Generator) -> None:
        model, p = self.model, self.model.params.policies.union_contact_points
        pop = model.pop
        model.municipality.spend("union_contact_points", model.scaled_eur(self.contact_points * p.cost_eur_per_point_per_month))
        if not model.municipality.can_fund():
            return  # the year's lever budget is spent: the points stay open, no new outreach
        rows = np.flatnonzero(pop.alive() & ~pop.union_informed)
        priority = np.where(pop.exploited[rows], 0, 2)
        precarious = (pop.labour[rows] == LabourState.UNDECLARED_WORK) | (pop.status[rows] == LegalStatus.UNDOCUMENTED)
        priority[precarious & ~pop.exploited[rows]] = 1
        order = np.lexsort((rng.random(rows.size), priority))
        reached = rows[order[: model.scaled(self.contact_points * p.contacts_per_point_per_month, "union.contacts")]]
        pop.union_informed[reached] = True
        pop.services_knowledge[reached] += (1.0 - pop.services_knowledge[reached]) * np.float32(p.services_knowledge_gain)
        exploited = reached[pop.exploited[reached]]
        leave_job(model, exploited[draws.happens(rng, p.exploitation_exit_probability, exploited.size)])
        self.people_reached += reached.size
        for enterprise in alive_enterprises(model):
            if enterprise.ends_month is not None and enterprise.ends_month <= model.month:
                continue  # a cohort whose test ends this month closes before its pay day
            enterprise.accounts.book("donations", p.sse_support_cash_eur_per_month)
            self.spending_eur += p.sse_support_cash_eur_per_month


def open_contact_points(model: "CityModel", rng: np.random.Generator) -> None:
    TradeUnion(model, model.params.policies.union_contact_points.contact_points)


def outreach(model: "CityModel", rng: np.random.Generator) -> None:
    model.agents_by_type[TradeUnion].do("outreach", rng)


register(LeverSpec("union_contact_points", "services", (outreach,), setup=open_contact_points, priority=10))
