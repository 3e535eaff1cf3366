"""Social and solidarity economy (SSE) enterprises: their workers, accounts and survival.

Guide §2.6.2: new SSE structures run by people who have yet to learn the host country's
market codes are fragile; stable clients (public orders, §2.6.1), premises (§2.7) and
decreasing subsidies (Diomcoop, §2.10.2) keep them alive, and founder dependence (§4)
threatens them. Each enterprise is a Mesa agent; its workers are migrants whose
``sse_enterprise`` column holds its index.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim import draws
from sim.mechanisms.labour_market import leave_job, take_job
from sim.mechanisms.work_authorisation import work_authorised
from sim.states import IS_SSE, Education, JobLevel, LabourState

if TYPE_CHECKING:
    from sim.model import CityModel

KINDS = ("work_integration", "cooperative", "ephemeral_cooperative", "collective")
REVENUE_SOURCES = ("market_sales", "public_orders", "subsidies", "donations")


@dataclass
class Accounts:
    """Money in and out, EUR, by source; ``month`` for the last month, ``total`` since founding."""

    month: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REVENUE_SOURCES, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REVENUE_SOURCES, 0.0))
    costs_month: float = 0.0
    costs_total: float = 0.0

    def book(self, source: str, amount: float) -> None:
        self.month[source] += amount
        self.total[source] += amount


class SSEEnterprise(mesa.Agent):
    """A work-integration enterprise, cooperative, ephemeral cooperative or migrant-led collective."""

    model: "CityModel"

    def __init__(
        self,
        model: "CityModel",
        kind: str,
        sector: int,
        capacity: int,
        cash_eur: float,
        founder_dependence: float,
        accepts_undocumented: bool = False,
        start_up_supported: bool = False,
    ):
        super().__init__(model)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        self.index = len(model.sse_enterprises)
        model.sse_enterprises.append(self)
        self.kind = kind
        self.founded_as = kind
        self.sector = sector
        self.capacity = capacity
        self.cash_eur = cash_eur
        self.founder_dependence = founder_dependence
        """0-1: how much the enterprise rests on its founder (guide §4 on governance)."""
        self.accepts_undocumented = accepts_undocumented
        """Solidarity activity open to people without papers (OACAS communities, Diomcoop)."""
        self.start_up_supported = start_up_supported
        self.supported_since = model.month
        """Start of the start-up subsidy schedule (a cohort becoming a cooperative starts it then)."""
        self.founded_month = model.month
        self.closed_month: int | None = None
        self.in_third_place = model.params.policies.third_place.enabled
        self.accounts = Accounts()
        self.orders_due_eur_per_month = 0.0
        """Municipal orders contracted with this enterprise (ephemeral cohorts' outlet)."""
        self.ends_month: int | None = None
        """Last month of an ephemeral cohort."""

    @property
    def alive(self) -> bool:
        return self.closed_month is None

    def record(self) -> dict[str, Any]:
        """The enterprise and its accounts as a readable dict (the dashboard's inspector)."""
        return {
            "kind": self.kind, "founded_as": self.founded_as, "sector": self.model.sectors[self.sector].name,
            "founded_month": self.founded_month, "closed_month": self.closed_month,
            "workers": int(self.worker_rows().size), "capacity": self.capacity,
            "cash_eur": round(self.cash_eur, 2), "founder_dependence": round(self.founder_dependence, 3),
            "accepts_undocumented": self.accepts_undocumented, "start_up_supported": self.start_up_supported,
            "revenue_last_month_eur": {k: round(v, 2) for k, v in self.accounts.month.items()},
            "revenue_since_founding_eur": {k: round(v, 2) for k, v in self.accounts.total.items()},
            "costs_last_month_eur": round(self.accounts.costs_month, 2),
            "costs_since_founding_eur": round(self.accounts.costs_total, 2),
        }

    def worker_rows(self) -> np.ndarray:
        return np.flatnonzero(self.model.pop.sse_enterprise == self.index)

    def close(self) -> None:
        """The enterprise closes; its workers search again."""
        rows = self.worker_rows()
        leave_sse(self.model, rows)
        self.closed_month = self.model.month


def join(model: "CityModel", rows: np.ndarray, enterprise: SSEEnterprise, state: LabourState, wage: float) -> None:
    """People start working in an SSE enterprise."""
    take_job(model, rows, np.full(rows.size, -1, dtype=np.int32), JobLevel.ELEMENTARY, np.full(rows.size, state, np.int8))
    pop = model.pop
    pop.sse_enterprise[rows] = enterprise.index
    pop.wage_eur_per_month[rows] = wage
    pop.exploited[rows] = False


def leave_sse(model: "CityModel", rows: np.ndarray) -> None:
    leave_job(model, rows)
    model.pop.sse_enterprise[rows] = -1
    model.pop.programme_end_month[rows] = np.iinfo(np.int32).min


def sse_activity(model: "CityModel") -> None:
    """Count uninterrupted months of SSE activity (the OACAS clock, guide §2.10.2)."""
    pop = model.pop
    active = IS_SSE[pop.labour]
    pop.sse_activity_months[active] += 1
    pop.sse_activity_months[~active] = 0


def alive_enterprises(model: "CityModel") -> list[SSEEnterprise]:
    return [e for e in model.sse_enterprises if e.alive]


def public_share_of_costs(model: "CityModel", enterprise: SSEEnterprise) -> float:
    """Operating subsidy as a share of costs: Diomcoop's 95 % at first, 40 % three years
    later, then down to nothing (guide §2.10.2), linear in between."""
    s = model.params.policies.start_up_support
    age = model.month - enterprise.supported_since
    if not (s.enabled and enterprise.start_up_supported) or age >= s.end_after_months:
        return 0.0
    if age <= 36:
        return s.initial_public_share + (s.share_after_three_years - s.initial_public_share) * age / 36
    return s.share_after_three_years * (s.end_after_months - age) / max(s.end_after_months - 36, 1)


def sse_economy(model: "CityModel") -> None:
    """Each enterprise earns, pays, and closes when its cash runs out or its founder leaves."""
    enterprises = alive_enterprises(model)
    if not enterprises:
        return
    p, pop, rng = model.params, model.pop, model.rng
    rows = np.flatnonzero(pop.sse_enterprise >= 0)
    index = pop.sse_enterprise[rows]
    size = len(model.sse_enterprises)
    workers = np.bincount(index, minlength=size)
    language = np.bincount(index, weights=pop.language[rows], minlength=size)
    bridging = np.bincount(index, weights=pop.bridging_ties[rows], minlength=size)
    payroll = np.bincount(index, weights=pop.wage_eur_per_month[rows], minlength=size)
    transitional = np.bincount(index, weights=pop.labour[rows] == LabourState.SSE_TRANSITIONAL_JOB, minlength=size)
    procurement = p.policies.reserved_procurement
    orders_pool = (
        procurement.municipal_purchasing_eur_per_year * model.scale * procurement.reserved_share / 12
        if procurement.enabled
        else 0.0
    )
    capacity_total = sum(e.capacity for e in enterprises)
    for enterprise in enterprises:
        i = enterprise.index
        enterprise.accounts.month = dict.fromkeys(REVENUE_SOURCES, 0.0)
        n = workers[i]
        productivity = 0.5 + 0.5 * (language[i] / n if n else 0.0) + min(0.5, 0.02 * (bridging[i] / n if n else 0.0))
        enterprise.accounts.book("market_sales", n * p.sse.market_sales_eur_per_worker_month * productivity)
        orders = enterprise.orders_due_eur_per_month + (orders_pool * enterprise.capacity / capacity_total if capacity_total else 0.0)
        enterprise.accounts.book("public_orders", orders)
        model.municipality.order("sse_public_orders", orders)
        enterprise.accounts.book("donations", p.sse.donations_eur_per_month)
        if enterprise.kind == "work_integration" and p.policies.sse_transitional_jobs.enabled:
            subsidy = transitional[i] * p.policies.sse_transitional_jobs.subsidy_eur_per_place_month
            enterprise.accounts.book("subsidies", subsidy)
            model.municipality.spend("sse_transitional_jobs", subsidy)
        fixed = 0.0 if enterprise.in_third_place else p.sse.fixed_costs_eur_per_month
        costs = float(payroll[i]) + fixed
        subsidy = public_share_of_costs(model, enterprise) * costs
        if subsidy:
            enterprise.accounts.book("subsidies", subsidy)
            model.municipality.spend("start_up_support", subsidy)
        enterprise.accounts.costs_month = costs
        enterprise.accounts.costs_total += costs
        enterprise.cash_eur += sum(enterprise.accounts.month.values()) - costs
    founder_leaves = draws.happens(rng, p.sse.founder_exit_rate_per_month, len(enterprises))
    collapses = draws.happens(rng, np.array([e.founder_dependence for e in enterprises]), len(enterprises))
    for enterprise, leaves, collapse in zip(enterprises, founder_leaves, collapses, strict=True):
        if enterprise.kind == "ephemeral_cooperative":
            continue  # a cohort runs its course: the ephemeral-cooperative lever ends it
        if enterprise.cash_eur < 0 or (leaves and collapse):
            enterprise.close()


def sse_learning(model: "CityModel") -> None:
    """Training on the job in the SSE (guide §2.8): language and bridging ties gained on top
    of what any job gives, through the enterprises' social support and training."""
    pop, p = model.pop, model.params.sse
    rows = np.flatnonzero(pop.sse_enterprise >= 0)
    pop.language[rows] = np.minimum(1.0, pop.language[rows] + p.language_gain_per_month * pop.aptitude[rows])
    pop.bridging_ties[rows] += p.bridging_gain_per_month


def hire_into_sector(model: "CityModel", rows: np.ndarray, sector: int) -> None:
    """Partner employers of a sector hire these people at elementary level (springboard, guide §2.8)."""
    if rows.size == 0:
        return
    candidates = [e for e in model.employers if e.sector == sector]
    pick = model.rng.integers(0, len(candidates), rows.size)
    employer = np.array([e.index for e in candidates], dtype=np.int32)[pick]
    pop = model.pop
    state = np.where(pop.education[rows] == Education.LOW, LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS)
    take_job(model, rows, employer, JobLevel.ELEMENTARY, state.astype(np.int8))
    pop.wage_eur_per_month[rows] = model.sectors[sector].elementary_wage_eur_per_month
    pop.exploited[rows] = False


def open_existing_enterprises(model: "CityModel") -> None:
    """The SSE cooperatives already in the city at month 0, staffed from searchers."""
    p, pop = model.params.sse, model.pop
    weights = np.array([s.elementary_application_weight for s in model.sectors], dtype=float)
    for _ in range(model.scaled(p.existing_enterprises)):
        sector = int(model.rng.choice(len(weights), p=weights / weights.sum()))
        enterprise = SSEEnterprise(
            model, "cooperative", sector, p.max_members, p.initial_cash_eur,
            founder_dependence=float(model.rng.uniform(0.0, 1.0)),
        )
        searching = np.flatnonzero(pop.labour == LabourState.SEARCHING)
        searching = searching[work_authorised(model, searching)]
        staff = searching[model.rng.choice(searching.size, size=min(p.max_members // 2, searching.size), replace=False)]
        join(model, staff, enterprise, LabourState.SSE_COOP_MEMBER, p.member_pay_eur_per_month)
