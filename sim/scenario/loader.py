"""Finding, reading, merging (``extends``) and validating scenario files.

Every failure raises :class:`ScenarioError` with a one-line message naming the file, the
field and what is allowed; the CLI turns it into exit code 2.
"""

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.schema import Scenario, get_field, set_field

#: Where scenario names such as ``liege/baseline`` are looked up. ``PATHWAYS_SCENARIOS``
#: overrides it (for example to keep a city's own files outside the repository).
SCENARIO_DIR = Path(os.environ.get("PATHWAYS_SCENARIOS", Path(__file__).resolve().parents[2] / "scenarios"))
FITTED_DIR = Path(__file__).resolve().parents[2] / "calibration" / "fitted"
"""Calibrated parameter sets: ``calibration = "eu27"`` in a scenario loads ``eu27.toml`` from here."""
FIT_FOLDER = "fit"
"""A city written by ``pathways city new`` keeps its fit beside its scenarios, in this folder:
``calibration = "fit/gent.toml"`` in its baseline."""

MAX_EXTENDS_DEPTH = 20
MAX_FILE_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 100_000
"""A scenario file is a few kB; an upload is refused above this."""


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a one-line explanation."""


def resolve(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """Turn ``liege/baseline`` into ``scenarios/liege/baseline.toml``; paths pass through.

    Names resolve against ``SCENARIO_DIR``; a relative path in ``extends`` resolves
    against the extending file's folder first.
    """
    text = str(name_or_path)
    if "\x00" in text or len(text) > 1000:
        raise ScenarioError(f"scenario name or path '{text[:60]}...' is not usable (a NUL byte, or over 1000 characters)")
    candidates = []
    path = Path(text)
    if path.suffix == ".toml":
        if base_dir is not None and not path.is_absolute():
            candidates.append(base_dir / path)
        candidates.append(path)
    else:
        named = (SCENARIO_DIR / f"{text}.toml").resolve()
        if not named.is_relative_to(SCENARIO_DIR.resolve()):
            raise ScenarioError(f"scenario name '{text[:80]}' points outside {SCENARIO_DIR}; name a shipped scenario "
                                "(such as liege/baseline) or give a path ending in .toml")
        candidates.append(named)
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.resolve()
        except OSError as exc:  # a name too long for the file system, a folder we may not enter
            raise ScenarioError(f"scenario '{text[:80]}' cannot be read: {exc.strerror}") from None
    raise ScenarioError(f"scenario '{text}' not found (looked for {candidates[-1]}); available: {', '.join(available())}")


def available() -> list[str]:
    """Names of the shipped scenarios, such as ``liege/baseline``: not a city's ``fit/``
    folder (its fitted values) nor a hidden folder (a city being written)."""
    names = []
    for path in SCENARIO_DIR.rglob("*.toml"):
        folders = path.relative_to(SCENARIO_DIR).parts[:-1]
        if not any(part == FIT_FOLDER or part.startswith(".") for part in folders):
            names.append(str(path.relative_to(SCENARIO_DIR).with_suffix("")))
    return sorted(names)


def load(name_or_path: str | Path) -> Scenario:
    """Read, merge and validate a scenario."""
    path = resolve(name_or_path)
    merged = _read_with_extends(path, chain=())
    return _follows_its_rules(validate(merged, source=str(path)), str(path))


def from_text(text: str, source: str = "uploaded scenario") -> Scenario:
    """A scenario typed or uploaded in the dashboard: size-limited, and it may extend only a
    shipped scenario by name (never a path), so it reads no file but those."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"{source}: larger than {MAX_UPLOAD_BYTES // 1000} kB")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ScenarioError(f"{source}: not valid Unicode text") from None
    data = _parse(text, source)
    parent = data.pop("extends", None)
    calibration = data.pop("calibration", None)
    if parent is not None:
        if not isinstance(parent, str) or parent not in available():
            shown = parent[:60] if isinstance(parent, str) else type(parent).__name__
            raise ScenarioError(f"{source}: field 'extends' must name a shipped scenario (got {shown!r}; "
                                f"allowed: {', '.join(available())})")
        data = deep_merge(_read_with_extends(resolve(parent), chain=()), data)
    if calibration is not None:
        data = deep_merge(data, _fitted(Path(source), calibration, beside=False))
    return _follows_its_rules(validate(data, source=source), source)


def _follows_its_rules(scenario: Scenario, source: str) -> Scenario:
    """Refuse a scenario file whose own value of a field differs from the national rules it
    names, in force at its start: the rules would silently replace it. A change of law is
    an assumed reform and says so (``law.assumed_reform``, ``law.reformed``)."""
    law = scenario.law
    if law.rules is None:
        return scenario
    from sim.rules import model_settings

    for dotted, value in model_settings(law.rules, law.start, 0).items():
        own = get_field(scenario, dotted)
        if own != value:
            raise ScenarioError(f"{source}: {dotted} = {own!r}, but the rules {law.rules} in force in {law.start} set "
                                f"{value!r}; a scenario assuming a national reform puts it in law.reformed and says "
                                "what it assumes in law.assumed_reform")
    return scenario


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate merged scenario data, turning the first problem into a one-line error."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_describe(exc)}") from None


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: the identity of what was simulated."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy with dotted-path overrides (``{"inflow.newcomers_per_month": 50}``), validated."""
    data = scenario.model_dump(mode="python")
    for dotted, value in overrides.items():
        try:
            set_field(data, dotted, value, where="override")
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
    return validate(data, source=f"scenario '{scenario.meta.name}' with overrides")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
        with path.open("rb") as handle:
            return _parse(handle.read().decode("utf-8"), str(path))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not valid UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None


def _parse(text: str, source: str) -> dict[str, Any]:
    """TOML text as data; every way it can be malformed becomes one ``ScenarioError``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"{chain[0]}: field 'extends' forms a cycle ({cycle})")
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(f"{chain[0]}: field 'extends' is nested deeper than {MAX_EXTENDS_DEPTH} files")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    calibration = data.pop("calibration", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: field 'extends' must be a scenario name or path (got {type(parent).__name__})")
        try:
            parent_path = resolve(parent, base_dir=path.parent)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: field 'extends': {exc}") from None
        data = deep_merge(_read_with_extends(parent_path, (*chain, path)), data)
    if calibration is not None:
        # Fitted values override the file's own (hand-set) ones; scenarios extending this
        # file can still override them.
        data = deep_merge(data, _fitted(path, calibration))
    return data


def _fitted(path: Path, preset: object, beside: bool = True) -> dict[str, Any]:
    """A preset's fitted values, or (``beside``, for a file read from disk) those of a city's
    own fit, ``fit/NAME.toml`` in the scenario's folder."""
    if isinstance(preset, str) and beside and re.fullmatch(rf"{FIT_FOLDER}/[a-z][a-z0-9_]{{0,39}}\.toml", preset):
        fitted = path.parent / preset
        if not fitted.is_file():
            raise ScenarioError(f"{path}: field 'calibration': {preset} not found beside it")
        return _read_toml(fitted)
    if not isinstance(preset, str) or not preset.replace("_", "").isalnum():
        raise ScenarioError(f"{path}: field 'calibration' must be a preset name such as 'eu27', or "
                            f"'{FIT_FOLDER}/NAME.toml' beside the file (got {str(preset)[:60]!r})")
    fitted = FITTED_DIR / f"{preset}.toml"
    if not fitted.is_file():
        raise ScenarioError(f"{path}: field 'calibration': no fitted parameters for '{preset}' (run: pathways calibrate {preset})")
    return _read_toml(fitted)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (arrays included) replaces the base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError) -> str:
    # An unknown field is usually a typo that also makes a field "missing": name it first.
    errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(first["loc"][:-1])
        return f"unknown field '{loc}' (allowed: {', '.join(allowed)}){more}"
    if kind == "missing":
        return f"field '{loc}' is missing{more}"
    given = first.get("input")
    shown = repr(given) if not isinstance(given, dict) else "a table"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    where = f"field '{loc}'" if loc else "scenario"
    message = first["msg"][:1].lower() + first["msg"][1:]
    return f"{where}: {message} (got {shown}){more}"


def _allowed_fields(loc: tuple) -> list[str]:
    """Field names allowed at a location of the schema, for 'unknown field' messages."""
    model: type[BaseModel] = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return list(model.model_fields)
