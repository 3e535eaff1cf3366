"""Country defaults for a new city: what Eurostat publishes for each EU member state, vendored
in ``calibration/countries.csv`` (sources in calibration/README.md), never fetched at run time.

A city office knows its inhabitants and its non-EU residents; the country supplies the rest:
how many newcomers a year per inhabitant and for what reason (first permits, migr_resfirst
2023), and the labour-market figures the city is fitted to (non-EU citizens', non-EU women's
and nationals' employment rates, ages 20-64, lfsa_ergan 2023) or compared with (their
unemployment rates, lfsa_urgan 2023).
"""

import csv
from dataclasses import dataclass
from functools import cache

from sim.calibration.targets import CALIBRATION_DIR, FIT_YEAR, Target

COUNTRIES_CSV = CALIBRATION_DIR / "countries.csv"

LFS_TOLERANCE = 0.04
"""The tolerance of a city's labour-market targets, as the city presets' (comparisons.toml C-..)."""

TARGETS = (
    ("", "employment_rate_non_eu", "non_eu_citizens.employment_rate", "employment_rate_20_64", "non_eu_citizens",
     "Eurostat lfsa_ergan"),
    ("-N", "employment_rate_nationals", "nationals.employment_rate", "employment_rate_20_64", "nationals",
     "Eurostat lfsa_ergan"),
    ("-W", "employment_rate_non_eu_women", "non_eu_citizens.employment_rate_by_sex.female", "employment_rate_20_64",
     "non_eu_citizens, women", "Eurostat lfsa_ergan"),
    ("-U", "unemployment_rate_non_eu", "non_eu_citizens.unemployment_rate", "unemployment_rate_20_64",
     "non_eu_citizens", "Eurostat lfsa_urgan"),
    ("-N-U", "unemployment_rate_nationals", "nationals.unemployment_rate", "unemployment_rate_20_64", "nationals",
     "Eurostat lfsa_urgan"),
)
"""Each figure compared: the suffix of its id (``C-BE-W``), its column, the model's indicator,
the indicator's name, the group, the dataset."""

UNEMPLOYMENT_NOT_FITTED = (
    "compared, not fitted: a new city is fitted on employment, as the preset cities are; fitted together, the "
    "unemployment rates pull non-EU employment away from the country's figure, since the model's non-EU job "
    "seekers outnumber the openings they get (docs/limits.md)")
"""Why a new city's unemployment targets are reported but not fitted (a miss gives this reason)."""


@dataclass(frozen=True)
class Country:
    code: str
    """Eurostat's code (EL for Greece)."""
    name: str
    population: int
    """Inhabitants on 1 January 2023 (demo_pjan, to the thousand)."""
    first_permits: dict[str, int]
    """First residence permits issued in 2023 by reason: work, family, study, other (migr_resfirst)."""
    rates_percent: dict[str, float | None]
    """The labour-market rates of ``TARGETS`` (percent); None where Eurostat publishes none."""
    notes: str
    """Flags of the labour-market figures (b break, d definition differs, u low reliability)
    and the year used where 2023 is not published."""

    def newcomers_per_month(self, inhabitants: int) -> float:
        """The country's first permits per inhabitant, applied to the city: a city's share of the
        country's newcomers is taken to be its share of the inhabitants (an assumption; cities
        draw more than their share, which a city office can correct in its baseline)."""
        return inhabitants * sum(self.first_permits.values()) / self.population / 12

    def reason_shares(self) -> dict[str, float]:
        """Newcomers by reason, "other" read as protection, as in the presets (targets P-..)."""
        total = sum(self.first_permits.values())
        named = {"work": "work", "family": "family", "study": "study", "asylum": "other"}
        shares = {reason: round(self.first_permits[column] / total, 4) for reason, column in named.items()}
        shares["asylum"] = round(1.0 - shares["work"] - shares["family"] - shares["study"], 4)
        return shares

    def targets(self, local_unemployment_percent: float | None = None) -> list[Target]:
        """The figures a city of this country is fitted to or compared with. With the city's own unemployment
        rate, the nationals' unemployment target is that rate, and the non-EU citizens' is the
        country's non-EU rate scaled by the same ratio (the country's gap is kept)."""
        rates = dict(self.rates_percent)
        sources = {column: f"{dataset} {FIT_YEAR}, {self.name}" for _, column, *_, dataset in TARGETS}
        if local_unemployment_percent is not None and rates["unemployment_rate_nationals"]:
            ratio = local_unemployment_percent / rates["unemployment_rate_nationals"]
            rates["unemployment_rate_nationals"] = local_unemployment_percent
            sources["unemployment_rate_nationals"] = "the city's own unemployment rate"
            if rates["unemployment_rate_non_eu"] is not None:
                rates["unemployment_rate_non_eu"] = round(rates["unemployment_rate_non_eu"] * ratio, 1)
                sources["unemployment_rate_non_eu"] += ", scaled by the city's rate against the nationals'"
        out = []
        for suffix, column, metric, indicator, group, _ in TARGETS:
            value = rates[column]
            unemployment = "unemployment" in column
            out.append(Target(
                id=f"C-{self.code}{suffix}",
                indicator=indicator, group=group, geography=self.code, year=str(FIT_YEAR),
                published=None if value is None else value / 100, source=sources[column],
                metric=metric if value is not None else None, tolerance=LFS_TOLERANCE,
                fit=value is not None and not unemployment,
                input=None, not_reachable=None if value is not None else "Eurostat publishes no figure for 2022-2024",
                why_missed=UNEMPLOYMENT_NOT_FITTED if unemployment else None,
            ))
        return out


@cache
def countries() -> dict[str, Country]:
    out = {}
    with COUNTRIES_CSV.open(newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["country"]] = Country(
                code=row["country"], name=row["name"], population=int(row["population_1_jan_2023"]),
                first_permits={reason: int(row[f"first_permits_{reason}"]) for reason in ("work", "family", "study", "other")},
                rates_percent={column: float(row[column]) if row[column] else None for _, column, *_ in TARGETS},
                notes=row["lfs_year_and_flags"],
            )
    return out


def country(code: str) -> Country:
    """A member state by its Eurostat code; a one-line error names the allowed codes."""
    known = countries()
    if code not in known:
        raise ValueError(f"--country: '{code[:20]}' is not an EU member state's code (allowed: {', '.join(known)})")
    return known[code]
