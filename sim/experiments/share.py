"""How to reproduce a comparison: its link, its shell command and its Python lines.

A comparison is fixed by its recipe: the shipped scenarios it compares, in order, with the
edits made to any of them; replications, months, base seed, size and posterior; and the
code version that ran it. The recipe is read from the stored experiment's spec
(``api.plan_compare``) and written three ways: a URL query that the dashboard's Compare
page reopens (the stored experiment if this server has it, else the same comparison set
up to run), a ``pathways compare`` command, and Python lines calling the same API. An
uploaded scenario file has no name to share: a comparison with one has no recipe.
"""

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from sim.scenario import ScenarioError, available

EDITED = " (edited)"
"""Suffix of an edited scenario's label: ``liege/mentoring (edited)``."""


def edited_label(base: str) -> str:
    return f"{base}{EDITED}"


@dataclass(frozen=True)
class Recipe:
    """What reproduces a comparison (see the module's docstring)."""

    scenarios: tuple[str, ...]
    """Shipped scenarios compared as they are, in order; the first is the counterfactual."""
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Scenarios compared edited, after those: shipped scenario -> dotted-name edits."""
    replications: int = 10
    months: int = 120
    seed: int = 1
    migrants: int | None = None
    posterior: str | None = None
    code_version: str | None = None
    """The code that ran it; a link made elsewhere may name another."""
    experiment: str | None = None
    """The stored experiment's name, which the dashboard opens when its database has it."""


def recipe(spec: dict[str, Any], experiment: str | None = None) -> Recipe | None:
    """A stored comparison's recipe, or None if one of its scenarios has no shipped name
    (an uploaded file)."""
    names, edits = [], {}
    for entry in spec["scenarios"]:
        source = entry.get("scenario")
        if source is None:
            return None
        if entry["overrides"]:
            edits[source] = dict(entry["overrides"])
        else:
            names.append(source)
    return Recipe(tuple(names), edits, spec["replications"], spec["months"], spec["seed"], spec.get("migrants"),
                  spec.get("posterior"), spec.get("code_version"), experiment)


def query(r: Recipe) -> str:
    """The URL query of the recipe (after ``compare?``)."""
    pairs = [("scenario", name) for name in r.scenarios]
    pairs += [("edit", f"{base}:{json.dumps(edits, sort_keys=True, separators=(',', ':'))}")
              for base, edits in r.edits.items()]
    pairs += [("reps", r.replications), ("months", r.months), ("seed", r.seed)]
    pairs += [(key, value) for key, value in (("migrants", r.migrants), ("posterior", r.posterior),
                                               ("code", r.code_version), ("experiment", r.experiment))
              if value is not None]
    return urlencode(pairs)


def is_link(search: str) -> bool:
    """Whether a page address's query is a comparison's link (not only ``?lang=fr``)."""
    return bool({"scenario", "edit", "experiment"} & set(parse_qs(search.lstrip("?"))))


def from_query(search: str) -> Recipe:
    """The recipe of a link's query; a ValueError names the part that is wrong."""
    values = parse_qs(search.lstrip("?"), keep_blank_values=True)
    known = set(available())
    scenarios = tuple(values.get("scenario", []))
    for name in scenarios:
        if name not in known:
            raise ValueError(f"link: scenario '{name[:80]}' is not a shipped scenario (`pathways scenarios` lists them)")
    edits = {}
    for item in values.get("edit", []):
        base, _, text = item.partition(":")
        if base not in known:
            raise ValueError(f"link: edit of '{base[:80]}', which is not a shipped scenario")
        try:
            changes = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"link: the edits of '{base}' are not readable (expected {{\"field\": value, ...}})") from None
        if not isinstance(changes, dict) or not changes:
            raise ValueError(f"link: the edits of '{base}' must name at least one field")
        edits[base] = changes
    if len(scenarios) + len(edits) < 2:
        raise ValueError("link: a comparison needs at least two scenarios")

    def number(key: str, default: int | None) -> int | None:
        if key not in values:
            return default
        try:
            return int(values[key][-1])
        except ValueError:
            raise ValueError(f"link: {key} must be a whole number (got '{values[key][-1][:20]}')") from None

    def text(key: str) -> str | None:
        return values[key][-1] if key in values else None

    return Recipe(scenarios, edits, number("reps", 10), number("months", 120), number("seed", 1),
                  number("migrants", None), text("posterior"), text("code"), text("experiment"))


def _settings(r: Recipe) -> dict[str, Any]:
    """The ``Settings`` a recipe fixes, by field: replications, months and seed, and the
    migrants and posterior when it sets them."""
    fields = {"replications": r.replications, "months": r.months, "seed": r.seed, "migrants": r.migrants,
              "posterior": r.posterior}
    return {name: value for name, value in fields.items() if value is not None}


def settings_arguments(r: Recipe) -> list[str]:
    """The command-line options of the recipe's ``Settings`` (``--reps`` for replications)."""
    return [f"--{'reps' if name == 'replications' else name} {value}" for name, value in _settings(r).items()]


def command(r: Recipe) -> str:
    """The ``pathways compare`` command that runs the same comparison."""
    parts = ["pathways compare", *r.scenarios]
    for base, edits in r.edits.items():
        parts += [f"--edit {shlex.quote(f'{base}:{key}={json.dumps(value)}')}" for key, value in edits.items()]
    return " ".join(parts + settings_arguments(r))


def python(r: Recipe) -> str:
    """Python lines that run the same comparison and print its table of differences."""
    lines = ["from sim.experiments.api import Settings, run_compare", ""]
    scenarios = repr(list(r.scenarios))
    edits = f", edits={r.edits!r}" if r.edits else ""
    options = [f"{name}={value!r}" for name, value in _settings(r).items()]
    lines += [f"experiment, comparison, report = run_compare({scenarios}, Settings({', '.join(options)}){edits})",
              "print(comparison.summary)"]
    return "\n".join(lines)


def parse_edit(text: str) -> tuple[str, str, Any]:
    """``SCENARIO:FIELD=VALUE`` (``compare --edit``) as its parts; the value as ``parse_setting``."""
    base, colon, change = text.partition(":")
    if not colon or "=" not in change:
        raise ScenarioError(f"--edit '{text[:80]}': expected SCENARIO:FIELD=VALUE, e.g. "
                            "liege/mentoring:policies.mentoring.places=200")
    return (base, *parse_setting(change, option="--edit"))


def parse_setting(text: str, option: str = "--set") -> tuple[str, Any]:
    """``FIELD=VALUE`` as its parts; the value is read as JSON (numbers, true/false, quoted
    text), else kept as text."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise ScenarioError(f"{option} '{text[:80]}': expected FIELD=VALUE, e.g. policies.mentoring.places=200")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def run_command(scenario: str, edits: dict[str, Any], seed: int, months: int, migrants: int | None) -> str:
    """The ``pathways run`` command of one run (the dashboard's Explore)."""
    parts = ["pathways run", scenario, *(f"--set {shlex.quote(f'{key}={json.dumps(value)}')}" for key, value in edits.items()),
             f"--months {months}", f"--seed {seed}"]
    if migrants is not None:
        parts.append(f"--migrants {migrants}")
    return " ".join([*parts, "--out run.json"])


def run_python(scenario: str, edits: dict[str, Any], seed: int, months: int, migrants: int | None) -> str:
    """Python lines of one run: the same model, stepped the same months."""
    built = f"with_overrides(load({scenario!r}), {edits!r})" if edits else f"load({scenario!r})"
    size = f", migrants={migrants}" if migrants is not None else ""
    return "\n".join(["from sim.model import CityModel", "from sim.scenario import load, with_overrides", "",
                      f"model = CityModel({built}, rng={seed}{size})", f"model.run({months})",
                      "results = model.results()"])
