"""Anti-discrimination clauses in public contracts (guide §2.6.1; Ghent's testing).

A share of employers (those holding public contracts) is bound by the clauses and
checked; their discrimination penalty on the log-odds of hiring a migrant falls by
``discrimination_reduction_logit`` (not below zero).
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.registry import LeverSpec, register

if TYPE_CHECKING:
    from sim.model import CityModel


def bind_contract_holders(model: "CityModel", rng: np.random.Generator) -> None:
    p = model.params.policies.anti_discrimination
    covered = rng.random(len(model.employers)) < p.covered_employer_share
    for employer, bound in zip(model.employers, covered, strict=True):
        if bound:
            employer.discrimination_logit = max(0.0, employer.discrimination_logit - p.discrimination_reduction_logit)
            employer.bound_by_clauses = True


def monitoring(model: "CityModel", rng: np.random.Generator) -> None:
    model.municipality.spend("anti_discrimination", model.scaled_eur(model.params.policies.anti_discrimination.cost_eur_per_month))


register(LeverSpec("anti_discrimination", "services", (monitoring,), setup=bind_contract_holders, priority=40))
