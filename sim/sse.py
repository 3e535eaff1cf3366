"""Social and solidarity economy (SSE) enterprises: their workers, accounts and survival.

Guide §2.6.2: new SSE structures run by people who have yet to learn the host country's
market codes are fragile; stable clients (public orders, §2.6.1), premises (§2.7) and
decreasing subsidies (Diomcoop, §2.10.2) keep them alive, and founder dependence (§4)
threatens them. Each enterprise is a Mesa agent; its workers are migrants whose
``sse_enterprise`` column holds its index, which is also its identity for its random
draws (``draws.keyed_uniform``), so that common random numbers hold whatever other
enterprises a scenario adds.

The month of an enterprise, from its accounts (``sse_economy``):

1. Its workers produce ``market_sales_eur_per_worker_month`` each at full productivity
   (productivity rises with their language and bridging ties).
2. Demand: its market clientele (``market_demand_eur_per_month``, what its founders'
   trade sells), then the public orders offered to it (reserved procurement, a cohort's
   municipal orders). A cooperative or collective whose output exceeds its demand by more
   than a worker's lets the workers it does not need go, last hired first; one whose
   demand exceeds its output first hires: positions up to its capacity and what its cash can pay for three months,
   filled through the hiring rule from the city's job seekers whose output pays their
   wage (disadvantaged ones only when reserved contracts are on, to keep them). A
   collective building its clientele (``building_clientele``) does not let its spare
   workers go: it keeps the paid members its sales, subsidy and money can carry, and its
   unpaid members.
3. Output serves the clientele first, then the orders; orders beyond what it can deliver
   are not placed (the city buys from ordinary suppliers).
4. It pays its workers (authorised ones only: guide §5, a collective cannot pay members
   without papers) and its fixed costs; a cash surplus beyond ``cash_reserve_months`` of
   costs is distributed to its paid workers (a cooperative's return to members).
5. It closes when its cash runs out, or when its founder leaves and it rests on them.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim import draws
from sim.mechanisms.jobs import declare_members, join_enterprise, leave_enterprise
from sim.mechanisms.labour_market import hire_by_rule
from sim.mechanisms.language import A2
from sim.mechanisms.work_authorisation import work_authorised
from sim.states import LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

KINDS = ("work_integration", "cooperative", "ephemeral_cooperative", "collective")
REVENUE_SOURCES = ("market_sales", "public_orders", "subsidies", "donations")
HIRING_KINDS = ("cooperative", "collective")
"""Enterprises that hire to meet demand; work-integration places and cohorts are filled
by their programme."""
PROCUREMENT_KINDS = ("work_integration", "cooperative", "collective")
"""Enterprises that may win reserved contracts (Directive 2014/24/EU art. 20: operators
whose aim is the integration of disadvantaged persons); a cohort has its own orders."""
DISADVANTAGED_STATUSES = (LegalStatus.ASYLUM_SEEKER, LegalStatus.REFUGEE, LegalStatus.TEMPORARY_PERMIT,
                          LegalStatus.UNDOCUMENTED)
HIRING_CASH_COVER_MONTHS = 3
"""A position is opened only if the cash pays it for this long (assumption)."""


@dataclass
class Accounts:
    """Money in and out, EUR, by source; ``month`` for this month, ``total`` since founding."""

    month: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REVENUE_SOURCES, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REVENUE_SOURCES, 0.0))
    costs_month: float = 0.0
    costs_total: float = 0.0
    distributed_month: float = 0.0
    distributed_total: float = 0.0
    orders_not_placed_month: float = 0.0
    """Orders offered that the enterprise could not deliver (not bought from it)."""
    last_month: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REVENUE_SOURCES, 0.0))
    last_month_costs: float = 0.0

    def open_month(self) -> None:
        """A new month's books: last month's are kept for reading, this month's start at zero."""
        self.last_month, self.last_month_costs = self.month, self.costs_month
        self.month = dict.fromkeys(REVENUE_SOURCES, 0.0)
        self.costs_month = self.distributed_month = self.orders_not_placed_month = 0.0

    def book(self, source: str, amount: float) -> None:
        """Money in; it reaches the cash when the month's accounts close (``sse_economy``)."""
        self.month[source] += amount
        self.total[source] += amount

    def pay(self, costs: float, distributed: float) -> None:
        self.costs_month += costs
        self.costs_total += costs
        self.distributed_month += distributed
        self.distributed_total += distributed


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
        pay_eur_per_month: float,
        market_demand_eur_per_month: float = 0.0,
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
        """Most workers it can take (its premises and equipment)."""
        self.cash_eur = cash_eur
        self.pay_eur_per_month = pay_eur_per_month
        """What it pays each authorised worker before any distribution of a surplus."""
        self.market_demand_eur_per_month = market_demand_eur_per_month
        """Its clientele: what the market buys from it a month (EUR, at full delivery)."""
        self.clientele_potential_eur_per_month = market_demand_eur_per_month
        """What its clientele will buy once built: a new collective's grows to it
        (``start_up_support.build_clientele``)."""
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
            "market_demand_eur_per_month": round(self.market_demand_eur_per_month, 2),
            "accepts_undocumented": self.accepts_undocumented, "start_up_supported": self.start_up_supported,
            "revenue_last_month_eur": {k: round(v, 2) for k, v in self.accounts.month.items()},
            "revenue_since_founding_eur": {k: round(v, 2) for k, v in self.accounts.total.items()},
            "costs_last_month_eur": round(self.accounts.costs_month, 2),
            "costs_since_founding_eur": round(self.accounts.costs_total, 2),
            "distributed_since_founding_eur": round(self.accounts.distributed_total, 2),
        }

    def worker_rows(self) -> np.ndarray:
        return np.flatnonzero(self.model.pop.sse_enterprise == self.index)

    def close(self) -> None:
        """The enterprise closes; its workers search again."""
        leave_enterprise(self.model, self.worker_rows())
        self.closed_month = self.model.month


def output_eur_per_month(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """What each of these workers produces a month, EUR at market prices: half at the
    start, more with the host language (up to +50 %) and bridging ties (up to +50 %, the
    clients and codes of the host market, guide §2.6.2). Assumption."""
    pop = model.pop
    productivity = 0.5 + 0.5 * pop.language[rows] + np.minimum(0.5, 0.02 * pop.bridging_ties[rows])
    return productivity * model.params.sse.market_sales_eur_per_worker_month


def alive_enterprises(model: "CityModel") -> list[SSEEnterprise]:
    return [e for e in model.sse_enterprises if e.alive]


def open_books(model: "CityModel", rng: np.random.Generator) -> None:
    """The month's books open before anything is booked (union support, launch grants)."""
    for enterprise in alive_enterprises(model):
        enterprise.accounts.open_month()


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


def reserved_orders_eur_per_month(model: "CityModel") -> float:
    """The city's purchases reserved for SSE enterprises this month (rescaled with the run)."""
    procurement = model.params.policies.reserved_procurement
    if not procurement.enabled:
        return 0.0
    return procurement.municipal_purchasing_eur_per_year * model.scale * procurement.reserved_share / 12


def disadvantaged(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Workers the reserved-contract rule counts as disadvantaged: without a permanent
    status, or below A2 in the host language (``ReservedProcurement.min_disadvantaged_share``)."""
    pop = model.pop
    return np.isin(pop.status[rows], DISADVANTAGED_STATUSES) | (pop.language[rows] < A2)


def qualifies_for_reserved_contracts(model: "CityModel", enterprises: list[SSEEnterprise]) -> list[bool]:
    """Directive 2014/24/EU art. 20: an integration enterprise whose workers are at least
    ``min_disadvantaged_share`` disadvantaged (``ReservedProcurement.min_disadvantaged_share``
    says whom the model counts); an enterprise without workers yet qualifies by its purpose."""
    pop, share = model.pop, model.params.policies.reserved_procurement.min_disadvantaged_share
    rows = np.flatnonzero(pop.sse_enterprise >= 0)
    size = len(model.sse_enterprises)
    workers = np.bincount(pop.sse_enterprise[rows], minlength=size)
    counted = np.bincount(pop.sse_enterprise[rows], weights=disadvantaged(model, rows), minlength=size)
    return [e.kind in PROCUREMENT_KINDS and (workers[e.index] == 0 or counted[e.index] >= share * workers[e.index])
            for e in enterprises]


def sse_economy(model: "CityModel", rng: np.random.Generator) -> None:
    """Each enterprise produces, sells, hires, pays and closes (module docstring)."""
    enterprises = alive_enterprises(model)
    if not enterprises:
        return
    p, pop = model.params, model.pop
    procurement = p.policies.reserved_procurement
    pool = reserved_orders_eur_per_month(model)
    eligible = [e.kind in PROCUREMENT_KINDS for e in enterprises]
    if pool:
        eligible = qualifies_for_reserved_contracts(model, enterprises)
    eligible_capacity = sum(e.capacity for e, ok in zip(enterprises, eligible, strict=True) if ok)
    for enterprise, may_win in zip(enterprises, eligible, strict=True):
        rows = enterprise.worker_rows()
        output = float(output_eur_per_month(model, rows).sum())
        reserved = pool * enterprise.capacity / eligible_capacity if may_win and eligible_capacity else 0.0
        offered = enterprise.orders_due_eur_per_month + reserved
        if enterprise.kind in HIRING_KINDS:
            demand = enterprise.market_demand_eur_per_month + offered
            if demand > output:
                _hire_to_meet_demand(model, rng, enterprise, rows, demand - output)
            elif building_clientele(model, enterprise):
                _shrink_to_what_it_can_pay(model, enterprise, rows, demand)
            else:
                _shrink_to_demand(model, enterprise, rows, output - demand)
            rows = enterprise.worker_rows()
            output = float(output_eur_per_month(model, rows).sum())
        market = min(enterprise.market_demand_eur_per_month, output)
        served = min(offered, output - market)
        accounts = enterprise.accounts
        accounts.orders_not_placed_month = offered - served
        accounts.book("market_sales", market)
        if served:
            # The city pays reserved contracts above the market price: the enterprise gets the
            # premium, and the premium is the lever's cost (the rest the city would buy anyway).
            premium = served * reserved / offered * procurement.price_premium_share
            accounts.book("public_orders", served + premium)
            model.municipality.order("sse_public_orders", served)
            model.municipality.spend("reserved_procurement", premium)
        accounts.book("donations", p.sse.donations_eur_per_month)
        if enterprise.kind == "work_integration" and p.policies.sse_transitional_jobs.enabled:
            places = np.count_nonzero(pop.labour[rows] == LabourState.SSE_TRANSITIONAL_JOB)
            subsidy = places * p.policies.sse_transitional_jobs.subsidy_eur_per_place_month
            accounts.book("subsidies", subsidy)
            model.municipality.spend("sse_transitional_jobs", subsidy)
        _pay(model, enterprise, rows)
    _closures(model, enterprises)


def _hire_to_meet_demand(model: "CityModel", rng: np.random.Generator, enterprise: SSEEnterprise, rows: np.ndarray,
                         gap_eur: float) -> None:
    """Open positions for demand beyond output (``gap_eur`` a month, in workers at mid
    productivity: language B1, no ties), within capacity and what the cash pays for three
    months; fill them through the hiring rule from the city's authorised job seekers, taking
    only applicants whose output pays their wage net of the enterprise's subsidy, so that
    a hire never makes its accounts worse."""
    sse = model.params.sse
    per_worker = 0.75 * sse.market_sales_eur_per_worker_month
    if per_worker <= 0:
        return  # nobody's output would meet the demand
    wanted = int(np.ceil(gap_eur / per_worker))
    cover = enterprise.pay_eur_per_month * HIRING_CASH_COVER_MONTHS
    affordable = int(max(enterprise.cash_eur, 0.0) // cover) if cover > 0 else wanted
    positions = min(wanted, enterprise.capacity - rows.size, affordable)
    if positions <= 0:
        return
    pop = model.pop
    searching = np.flatnonzero(pop.labour == LabourState.SEARCHING)
    searching = searching[work_authorised(model, searching)]
    cost = enterprise.pay_eur_per_month * (1.0 - public_share_of_costs(model, enterprise))
    searching = searching[output_eur_per_month(model, searching) >= cost]
    if model.params.policies.reserved_procurement.enabled and enterprise.kind in PROCUREMENT_KINDS:
        # To keep its reserved contracts, an integration enterprise hires disadvantaged workers.
        searching = searching[disadvantaged(model, searching)]
    hired = hire_by_rule(model, rng, searching, positions, discrimination_logit=0.0)
    join_enterprise(model, hired, enterprise, LabourState.SSE_COOP_MEMBER, enterprise.pay_eur_per_month)


def _shrink_to_demand(model: "CityModel", enterprise: SSEEnterprise, rows: np.ndarray, excess_eur: float) -> None:
    """Output beyond demand by more than a worker's (at mid productivity): the workers it
    does not need leave, last hired first, the founder staying (when orders end, an
    enterprise does not carry the staff it took on for them)."""
    per_worker = 0.75 * model.params.sse.market_sales_eur_per_worker_month
    surplus = int(excess_eur // per_worker) if per_worker > 0 else 0
    leaving = min(surplus, rows.size - 1)
    if leaving <= 0:
        return
    _let_newest_go(model, rows, leaving)


def building_clientele(model: "CityModel", enterprise: SSEEnterprise) -> bool:
    """A collective in its first ``start_up_support.clientele_months``, building its clientele."""
    months = model.params.policies.start_up_support.clientele_months
    return enterprise.kind == "collective" and model.month - enterprise.founded_month < months


def _shrink_to_what_it_can_pay(model: "CityModel", enterprise: SSEEnterprise, rows: np.ndarray,
                               demand_eur: float) -> None:
    """A collective keeps the members it can pay while it builds its clientele: its paid
    members leave, last hired first, only while the month's shortfall (their pay and the
    fixed costs, less the start-up subsidy's share, beyond what it sells and is given) is
    more than its money carries for ``HIRING_CASH_COVER_MONTHS`` (the cover it asks of a
    hire): its cash and what it has received this month, a launch grant included; members
    without papers, unpaid, cost nothing and stay (guide §5, Diomcoop)."""
    sse = model.params.sse
    pay = enterprise.pay_eur_per_month
    paid = rows[work_authorised(model, rows)]
    if pay <= 0 or paid.size == 0:
        return
    fixed = 0.0 if enterprise.in_third_place else sse.fixed_costs_eur_per_month
    unsubsidised = 1.0 - public_share_of_costs(model, enterprise)
    money = max(enterprise.cash_eur + sum(enterprise.accounts.month.values()), 0.0)
    income = demand_eur + sse.donations_eur_per_month + money / HIRING_CASH_COVER_MONTHS
    affordable = int((income / unsubsidised - fixed) // pay) if unsubsidised > 0 else paid.size
    leaving = min(paid.size - max(affordable, 0), rows.size - 1)
    if leaving <= 0:
        return
    _let_newest_go(model, paid, leaving)


def _let_newest_go(model: "CityModel", rows: np.ndarray, leaving: int) -> None:
    """The ``leaving`` workers among ``rows`` who joined last leave the enterprise."""
    newest = rows[np.argsort(model.pop.labour_since_month[rows], kind="stable")[::-1][:leaving]]
    leave_enterprise(model, newest)


def _pay(model: "CityModel", enterprise: SSEEnterprise, rows: np.ndarray) -> None:
    """Pay authorised workers and fixed costs, take the start-up subsidy, distribute a surplus."""
    pop, sse = model.pop, model.params.sse
    paid = rows[work_authorised(model, rows)]
    declare_members(model, paid[pop.labour[paid] == LabourState.SOLIDARITY_ACTIVITY])
    pop.wage_eur_per_month[rows] = 0.0
    pop.wage_eur_per_month[paid] = enterprise.pay_eur_per_month
    fixed = 0.0 if enterprise.in_third_place else sse.fixed_costs_eur_per_month
    costs = paid.size * enterprise.pay_eur_per_month + fixed
    # The operating subsidy covers the deficit, up to the schedule's share of costs: public
    # money does not become a surplus paid out to members.
    deficit = max(costs - sum(enterprise.accounts.month.values()), 0.0)
    subsidy = min(public_share_of_costs(model, enterprise) * costs, deficit)
    if subsidy:
        enterprise.accounts.book("subsidies", subsidy)
        model.municipality.spend("start_up_support", subsidy)
    enterprise.cash_eur += sum(enterprise.accounts.month.values()) - costs
    surplus = enterprise.cash_eur - sse.cash_reserve_months * costs
    distributed = surplus if surplus > 0 and paid.size else 0.0
    if distributed:
        pop.wage_eur_per_month[paid] += np.float32(distributed / paid.size)
        enterprise.cash_eur -= distributed
    enterprise.accounts.pay(costs, distributed)


def _closures(model: "CityModel", enterprises: list[SSEEnterprise]) -> None:
    """Close enterprises out of cash, or whose founder leaves and takes them down.

    The founder's exit and the collapse it brings are drawn per enterprise and month,
    keyed by its identity: a scenario that keeps an enterprise alive longer does not move
    any other enterprise's draws.
    """
    p = model.params.sse
    index = np.array([e.index for e in enterprises])
    leaves = draws.keyed_uniform(model._seed, "sse.founder_exit", index, model.month) < p.founder_exit_rate_per_month
    collapse = draws.keyed_uniform(model._seed, "sse.collapse", index, model.month) < np.array(
        [e.founder_dependence for e in enterprises]
    )
    for enterprise, gone, falls in zip(enterprises, leaves, collapse, strict=True):
        if enterprise.kind == "ephemeral_cooperative":
            continue  # a cohort runs its course: the ephemeral-cooperative lever ends it
        if enterprise.cash_eur < 0 or (gone and falls):
            enterprise.close()


def sse_learning(model: "CityModel", rng: np.random.Generator) -> None:
    """Training on the job in the SSE (guide §2.8): language and bridging ties gained on top
    of what any job gives, through the enterprises' social support and training."""
    pop, p = model.pop, model.params.sse
    rows = np.flatnonzero(pop.sse_enterprise >= 0)
    pop.language[rows] = np.minimum(1.0, pop.language[rows] + p.language_gain_per_month * pop.aptitude[rows])
    pop.bridging_ties[rows] += p.bridging_gain_per_month


def open_existing_enterprises(model: "CityModel", rng: np.random.Generator) -> None:
    """The SSE cooperatives already in the city at month 0, each staffed to half its
    capacity from authorised job seekers, with a clientele for what they produce."""
    p, pop = model.params.sse, model.pop
    weights = np.array([s.elementary_application_weight for s in model.sectors], dtype=float)
    for _ in range(model.scaled(p.existing_enterprises, "sse.existing_enterprises")):
        sector = int(rng.choice(len(weights), p=weights / weights.sum()))
        enterprise = SSEEnterprise(
            model, "cooperative", sector, p.max_members, p.initial_cash_eur,
            founder_dependence=float(rng.uniform(0.0, 1.0)), pay_eur_per_month=p.member_pay_eur_per_month,
        )
        searching = np.flatnonzero(pop.labour == LabourState.SEARCHING)
        searching = searching[work_authorised(model, searching)]
        staff = searching[rng.choice(searching.size, size=min(p.max_members // 2, searching.size), replace=False)]
        join_enterprise(model, staff, enterprise, LabourState.SSE_COOP_MEMBER, p.member_pay_eur_per_month)
        enterprise.market_demand_eur_per_month = float(output_eur_per_month(model, staff).sum())
