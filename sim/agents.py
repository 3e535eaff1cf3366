"""The city's institutions as Mesa agents: mainstream employers and the municipality.

There are few of them (tens to hundreds), each with its own state and accounts, so they
are ordinary ``mesa.Agent`` objects; migrants are columns in :mod:`sim.population`.
"""

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.states import JobLevel

if TYPE_CHECKING:
    from sim.model import CityModel


class Employer(mesa.Agent):
    """A mainstream employer in one sector (guide §1.1; brief §2 'Employers').

    Each month it opens positions to migrant applicants, in proportion to its size and to
    the number of migrants in the city (all of working age); a minority hires undeclared labour, and
    some of those exploit it (Prato, guide §2.10.2).
    """

    model: "CityModel"

    def __init__(
        self,
        model: "CityModel",
        sector: int,
        size_share: float,
        hires_undeclared: bool,
        exploitative: bool,
        discrimination_logit: float,
    ):
        super().__init__(model)
        self.index = len(model.employers)
        """Position in ``model.employers``, the number migrants' ``employer`` column holds."""
        self.sector = sector
        self.size_share = size_share
        self.hires_undeclared = hires_undeclared
        self.exploitative = exploitative
        self.discrimination_logit = discrimination_logit
        """Penalty on the log-odds of hiring a migrant applicant (guide §1.1: a foreign name is an obstacle)."""
        self.bound_by_clauses = False
        """Holds public contracts with anti-discrimination clauses (guide §2.6.1)."""
        self.openings = np.zeros(len(JobLevel), dtype=np.int64)

    def open_positions(self, rng: np.random.Generator) -> None:
        """Draw this month's openings for migrant applicants, by job level."""
        sector = self.model.sectors[self.sector]
        thousands = self.model.pop.count() / 1000 * self.size_share * self.model.params.labour_market.openings_scale
        self.openings[JobLevel.ELEMENTARY] = rng.poisson(sector.elementary_openings_per_1000_per_month * thousands)
        self.openings[JobLevel.SKILLED] = rng.poisson(sector.skilled_openings_per_1000_per_month * thousands)


class Municipality(mesa.Agent):
    """The city council: pays social assistance (in Belgium the municipal CPAS pays the
    revenu d'intégration) and, with the policy levers, runs programmes from its budget.

    ``spending_eur`` accumulates what it spent, by item (social assistance, then one item
    per lever), since the start of the run; ``orders_eur`` what it bought from SSE
    enterprises, purchases it would have made anyway, so not counted as policy cost.
    Lever spending counts against ``policies.policy_budget_eur_per_year``.
    """

    model: "CityModel"

    def __init__(self, model: "CityModel", name: str):
        super().__init__(model)
        self.name = name
        self.spending_eur: dict[str, float] = {}
        self.orders_eur: dict[str, float] = {}
        self.lever_spending_by_year: dict[int, float] = {}

    def spend(self, item: str, amount_eur: float) -> None:
        self.spending_eur[item] = self.spending_eur.get(item, 0.0) + float(amount_eur)
        if item != "social_assistance":
            year = self.model.month // 12
            self.lever_spending_by_year[year] = self.lever_spending_by_year.get(year, 0.0) + float(amount_eur)

    def order(self, item: str, amount_eur: float) -> None:
        self.orders_eur[item] = self.orders_eur.get(item, 0.0) + float(amount_eur)

    def budget_left_eur(self) -> float:
        """What this year's lever budget still allows."""
        spent = self.lever_spending_by_year.get(self.model.month // 12, 0.0)
        return max(0.0, self.model.scaled_eur(self.model.params.policies.policy_budget_eur_per_year) - spent)

    def can_fund(self) -> bool:
        """Whether this year's lever budget still allows admitting new participants."""
        return self.budget_left_eur() > 0

    @property
    def total_spending_eur(self) -> float:
        return sum(self.spending_eur.values())
