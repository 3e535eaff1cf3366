"""Who pays, who gains: a run's public costs and revenue by level of government.

The municipality's accounts (``Municipality.spending_eur``) hold what was spent, by item:
``social_assistance`` and one item per lever. The scenario's ``public_finances`` section
(:mod:`sim.scenario.public_finances`) says which level bears each: the city, the region,
the national state and social security, or EU funds. Taxes and contributions on declared
earnings (``impact.public_revenue_share_of_formal_earnings``) are split between personal
income tax and social contributions, and each between the levels that receive them; the
fees paid with regularisation applications (``model.regularisation_fees_eur``) go to the
national State.

For one run, each level's ``net_cost_eur`` is what it paid (lever spending and social
assistance) minus what it received. The difference between a scenario and its
counterfactual, replication by replication, is then that level's net cost of the policy:
its extra lever spending, minus its share of the assistance saved and of the extra
revenue. Orders bought from SSE enterprises (``Municipality.orders_eur``) are purchases
the city would make anyway, not a cost, and are left out.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.mechanisms.welfare import ASSISTED_STATUSES
from sim.scenario.public_finances import LEVELS, PublicFinances
from sim.states import IS_EMPLOYED, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

ASSISTANCE = "social_assistance"
"""The spending item of social assistance in the municipality's accounts."""


def by_level(finances: PublicFinances, spending_eur: Mapping[str, float], public_revenue_eur: float,
             refugee_share_of_assistance: float = 0.0, regularisation_fees_eur: float = 0.0) -> dict[str, Any]:
    """Costs and revenue of a run by level of government, EUR.

    ``spending_eur``: the municipality's spending by item (``social_assistance`` and one
    item per lever); ``public_revenue_eur``: taxes and contributions on declared earnings;
    ``refugee_share_of_assistance``: the share of social assistance paid to recognised
    refugees (used when ``finances.refugee_social_assistance_paid_by`` is set);
    ``regularisation_fees_eur``: the fees employers and applicants paid with regularisation
    applications, the national State's (it runs the regularisation routes: rules/).

    Returns per level ``lever_spending_eur``, ``social_assistance_eur``, ``costs_eur``
    (their sum), ``revenue_eur`` and ``net_cost_eur`` (costs minus revenue); ``total``, the
    same summed over levels; ``costs_by_item`` and ``revenue_by_item``, each item's amount
    by level.
    """
    if not 0.0 <= refugee_share_of_assistance <= 1.0:
        raise ValueError(f"refugee_share_of_assistance must be 0-1 (got {refugee_share_of_assistance})")
    costs_by_item: dict[str, dict[str, float]] = {}
    for item, amount in spending_eur.items():
        if item == ASSISTANCE:
            continue
        costs_by_item[item] = finances.lever_payers(item).split(float(amount))
    assistance = float(spending_eur.get(ASSISTANCE, 0.0))
    refugees = finances.refugee_social_assistance_paid_by
    if refugees is None:
        costs_by_item[ASSISTANCE] = finances.social_assistance_paid_by.split(assistance)
    else:
        others = finances.social_assistance_paid_by.split(assistance * (1.0 - refugee_share_of_assistance))
        theirs = refugees.split(assistance * refugee_share_of_assistance)
        costs_by_item[ASSISTANCE] = {level: others[level] + theirs[level] for level in LEVELS}
    income_tax = finances.income_tax_share_of_public_revenue * float(public_revenue_eur)
    revenue_by_item = {
        "income_tax": finances.income_tax_received_by.split(income_tax),
        "social_contributions": finances.social_contributions_received_by.split(float(public_revenue_eur) - income_tax),
        "regularisation_fees": {level: float(regularisation_fees_eur) if level == "national" else 0.0
                                for level in LEVELS},
    }
    out: dict[str, Any] = {}
    for level in (*LEVELS, "total"):
        picked = LEVELS if level == "total" else (level,)
        levers = float(sum(split[lv] for item, split in costs_by_item.items() if item != ASSISTANCE for lv in picked))
        paid = float(sum(costs_by_item[ASSISTANCE][lv] for lv in picked))
        revenue = float(sum(split[lv] for split in revenue_by_item.values() for lv in picked))
        out[level] = {"lever_spending_eur": levers, "social_assistance_eur": paid, "costs_eur": levers + paid,
                      "revenue_eur": revenue, "net_cost_eur": levers + paid - revenue}
    out["costs_by_item"] = costs_by_item
    out["revenue_by_item"] = revenue_by_item
    return out


def refugee_share(cells: Sequence[np.ndarray]) -> float:
    """Recognised refugees' share of social assistance over the months recorded: their share
    of the assisted statuses' people out of work, from the monthly counts of people aged
    20-64 by (status, labour state, sex, education). Everyone assisted receives the same
    benefit, so people-months are shares of spending."""
    if not cells:
        return 0.0
    counts = np.sum(cells, axis=0).sum(axis=(2, 3))[:, ~IS_EMPLOYED].sum(axis=1)
    assisted = float(counts[list(ASSISTED_STATUSES)].sum())
    return float(counts[LegalStatus.REFUGEE]) / assisted if assisted > 0 else 0.0


def indicators(model: "CityModel") -> dict[str, Any]:
    """The run's split (``public_finances_by_level``) and the city's own net cost
    (``city_net_cost_eur``), for :func:`sim.indicators.final`."""
    earnings = float(sum(row["formal_earnings_eur"] for row in model.series))
    revenue = model.params.impact.public_revenue_share_of_formal_earnings * earnings
    split = by_level(model.params.public_finances, model.municipality.spending_eur, revenue,
                     refugee_share(model.counts.cells), model.regularisation_fees_eur)
    return {"public_finances_by_level": split, "city_net_cost_eur": split["city"]["net_cost_eur"]}
