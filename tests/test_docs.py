"""The documentation names every parameter the scenario files set, and every person variable."""

import tomllib
from pathlib import Path

import pytest

from sim.population import COLUMNS
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]
DATA_SOURCES = ROOT / "docs" / "data-sources.md"
CITIES = ["liege", "paris", "barcelona", "prato"]


def dotted_names(section, prefix=""):
    """Every leaf of a nested dict, by dotted name. A list (such as
    `labour_market.sectors`) is one leaf, named by the list's dotted name."""
    names = []
    for key, value in section.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            names += dotted_names(value, name)
        else:
            names.append(name)
    return names


def missing_from(text, names):
    """The names that do not appear in `text` as inline code (`name`)."""
    return [name for name in names if f"`{name}`" not in text]


def city_section(doc, city):
    """The part of the page about one city: from its scenario file's name to the next
    city (a line starting with **) or the next heading."""
    start = doc.index(f"(`scenarios/{city}/baseline.toml`)")
    ends = [doc.find(marker, start) for marker in ("\n**", "\n## ")]
    return doc[start : min(end for end in ends if end != -1)]


def test_data_sources_names_every_eu27_parameter():
    """docs/data-sources.md is written by hand; this keeps it from drifting from the
    scenario schema: every parameter of the EU-27 baseline (except `meta` and the policy
    levers, which docs/policies.md covers) must be named there in full."""
    scenario = load("eu27/baseline").model_dump(mode="python")
    del scenario["meta"], scenario["policies"]
    missing = missing_from(DATA_SOURCES.read_text(encoding="utf-8"), dotted_names(scenario))
    assert not missing, f"docs/data-sources.md does not name: {', '.join(missing)}"


@pytest.mark.parametrize("city", CITIES)
def test_data_sources_names_every_city_override(city):
    """Every value a city's baseline file sets must be named in that city's section of
    docs/data-sources.md, so that the page does not drift from the scenario files."""
    with open(ROOT / "scenarios" / city / "baseline.toml", "rb") as f:
        overrides = tomllib.load(f)
    for key in ("meta", "policies", "extends", "calibration"):
        overrides.pop(key, None)
    section = city_section(DATA_SOURCES.read_text(encoding="utf-8"), city)
    missing = missing_from(section, dotted_names(overrides))
    assert not missing, f"the {city} section of docs/data-sources.md does not name: {', '.join(missing)}"


def test_odd_describes_every_person_variable():
    """The ODD's state variables (§2) must not drift from the population's columns."""
    missing = missing_from((ROOT / "docs" / "ODD.md").read_text(), list(COLUMNS))
    assert not missing, f"docs/ODD.md does not name: {', '.join(missing)}"
