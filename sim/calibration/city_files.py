"""A new city's scenario files from what a city office knows and its country's defaults.

The baseline extends the preset city of the same country where there is one (its national
rules, benefits, poverty line and who-pays split come with it), else the EU-27 city; it
sets the city's size, its newcomers and their reasons from the country's figures
(``calibration/countries.csv``), its SSE enterprises and the programmes it already runs.
One file per lever follows the template city's lever scenario, with the sizes the model
rescales with the city (places, clients, yearly amounts) scaled to this city.
"""

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.languages import get_official_languages

from sim.calibration.countries import Country, countries, country
from sim.scenario import load, loader

WORKING_AGE_SHARE = 0.70
"""Share of non-EU residents aged 18-64: an assumption, as in the Liège preset (docs/data-sources.md)."""

TEMPLATE_CITY = {"BE": "liege", "FR": "paris", "ES": "barcelona", "IT": "prato"}
"""The preset city of each country that has one; a city elsewhere takes its lever scenarios from Liège."""
DEFAULT_TEMPLATE = "liege"

CITY_WIDE_FIELDS = frozenset({
    "capacity_clients_per_month", "clients_per_month", "places", "enterprises", "visitors_per_month",
    "contact_points", "decisions_per_month", "new_collectives_per_year", "municipal_purchasing_eur_per_year",
    "fixed_cost_eur_per_month", "cost_eur_per_month", "policy_budget_eur_per_year",
})
"""Lever fields that are amounts for the whole city, which the model rescales with its size
(``CityModel.scaled``, ``scaled_eur``, ``model.scale``): a lever moved to another city keeps
its amount per migrant. Rates and amounts per person stay as they are."""

NAME_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
PLAUSIBLE = {
    "inhabitants": (5_000, 15_000_000),
    "non_eu_share": (0.002, 0.6),
    "unemployment_rate_percent": (1.0, 40.0),
    "sse_enterprises": (0, 500),
}
"""Ranges outside which a figure is more likely a typo than a city (the largest EU city has
about 3.8 million inhabitants; no EU city has 60 % non-EU residents or 40 % unemployment)."""


class CityError(ValueError):
    """A new city that cannot be written, with a one-line message naming the figure."""


@dataclass(frozen=True)
class CityFacts:
    """What a city office knows. Everything else comes from the country's defaults."""

    name: str
    """The folder under ``scenarios/``: lower-case letters, digits and underscores."""
    country: str
    inhabitants: int
    non_eu_residents: int
    """Residents holding the citizenship of a country outside the EU, all ages."""
    unemployment_rate_percent: float | None = None
    """The city's own unemployment rate, if known: compared in place of the country's nationals' rate."""
    sse_enterprises: int | None = None
    """SSE enterprises that take on migrants today; the EU-27 or template city's number if not known."""
    existing: tuple[str, ...] = field(default_factory=tuple)
    """Levers the city already runs: switched on in its baseline, at the template city's sizes scaled."""
    origins: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    """Main countries of origin, if known: (ISO 3166 code, percent of the non-EU residents)."""
    language: str | None = None
    """The city's language (ISO 639); the country's first official language if not given."""

    def check(self, folder: Path) -> Country:
        """The country, once every figure is plausible and ``folder`` (where scenario folders
        are) has no folder of this name; else a one-line error naming the figure and its range."""
        if not re.match(NAME_PATTERN, self.name):
            raise CityError(f"name: '{self.name[:40]}' must be 2-40 lower-case letters, digits or underscores, "
                            "starting with a letter (such as gent)")
        try:
            found = country(self.country)
        except ValueError as exc:
            raise CityError(str(exc)) from None
        low, high = PLAUSIBLE["inhabitants"]
        if not low <= self.inhabitants <= high:
            raise CityError(f"inhabitants: {self.inhabitants:,} is not plausible for a city (allowed: {low:,} to {high:,})")
        low, high = PLAUSIBLE["non_eu_share"]
        if not low * self.inhabitants <= self.non_eu_residents <= high * self.inhabitants:
            raise CityError(f"non-EU residents: {self.non_eu_residents:,} is {self.non_eu_residents / self.inhabitants:.1%} "
                            f"of {self.inhabitants:,} inhabitants (plausible: {low:.1%} to {high:.0%}, "
                            f"{round(low * self.inhabitants):,} to {round(high * self.inhabitants):,})")
        if self.unemployment_rate_percent is not None:
            low, high = PLAUSIBLE["unemployment_rate_percent"]
            if not low <= self.unemployment_rate_percent <= high:
                raise CityError(f"unemployment rate: {self.unemployment_rate_percent:g} % is not plausible "
                                f"(allowed: {low:g} to {high:g} %)")
        if self.sse_enterprises is not None:
            low, high = PLAUSIBLE["sse_enterprises"]
            if not low <= self.sse_enterprises <= high:
                raise CityError(f"SSE enterprises: {self.sse_enterprises} is not plausible (allowed: {low} to {high})")
        levers = existing_levers(found.code)
        unknown = [lever for lever in self.existing if lever not in levers]
        if unknown:
            raise CityError(f"existing programmes: '{unknown[0][:40]}' is not a lever (allowed: {', '.join(levers)})")
        self._check_origins(found)
        if (folder / self.name).exists():
            raise CityError(f"name: {folder.name}/{self.name} exists already; choose another name or remove that folder")
        return found

    def _check_origins(self, found: Country) -> None:
        territories = Locale("en").territories
        eu = {ISO.get(code, code) for code in countries()} | NOT_COUNTRIES
        for code, percent in self.origins:
            if code not in territories or not code.isalpha() or len(code) != 2 or code in eu:
                raise CityError(f"origins: '{code[:10]}' is not the ISO code of a country outside the EU (such as MA, "
                                "SY, UA)")
            if not 0 < percent <= 100:
                raise CityError(f"origins: {code} {percent:g} % of non-EU residents (allowed: above 0 to 100)")
        total = sum(percent for _, percent in self.origins)
        if total > 100 + 1e-9:
            raise CityError(f"origins: the shares add up to {total:g} % of non-EU residents (allowed: at most 100)")
        if self.language is not None and self.language not in Locale("en").languages:
            raise CityError(f"language: '{self.language[:10]}' is not an ISO 639 language code (such as nl, fr, pt)")

    def city_language(self) -> str:
        return self.language or get_official_languages(ISO.get(self.country, self.country), de_facto=True)[0]

    def host_language_speakers_share(self, inherited: float) -> float | None:
        """From the main origins: people from a country where the city's language is official
        (CLDR, through Babel) arrive speaking it, the others of the listed origins do not, and
        the unlisted rest keeps the ``inherited`` share. An assumption, and an upper bound:
        an official language is not everyone's (French in Morocco)."""
        if not self.origins:
            return None
        language = self.city_language()
        speakers = sum(percent for code, percent in self.origins
                       if language in get_official_languages(code, de_facto=True)) / 100
        listed = sum(percent for _, percent in self.origins) / 100
        return round(speakers + (1 - listed) * inherited, 3)

    @property
    def working_age_migrants(self) -> int:
        return max(1, round(self.non_eu_residents * WORKING_AGE_SHARE))


ISO = {"EL": "GR"}
"""Eurostat's country codes that differ from ISO 3166."""
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}
"""CLDR's two-letter territories that are groups or placeholders, not countries."""


def parse_origins(text: str) -> tuple[tuple[str, float], ...]:
    """``MA:30, TR:15`` -> (("MA", 30.0), ("TR", 15.0)); a one-line error for anything else."""
    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        code, _, percent = item.partition(":")
        try:
            out.append((code.strip().upper(), float(percent)))
        except ValueError:
            raise CityError(f"origins: '{item[:20]}' must be CODE:PERCENT of non-EU residents, such as MA:30") from None
    return tuple(out)


def template(code: str) -> str:
    return TEMPLATE_CITY.get(code, DEFAULT_TEMPLATE)


def lever_names(city: str) -> list[str]:
    """The lever scenarios of a template city (its files but the baseline and the combined package)."""
    return sorted(p.stem for p in (loader.SCENARIO_DIR / city).glob("*.toml") if p.stem not in ("baseline", "combined"))


def existing_levers(code: str) -> list[str]:
    """The programmes a city of this country can say it runs already: its template city's lever
    scenarios that change no law (an assumed reform is not a programme)."""
    return [lever for lever in lever_names(template(code)) if "law" not in _read(template(code), lever)]


def files(facts: CityFacts, command: str, folder: Path) -> dict[str, str]:
    """The city's scenario files by name (``baseline.toml`` and one per lever), as text, for a
    city to be written in ``folder``."""
    found = facts.check(folder)
    source = template(found.code)
    same_country = source == TEMPLATE_CITY.get(found.code)
    ratio = facts.working_age_migrants / _read(source, "baseline")["population"]["initial_migrants"]
    out = {"baseline.toml": _baseline(facts, found, source if same_country else None, ratio, command)}
    for lever in lever_names(source) + ["combined"]:
        data = _read(source, lever)
        if "law" in data and not same_country:
            continue  # an assumed reform of another country's law
        if lever in facts.existing:
            continue  # already in the baseline
        out[f"{lever}.toml"] = _lever(facts, found, source, lever, data, ratio)
    return out


def _read(city: str, name: str) -> dict[str, Any]:
    with (loader.SCENARIO_DIR / city / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _scaled(table: dict[str, Any], ratio: float) -> dict[str, Any]:
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out[key] = _scaled(value, ratio)
        elif key in CITY_WIDE_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = max(1, round(value * ratio)) if isinstance(value, int) else round(value * ratio, 2)
        else:
            out[key] = value
    return out


def _tables(data: dict[str, Any], prefix: str = "") -> list[str]:
    """TOML text of nested tables whose leaves are numbers, strings, booleans or lists of them."""
    lines, nested = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {json.dumps(value, ensure_ascii=False)}")
    out = ([f"[{prefix}]"] if prefix and lines else []) + lines
    for key, value in nested:
        out += ([""] if out else []) + _tables(value, f"{prefix}.{_key(key)}" if prefix else _key(key))
    return out


def _key(key: str) -> str:
    """A bare TOML key, or a quoted one (``"policies.regularisation.regime"``)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _baseline(facts: CityFacts, found: Country, same_country: str | None, ratio: float, command: str) -> str:
    parent = f"{same_country}/baseline" if same_country else "eu27/baseline"
    shares = found.reason_shares()
    inherits = (f"{found.name}'s national rules, benefits, poverty line and who-pays split come from the "
                f"{same_country} preset, with its city-specific assumptions (docs/data-sources.md): check them"
                if same_country else
                f"no preset city is in {found.name}: rules, benefits, poverty line and who-pays split are the "
                "EU-27 city's assumptions until set here")
    lines = [
        f"# {facts.name}, {found.name}: written by `{command}` on {datetime.now(UTC):%Y-%m-%d}.",
        f"# From the city office: {facts.inhabitants:,} inhabitants, {facts.non_eu_residents:,} non-EU residents"
        + (f", {facts.unemployment_rate_percent:g} % unemployment" if facts.unemployment_rate_percent is not None else "")
        + (f", {facts.sse_enterprises} SSE enterprises" if facts.sse_enterprises is not None else "") + ".",
        f"# From the country (calibration/countries.csv, Eurostat): newcomers and their reasons. {inherits}.",
        f'extends = "{parent}"',
        f'calibration = "fit/{facts.name}.toml"   # fitted to {found.name}\'s figures (fit/{facts.name}.md)',
        "",
        "[meta]",
        f'name = "{facts.name.replace("_", " ").title()}, baseline"',
        f'description = "{facts.name.replace("_", " ").title()} ({found.name}), a city written by pathways city new '
        'from its office\'s figures and its country\'s defaults; no municipal inclusion policy'
        + (" beyond those it runs today" if facts.existing else "") + '."',
        f'city = "{facts.name}"',
        f'country = "{found.code}"',
        "",
        "[population]",
        f"initial_migrants = {facts.working_age_migrants}   # {facts.non_eu_residents:,} non-EU residents x "
        f"{WORKING_AGE_SHARE} aged 18-64 (assumption)",
        *_speakers(facts, parent),
        "",
        "[inflow]",
        f"# {found.name} 2023: {sum(found.first_permits.values()):,} first permits for {found.population:,} inhabitants "
        "(migr_resfirst, demo_pjan), applied to the city's inhabitants.",
        f"newcomers_per_month = {found.newcomers_per_month(facts.inhabitants):.1f}",
        "",
        "[inflow.reason_shares]   # migr_resfirst 2023: work / family / education / other (read as protection)",
        *(f"{reason} = {share}" for reason, share in shares.items()),
    ]
    if facts.sse_enterprises is not None:
        lines += ["", "[sse]", f"existing_enterprises = {facts.sse_enterprises}   # from the city office"]
    source = same_country or DEFAULT_TEMPLATE
    for lever in facts.existing:
        policies = _scaled(_read(source, lever).get("policies", {}), ratio)
        lines += ["", f"# Run by the city today: {source}/{lever}, city-wide sizes scaled by {ratio:.3g}."]
        lines += _tables(policies, "policies")
    return "\n".join(lines) + "\n"


def _speakers(facts: CityFacts, parent: str) -> list[str]:
    inherited = load(parent).population.host_language_speakers_share
    share = facts.host_language_speakers_share(inherited)
    if share is None:
        return []
    listed = ", ".join(f"{code} {percent:g} %" for code, percent in facts.origins)
    return [f"host_language_speakers_share = {share}   # origins {listed}: those from a country where "
            f"'{facts.city_language()}' is official arrive speaking it (assumption); the rest as {parent} ({inherited})"]


def _lever(facts: CityFacts, found: Country, source: str, lever: str, data: dict[str, Any], ratio: float) -> str:
    title = facts.name.replace("_", " ").title()
    words = lever.replace("_", " ")
    body = {key: value for key, value in data.items() if key not in ("extends", "meta", "calibration")}
    lines = [
        f"# {title}: {words}, as {source}/{lever} with the city-wide sizes (places, clients, yearly amounts)",
        f"# scaled by {ratio:.3g}, this city's working-age non-EU residents against {source}'s.",
        'extends = "baseline.toml"   # the baseline beside this file',
        "",
        "[meta]",
        f'name = "{title}, {words}"',
        f'description = "{title} baseline plus {words}."',
        f'city = "{facts.name}"',
        f'country = "{found.code}"',
        "",
        *_tables(_scaled(body, ratio)),
    ]
    return "\n".join(lines) + "\n"
