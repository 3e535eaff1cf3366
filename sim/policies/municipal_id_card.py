"""Municipal identity card (guide §2.1.1.3): a document for every resident, papers or not.

Undocumented residents take it up at ``uptake_rate_per_month``. It opens services
(knowledge of services rises), gives security (readiness recovers
``readiness_recovery_factor`` times faster while undocumented), and lets holders report
abuse: a holder just hired by an exploitative employer declines the job with
``exploitation_reduction``. It runs after the month's hiring.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.jobs import leave_job
from sim.policies.registry import LeverSpec, register
from sim.states import LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel


def id_cards(model: "CityModel", rng: np.random.Generator) -> None:
    pop, p = model.pop, model.params.policies.municipal_id_card
    undocumented = np.flatnonzero(pop.status == LegalStatus.UNDOCUMENTED)
    without = undocumented[~pop.id_card[undocumented]]
    new = without[draws.chosen(rng, p.uptake_rate_per_month, without.size)]
    if model.municipality.can_fund():
        pop.id_card[new] = True
        pop.services_knowledge[new] += (1.0 - pop.services_knowledge[new]) * np.float32(p.services_knowledge_gain)
        model.municipality.spend("municipal_id_card", new.size * p.cost_eur_per_card)
    holders = undocumented[pop.id_card[undocumented]]
    r = model.params.readiness
    extra = r.recovery_rate_per_month * r.precarious_recovery_factor * (p.readiness_recovery_factor - 1.0)
    pop.readiness[holders] += (1.0 - pop.readiness[holders]) * np.float32(extra)
    just_exploited = holders[pop.exploited[holders] & (pop.labour_since_month[holders] == model.month)]
    leave_job(model, just_exploited[draws.happens(rng, p.exploitation_reduction, just_exploited.size)])


register(LeverSpec("municipal_id_card", "labour_market", (id_cards,)))
