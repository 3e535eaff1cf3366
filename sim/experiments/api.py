"""Experiments as Python calls, used by the CLI, the dashboard and the notebooks.

Each call names its experiment from its settings (or takes a name), stores every run in
the results database, skips runs already stored (so repeating a call resumes it), and
reads its tables back from the database: an interrupted then resumed experiment gives the
same tables as an uninterrupted one.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from sim.experiments import designs, execute, store
from sim.experiments.compare import Comparison, compare
from sim.calibration.posterior import posterior_draws, posterior_hash
from sim.experiments.jobs import make_jobs, replication_seeds
from sim.provenance import code_version
from sim.model import calendar_settings
from sim.experiments.share import edited_label
from sim.scenario import Scenario, ScenarioError, available, content_hash, load, with_overrides

MAX_RUNS = 1_000_000


@dataclass
class Settings:
    replications: int = 10
    months: int = 120
    seed: int = 1
    migrants: int | None = None
    workers: int = 1
    dask: str | None = None
    db: str | None = None
    name: str | None = None
    posterior: str | None = None
    """A calibrated preset whose posterior draws replace its fitted point, one draw per replication."""


def _experiment(engine: Engine, kind: str, spec: dict[str, Any], name: str | None) -> store.Experiment:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return store.get_or_create_experiment(engine, name or f"{kind}-{digest}", kind, spec, code_version())


def _check_size(runs: int) -> None:
    if runs > MAX_RUNS:
        raise ValueError(f"the experiment would have {runs:,} runs; the limit is {MAX_RUNS:,}")


@dataclass
class Plan:
    """A comparison ready to run: its stored experiment, its jobs, and where they are stored."""

    engine: Engine
    experiment: store.Experiment
    jobs: list
    labels: list[str]


def plan_compare(scenarios: list[str] | dict[str, Scenario], settings: Settings,
                 edits: dict[str, dict[str, Any]] | None = None) -> Plan:
    """Check a comparison and create (or find, to resume) its experiment, without running it.

    ``scenarios`` are names of scenario files, or labels mapped to scenarios built in memory
    (an uploaded file); ``edits`` adds, after them, shipped scenarios with dotted-name edits,
    labelled ``NAME (edited)``. Each run stores its scenario's content; the spec names each
    scenario's source and edits, which is what reproduces it (:mod:`sim.experiments.share`).
    """
    shipped = set(available())
    if isinstance(scenarios, dict):
        params = [(label, scenario, {}) for label, scenario in scenarios.items()]
    else:
        if len(set(scenarios)) != len(scenarios):
            raise ValueError("each scenario may appear only once")
        params = [(name, load(name), {}) for name in scenarios]
    # A scenario's source is its shipped name when it is that file as shipped; a file of one's
    # own, or a shipped name given other content, has none (it travels as a file, not a link).
    sources = [label if label in shipped and content_hash(scenario) == content_hash(load(label)) else None
               for label, scenario, _ in params]
    for base, changes in (edits or {}).items():
        params.append((edited_label(base), with_overrides(load(base), changes), dict(changes)))
        sources.append(base if base in shipped else None)
    if len(params) < 2:
        raise ValueError("compare needs at least two scenarios (the first is the counterfactual)")
    cities = sorted({scenario.meta.city for _, scenario, _ in params})
    if len(cities) > 1:
        raise ValueError(f"compare: the scenarios are of {', '.join(cities)}: compare the scenarios of one city, "
                         "the first of them the others' counterfactual, their runs paired by seed")
    _check_size(len(params) * settings.replications)
    draws = None
    if settings.posterior:
        draws = posterior_draws(settings.posterior, replication_seeds(settings.seed, settings.replications), cities[0])
    spec = {**_spec(params, settings), "posterior": settings.posterior,
            "posterior_sha256": posterior_hash(settings.posterior) if settings.posterior else None}
    for entry, source in zip(spec["scenarios"], sources, strict=True):
        entry["scenario"] = source
    jobs = make_jobs(params, settings.replications, settings.seed, settings.months, settings.migrants, draws)
    engine = store.connect(settings.db)  # only once everything is checked: a refusal writes nothing
    experiment = _experiment(engine, "compare", spec, settings.name)
    return Plan(engine, experiment, jobs, [label for label, _, _ in params])


def run_compare(scenarios: list[str] | dict[str, Scenario], settings: Settings,
                progress: execute.Progress | None = None, stop: execute.StopRequested | None = None,
                edits: dict[str, dict[str, Any]] | None = None,
                ) -> tuple[store.Experiment, Comparison, execute.Report]:
    """Run ``scenarios`` (and ``edits``, as in ``plan_compare``) x replications (common random
    numbers) and compare them with the first."""
    plan = plan_compare(scenarios, settings, edits)
    report = execute.run(plan.engine, plan.experiment.id, plan.jobs, settings.workers, settings.dask, progress, stop)
    metrics = store.load_metrics(plan.engine, plan.experiment.id)
    if metrics.empty:
        raise execute.ExecutionError(f"no run of experiment '{plan.experiment.name}' succeeded (see `pathways export`)")
    return plan.experiment, compare(metrics, plan.labels).computed(), report


def run_design(scenario: str, points: list[dict[str, Any]], kind: str, settings: Settings, extra_spec: dict[str, Any],
               progress: execute.Progress | None = None, stop: execute.StopRequested | None = None,
               ) -> tuple[store.Experiment, pd.DataFrame, execute.Report]:
    """Run a scenario at each design point (dotted-name overrides) x replications; per-run metrics back."""
    if settings.migrants is not None and any("population.initial_migrants" in point for point in points):
        raise ValueError("--param population.initial_migrants: --migrants sets every run's size, whatever the "
                         "point's; give one of them, not both")
    base = load(scenario)
    params = [(f"p{i}", _override(base, point), point) for i, point in enumerate(points)]
    _check_size(len(points) * settings.replications)
    spec = {**_spec(params, settings), **extra_spec}
    jobs = make_jobs(params, settings.replications, settings.seed, settings.months, settings.migrants)
    engine = store.connect(settings.db)  # only once everything is checked: a refusal writes nothing
    experiment = _experiment(engine, kind, spec, settings.name)
    report = execute.run(engine, experiment.id, jobs, settings.workers, settings.dask, progress, stop)
    metrics = store.load_metrics(engine, experiment.id)
    if metrics.empty:
        raise execute.ExecutionError(f"no run of experiment '{experiment.name}' succeeded (see `pathways export`)")
    return experiment, metrics, report


def typed_points(scenario: str, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Design points with each value cast to its field's type (whole numbers for counts)."""
    base = load(scenario)
    return [designs.typed(base, point) for point in points]


def _override(base: Scenario, point: dict[str, Any]) -> Scenario:
    """The scenario at a design point; a field the national rules set is refused, since
    the rules would silently replace the value asked for."""
    params = with_overrides(base, designs.typed(base, point))
    ruled = sorted(set(point) & set(calendar_settings(params, 0)))
    if ruled:
        raise ScenarioError(f"--param {ruled[0]}: set by the national rules {params.law.rules} in force in {params.law.start}; "
                            "vary it in a scenario that assumes a reform (law.reformed) or without national rules "
                            "(law.rules = none)")
    return params


def _spec(params: list[tuple[str, Scenario, dict[str, Any]]], settings: Settings) -> dict[str, Any]:
    return {
        "scenarios": [{"label": label, "sha256": content_hash(scenario), "overrides": overrides}
                      for label, scenario, overrides in params],
        "replications": settings.replications,
        "months": settings.months,
        "seed": settings.seed,
        "migrants": settings.migrants,
        # Another code version is another experiment: stored runs are never mixed across versions.
        "code_version": code_version(),
    }


def export(experiment_name: str, folder: Path, db: str | None = None) -> list[Path]:
    """Write an experiment's runs, metrics, monthly series and (for comparisons) its tables
    as CSV and Parquet files in ``folder``; return the files written."""
    engine = store.connect(db, existing=True)
    experiment = store.load_experiment(engine, experiment_name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"export: cannot create folder {folder} ({exc.strerror})") from None
    tables = {
        "runs": store.load_runs(engine, experiment.id).drop(columns=["scenario_json"], errors="ignore"),
        # Without the database's run ids (they follow the order runs finished in), the
        # metrics are byte-identical whatever the workers or engine; runs.csv links them.
        "metrics": store.load_metrics(engine, experiment.id).drop(columns="run_id", errors="ignore"),
        "monthly": store.load_series(engine, experiment.id),
    }
    if experiment.kind == "compare" and not tables["metrics"].empty:
        labels = [entry["label"] for entry in json.loads(experiment.spec_json)["scenarios"]]
        comparison = compare(tables["metrics"], labels)
        tables.update(city_cost_per_job=comparison.city_cost_per_job, comparison=comparison.summary,
                      cost_per_job=comparison.cost_per_job, impact=comparison.impact,
                      impact_by_level=comparison.impact_by_level, placements=comparison.placements,
                      who_gains=comparison.who_gains, income_deciles=comparison.income_deciles)
    partials: dict[Path, Path] = {}
    try:
        for name, table in tables.items():
            for suffix in ("csv", "parquet"):
                path = folder / f"{name}.{suffix}"
                partials[path] = partial = path.with_name(f".{path.name}.partial")
                if suffix == "csv":
                    table.to_csv(partial, index=False)
                else:
                    table.to_parquet(partial, index=False)
    except OSError as exc:  # a full disk: no new file at all, earlier exports left as they were
        for partial in partials.values():
            partial.unlink(missing_ok=True)
        raise OSError(f"export: cannot write {folder} ({exc.strerror or exc}); no file was written and the "
                      "results database is untouched") from None
    for path, partial in partials.items():
        partial.replace(path)
    return list(partials)
