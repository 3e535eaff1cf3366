"""National legal rules as dated, sourced rule sets: what is in force on a given day.

Each jurisdiction has a file ``rules/CODE.toml`` (BE, FR, ES, IT, CH-GE for Geneva, EU): a
list of rules, each with its legal source, the dates it is in force, whether its figure
was read in the legal text (``verified``), and, when the model encodes it, the scenario
field it sets (``parameter``) and its value. Successive versions of a rule share its
``id`` and cover consecutive dates. A rule without a parameter is documentation of what
the model leaves out (a route it lacks, what a city can and cannot do).

A scenario names its rule set and the calendar month of its month 0 (``[law]``); the model
then takes the encoded rules in force each month (:func:`settings`), switching on the
month a rule takes effect. EU-level rules (``EU.toml``) are floors and ceilings every
member state's rules must respect: a rule there with ``bound = "at_most"`` caps the
national value from its date (the Reception Conditions Directive's longest wait before
asylum seekers may work, for instance).
"""

import datetime as dt
import functools
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
TOPICS = ("asylum_work", "permits", "long_term_residence", "naturalisation", "regularisation", "city_powers")
EU_MEMBERS = ("BE", "FR", "ES", "IT")
"""Jurisdictions whose rules the EU file bounds (Geneva is not in the EU)."""


class RulesError(ValueError):
    """A rule set that cannot be read or used; its message is one line naming the problem."""


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,60}$")]
    topic: Literal["asylum_work", "permits", "long_term_residence", "naturalisation", "regularisation", "city_powers"]
    parameter: str | None = None
    """The scenario field the rule sets (dotted), or none when the model does not encode it."""
    value: float | str | list[str] | None = None
    """A number, a choice or a list of names (sectors), as the field takes it."""
    bound: Literal["exactly", "at_most"] = "exactly"
    """``at_most``: an EU rule capping the member states' values."""
    overrides: list[str] = []
    """Ids of rules setting the same field that this one takes precedence over while in
    force (a one-off window over the permanent route it runs beside)."""
    in_force_from: dt.date
    in_force_until: dt.date | None = None
    """Last day in force; none while in force."""
    source: str
    url: str | None = None
    summary: str
    verified: bool
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if (self.parameter is None) != (self.value is None):
            raise ValueError(f"rule '{self.id}': a parameter needs a value and a value a parameter")
        if self.in_force_until is not None and self.in_force_until < self.in_force_from:
            raise ValueError(f"rule '{self.id}': in_force_until {self.in_force_until} is before in_force_from")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.in_force_from <= day and (self.in_force_until is None or day <= self.in_force_until)


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str
    name: str
    checked: dt.date
    """When the texts were last read."""
    rules: list[Rule]
    _model_settings: dict[tuple[str, int], dict[str, Any]] = PrivateAttr(default_factory=dict)
    """``model_settings`` already worked out for this rule set, by (start, model month): a
    run asks for every month's, and every run of a scenario for the same months."""

    @model_validator(mode="after")
    def _versions_do_not_overlap(self):
        by_id: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_id.setdefault(rule.id, []).append(rule)
        for rule_id, versions in by_id.items():
            versions = sorted(versions, key=lambda r: r.in_force_from)
            for earlier, later in zip(versions, versions[1:]):
                if earlier.in_force_until is None or earlier.in_force_until >= later.in_force_from:
                    raise ValueError(f"rule '{rule_id}': versions from {earlier.in_force_from} and "
                                     f"{later.in_force_from} overlap")
        setters = [r for r in self.rules if r.parameter is not None]
        for a in setters:
            for b in setters:
                if a.id < b.id and a.parameter == b.parameter and _overlap(a, b) \
                        and b.id not in a.overrides and a.id not in b.overrides:
                    raise ValueError(f"rules '{a.id}' and '{b.id}' both set {a.parameter} from "
                                     f"{max(a.in_force_from, b.in_force_from)}: one must override the other")
        return self

    def in_force(self, day: dt.date) -> list[Rule]:
        """The rules in force on ``day``, by topic then id."""
        return sorted((r for r in self.rules if r.in_force(day)), key=lambda r: (TOPICS.index(r.topic), r.id))


def _overlap(a: Rule, b: Rule) -> bool:
    ends = [d for d in (a.in_force_until, b.in_force_until) if d is not None]
    return max(a.in_force_from, b.in_force_from) <= (min(ends) if ends else dt.date.max)


def available() -> list[str]:
    """Codes of the shipped rule sets."""
    return sorted(path.stem for path in RULES_DIR.glob("*.toml"))


@functools.cache
def load(code: str) -> RuleSet:
    """The rule set of ``code`` (``rules/CODE.toml``); a one-line error names the allowed codes."""
    if code not in available():
        raise RulesError(f"rules: unknown rule set '{code}' (allowed: {', '.join(available())})")
    path = RULES_DIR / f"{code}.toml"
    try:
        with path.open("rb") as handle:
            return RuleSet.model_validate(tomllib.load(handle))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()
        raise RulesError(f"{path.name}: {first[0] if len(first) == 1 else ' '.join(first[:3])}") from None


def month(text: str) -> dt.date:
    """The first day of a calendar month written ``YYYY-MM``."""
    try:
        year, number = (int(part) for part in text.split("-"))
        return dt.date(year, number, 1)
    except ValueError:
        raise RulesError(f"'{text}' is not a calendar month (allowed: YYYY-MM, for example 2024-01)") from None


def calendar_month(start: str, model_month: int) -> dt.date:
    """The first day of the calendar month of ``model_month`` when month 0 is ``start``."""
    first = month(start)
    index = first.year * 12 + first.month - 1 + model_month
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(start: str, model_month: int) -> dt.date:
    """The last day of the calendar month of ``model_month``: the day whose rules the month
    runs under, so that a rule taking effect on the 20th switches that month."""
    return calendar_month(start, model_month + 1) - dt.timedelta(days=1)


def settings(code: str, day: dt.date) -> dict[str, Any]:
    """The scenario fields the rules in force on ``day`` set, EU ceilings applied."""
    in_force = [r for r in load(code).in_force(day) if r.parameter is not None]
    overridden = {rule_id for r in in_force for rule_id in r.overrides}
    values = {r.parameter: r.value for r in in_force if r.id not in overridden}
    if code in EU_MEMBERS and "EU" in available():
        for rule in load("EU").in_force(day):
            if rule.parameter is None:
                continue
            if rule.bound == "at_most" and rule.parameter in values:
                values[rule.parameter] = min(values[rule.parameter], rule.value)
            elif rule.bound == "exactly":
                values.setdefault(rule.parameter, rule.value)
    return values


def model_settings(code: str, start: str, model_month: int) -> dict[str, Any]:
    """``settings`` for a model month, with what the model counts in its own months: a
    one-off programme's window is open in every calendar month it touches (a window closing
    on 15 August is open in August: the month runs under the rules of the window's last day),
    from the model month its rule took effect, before month 0 for a run that starts inside it."""
    known = load(code)._model_settings
    if (start, model_month) not in known:
        known[start, model_month] = _model_settings(code, start, model_month)
    return dict(known[start, model_month])  # the caller's to change


def _model_settings(code: str, start: str, model_month: int) -> dict[str, Any]:
    on = month_end(start, model_month)
    first_day = calendar_month(start, model_month)
    for rule in load(code).rules:
        if rule.parameter == "policies.regularisation.regime" and rule.value == "one_off" \
                and rule.in_force_from <= on and rule.in_force_until is not None and first_day <= rule.in_force_until < on:
            on = rule.in_force_until
    values = settings(code, on)
    if values.get("policies.regularisation.regime") == "one_off":
        rule = next(r for r in load(code).in_force(on) if r.parameter == "policies.regularisation.regime"
                    and r.value == "one_off")
        first = month(start)
        opened = (rule.in_force_from.year - first.year) * 12 + rule.in_force_from.month - first.month
        values["policies.regularisation.one_off_start_month"] = opened
        if rule.in_force_until is not None:
            closed = (rule.in_force_until.year - first.year) * 12 + rule.in_force_until.month - first.month
            values["policies.regularisation.one_off_window_months"] = float(closed - opened + 1)
    return values


def day(text: str) -> dt.date:
    """A day written ``YYYY-MM-DD``, or the last day of a month written ``YYYY-MM``."""
    if len(text) == 7:
        return calendar_month(text, 1) - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RulesError(f"--date: '{text}' is not a day or a month (allowed: YYYY-MM-DD or YYYY-MM)") from None


def _value(rule: Rule) -> str:
    if rule.parameter is None:
        return "not encoded"
    bound = "at most " if rule.bound == "at_most" else ""
    if isinstance(rule.value, float):
        return f"{rule.parameter} = {bound}{rule.value:g}"
    value = ", ".join(rule.value) if isinstance(rule.value, list) else rule.value
    return f"{rule.parameter} = {value}"


def _dates(rule: Rule) -> str:
    return f"{rule.in_force_from} to {rule.in_force_until}" if rule.in_force_until else f"since {rule.in_force_from}"


def markdown() -> str:
    """Every rule set, every version of every rule, as the Markdown of docs/rules.md."""
    lines = ["# Legal rules: what the model encodes, with sources and dates", "",
             "Generated from `rules/*.toml` by `pathways rules --markdown` (a test checks that this file",
             "is up to date). Each rule: its value in the model (or *not encoded*), the dates it is in",
             "force, whether its figure was read in the legal text (**verified**) or not, its source",
             "and a summary. A scenario's `[law]` section names a rule set and the calendar month of its",
             "month 0; the model then follows the encoded rules month by month (`sim/rules.py`).",
             "The city presets do not name a rule set yet: their fields hold the values their files",
             "give (docs/data-sources.md), and moving each to its rule set, with a refit, is under way.", ""]
    for code in available():
        rule_set = load(code)
        lines += [f"## {rule_set.name} (`{code}`)", "", f"Texts checked on {rule_set.checked}.", ""]
        for topic in TOPICS:
            chosen = sorted((r for r in rule_set.rules if r.topic == topic), key=lambda r: (r.id, r.in_force_from))
            if not chosen:
                continue
            lines += [f"### {topic.replace('_', ' ')}", ""]
            for rule in chosen:
                check = "verified" if rule.verified else "not verified"
                lines.append(f"- **{rule.id}**, {_dates(rule)}: {_value(rule)} ({check}). {rule.summary} "
                             f"*Source:* {rule.source}." + (f" *Notes:* {rule.notes}" if rule.notes else ""))
            lines.append("")
    return "\n".join(lines)


def table(code: str, on: dt.date) -> list[dict[str, str]]:
    """The rules of ``code`` in force on ``on``, as rows to print."""
    return [{"topic": r.topic.replace("_", " "), "rule": r.id, "in the model": _value(r), "in force": _dates(r),
             "verified": "yes" if r.verified else "no", "source": r.source} for r in load(code).in_force(on)]
