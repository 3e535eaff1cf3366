"""Inclusion pathways: an agent-based model of migrants' labour-market inclusion in
European cities, and of the municipal and social-economy policies that change it."""

from sim.model import CityModel
from sim.scenario import Scenario, ScenarioError, load

__all__ = ["CityModel", "Scenario", "ScenarioError", "load"]
