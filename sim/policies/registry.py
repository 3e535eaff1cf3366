"""The extension point for policy levers: each lever registers where its mechanisms run.

A lever is a set of monthly mechanisms (functions of the model), a phase of the month
in which they run (``PHASES``, see ``sim.model``), an optional set-up run once when the
reported run starts, and a test of whether a scenario switches it on. Levers act from
month 0 on: warm-up months are the baseline's, so every scenario shares its history.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario import Scenario

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
    mechanisms: tuple[Callable[["CityModel"], None], ...]
    setup: Callable[["CityModel"], None] | None = None
    enabled: Callable[["Scenario"], bool] | None = None
    priority: int = 100
    """Order within the phase (lower first): levers that fill places from the same
    searchers take them in this order."""

    def is_enabled(self, params: "Scenario") -> bool:
        if self.enabled is not None:
            return self.enabled(params)
        return bool(getattr(params.policies, self.name).enabled)


LEVERS: list[LeverSpec] = []


def register(spec: LeverSpec) -> LeverSpec:
    """Add a lever; its phase must be one of ``PHASES``."""
    if spec.phase not in PHASES:
        raise ValueError(f"lever '{spec.name}': unknown phase '{spec.phase}' (allowed: {', '.join(PHASES)})")
    if any(existing.name == spec.name for existing in LEVERS):
        raise ValueError(f"lever '{spec.name}' is already registered")
    LEVERS.append(spec)
    return spec


def enabled_levers(params: "Scenario") -> list[LeverSpec]:
    """The scenario's levers in running order: by phase, then priority, then registration."""
    enabled = [spec for spec in LEVERS if spec.is_enabled(params)]
    return sorted(enabled, key=lambda spec: (PHASES.index(spec.phase), spec.priority))
