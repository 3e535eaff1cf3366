"""Scenario files: schema, loading with ``extends``, validation and identity."""

from sim.scenario.loader import (
    ScenarioError, available, content_hash, from_text, load, resolve, validate, with_overrides,
)
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "available", "content_hash", "from_text", "load", "resolve", "validate", "with_overrides"]
