"""The city's institutions as Mesa agents: mainstream employers and the municipality.

There are few of them (tens to hundreds), each with its own state and accounts, so they
are ordinary ``mesa.Agent`` objects; migrants are columns in :mod:`sim.population`.
"""

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.states import JobLevel

ELEMENTARY, SKILLED = int(JobLevel.ELEMENTARY), int(JobLevel.SKILLED)

if TYPE_CHECKING:
    from sim.model import CityModel


class EmployerTable:
    """The employers' state as arrays, one row per employer in ``model.employers`` order.

    Mainstream hiring reads every employer at once (the month's openings by level, sectors,
    discrimination penalties), so that state lives here; each :class:`Employer` reads and
    writes its own row through properties, so code that holds an employer sees the same
    values. The table hangs on the model (``employer_table(model)``), so that copies and
    pickles of a model keep their employers and table together.
    """

    COLUMNS = {
        "sector": np.int64,
        "size_share": np.float64,
        "hires_undeclared": np.bool_,
        "exploitative": np.bool_,
        "discrimination_logit": np.float64,
        "bound_by_clauses": np.bool_,
    }

    def __init__(self):
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))
        self.openings = np.zeros((0, len(JobLevel)), dtype=np.int64)
        """This month's openings for migrant applicants, by employer and job level."""
        self._rates_key: tuple | None = None
        self._rate_array = np.zeros((0, len(JobLevel)), dtype=np.float64)
        self._rates: list[tuple[float, float]] | None = None
        self._per_sector: tuple[tuple, np.ndarray] | None = None

    def __len__(self) -> int:
        return self.sector.size

    def append(self, **values) -> int:
        """Add one employer's row; return its index."""
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.append(getattr(self, name), np.asarray(values[name], dtype=dtype)))
        self.openings = np.vstack([self.openings, np.zeros(len(JobLevel), dtype=np.int64)])
        self.changed()
        return len(self) - 1

    def changed(self) -> None:
        """Forget the mean openings computed for this month (a column was written)."""
        self._rates_key = None

    def opening_rate_array(self, model: "CityModel") -> np.ndarray:
        """Each employer's mean openings this month, a row (elementary, skilled) per
        employer: its sector's rate per 1,000 migrants times its share of them
        (``Employer.open_positions``).

        Computed for all employers at once and kept while the month, the number of
        migrants, the scenario and the sectors stay the same (the sectors' rates while the
        sectors do).
        """
        key = (model.month, model.pop.count(), model.params, model.sectors)
        if key != self._rates_key:  # a tuple compares the same objects by identity first: cheap
            thousands = key[1] / 1000 * self.size_share * model.params.labour_market.openings_scale
            self._rate_array = self._sector_rates(model.sectors)[self.sector] * thousands[:, None]
            self._rates = None
            self._rates_key = key
        return self._rate_array

    def opening_rates(self, model: "CityModel") -> list[tuple[float, float]]:
        """``opening_rate_array`` as pairs of Python floats (the same floats), for the
        per-agent ``Employer.open_positions``."""
        rates = self.opening_rate_array(model)
        if self._rates is None:
            self._rates = [tuple(pair) for pair in rates.tolist()]
        return self._rates

    def _sector_rates(self, sectors: tuple) -> np.ndarray:
        """Openings per 1,000 migrants per month by sector and job level."""
        if self._per_sector is None or self._per_sector[0] is not sectors:
            rates = np.array([[s.elementary_openings_per_1000_per_month, s.skilled_openings_per_1000_per_month]
                              for s in sectors], dtype=np.float64).reshape(-1, len(JobLevel))
            self._per_sector = (sectors, rates)
        return self._per_sector[1]


def employer_table(model: "CityModel") -> EmployerTable:
    """The model's employers as arrays (created with the first employer)."""
    table = model.__dict__.get("employer_table")
    if table is None:
        table = model.employer_table = EmployerTable()
    return table


def _column(name: str, kind: type) -> property:
    """An employer's attribute as a property over its row of the model's ``EmployerTable``."""

    def get(self: "Employer"):
        return kind(getattr(self.model.employer_table, name)[self.index])

    def put(self: "Employer", value) -> None:
        table = self.model.employer_table
        getattr(table, name)[self.index] = value
        table.changed()

    return property(get, put, doc=f"This employer's ``{name}`` (a row of ``EmployerTable.{name}``).")


class Employer(mesa.Agent):
    """A mainstream employer in one sector (guide §1.1; brief §2 'Employers').

    Each month it opens positions to migrant applicants, in proportion to its size and to
    the number of migrants in the city (all of working age); a minority hires undeclared labour, and
    some of those exploit it (Prato, guide §2.10.2). Its state is a row of the model's
    :class:`EmployerTable`.
    """

    model: "CityModel"

    sector = _column("sector", int)
    size_share = _column("size_share", float)
    hires_undeclared = _column("hires_undeclared", bool)
    exploitative = _column("exploitative", bool)
    discrimination_logit = _column("discrimination_logit", float)
    """Penalty on the log-odds of hiring a migrant applicant (guide §1.1: a foreign name is an obstacle)."""
    bound_by_clauses = _column("bound_by_clauses", bool)
    """Holds public contracts with anti-discrimination clauses (guide §2.6.1)."""

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
        table = employer_table(model)
        if len(table) != len(model.employers):
            raise RuntimeError("employers must be created in model.employers order")
        self.index = table.append(
            sector=sector,
            size_share=size_share,
            hires_undeclared=hires_undeclared,
            exploitative=exploitative,
            discrimination_logit=discrimination_logit,
            bound_by_clauses=False,
        )
        """Position in ``model.employers``, the number migrants' ``employer`` column holds."""

    @property
    def openings(self) -> np.ndarray:
        """This month's openings by job level: a view of the table's row, so writes go through."""
        return self.model.employer_table.openings[self.index]

    def open_positions(self, rng: np.random.Generator) -> None:
        """Draw this month's openings for migrant applicants, by job level: Poisson around
        its sector's rates per 1,000 migrants times its share of them (``opening_rates``)."""
        table = self.model.employer_table
        elementary, skilled = table.opening_rates(self.model)[self.index]  # the first employer of the month computes them all
        openings = table.openings[self.index]
        openings[ELEMENTARY] = rng.poisson(elementary)
        openings[SKILLED] = rng.poisson(skilled)


def open_all_positions(model: "CityModel", rng: np.random.Generator) -> None:
    """Every employer's ``open_positions`` at once, with the same draws in the same order.

    NumPy's ``Generator.poisson`` on an array draws element by element with the same
    generator calls as one scalar call per element (tested in
    ``tests/test_speed_equivalence.py``), so drawing (elementary, skilled) for employer 0,
    then 1, ... as one array gives the numbers of the per-agent loop, without the loop.
    """
    table = employer_table(model)
    table.openings[:] = rng.poisson(table.opening_rate_array(model))


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
