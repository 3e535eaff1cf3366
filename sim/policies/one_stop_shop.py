"""One-stop shop (guide §2.4): all services for migrants under one roof, limited by capacity.

Each month up to ``capacity_clients_per_month`` people come, newcomers (first two years)
and anyone who knows little of the services first. A visit closes part of the gap in
knowledge of services and rights, files a diploma-recognition application for those who
can make one and shortens its wait (complete files, one counter), and gives priority in
training, SSE places and mentoring for the following months (``programmes.admit``).
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.policies.registry import LeverSpec, register
from sim.states import Education, LegalStatus, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel

NEWCOMER_MONTHS = 24
LOW_KNOWLEDGE = 0.5


def visits(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.one_stop_shop
    # Not a client in the last referral_months (compare months: NO_MONTH must not overflow).
    rows = np.flatnonzero(pop.alive() & (pop.one_stop_shop_month < model.month - p.referral_months))
    rows = rows[((model.month - pop.arrival_month[rows]) < NEWCOMER_MONTHS) | (pop.services_knowledge[rows] < LOW_KNOWLEDGE)]
    model.municipality.spend("one_stop_shop", model.scaled_eur(p.fixed_cost_eur_per_month))
    if rows.size == 0 or not model.municipality.can_fund():
        return
    size = min(model.scaled(p.capacity_clients_per_month, "one_stop_shop.clients"), rows.size)
    clients = rows[rng.choice(rows.size, size=size, replace=False)]
    pop.one_stop_shop_month[clients] = model.month
    pop.services_knowledge[clients] += (1.0 - pop.services_knowledge[clients]) * np.float32(p.services_knowledge_gain)
    model.municipality.spend("one_stop_shop", clients.size * p.cost_eur_per_client)
    model.programme_outcomes.enter(model, "one_stop_shop", clients)
    _recognition(model, rng, clients)


def _recognition(model: "CityModel", rng: np.random.Generator, clients: np.ndarray) -> None:
    """File applications for qualified clients and shorten pending waits."""
    pop, p = model.pop, model.params.policies.one_stop_shop
    status = pop.status[clients]
    can_apply = (pop.education[clients] >= Education.MEDIUM) & (pop.recognition[clients] == RecognitionState.NOT_APPLIED)
    can_apply &= (status != LegalStatus.UNDOCUMENTED) & (status != LegalStatus.ASYLUM_SEEKER)
    applying = clients[can_apply]
    pop.recognition[applying] = RecognitionState.PENDING
    pop.recognition_due_month[applying] = model.month + draws.duration_months(
        rng, model.params.recognition.decision_mean_months, applying.size
    )
    pending = clients[pop.recognition[clients] == RecognitionState.PENDING]
    wait = pop.recognition_due_month[pending] - model.month
    # Rounded at random, up or down, so the shortened waits keep their mean (rounding up
    # would add half a month to each). A visit never lengthens a wait: a decision due this
    # month stays due (decisions come after the services), and one due later comes next
    # month at the earliest, so a one-month wait is not shortened.
    shortened = wait * p.recognition_delay_factor
    whole = np.floor(shortened) + (rng.random(pending.size) < shortened - np.floor(shortened))
    pop.recognition_due_month[pending] = model.month + np.minimum(wait, np.maximum(1, whole)).astype(np.int32)


register(LeverSpec("one_stop_shop", "services", (visits,), priority=20))
