"""Experimental designs over scenario parameters: grids and Latin hypercubes.

A parameter is named by its dotted path in the scenario (``inflow.newcomers_per_month``,
``policies.one_stop_shop.capacity_clients_per_month``) with a range ``low:high``, a grid
``low:high:steps`` or a list ``a,b,c``.
"""

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario import Scenario, ScenarioError


@dataclass(frozen=True)
class Factor:
    name: str
    low: float
    high: float
    steps: int | None = None
    values: tuple[float, ...] | None = None

    def grid(self) -> list[float]:
        if self.values is not None:
            return list(self.values)
        return [float(v) for v in np.linspace(self.low, self.high, self.steps or 3)]


def parse_factor(text: str) -> Factor:
    """``name=low:high``, ``name=low:high:steps`` or ``name=a,b,c``, with a one-line error otherwise."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--param {text!r}: write name=low:high, name=low:high:steps or name=a,b,c")
    try:
        if "," in spec:
            values = tuple(float(v) for v in spec.split(","))
            return Factor(name.strip(), min(values), max(values), values=values)
        parts = [float(v) for v in spec.split(":")]
    except ValueError:
        raise ValueError(f"--param {text!r}: values must be numbers") from None
    if len(parts) not in (2, 3) or parts[0] > parts[1]:
        raise ValueError(f"--param {text!r}: write low:high or low:high:steps with low <= high")
    steps = int(parts[2]) if len(parts) == 3 else None
    if steps is not None and not 1 <= steps <= 1000:
        raise ValueError(f"--param {text!r}: steps must be between 1 and 1000")
    return Factor(name.strip(), parts[0], parts[1], steps)


def parse_factors(texts: list[str]) -> list[Factor]:
    """Each ``--param`` (``parse_factor``), each parameter once: a second range for the
    same one would replace the first at every point of the design."""
    factors = [parse_factor(text) for text in texts]
    names = [f.name for f in factors]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ValueError(f"--param {twice}: given twice; give each parameter once")
    return factors


def grid(factors: list[Factor]) -> list[dict[str, float]]:
    """Full factorial design over each factor's grid values."""
    return [dict(zip([f.name for f in factors], combo, strict=True))
            for combo in itertools.product(*(f.grid() for f in factors))]


def latin_hypercube(factors: list[Factor], points: int, seed: int) -> list[dict[str, float]]:
    """A Latin hypercube of ``points`` points over the factors' ranges (scipy.stats.qmc)."""
    flat = [f.name for f in factors if not f.high > f.low]
    if flat:
        raise ValueError(f"--param {flat[0]}: a Latin hypercube needs a range low:high with low < high")
    from scipy.stats import qmc  # here: scipy.stats takes a second to import, which only this design needs

    unit = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(seed)).random(points)
    scaled = qmc.scale(unit, [f.low for f in factors], [f.high for f in factors])
    return [dict(zip([f.name for f in factors], row.tolist(), strict=True)) for row in scaled]


def typed(base: Scenario, point: dict[str, Any]) -> dict[str, Any]:
    """Cast each value to the type of the field it sets (an int field gets an int)."""
    data = base.model_dump()
    out = {}
    for name, value in point.items():
        node: Any = data
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError(f"--param {name}: no such scenario field")
            node = node[part]
        out[name] = int(round(value)) if isinstance(node, int) and not isinstance(node, bool) else value
    return out
