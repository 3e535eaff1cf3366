"""Helpers shared by the tests."""

from sim.model import CityModel
from sim.scenario import load, with_overrides


def small_model(scenario: str = "liege/baseline", seed: int = 1, migrants: int = 3000, **overrides) -> CityModel:
    """A model of the given preset with fewer migrants; ``overrides`` use dotted names with '__'."""
    params = load(scenario)
    if overrides:
        params = with_overrides(params, {key.replace("__", "."): value for key, value in overrides.items()})
    return CityModel(params, rng=seed, migrants=migrants)
