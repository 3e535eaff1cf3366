"""Start-up support for SSE enterprises (guide §2.6.2; Diomcoop, §2.10.2).

New enterprises (lasting cooperatives from ephemeral cohorts, and migrant-led
collectives that formalise) receive a launch grant (about €25,000 for Diomcoop) and an
operating subsidy covering a decreasing share of their costs (95 % at first, 40 % three
years later, none after ``end_after_months``; ``sim.sse.public_share_of_costs``). Each
year ``new_collectives_per_year`` collectives (at the scenario's size) of people in
survival work, documented or not, are helped to formalise (Diomcoop, Mamas de Grigny,
Barikama were started by people without permits, §2.10.1). A collective is an SSE
enterprise like any other, but for its clientele, which it builds: from nothing to what
its founders' trade sells, over ``clientele_months``; meanwhile it keeps the members its
sales, the subsidy and its cash can pay (``sim.sse``). It pays its members from its
accounts, and those without the right to work are unpaid members (§5) until they get it.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.jobs import join_enterprise
from sim.policies.programmes import admit
from sim.policies.registry import LeverSpec, register
from sim.sse import SSEEnterprise, alive_enterprises, output_eur_per_month
from sim.states import LabourState

if TYPE_CHECKING:
    from sim.model import CityModel


def support_new_enterprise(model: "CityModel", enterprise: SSEEnterprise) -> None:
    """A new enterprise gets the launch grant and the decreasing subsidy, when the lever is on."""
    s = model.params.policies.start_up_support
    if not s.enabled or model.municipality.budget_left_eur() < s.launch_grant_eur:
        return
    enterprise.start_up_supported = True
    enterprise.supported_since = model.month
    enterprise.accounts.book("subsidies", s.launch_grant_eur)
    model.municipality.spend("start_up_support", s.launch_grant_eur)


def build_clientele(model: "CityModel", collective: SSEEnterprise) -> None:
    """The clientele grows in equal steps, from the founding month's to all of its potential
    after ``clientele_months``."""
    months = model.params.policies.start_up_support.clientele_months
    progress = min(1.0, (model.month - collective.founded_month + 1) / months)
    collective.market_demand_eur_per_month = progress * collective.clientele_potential_eur_per_month


def collectives(model: "CityModel", rng: np.random.Generator) -> None:
    pop, s = model.pop, model.params.policies.start_up_support
    for enterprise in alive_enterprises(model):
        if enterprise.founded_as == "collective":
            build_clientele(model, enterprise)
    for _ in range(rng.poisson(s.new_collectives_per_year * model.scale / 12)):
        candidates = np.flatnonzero((pop.labour == LabourState.SEARCHING) | (pop.labour == LabourState.UNDECLARED_WORK))
        members = admit(model, rng, candidates, s.collective_size)
        if members.size < 2:
            return
        sector = int(np.bincount(pop.origin_sector[members], minlength=len(model.sectors)).argmax())
        collective = SSEEnterprise(
            model, "collective", sector, s.collective_size, cash_eur=0.0,
            founder_dependence=float(rng.uniform(0.3, 1.0)),
            pay_eur_per_month=model.params.sse.member_pay_eur_per_month,
            market_demand_eur_per_month=float(output_eur_per_month(model, members).sum()), accepts_undocumented=True,
        )
        build_clientele(model, collective)
        join_enterprise(model, members, collective, LabourState.SSE_COOP_MEMBER, collective.pay_eur_per_month)
        support_new_enterprise(model, collective)
        model.programme_outcomes.enter(model, "start_up_support", members)


register(LeverSpec("start_up_support", "programmes", (collectives,), priority=50))
