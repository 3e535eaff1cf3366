"""The nationals' comparison population: the same labour market, without the migrants' barriers.

Eurostat publishes every migrant figure beside the nationals' (T02, T05, T09), and the
gap between them is what planners and unions read. The nationals here go through the
model's own rules: care duties and the labour force, openings per 1,000 working-age
people, the hiring rule, job loss, deskilling. They differ only where the guide says
migrants face barriers of their own (§1.1): nationals are citizens (always authorised
to work), speak the language, hold domestic qualifications that need no recognition,
need no time to get ready, start businesses speaking the language, know people in work
(``nationals.bridging_ties``), face no discrimination, and hold fewer temporary contracts (``nationals.job_loss_factor``,
T10). Their education mix and women's care duties are their own
(``nationals.education_shares``, ``nationals.care_duties_start_rate_female_per_month``).

A :class:`NationalsModel` runs beside each :class:`~sim.model.CityModel` from month 0
(its own warm-up first), stepping with it, with a seed drawn from the model's. It warms
up as its city does: from the nationals' steady-state snapshot (:mod:`sim.steady_state`,
keyed by the nationals' own warm-up) and ``population.short_warmup_months``, or the long
way with the city.
"""

from typing import Any

import numpy as np

from sim import draws
from sim.indicators import FINAL_WINDOW_MONTHS, long_term_unemployed_share, rate_by, rates
from sim.mechanisms import labour_market, outflow, readiness, self_employment
from sim.model import CityModel
from sim.month import Mechanism, open_positions
from sim.scenario import Scenario, with_overrides
from sim.scenario.policies import Policies, SSEEconomy
from sim.states import Education, LabourState, LegalStatus, Reason, RecognitionState, Sex

SHARED_DEMAND = ("labour_market.openings_scale",)
"""Timeline fields the nationals share with the migrants: the economy's labour demand."""
WORKING_LIFE_MONTHS = (20 * 12, 65 * 12)
"""Nationals are followed from their 20th birthday to their 65th (the LFS band 20-64)."""


def nationals_scenario(params: Scenario) -> Scenario:
    """The scenario the nationals live under: the migrants' labour market, with the
    nationals' own education, care duties and job security, and no discrimination."""
    n = params.nationals
    return with_overrides(params, {
        "labour_market.discrimination_logit_penalty": 0.0,
        "labour_market.job_loss_rate_per_month": min(1.0, params.labour_market.job_loss_rate_per_month * n.job_loss_factor),
        "population.care_duties_start_rate_female_per_month": n.care_duties_start_rate_female_per_month,
        **{f"population.education_shares.{level}": getattr(n.education_shares, level) for level in ("low", "medium", "high")},
        "nationals.comparison_people": 0,  # nationals have no comparison population of their own
        "outflow.exit_age_years": WORKING_LIFE_MONTHS[1] / 12,
        "policies": Policies().model_dump(mode="python"),  # levers are for migrants: nationals are the same in every scenario
        # Migration law does not apply to nationals; the labour demand of the timeline (a
        # replay's) does, in the same calendar: only that, since the nationals' own labour
        # market differs from the migrants' in the fields set above.
        "law": {"rules": None, "start": params.law.start},
        "timeline": [{"month": step.month, "settings": demand} for step in params.timeline
                     if (demand := {k: v for k, v in step.settings.items() if k in SHARED_DEMAND})],
        "sse": SSEEconomy().model_dump(mode="python"),
    })


def coming_of_age(model: "NationalsModel", rng: np.random.Generator) -> None:
    """Young nationals reach 20 at the rate that keeps the working-age population steady."""
    n = int(rng.poisson(model.initial_migrants / (WORKING_LIFE_MONTHS[1] - WORKING_LIFE_MONTHS[0])))
    if n:
        add_nationals(model, np.full(n, model.month - WORKING_LIFE_MONTHS[0], dtype=np.int32), rng)
    model.flows.newcomers += n


def add_nationals(model: "NationalsModel", birth_month: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Nationals born in the given months, with their barriers as they stand at their age."""
    p, n = model.params, birth_month.size
    female = draws.happens(rng, 0.5, n)
    education = draws.categorical(rng, [getattr(p.population.education_shares, e) for e in ("low", "medium", "high")], n)
    start = np.where(female, p.population.care_duties_start_rate_female_per_month,
                     p.population.care_duties_start_rate_male_per_month)
    care = draws.happens(rng, start / np.maximum(start + p.population.care_duties_end_rate_per_month, 1e-12), n)
    return model.pop.add(
        n,
        status=LegalStatus.NATURALISED,
        status_since_month=birth_month,
        legal_since_month=birth_month,
        labour=np.where(care, LabourState.INACTIVE, LabourState.SEARCHING),
        labour_since_month=model.month,
        reason=Reason.WORK,
        sex=female.astype(np.int8),
        care_duties=care,
        education=education,
        origin_sector=draws.categorical(rng, [s.origin_occupation_share for s in model.sectors], n),
        birth_month=birth_month,
        arrival_month=birth_month,
        recognition=np.where(education >= Education.MEDIUM, RecognitionState.RECOGNISED, RecognitionState.NOT_APPLIED),
        skill=1.0,
        field_mismatch=labour_market.graduate_mismatch(model, education, rng),
        language=1.0,
        readiness=1.0,
        services_knowledge=1.0,
        bridging_ties=p.nationals.bridging_ties,
    )


NATIONALS_MECHANISMS: tuple[Mechanism, ...] = (
    coming_of_age,
    readiness.care_duties,
    readiness.labour_force,
    open_positions,
    labour_market.job_loss,
    labour_market.formal_hiring,
    labour_market.undeclared_hiring,
    self_employment.business_closures,
    self_employment.business_starts,
    labour_market.skill_decay,
    outflow.ageing_out,
)
"""A national's month: no arrival, status, language, recognition, networks or levers."""


class NationalsModel(CityModel):
    """Nationals aged 20-64 under a scenario's labour market (module docstring).

    Args:
        scenario: the migrants' scenario; :func:`nationals_scenario` derives the nationals'.
        rng: seed of the model's random generators.
        people: nationals of working age at the start.
        long_warm_up, warm_up_until: as for :class:`~sim.model.CityModel`.
    """

    COUNTS_BY_ARRIVAL_AND_GROUP = False  # nobody arrives; the who-gains groups are the migrants'

    def __init__(self, scenario: Scenario, rng: int, people: int, long_warm_up: bool = False, warm_up_until: int = 0):
        self.migrants_scenario = scenario
        """The migrants' scenario, which ``nationals_scenario`` derives this one from."""
        super().__init__(nationals_scenario(scenario), rng=rng, migrants=people, long_warm_up=long_warm_up,
                         warm_up_until=warm_up_until)

    def reference_city(self, migrants: int, rng: int) -> "NationalsModel":
        """These nationals warmed up the long way, at another size and seed, up to the month
        runs start at: a steady-state snapshot's source."""
        return NationalsModel(self.migrants_scenario, rng=rng, people=migrants, long_warm_up=True,
                              warm_up_until=-self.params.population.short_warmup_months)

    def start(self, scenario: Scenario | None = None) -> None:
        """Month 0: nothing opens for nationals (no SSE enterprises, no levers)."""
        self.started = True
        self.mechanisms = self.month_mechanisms(with_levers=True)

    def populate(self, n: int) -> None:
        ages = self.rng.integers(*WORKING_LIFE_MONTHS, size=n, dtype=np.int32)
        rows = add_nationals(self, self.month - ages, self.rng)
        self_employment.settled_businesses(self, rows, ages - WORKING_LIFE_MONTHS[0])

    def month_mechanisms(self, with_levers: bool) -> list[Mechanism]:
        return list(NATIONALS_MECHANISMS)

    def month_rates(self, month: int) -> dict[str, float]:
        """The survey rates (``indicators.rates``) of model month ``month``, which these
        nationals have run: their last month, or an earlier one when they are ahead of the
        city that reads them (shared by the runs of a task, ``jobs.run_task``)."""
        back = self.month - 1 - month
        if back < 0:
            raise ValueError(f"the nationals have not run month {month} yet (they are at month {self.month})")
        return rates(self.counts.cells[-1 - back], self.counts.businesses_below_skills[-1 - back])

    def indicators(self) -> dict[str, Any]:
        """The nationals' headline rates, averaged over the final 12 months like the migrants'."""
        window = min(FINAL_WINDOW_MONTHS, len(self.counts.cells))
        cells = self.counts.window(window)
        return {**rates(cells, self.counts.businesses_below(window)), "employment_rate_by_sex": rate_by(cells, 2, Sex),
                "long_term_unemployed_share": long_term_unemployed_share(self, citizens=True)}
