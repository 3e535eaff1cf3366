"""A new city in one step: its scenario files, its fit to its country's figures, its fit report.

Everything is written in a hidden folder beside the scenarios first and moved into place
only once the fit, the report and every lever file have worked, so a failure or an
interruption leaves nothing half-written (``scenarios/NAME`` appears whole or not at all).

The fit starts from the country's posterior where a preset city of the country has one:
each free parameter's prior is that posterior's 90 % interval, widened by half its width
on each side, and by at least a twentieth of the prior range (an assumption: a city differs
from the preset city, but less than the whole prior range allows); elsewhere it uses the city presets' prior ranges (free_parameters.toml).
"""

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.calibration import city_files
from sim.calibration import fit as fitting
from sim.calibration import report
from sim.calibration.countries import country
from sim.calibration.posterior import FITTED_DIR
from sim.calibration.targets import FreeParameter, Target, free_parameters
from sim.experiments.api import Settings
from sim.scenario import load, loader

Progress = Callable[[str, int, int], None]
"""Hears (stage, done, total): the fit's generations, then the report's runs."""


@dataclass(frozen=True)
class FitBudget:
    """How much a new city's fit and report may spend: about seven minutes on 2 workers at the
    defaults (about 1 s a simulation at 1,500 migrants, 36 months after the warm-up)."""

    population: int = 40
    simulations: int = 600
    generations: int = 10
    migrants: int = 1500
    months: int = 36
    replications: int = 8
    """Fresh runs of the fitted baseline for the fit report."""
    workers: int = 1
    seed: int = 1
    db: str | None = None
    """The results database the report's runs are stored in (the default one if None)."""


@dataclass
class NewCity:
    folder: Path
    files: list[str]
    fit: fitting.Fit
    validation: report.Validation
    report: Path
    priors_from: str
    """Where the priors came from, in words."""


COUNTRY_PARAMETERS = {
    "labour_market.hiring_logit_elementary": "how easily a job seeker is hired into elementary work in the country's "
    "labour market: with demand alone, non-EU employment stays below about 68 %, far from the labour-migration "
    "countries' (PT 76 %, CZ 84 %, MT 86 %)",
    "population.care_duties_start_rate_female_per_month": "migrant women's care duties, which set their participation: "
    "non-EU women's employment ranges from 39 % (BE) to 80 % (MT) across the EU",
}
"""EU-27 parameters a new city also fits, with the EU-27 fit's prior ranges (free_parameters.toml),
to its country's non-EU women's and all non-EU citizens' employment: what makes countries differ
beyond the preset cities' own (labour demand, discrimination, women's care duties), unless its
preset city fits it already."""


def priors(code: str) -> tuple[list[FreeParameter], str]:
    """The free parameters of a city of this country, with priors from its preset city's posterior if any."""
    template = city_files.template(code)
    ranges = free_parameters(template)
    country_wide = [FreeParameter(p.name, p.low, p.high, f"{COUNTRY_PARAMETERS[p.name]}; the EU-27 fit's range")
                    for p in free_parameters("eu27")
                    if p.name in COUNTRY_PARAMETERS and p.name not in {r.name for r in ranges}]
    if code not in city_files.TEMPLATE_CITY:
        return ranges + country_wide, f"the city presets' prior ranges (no preset city in {country(code).name})"
    particles = pd.read_csv(FITTED_DIR / f"{template}-posterior.csv")
    posterior = fitting.Fit(template, ranges, particles, 0, 0.0, 0, 0.0)
    out = []
    for parameter in ranges:
        if parameter.name not in particles:  # the preset city's last fit did not fit it: its prior
            out.append(parameter)
            continue
        low, high = posterior.interval(parameter.name)
        widen = max((high - low) / 2, (parameter.high - parameter.low) / 20)
        out.append(FreeParameter(parameter.name, max(parameter.low, low - widen), min(parameter.high, high + widen),
                                 f"{template}'s posterior 90 % interval {low:.3g} to {high:.3g}, widened; {parameter.why}"))
    return out + country_wide, f"{template}'s posterior ({country(code).name}'s preset city)"


def create(facts: city_files.CityFacts, budget: FitBudget, command: str, folder: Path | None = None,
           progress: Progress | None = None) -> NewCity:
    """Write, fit and report a new city in ``folder`` (the scenarios' folder by default)."""
    folder = folder or loader.SCENARIO_DIR
    texts = city_files.files(facts, command, folder)  # checks every figure before anything is written
    found = country(facts.country)
    compared = found.targets(facts.unemployment_rate_percent)
    parameters, priors_from = priors(found.code)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{facts.name}-", dir=folder))
    try:
        staging.chmod(0o755)  # mkdtemp's folder is private; the city's is not
        for name, text in texts.items():
            (staging / name).write_text(text)
        fit_folder = staging / loader.FIT_FOLDER
        fit_folder.mkdir()
        # The template's fitted values hold until the city's own are written.
        (fit_folder / f"{facts.name}.toml").write_text("# being fitted by pathways city new\n")
        baseline = staging / "baseline.toml"
        fit = fitting.calibrate(
            facts.name, budget.population, budget.simulations, budget.generations, budget.workers, budget.migrants,
            budget.months, budget.seed, parameters=parameters, baseline=baseline, fitted=compared,
            progress=None if progress is None else lambda done, total: progress("fit", done, total))
        fitting.write(fit, fit_folder, command=command)
        settings = Settings(budget.replications, budget.months, budget.seed, budget.migrants, budget.workers,
                            db=budget.db)
        validation = report.validate(
            facts.name, settings, None if progress is None else lambda done, total: progress("report", done, total),
            baseline=str(baseline), compared=compared)
        path = report.write(validation, fit_folder, sources=_sources(compared, found.notes, priors_from))
        for name in texts:
            load(staging / name)  # every lever file loads before the city appears
        final = folder / facts.name
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return NewCity(final, sorted(texts), fit, validation, final / loader.FIT_FOLDER / path.name, priors_from)


def _sources(compared: list[Target], notes: str, priors_from: str) -> str:
    sources = "; ".join(f"{t.id}: {t.source}" for t in compared)
    return (f"Sources: {sources} (`calibration/countries.csv`{'; ' + notes if notes else ''}). "
            f"Priors: {priors_from}. Fitted parameters and their posterior: `{loader.FIT_FOLDER}/`.")
