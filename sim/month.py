"""The whole month in one table: what runs, in which order.

Each month runs the phases of ``sim.policies.PHASES`` in order. In each phase come first
the baseline's mechanisms (``BASELINE``: national rules and the ordinary labour market,
the same in every scenario), then in the economy phase the SSE enterprises' own month
(``SSE``), then the enabled policy levers of that phase, by priority (each lever's module
registers its phase and priority: ``sim.policies.registry``). The SSE's books open first
of all, and the levers' follow-up closes the month. ``describe`` lists a scenario's month.

Each mechanism is a function of the model and of its own random stream, named after it
(``CityModel.random_stream``), which the model hands it: adding a lever does not move any
other mechanism's draws.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim import sse
from sim.agents import open_all_positions
from sim.mechanisms import inflow, labour_market, language, legal_status, networks, outflow, readiness, recognition
from sim.mechanisms import self_employment, welfare
from sim.policies import PHASES, enabled_levers, regularisation

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario import Scenario

Mechanism = Callable[["CityModel", np.random.Generator], None]
"""A monthly mechanism: a function of the model and of its own random stream."""


def open_positions(model: "CityModel", rng: np.random.Generator) -> None:
    """Each employer opens this month's positions: ``Employer.open_positions`` for all of
    them in one draw, with the same numbers as the per-agent loop (``agents.open_all_positions``)."""
    open_all_positions(model, rng)


def follow_up(model: "CityModel", rng: np.random.Generator) -> None:
    """Where each lever's participants are 6 and 12 months after entering (no draws)."""
    model.programme_outcomes.follow_up(model)


BASELINE: dict[str, tuple[Mechanism, ...]] = {
    "arrival": (inflow.arrivals,),
    "status": (
        legal_status.asylum_decisions,
        legal_status.permit_reviews,
        legal_status.long_term_residence,
        legal_status.naturalisation,
        legal_status.background_regularisation,
        regularisation.decide_applications,
    ),
    "readiness": (readiness.recovery, readiness.care_duties, readiness.labour_force),
    "language": (language.course_exits, language.course_enrolment, language.learning),
    "recognition": (recognition.services_knowledge, recognition.decisions, recognition.applications),
    "labour_market": (
        open_positions,
        labour_market.job_loss,
        labour_market.formal_hiring,
        labour_market.undeclared_hiring,
        self_employment.business_closures,
        self_employment.business_starts,
        labour_market.skill_decay,
    ),
    "networks": (networks.bridging_ties,),
    "outflow": (outflow.emigration, outflow.ageing_out),
    "welfare": (welfare.social_assistance,),
}
"""The baseline month by phase."""
SSE: dict[str, tuple[Mechanism, ...]] = {
    "economy": (sse.sse_economy, sse.sse_learning),
}
"""The SSE enterprises' month, in the scenarios that have any (their books open first)."""
SSE_LEVERS = ("sse_transitional_jobs", "ephemeral_cooperatives", "start_up_support", "reserved_procurement")


def monthly_mechanisms(params: "Scenario", with_levers: bool = True, national: frozenset[str] = frozenset()) -> list[Mechanism]:
    """The month's mechanisms in order (module docstring). Without levers (warm-up
    months) only the baseline runs, and the ``national`` levers: those the national rules
    switch on (a regularisation route in force), which are the law, not a city's choice."""
    levers = enabled_levers(params) if with_levers else [spec for spec in enabled_levers(params) if spec.name in national]
    with_sse = with_levers and (
        params.sse.existing_enterprises > 0 or any(getattr(params.policies, name).enabled for name in SSE_LEVERS)
    )
    steps: list[Mechanism] = [sse.open_books] if with_sse else []
    for phase in PHASES:
        steps += BASELINE.get(phase, ())
        if with_sse:
            steps += SSE.get(phase, ())
        steps += [mechanism for spec in levers if spec.phase == phase for mechanism in spec.mechanisms]
    if with_levers and levers:
        steps.append(follow_up)
    return steps


def describe(params: "Scenario") -> list[str]:
    """The scenario's month as the names of its mechanisms, in order (for the docs and tests)."""
    return [f"{m.__module__.removeprefix('sim.')}.{m.__qualname__}" for m in monthly_mechanisms(params)]
