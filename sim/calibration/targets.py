"""Calibration targets: the published figures (``calibration/targets.csv``), how each is
compared with the model (``calibration/comparisons.toml``), and the free parameters with
their priors (``calibration/free_parameters.toml``)."""

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario import Scenario, with_overrides

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"
FIT_YEAR = 2023
"""The year of the cross-section the presets are fitted to (targets.csv's figures)."""


@dataclass(frozen=True)
class Target:
    id: str
    indicator: str
    group: str
    geography: str
    year: str
    published: float | None
    """In the model's unit (a fraction for rates); None for inputs and unreachable figures."""
    source: str
    metric: str | None
    tolerance: float | None
    fit: bool
    input: str | None
    not_reachable: str | None
    why_missed: str | None = None
    """What the model lacks to reach a compared figure, for the report to give if it misses."""


@dataclass(frozen=True)
class FreeParameter:
    name: str
    low: float
    high: float
    why: str


def presets() -> list[str]:
    with (CALIBRATION_DIR / "free_parameters.toml").open("rb") as handle:
        return list(tomllib.load(handle))


def free_parameters(preset: str) -> list[FreeParameter]:
    with (CALIBRATION_DIR / "free_parameters.toml").open("rb") as handle:
        table = tomllib.load(handle)
    if preset not in table:
        raise ValueError(f"unknown preset '{preset}' for calibration (allowed: {', '.join(table)})")
    return [FreeParameter(**entry) for entry in table[preset]]


COMPARISON_KEYS = {"metric", "scale", "tolerance", "fit", "presets", "value_index", "input", "not_reachable",
                   "why_missed"}
"""What a target's entry in comparisons.toml may say (the file's header explains each)."""


def targets(preset: str) -> list[Target]:
    """The targets of a preset, in the order of targets.csv."""
    with (CALIBRATION_DIR / "comparisons.toml").open("rb") as handle:
        comparisons: dict[str, dict[str, Any]] = tomllib.load(handle)
    out = []
    with (CALIBRATION_DIR / "targets.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            how = comparisons.get(row["id"])
            if how is None or preset not in how["presets"]:
                continue
            unknown = set(how) - COMPARISON_KEYS
            if unknown:
                raise ValueError(f"comparisons.toml [{row['id']}]: unknown key '{sorted(unknown)[0]}' "
                                 f"(allowed: {', '.join(sorted(COMPARISON_KEYS))})")
            published = None
            if "metric" in how:
                value = row["value"].split("/")[how.get("value_index", 0)]
                published = float(value.replace(",", "").strip()) * how.get("scale", 1.0)
            out.append(Target(
                id=row["id"], indicator=row["indicator"], group=row["group"], geography=row["geography"],
                year=row["year"], published=published, source=row["source"], metric=how.get("metric"),
                tolerance=how.get("tolerance"), fit=bool(how.get("fit", False)), input=how.get("input"),
                not_reachable=how.get("not_reachable"), why_missed=how.get("why_missed"),
            ))
    return out


def metric_value(results: dict[str, Any], dotted: str) -> float | None:
    """A value of the results by dotted path (``non_eu_citizens.employment_rate``)."""
    node: Any = results
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no indicator '{dotted}' in the results")
        node = node[part]
    return None if node is None else float(node)


def fit_calendar(scenario: Scenario, months: int) -> dict[str, str]:
    """Overrides that put a run's final 12 months, where indicators are measured, in
    ``FIT_YEAR``, under the rules in force through the years before it: a preset that
    names its national rules starts ``months`` before the end of ``FIT_YEAR``. Without
    rules the scenario has no calendar and nothing changes."""
    if scenario.law.rules is None:
        return {}
    first = FIT_YEAR * 12 + 12 - months  # months since year 0 of month 0
    return {"law.start": f"{first // 12}-{first % 12 + 1:02d}"}


FIT_WARMUP_MONTHS = 72
"""Months a fit's particle warms up, from the closed-form stock (``sim.initial_stock``),
instead of the preset's ``population.warmup_months`` (180).

Every particle is a new warm-up (a snapshot per particle, ``sim.steady_state``, would
cost more than the warm-up itself at the fit's small size, and fill the cache), and 180
months were four fifths of a particle's months. After 72 months every fitted target of
every preset is within about a quarter of its tolerance of where 180 months leave it
(``tests/test_fit_warm_up.py``); the employment rates, migrants' and nationals', settle
last, still about 0.8 points short. Hits and misses are judged at a whole tolerance, in
reports run with the preset's own warm-up. ``--warmup-months 180`` fits that model
exactly, at 1.7 times the cost."""


def fit_scenario(scenario: Scenario, months: int, warmup_months: int) -> Scenario:
    """The scenario a fit's particle runs: ``months`` on the fit's calendar
    (``fit_calendar``), after a long warm-up of at most ``warmup_months``."""
    population = scenario.population
    warmup = min(warmup_months, population.warmup_months)
    return with_overrides(scenario, {
        **fit_calendar(scenario, months),
        "population.warmup_months": warmup,
        "population.short_warmup_months": min(population.short_warmup_months, warmup),
    })
