"""The ``pathways`` command line. It parses, runs and prints; the rules live in ``sim``.

Bad input (an unknown scenario, a malformed file, a value out of range) ends with a
one-line message on stderr and exit code 2, never a traceback.
"""

import inspect
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn, track
from rich.table import Table
from rich.text import Text

from sim.calibration.targets import FIT_WARMUP_MONTHS
from sim.limits import MAX_MONTHS, check_run_size
from sim.locales import LOCALES, N_, best_locale, translator
from sim.scenario import ScenarioError, available, load, with_overrides

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate migrants' labour-market inclusion pathways in a European city.",
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
if not console.is_terminal:  # files and pipes get the wide tables a terminal would
    console.width = 160
errors = Console(stderr=True)

MAX_MIGRANTS = 5_000_000
language = translator(best_locale(os.environ.get("PATHWAYS_LANG")))
"""The language of the tables and messages: ``--lang``, else ``PATHWAYS_LANG``, else English."""


def _(message: str) -> str:
    return language.gettext(message)


@app.callback()
def options(lang: Annotated[str | None, typer.Option(
        "--lang", help="Language of the tables and messages: en, fr, nl, es, ca or it (default: PATHWAYS_LANG, else en).",
)] = None) -> None:
    """Simulate migrants' labour-market inclusion pathways in a European city."""
    global language
    if lang is not None and lang not in LOCALES:
        fail(f"--lang '{lang[:20]}': one of {', '.join(LOCALES)}")
    language = translator(lang or best_locale(os.environ.get("PATHWAYS_LANG")))


def fail(message: str) -> None:
    errors.print(f"error: {one_line(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def one_line(text: str) -> str:
    """The text with line breaks and other control characters escaped: an error stays one line
    whatever a file or an argument contained."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario name (liege/baseline) or path to a .toml file.")],
    months: Annotated[int, typer.Option(min=1, max=MAX_MONTHS, help="Months to simulate.")] = 120,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the random generators.")] = 1,
    migrants: Annotated[
        int | None, typer.Option(min=0, max=MAX_MIGRANTS, help="Initial migrants (default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the indicators as JSON to this file.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Change a field of the scenario, FIELD=VALUE (repeatable), as the dashboard's editor does.")] = None,
) -> None:
    """Run one scenario and print its end-of-run indicators."""
    from sim.experiments.share import parse_setting
    from sim.model import CityModel

    try:
        params = load(scenario)
        if set_:
            params = with_overrides(params, dict(parse_setting(item) for item in set_))
        check_run_size(params, migrants, months)
    except ScenarioError as exc:
        fail(str(exc))
    if out is not None and not out.parent.resolve().is_dir():
        fail(f"--out: folder {out.parent} does not exist")
    model = CityModel(params, rng=seed, migrants=migrants)
    for _month in track(range(months), description="Simulating months", console=errors, disable=not errors.is_terminal):
        model.step()
    results = model.results()
    console.print(indicator_table(results))
    if out is not None:
        write_json(results, out)
        console.print(_("Wrote {path}").format(path=out))


DbOption = Annotated[str | None, typer.Option("--db", help="Results database URL (default: PATHWAYS_DB or sqlite:///results/pathways.db).")]
Reps = Annotated[int, typer.Option("--reps", min=1, max=10_000, help="Replications per scenario or design point.")]
Months = Annotated[int, typer.Option(min=1, max=MAX_MONTHS, help="Months to simulate.")]
Workers = Annotated[int, typer.Option(min=1, max=1024, help="Worker processes (1: run in this process).")]
Dask = Annotated[str | None, typer.Option("--dask", help="Dask scheduler address, or 'local' to start a local cluster.")]
Name = Annotated[str | None, typer.Option(help="Experiment name (default: derived from the settings; the same command resumes).")]
Out = Annotated[Path | None, typer.Option(help="Folder for CSV and Parquet files.")]
RootSeed = Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Root seed; replication seeds are spawned from it.")]
Migrants = Annotated[int | None, typer.Option(min=1, max=MAX_MIGRANTS, help="Initial migrants (default: the scenario's).")]


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Two or more scenarios; the first is the counterfactual.")],
    reps: Reps = 10, months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    dask: Dask = None, db: DbOption = None, name: Name = None, out: Out = None,
    posterior: Annotated[str | None, typer.Option(help="Draw the calibrated parameters of this preset from its posterior, one draw per replication.")] = None,
    edit: Annotated[list[str] | None, typer.Option(help="Add a shipped scenario with an edit, SCENARIO:FIELD=VALUE (repeat it for more edits of the same scenario); compared after the others as 'SCENARIO (edited)'.")] = None,
) -> None:
    """Compare scenarios over replications with common random numbers: first the city's own
    net cost per additional person in work, then means, 90 % bands, paired differences from
    the first with 95 % confidence intervals, cost per extra person in work, and a
    social-impact summary, in total and by level of government. Ends with the command and
    the dashboard link that reproduce it."""
    from sim.experiments import share
    from sim.experiments.api import Settings, run_compare
    from sim.experiments.report import quotable

    edits: dict[str, dict] = {}
    for base, key, value in _guarded(lambda _: [share.parse_edit(item) for item in edit or []], progress=False):
        edits.setdefault(base, {})[key] = value
    settings = Settings(reps, months, seed, migrants, workers, dask, db, name, posterior)
    experiment, comparison, report = _guarded(lambda progress: run_compare(scenarios, settings, progress, edits=edits))
    labels = [*scenarios, *map(share.edited_label, edits)]
    for sentence in quotable(comparison, labels, months, reps, language):
        console.print(sentence, markup=False, highlight=False)
    console.print(city_cost_table(comparison))
    console.print(placements_table(comparison))
    console.print(comparison_table(comparison, scenarios))
    console.print(who_gains_table(comparison))
    console.print(income_deciles_table(comparison))
    console.print(cost_table(comparison))
    console.print(impact_table(comparison))
    console.print(impact_by_level_table(comparison))
    console.print(_("Experiment '{name}' in {database}.").format(name=experiment.name, database=_db_label(db)))
    recipe = share.recipe(json.loads(experiment.spec_json), experiment.name)
    if recipe is None:  # a scenario given as a file: the command names the file, which travels with it
        recipe = share.Recipe(tuple(scenarios), edits, reps, months, seed, migrants, posterior)
    else:
        console.print(_("Open it in the dashboard (pathways app): {address}").format(
            address=f"/compare?{share.query(recipe)}"), markup=False,
                      highlight=False)
    console.print(_("Reproduce it: {command}").format(command=share.command(recipe)), markup=False, highlight=False)
    _finish(experiment.name, out, db, report)


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario name or path.")],
    param: Annotated[list[str], typer.Option("--param", help="name=low:high[:steps] or name=a,b,c; repeat for each parameter.")],
    design: Annotated[str, typer.Option(help="grid or lhs (Latin hypercube).")] = "grid",
    points: Annotated[int, typer.Option(min=1, max=100_000, help="Points of a Latin hypercube.")] = 10,
    reps: Reps = 3, months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    dask: Dask = None, db: DbOption = None, name: Name = None, out: Out = None,
) -> None:
    """Run a scenario over a grid or a Latin hypercube of parameter values."""
    from sim.experiments import designs
    from sim.experiments.api import Settings, run_design, typed_points

    if design not in ("grid", "lhs"):
        fail(f"--design {design!r}: allowed values are grid, lhs")
    try:
        factors = designs.parse_factors(param)
        chosen = designs.grid(factors) if design == "grid" else designs.latin_hypercube(factors, points, seed)
    except ValueError as exc:
        fail(str(exc))
    settings = Settings(reps, months, seed, migrants, workers, dask, db, name)
    spec = {"design": design, "factors": param}
    chosen = _guarded(lambda _: typed_points(scenario, chosen), progress=False)
    experiment, metrics, report = _guarded(lambda progress: run_design(scenario, chosen, "sweep", settings, spec, progress))
    table = pd.DataFrame(chosen)
    means = metrics.groupby("point")[["employment_rate", "formal_employment_rate", "undeclared_work_share"]].mean()
    console.print(_frame_table(table.join(means), f"Sweep '{experiment.name}' (means over {reps} replications)"))
    _finish(experiment.name, out, db, report)


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="Scenario name or path.")],
    param: Annotated[list[str], typer.Option("--param", help="name=low:high; repeat for each parameter.")],
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance indices).")] = "morris",
    samples: Annotated[int, typer.Option(min=2, max=100_000, help="Morris trajectories, or Sobol base sample N (a power of 2).")] = 10,
    output: Annotated[str, typer.Option(help="Indicator to analyse.")] = "employment_rate",
    reps: Reps = 3, months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    dask: Dask = None, db: DbOption = None, name: Name = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the indices, as indices.csv.")] = None,
) -> None:
    """Morris screening or Sobol indices (SALib) of one indicator over parameter ranges."""
    from sim.experiments import designs
    from sim.experiments import sensitivity as sa
    from sim.experiments.api import Settings, run_design, typed_points

    try:
        factors = designs.parse_factors(param)
        spec = sa.problem(factors, output)
        chosen = sa.sample(spec, method, samples, seed)
    except ValueError as exc:
        fail(str(exc))
    _guarded(lambda _: sa.check_output(load(scenario), output), progress=False)
    whole = [name for name, value in _guarded(lambda _: typed_points(scenario, chosen[:1]), progress=False)[0].items()
             if isinstance(value, int)]
    if whole:
        fail(f"--param {whole[0]}: a whole-number field; sensitivity analysis needs continuous parameters")
    settings = Settings(reps, months, seed, migrants, workers, dask, db, name)
    extra = {"method": method, "samples": samples, "factors": param, "output": output}
    experiment, metrics, report = _guarded(
        lambda progress: run_design(scenario, chosen, "sensitivity", settings, extra, progress))
    indices = _guarded(lambda _: sa.analyse(spec, method, metrics, output, seed), progress=False)
    console.print(_frame_table(indices, f"{method.title()} indices of {output} ('{experiment.name}', {len(chosen)} points x {reps} replications)"))
    if out is not None:
        _guarded(lambda _: (out.mkdir(parents=True, exist_ok=True), indices.to_csv(out / "indices.csv", index=False)),
                 progress=False)
        console.print(f"Wrote {out / 'indices.csv'}")
    _fail_on_failed_runs(report)


@app.command()
def calibrate(
    preset: Annotated[str, typer.Argument(help="Preset to fit: eu27, liege, paris, barcelona or prato.")],
    population: Annotated[int, typer.Option(min=10, max=100_000, help="Particles per ABC-SMC generation.")] = 100,
    budget: Annotated[int, typer.Option(min=10, max=10_000_000, help="Most simulations to spend.")] = 1000,
    generations: Annotated[int, typer.Option(min=1, max=100, help="Most ABC-SMC generations.")] = 10,
    migrants: Annotated[int, typer.Option(min=500, max=MAX_MIGRANTS, help="Migrants per calibration run.")] = 10_000,
    months: Months = 60, workers: Workers = 1, seed: RootSeed = 1,
    history: Annotated[Path | None, typer.Option(
        dir_okay=False, help="Keep ABC-SMC's generations in this SQLite file; an existing one is continued.")] = None,
    dask: Dask = None,
    only: Annotated[list[str] | None, typer.Option(
        help="Fit only this free parameter (repeatable); the others keep the preset's previous fit.")] = None,
    warmup_months: Annotated[int, typer.Option(
        min=0, max=240, help="Months each simulation warms up (at most the preset's own warm-up).")] = FIT_WARMUP_MONTHS,
) -> None:
    """Fit a preset's free parameters (calibration/free_parameters.toml) to its targets with
    ABC-SMC, write the fitted values and the posterior, then print the fit."""
    from sim.calibration import fit as fitting
    from sim.calibration.targets import presets

    if preset not in presets():
        fail(f"unknown preset '{preset}' (allowed: {', '.join(presets())})")
    result = _guarded(lambda _: fitting.calibrate(preset, population, budget, generations, workers, migrants, months, seed,
                                                         database=history, dask=dask, only=only,
                                                         warmup_months=warmup_months),
                      progress=False, interrupted="interrupted: nothing was written; the fitted values are unchanged")
    fitted_path, posterior_path = _guarded(lambda _: fitting.write(result), progress=False)
    table = pd.DataFrame([{"parameter": p.name, "posterior mean": result.mean()[p.name],
                           "90 % low": result.interval(p.name)[0], "90 % high": result.interval(p.name)[1],
                           "prior": f"{p.low:g} to {p.high:g}"} for p in result.parameters])
    console.print(_frame_table(table, f"Posterior of {preset}: {result.simulations} simulations, {result.generations} "
                                      f"generations, {result.wall_s:.0f} s"))
    console.print(f"Effective sample size: {result.effective_sample_size():.0f} of {len(result.posterior)} particles.")
    if result.stopped:
        console.print(result.stopped)
    console.print(f"Wrote {fitted_path} and {posterior_path}; check the fit with: pathways validate {preset}")


city_app = typer.Typer(no_args_is_help=True, help="Cities of your own: write, fit and report a new one.")
app.add_typer(city_app, name="city")


@city_app.command("new")
def city_new(
    name: Annotated[str, typer.Argument(help="The city's folder under scenarios/: lower-case letters, digits, underscores.")],
    country: Annotated[str, typer.Option(help="The country's Eurostat code: BE, PT, EL for Greece...")],
    inhabitants: Annotated[int, typer.Option(help="Inhabitants of the city.")],
    non_eu_residents: Annotated[int, typer.Option(help="Residents with the citizenship of a country outside the EU, all ages.")],
    unemployment_rate: Annotated[float | None, typer.Option(
        help="The city's unemployment rate, percent, if known (compared in place of the country's nationals' rate in the fit report).")] = None,
    sse_enterprises: Annotated[int | None, typer.Option(help="SSE enterprises that take on migrants today, if known.")] = None,
    existing: Annotated[list[str] | None, typer.Option(
        help="A programme the city already runs, repeated (a lever scenario's name: mentoring, one_stop_shop...).")] = None,
    origins: Annotated[str | None, typer.Option(
        help="Main countries of origin, if known: ISO code and percent of non-EU residents, such as 'MA:30, TR:15'.")] = None,
    language: Annotated[str | None, typer.Option(
        help="The city's language (ISO 639), if not the country's first official one (Liège: fr).")] = None,
    population: Annotated[int, typer.Option(min=10, max=100_000, help="Particles per ABC-SMC generation.")] = 40,
    budget: Annotated[int, typer.Option(min=10, max=10_000_000, help="Most simulations the fit spends.")] = 600,
    generations: Annotated[int, typer.Option(min=1, max=100, help="Most ABC-SMC generations.")] = 10,
    migrants: Annotated[int, typer.Option(min=200, max=MAX_MIGRANTS, help="Migrants per fit and report run.")] = 1500,
    months: Months = 36, reps: Reps = 8, workers: Workers = 1, seed: RootSeed = 1, db: DbOption = None,
) -> None:
    """Write a new city (scenarios/NAME: a baseline and one file per lever) from what a city
    office knows and its country's defaults (calibration/countries.csv), fit it to its
    country's employment rates starting from the country's posterior, and write its fit
    report (scenarios/NAME/fit/NAME.md). Nothing is written if any step fails."""
    from sim.calibration import city_files, new_city

    try:
        facts = city_files.CityFacts(name, country, inhabitants, non_eu_residents, unemployment_rate, sse_enterprises,
                                     tuple(existing or ()), city_files.parse_origins(origins or ""), language)
    except city_files.CityError as exc:
        fail(str(exc))
    settings = new_city.FitBudget(population, budget, generations, migrants, months, reps, workers, seed, db)
    command = "pathways city new " + " ".join(sys.argv[3:]) if sys.argv[1:3] == ["city", "new"] else "pathways city new"
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=errors, disable=not errors.is_terminal) as bar:
            tasks = {"fit": bar.add_task("fit (generations)", total=generations),
                     "report": bar.add_task("fit report (runs)", total=None)}
            made = new_city.create(facts, settings, command,
                                   progress=lambda stage, done, total: bar.update(tasks[stage], completed=done, total=total))
    except city_files.CityError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        errors.print(f"interrupted: nothing was written (scenarios/{name} does not exist)")
        raise typer.Exit(code=130) from None
    except (ScenarioError, ValueError, OSError) as exc:
        fail(f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; nothing was written")
    measured = made.validation.table[made.validation.table.simulated.notna()]
    console.print(_frame_table(measured[["id", "group", "indicator", "published", "simulated", "low", "high",
                                         "within_tolerance"]], f"Fit of {name} ({made.validation.runs} runs)"))
    console.print(f"Priors from {made.priors_from}; {made.fit.simulations} simulations in {made.fit.generations} "
                  f"generations, {made.fit.wall_s:.0f} s.")
    console.print(f"Wrote {made.folder} ({len(made.files)} scenarios) and its fit report {made.report}.")
    console.print(f"Try: pathways compare {name}/baseline {name}/mentoring --reps 10")


@app.command()
def validate(
    preset: Annotated[str, typer.Argument(help="Preset to check: eu27, liege, paris, barcelona or prato.")],
    reps: Reps = 10, months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    db: DbOption = None,
    reports: Annotated[Path | None, typer.Option(help="Folder for the report (default: calibration/reports).")] = None,
) -> None:
    """Re-run a preset with its current parameters and write the fit report
    (calibration/reports/PRESET.md): every target, published against simulated."""
    from sim.calibration import report
    from sim.calibration.targets import presets
    from sim.experiments.api import Settings

    if preset not in presets():
        fail(f"unknown preset '{preset}' (allowed: {', '.join(presets())})")
    settings = Settings(reps, months, seed, migrants, workers, None, db, None)
    validation = _guarded(lambda progress: report.validate(preset, settings, progress))
    path = _guarded(lambda _: report.write(validation, reports or report.REPORTS_DIR), progress=False)
    measured = validation.table[validation.table.simulated.notna()]
    console.print(_frame_table(measured[["id", "indicator", "group", "published", "simulated", "low", "high", "covered",
                                         "within_tolerance"]], f"Fit of {preset} ({validation.runs} runs)"))
    console.print(f"Wrote {path}")


@app.command()
def evaluate(
    programme: Annotated[str, typer.Argument(help="Programme whose evaluation to replicate (calibration/programmes.toml).")],
    city: Annotated[str | None, typer.Argument(help="City preset to replicate it in (default: where it ran).")] = None,
    reps: Reps = 4, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    reports: Annotated[Path | None, typer.Option(help="Folder for the report (default: calibration/reports).")] = None,
    scan: Annotated[bool, typer.Option(
        help="Also run it at each value of the lever parameter it bounds (calibration/programmes.toml: scan).")] = False,
) -> None:
    """Replicate a real programme's evaluation: its lever, eligibility and cohort in a city,
    the statistic it published, the same people without the programme beside it; write
    the report (calibration/reports/evaluate-PROGRAMME-CITY.md)."""
    from sim.calibration import evaluations

    summary = _guarded(lambda _: evaluations.evaluate(programme, city, reps, seed, migrants, workers, scan), progress=False)
    path = _guarded(lambda _: evaluations.write_report(summary, *([reports] if reports else [])), progress=False)
    for line in path.read_text().splitlines()[4:]:
        console.print(line, markup=False, highlight=False)
    console.print(f"Wrote {path}")


@app.command()
def replay(
    preset: Annotated[str, typer.Argument(help="Preset to replay: eu27, liege, paris, barcelona or prato.")],
    first: Annotated[int, typer.Option("--from", help="First calendar year (2014 or later).")] = 2014,
    last: Annotated[int, typer.Option("--to", help="Last calendar year (2024 at most).")] = 2024,
    reps: Reps = 10, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None, db: DbOption = None,
    reports: Annotated[Path | None, typer.Option(help="Folder for the report (default: calibration/reports).")] = None,
) -> None:
    """Replay a preset year by year from its country's published inputs (newcomers by
    reason, recognition, labour demand), without refitting, and write the report
    (calibration/reports/replay-PRESET.md): non-EU citizens' employment and unemployment,
    simulated against published, with the mean absolute error, and the refugee curve's
    published points at their surveys' years."""
    from sim.calibration import replay as history
    from sim.experiments.api import Settings

    settings = Settings(reps, 12, seed, migrants, workers, None, db, None)
    result = _guarded(lambda progress: history.replay(preset, first, last, settings, progress))
    path = _guarded(lambda _: history.write(result, reports or history.REPORTS_DIR), progress=False)
    shown = result.table.assign(published=result.table.published * 100, simulated=result.table.simulated * 100,
                                error=result.table.error * 100)
    console.print(_frame_table(shown[["label", "year", "published", "simulated", "error"]],
                               f"Replay of {preset}, {first}-{last} ({result.runs} runs), %"))
    errors_ = history.mean_absolute_errors(result.table)
    console.print("Mean absolute error: " + "; ".join(f"{history.COMPARED[name][2]} {100 * value:.1f} points"
                                                      for name, value in errors_.items()))
    if len(result.refugees):
        console.print(f"Refugee curve where the surveys looked: {int(result.refugees.hit.sum())} of "
                      f"{len(result.refugees)} points within their tolerance")
    console.print(f"Wrote {path}")


@app.command()
def optimise(
    city: Annotated[str, typer.Argument(help="City whose levers are searched: liege, paris, barcelona or prato.")],
    budget_eur_per_year: Annotated[float, typer.Option("--budget-eur-per-year", min=0.0, max=1e12,
                                                       help="The city's yearly lever budget, a hard constraint.")],
    objective: Annotated[list[str], typer.Option("--objective", help="An objective, repeated: jobs, declared_jobs, "
                                                 "city_net_cost, exploited, regularisations, overqualification, women.")],
    trials: Annotated[int, typer.Option(min=1, max=10_000, help="Packages to try in all (a resumed search counts those done).")] = 60,
    reps: Reps = 5, months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    dask: Dask = None, db: DbOption = None, name: Name = None,
    posterior: Annotated[str | None, typer.Option(help="Draw the calibrated parameters of this preset from its posterior, one draw per replication.")] = None,
    robust: Annotated[bool, typer.Option(help="Judge a package on its worst decile over the replications, not its mean.")] = False,
) -> None:
    """Search the city's packages of levers under a yearly budget for the Pareto front of the
    objectives: each package against the baseline at the same seeds, the budget a hard
    constraint; a killed search resumes with the same command."""
    from sim.experiments.optimise import OBJECTIVES, optimise as search

    def report(done: int, total: int, package: dict) -> None:
        values = ", ".join(f"{o} {package[o]:+,.1f}" for o in objective)
        over = "" if package["budget_share"] <= 1 else " (over budget)"
        console.print(f"package {done}/{total}: {package['package']}: {values}{over}", markup=False, highlight=False)

    result = _guarded(lambda _: search(city, budget_eur_per_year, objective, trials, reps, months, seed, migrants,
                                       workers, dask, db, name, posterior, robust, report), progress=False)
    for lever, why in result.left_out.items():
        console.print(f"Not searched: {lever}, which {why}: not the city's to choose.", markup=False, highlight=False)
    columns = ["package", *result.objectives, "budget_share", "dominates_combined"]
    console.print(_frame_table(result.front[columns] if not result.front.empty else pd.DataFrame(columns=columns),
                               f"Pareto front of {city} under {budget_eur_per_year:,.0f} EUR a year "
                               f"({result.trials} packages tried; budget_share: the costliest year's spending over the budget)"))
    combined = ", ".join(f"{o} {result.combined[o]:+,.1f}" for o in result.objectives)
    beaten = int(result.front["dominates_combined"].sum()) if not result.front.empty else 0
    within = ("within" if result.combined["budget_share"] <= 1 else
              f"over it in one year at least ({result.combined['budget_share']:.2f} of it)")
    console.print(f"The shipped {city}/combined scenario under the same budget ({within}): {combined}; "
                  + (f"{beaten} front package(s) do better on every objective." if beaten else
                     "no front package does better on every objective."), markup=False, highlight=False)
    console.print("; ".join(f"{o}: {OBJECTIVES[o][2]}" for o in result.objectives) + ".", markup=False, highlight=False)
    console.print(f"Optimisation '{result.name}' in {_db_label(db)}.")


@app.command()
def discover(
    city: Annotated[str, typer.Argument(help="City: liege, paris, barcelona or prato.")],
    scenario: Annotated[str, typer.Argument(help="The city's scenario to examine (combined, one_stop_shop, ...).")],
    condition: Annotated[str, typer.Option(help="OUTCOME OP NUMBER, for instance 'city_net_cost_per_extra_person_eur > 60000'.")],
    samples: Annotated[int, typer.Option(min=10, max=100_000, help="Samples of the uncertain parameters (a Latin hypercube).")] = 100,
    param: Annotated[list[str] | None, typer.Option(help="name=low:high, repeated: the parameters to sample (default: the "
                                                       "enabled levers' assumed parameters, half to one and a half times their value).")] = None,
    posterior: Annotated[str | None, typer.Option(help="Also draw the calibrated parameters of this preset from its posterior.")] = None,
    min_density: Annotated[float, typer.Option(min=0.0, max=1.0, help="Least density of the box reported.")] = 0.8,
    months: Months = 120, workers: Workers = 1, seed: RootSeed = 1, migrants: Migrants = None,
    dask: Dask = None, db: DbOption = None, name: Name = None,
) -> None:
    """Find the conditions under which a scenario's outcome meets a condition: sample the
    uncertain parameters, run the scenario beside its baseline at each sample's seed, and
    find with PRIM the box of parameter values where the condition mostly holds."""
    from sim.experiments.discover import describe, discover as search

    result = _guarded(lambda progress: search(f"{city}/{scenario}", condition, samples, months, seed, migrants, param,
                                              posterior, min_density, workers, dask, db, name, progress))
    for line in describe(result):
        console.print(line, markup=False, highlight=False)
    if not result.box.empty:
        console.print(_frame_table(result.box, "The box: the parameters it restricts (those that matter)"))
    console.print(f"Discovery '{result.name}' in {_db_label(db)}.")


@app.command()
def experiments(db: DbOption = None) -> None:
    """List the experiments stored in the results database."""
    from sim.experiments import store

    table = _guarded(lambda _: store.experiments(store.connect(db, existing=True)), progress=False)
    console.print(_frame_table(table, f"Experiments in {_db_label(db)}"))


@app.command("export")
def export_command(
    experiment: Annotated[str, typer.Argument(help="Experiment name (see `pathways experiments`).")],
    out: Annotated[Path, typer.Option(help="Folder for CSV and Parquet files.")],
    db: DbOption = None,
) -> None:
    """Export an experiment's runs, metrics, monthly series and comparison tables."""
    from sim.experiments.api import export

    written = _guarded(lambda _: export(experiment, out, db), progress=False)
    console.print(f"Wrote {len(written)} files to {out}")


@app.command("app")
def app_command(
    host: Annotated[str, typer.Option(help="Address to listen on. The default serves this machine only; "
                                           "0.0.0.0 opens the dashboard to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes per comparison.")] = 2,
    db: DbOption = None,
) -> None:
    """Start the dashboard (Solara) and print its local address; Ctrl-C stops it."""
    import socket
    import signal
    import subprocess

    from sim.experiments import store

    url = store.database_url(db)
    _guarded(lambda _: store.connect(url), progress=False)
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as exc:
        fail(f"--host/--port: cannot listen on {host}:{port} ({exc.strerror}); choose another --port")
    # Solara's "runs on Solara" banner sits fixed over the page's bottom-right corner, where a
    # long page's last buttons (the packages' "Scenario file") end up under it.
    env = {**os.environ, "PATHWAYS_DB": url, "PATHWAYS_APP_WORKERS": str(workers),
           "SOLARA_THEME_SHOW_BANNER": "False"}
    shown = f"[{host}]" if ":" in host else host
    console.print(f"Dashboard: http://{shown}:{port}/  (results database: {_db_label(db)}; Ctrl-C stops it)")
    command = [sys.executable, "-m", "solara", "run", "dashboards.app", "--host", host, "--port", str(port),
               "--production", "--no-open", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    # A supervisor's SIGTERM (systemd, a container, a test) must stop the server too, not orphan it.
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        code = server.wait()
    except KeyboardInterrupt:  # the terminal sent the server Ctrl-C too: let it shut down cleanly
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        code = 130
    raise typer.Exit(code=code)


def _guarded(action, progress: bool = True,
             interrupted: str = "interrupted: every finished run is stored; run the same command again to resume"):
    """Run an experiment step with a progress bar; bad input and storage problems end in one line."""
    from sim.experiments.execute import ExecutionError
    from sim.experiments.store import StoreError

    try:
        if not progress:
            return action(None)
        # Redrawn at each stored run rather than by a refresh thread: a process without other
        # threads may fork its workers (execute.start_method).
        with Progress(
            TextColumn("runs"), BarColumn(), MofNCompleteColumn(), RateColumn(), TimeRemainingColumn(),
            console=errors, disable=not errors.is_terminal, auto_refresh=False,
        ) as bar:
            task = bar.add_task("runs", total=None)
            return action(lambda done, total: bar.update(task, completed=done, total=total, refresh=True))
    except (ScenarioError, StoreError, ExecutionError, ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except KeyboardInterrupt:
        errors.print(interrupted)
        raise typer.Exit(code=130) from None


def _finish(experiment: str, out: Path | None, db: str | None, report) -> None:
    """Export if asked; failed runs are stored with their error: say so, and end with exit code 1."""
    from sim.experiments.api import export

    if out is not None:
        _guarded(lambda _: export(experiment, out, db), progress=False)
        console.print(f"Wrote CSV and Parquet files to {out}")
    _fail_on_failed_runs(report)


def _fail_on_failed_runs(report) -> None:
    if report.failed:
        errors.print(f"warning: {report.failed} runs failed (their errors are in the runs table: pathways export); "
                     "the tables above leave them out")
        raise typer.Exit(code=1)


class RateColumn(ProgressColumn):
    """Runs per second."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} runs/s" if speed else "-- runs/s")


def _db_label(db: str | None) -> str:
    from sim.experiments.store import _safe, database_url

    return _safe(database_url(db))


def _frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value) -> str:
    """A table's cell: no data for NaN; numbers of 10,000 and more whole, with separators
    (15,520, not 1.552e+04), smaller ones to four significant digits; yes or no."""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # NumPy's too
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "no data"
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:,.4g}"
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return f"{value:,}"
    return str(value)


def comparison_table(comparison, scenarios: list[str]) -> Table:
    from sim.experiments.compare import HEADLINE

    kinds = {name: (label, kind) for name, label, kind in HEADLINE}
    table = Table(title=_("Scenarios against {reference}: mean [90 % band] | paired difference [95 % CI]").format(
        reference=scenarios[0]))
    table.add_column(_("indicator"))
    table.add_column(_("scenario"))
    table.add_column(_("mean [5th-95th pct]"), justify="right")
    table.add_column(_("difference [95 % CI]"), justify="right")
    for row in comparison.summary.itertuples(index=False):
        label, kind = kinds.get(row.indicator, (row.indicator, "count"))
        label = _(label)
        diff = "" if row.scenario == scenarios[0] else (
            f"{_fmt(row.diff, kind, True)} [{_fmt(row.diff_low, kind, True)}, {_fmt(row.diff_high, kind, True)}]")
        table.add_row(label, row.scenario, f"{_fmt(row.mean, kind)} [{_fmt(row.p5, kind)}, {_fmt(row.p95, kind)}]", diff)
    return table


def city_cost_table(comparison) -> Table:
    """The figure a council reads first: what the city itself pays, net, per extra person in work."""
    table = Table(title=_("The city's own net cost per additional person in work (its lever spending, minus its "
                          "share of assistance saved and of extra taxes and contributions, over the run / extra people "
                          "in work over the final 12 months)"))
    for column in (_("scenario"), _("extra people in work"), _("city's net cost, EUR"), _("EUR per extra person [95 % CI]")):
        table.add_column(column, justify="right")
    for row in comparison.city_cost_per_job.itertuples(index=False):
        if row.city_net_cost_eur != row.city_net_cost_eur:
            cost = _("no data (stored before the split by level)")
        elif row.city_net_cost_per_extra_person_eur != row.city_net_cost_per_extra_person_eur:
            cost = _("not defined (no extra jobs)")
        else:
            cost = f"{row.city_net_cost_per_extra_person_eur:,.0f} [{_cell_eur(row.low)}, {_cell_eur(row.high)}]"
        table.add_row(row.scenario, f"{row.extra_people_in_work:,.1f}", _cell_eur(row.city_net_cost_eur), cost)
    return table


def placements_table(comparison) -> Table:
    """Gross placements against the net change: what the levers' participants got beside
    what the city got (the rest: deadweight, or jobs other job seekers lost)."""
    table = Table(title=_("Gross and net: participants aged 20-64 in declared work in the last month (all levers: each "
                        "person once) against the net change in people aged 20-64 in declared work that month; the "
                        "difference would have worked anyway or took another job seeker's opening; displaced: job "
                        "seekers a graduate with partner priority took the opening from, over the run"))
    for column in (_("scenario"), _("lever"), _("participants"), _("placements"), _("displaced"),
                   _("in declared work at the end"), _("net change [95 % CI]"), _("not additional")):
        table.add_column(column, justify="right")
    for row in comparison.placements.itertuples(index=False):
        net = "" if row.lever != "all levers" else (
            f"{row.net_extra_in_declared_work:+,.1f} [{row.net_low:+,.1f}, {row.net_high:+,.1f}]")
        table.add_row(row.scenario, _(row.lever), _count(row.participants), _count(row.placements), _count(row.displaced),
                      _count(row.in_declared_work_at_end), net, _count(row.not_additional))
    return table


def who_gains_table(comparison) -> Table:
    """Who gains: the change in people in work by group, each dimension adding up to all migrants."""
    table = Table(title=_("Who gains: change in people aged 20-64 in work and in declared work, final 12 months, by legal "
                        "status (as held each month), reason of arrival, sex and education (each dimension adds up to "
                        "all migrants); and in jobs below their skills, exploited, and working poor; and who lost "
                        "an opening to a programme graduate, over the run"))
    for column in (_("scenario"), _("by"), _("group"), _("people"), _("in work [95 % CI]"), _("in declared work [95 % CI]"),
                   _("below skills"), _("exploited"), _("working poor"), _("displaced")):
        table.add_column(column, justify="right")
    for row in comparison.who_gains.itertuples(index=False):
        table.add_row(row.scenario, _(row.dimension), str(row.group).replace("_", " "), _count(row.people),
                      f"{row.extra_in_work:+,.1f} [{row.low:+,.1f}, {row.high:+,.1f}]",
                      f"{row.extra_in_declared_work:+,.1f} [{row.declared_low:+,.1f}, {row.declared_high:+,.1f}]",
                      _change(row.extra_below_skills), _change(row.extra_exploited), _change(row.extra_working_poor),
                      _count(row.displaced))
    return table


def income_deciles_table(comparison) -> Table:
    """Who gains by income: each decile of migrants' net monthly income, and its change."""
    table = Table(title=_("Who gains by income: deciles of the net monthly income of migrants aged 20-64 at the end, "
                        "EUR (pay net of employees' deductions, or benefit; 0: neither)"))
    for column in (_("scenario"), _("decile"), _("counterfactual"), _("change [95 % CI]")):
        table.add_column(column, justify="right")
    for row in comparison.income_deciles.itertuples(index=False):
        table.add_row(row.scenario, row.decile, _cell_eur(row.counterfactual_eur),
                      f"{_change(row.change_eur)} [{_change(row.low)}, {_change(row.high)}]")
    return table


def _change(value: float) -> str:
    return _("no data") if value != value else f"{value:+,.1f}"


def _count(value: float) -> str:
    return "" if value != value else f"{value:,.1f}"


def _cell_eur(value: float) -> str:
    if value != value:
        return _("no data")
    if value in (float("inf"), float("-inf")):
        return _("unbounded")
    return "0" if abs(value) < 0.5 else f"{value:,.0f}"  # no "-0"


def impact_by_level_table(comparison) -> Table:
    table = Table(title=_("Who pays, who gains: against the counterfactual, over the run, EUR, by level of government"))
    for column in (_("scenario"), _("level"), _("extra lever spending"), _("assistance saved"), _("extra revenue"), _("net benefit [95 % CI]")):
        table.add_column(column, justify="right")
    for row in comparison.impact_by_level.itertuples(index=False):
        table.add_row(row.scenario, _(row.level), _cell_eur(row.extra_lever_spending_eur),
                      _cell_eur(row.social_assistance_saved_eur), _cell_eur(row.extra_revenue_eur),
                      f"{_cell_eur(row.net_benefit_eur)} [{_cell_eur(row.net_low)}, {_cell_eur(row.net_high)}]")
    return table


def cost_table(comparison) -> Table:
    table = Table(title=_("Cost per additional person in work (lever spending over the run / extra people in work over the final 12 months)"))
    for column in (_("scenario"), _("extra people in work"), _("extra spending, EUR"), _("EUR per extra person [95 % CI]")):
        table.add_column(column, justify="right")
    for row in comparison.cost_per_job.itertuples(index=False):
        cost = _("not defined (no extra jobs)") if row.cost_per_extra_person_eur != row.cost_per_extra_person_eur else (
            f"{row.cost_per_extra_person_eur:,.0f} [{row.low:,.0f}, {row.high:,.0f}]")
        table.add_row(row.scenario, f"{row.extra_people_in_work:,.1f}", f"{row.extra_spending_eur:,.0f}", cost)
    return table


def impact_table(comparison) -> Table:
    table = Table(title=_("Social impact, monetised (guide §3.2): against the counterfactual, over the run, EUR"))
    for column in (_("scenario"), _("extra public revenue"), _("assistance saved"), _("lever spending"), _("net [95 % CI]"), _("benefit/cost")):
        table.add_column(column, justify="right")
    for row in comparison.impact.itertuples(index=False):
        table.add_row(row.scenario, f"{row.extra_public_revenue_eur:,.0f}", f"{row.social_assistance_saved_eur:,.0f}",
                      f"{row.extra_lever_spending_eur:,.0f}",
                      f"{row.net_benefit_eur:,.0f} [{row.net_low:,.0f}, {row.net_high:,.0f}]",
                      _cell(row.benefit_cost_ratio))
    return table


def _fmt(value: float, kind: str, signed: bool = False) -> str:
    if value != value:
        return "no data"
    sign = "+" if signed else ""
    if kind == "pct":
        return f"{100 * value:{sign}.2f} points" if signed else f"{100 * value:.1f} %"
    return f"{value:{sign},.0f}"


@app.command("rules")
def rules_command(
    code: Annotated[str | None, typer.Argument(help="Rule set: BE, FR, ES, IT, CH-GE (Geneva) or EU.")] = None,
    date: Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD) or month (YYYY-MM, its last day); today by default.")] = None,
    markdown: Annotated[bool, typer.Option(help="Print every rule set and version as Markdown (docs/rules.md).")] = False,
) -> None:
    """The national rules in force on a day, with their legal sources and dates."""
    import datetime as dt

    from sim import rules

    if markdown:
        print(rules.markdown())
        return
    if code is None:
        fail(f"rules: name a rule set (allowed: {', '.join(rules.available())})")
    try:
        on = rules.day(date) if date else dt.date.today()
        rows = rules.table(code, on)
        name = rules.load(code).name
    except rules.RulesError as exc:
        fail(str(exc))
    console.print(f"{name}: rules in force on {on} ({len(rows)})", markup=False)
    if not rows:
        first = min(rule.in_force_from for rule in rules.load(code).rules)
        console.print(f"None: the earliest rule encoded here came into force on {first}.", markup=False)
    topic = None
    for row in rows:
        if row["topic"] != topic:
            topic = row["topic"]
            console.print(f"\n{topic}", style="bold", markup=False)
        verified = "verified" if row["verified"] == "yes" else "not verified"
        console.print(f"  {row['rule']}: {row['in the model']} ({row['in force']}; {verified})", markup=False)
        console.print(f"    {row['source']}", markup=False, style="dim")


@app.command()
def scenarios() -> None:
    """List the shipped scenarios."""
    for name in available():
        console.print(name)


@app.command()
def check(scenario: Annotated[str, typer.Argument(help="Scenario name or path.")]) -> None:
    """Validate a scenario file (with what it extends) and print its identity."""
    from sim.scenario import content_hash

    try:
        params = load(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    console.print(f"{scenario}: valid ({params.meta.name}); sha256 {content_hash(params)}")


SPENDING_ITEMS = {"social_assistance": N_("social assistance")}
"""The municipal spending items that are not a lever (a lever's item is its name)."""


def indicator_table(results: dict[str, Any]) -> Table:
    table = Table(title=_("{scenario}: {months} months, seed {seed}").format(
        scenario=results["scenario"], months=results["months"], seed=results["provenance"]["seed"]))
    table.add_column(_("indicator"))
    table.add_column(_("value"), justify="right")
    rows = [
        (_("migrants in the city (18-64)"), results["migrants"]),
        (_("employment rate, 20-64"), _pct(results["employment_rate"])),
        (_("  non-EU citizens with papers (as the LFS)"), _pct(results["employment_rate_non_eu_citizens"])),
        (_("  women"), _pct(results["employment_rate_by_sex"]["female"])),
        (_("  men"), _pct(results["employment_rate_by_sex"]["male"])),
        *(
            (f"  {status.replace('_', ' ')}", _pct(rate))
            for status, rate in results["employment_rate_by_status"].items()
        ),
        (_("declared employment rate"), _pct(results["formal_employment_rate"])),
        (_("unemployment rate"), _pct(results["unemployment_rate"])),
        (_("over-qualification rate (tertiary)"), _pct(results["overqualification_rate"])),
        (_("undeclared share of work"), _pct(results["undeclared_work_share"])),
        (_("in-work poverty (net income below the poverty line)"), _pct(results["in_work_poverty_rate"])),
        *(
            (_("nationals (comparison): {measure}").format(measure=label), _pct(results["nationals"][key]))
            for label, key in ((_("employment"), "employment_rate"), (_("unemployment"), "unemployment_rate"),
                               (_("over-qualification"), "overqualification_rate"))
            if "nationals" in results
        ),
        (_("undocumented people"), results["undocumented_count"]),
        (_("exploited workers"), results["exploited_count"]),
        (_("median months to first declared job"), _num(results["median_months_to_first_formal_job"])),
        (_("median monthly income, EUR"), _num(results["median_monthly_income_eur"])),
        (_("refugees in work after 5 years"), _pct(results["employment_rate_by_years_since_arrival"]["asylum"]["5"])),
        (_("regularisations through work"), results["regularisations_total"]),
        (_("SSE jobs / enterprises alive"), f"{results['sse_jobs']} / {results['sse_enterprises_alive']}"),
        (_("SSE self-financing ratio"), _pct(results["sse_self_financing_ratio"])),
        (_("municipal spending, million EUR"), _num(results["municipal_spending_eur"]["total"] / 1e6, 2)),
        *(
            (f"  {_(SPENDING_ITEMS.get(item, item.replace('_', ' ')))}", _num(amount / 1e6, 2))
            for item, amount in results["municipal_spending_eur"].items()
            if item != "total"
        ),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    table.caption = _("Rates averaged over the final 12 months; 'no data' where nobody is in the group.")
    return table


def _pct(value: float | None) -> str:
    return _("no data") if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 0) -> str:
    return "not reached" if value is None else f"{value:,.{digits}f}"


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write atomically: a crash never leaves a half-written file in place of a good one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"--out: cannot write {path}: {exc.strerror}")


def _reflow_short_help() -> None:
    """Each command's line in ``pathways --help``: its docstring's first paragraph as one
    line, for the help to wrap at the terminal's width (Typer keeps the docstring's line
    breaks there, which cut sentences in the middle)."""
    for command in app.registered_commands:
        if command.short_help is None and command.callback is not None:
            command.short_help = " ".join(inspect.cleandoc(command.callback.__doc__ or "").split("\n\n")[0].split())


_reflow_short_help()


def main() -> None:
    """Console entry point: usage errors too become one line on stderr with exit code 2."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        errors.print(f"error: {one_line(exc.format_message())}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    sys.exit(code or 0)
