"""The extension point for policy levers: each lever registers where its mechanisms run.

A lever is a set of monthly mechanisms (functions of the model and of a random stream),
a phase of the month in which they run (``PHASES``, see ``sim.month``), an optional set-up run once when the
reported run starts, and a test of whether a scenario switches it on. Levers act from
month 0 on: warm-up months are the baseline's, so every scenario shares its history.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.extensions import register_parameters

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario import Scenario
    from sim.scenario.policies import Lever

PHASES = (
    "arrival",
    "status",
    "readiness",
    "services",
    "language",
    "recognition",
    "programmes",
    "labour_market",
    "economy",
    "networks",
    "outflow",
    "welfare",
    "follow_up",
)
"""The month's phases, in order (docs/ODD.md §3)."""


@dataclass(frozen=True)
class LeverSpec:
    name: str
    phase: str
    mechanisms: tuple[Callable[["CityModel", np.random.Generator], None], ...]
    """Functions of the model and of their own random stream, which the model hands them."""
    setup: Callable[["CityModel", np.random.Generator], None] | None = None
    enabled: Callable[["Scenario"], bool] | None = None
    priority: int = 100
    """Order within the phase (lower first): levers that fill places from the same
    searchers take them in this order."""

    def is_enabled(self, params: "Scenario") -> bool:
        if self.enabled is not None:
            return self.enabled(params)
        if self.name in params.policies.extensions:
            return bool(params.policies.extensions[self.name].enabled)
        lever = getattr(params.policies, self.name, None)
        return bool(lever is not None and lever.enabled)


LEVERS: list[LeverSpec] = []


def register(spec: LeverSpec, parameters: "type[Lever] | None" = None) -> LeverSpec:
    """Add a lever; its phase must be one of ``PHASES``.

    A lever written outside the core passes ``parameters``, a subclass of
    :class:`~sim.scenario.policies.Lever`: scenarios then switch it on and set it under
    ``[policies.extensions.NAME]`` (:mod:`sim.scenario.extensions`; docs/extending.md).
    """
    if spec.phase not in PHASES:
        raise ValueError(f"lever '{spec.name}': unknown phase '{spec.phase}' (allowed: {', '.join(PHASES)})")
    if any(existing.name == spec.name for existing in LEVERS):
        raise ValueError(f"lever '{spec.name}' is already registered")
    from sim.scenario.policies import Lever, Policies

    if parameters is None and spec.enabled is None and spec.name not in Policies.model_fields:
        raise ValueError(f"lever '{spec.name}': no switch: pass parameters= (a Lever subclass) or enabled=")
    if parameters is not None:
        if spec.name in Policies.model_fields:
            raise ValueError(f"lever '{spec.name}': the name is taken by a field of [policies]")
        if not (isinstance(parameters, type) and issubclass(parameters, Lever)):
            raise ValueError(f"lever '{spec.name}': parameters must be a subclass of sim.scenario.policies.Lever")
        register_parameters(spec.name, parameters)
    LEVERS.append(spec)
    return spec


def enabled_levers(params: "Scenario") -> list[LeverSpec]:
    """The scenario's levers in running order: by phase, then priority, then registration."""
    enabled = [spec for spec in LEVERS if spec.is_enabled(params)]
    return sorted(enabled, key=lambda spec: (PHASES.index(spec.phase), spec.priority))
