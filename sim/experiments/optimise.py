"""The best package of levers a city can afford: the Pareto front of a planner's objectives.

A *package* is the city's baseline with some of its levers switched on, each at a size
(its places, capacity or share) between a quarter and four times the size its own lever
scenario gives, under a yearly lever budget (``policies.policy_budget_eur_per_year``).
Only the levers a city controls are searched: a lever scenario that changes anything
beyond its own ``[policies.<lever>]`` table (a national regularisation regime, an assumed
reform) is left out, and the result says so.

Each package runs ``replications`` times at the same seeds as the baseline (common random
numbers), and each objective is the mean paired difference from the baseline (more people
in work, a lower net cost to the city...). The budget is a hard constraint: a package whose
lever spending exceeds the budget in any calendar year of any replication (programmes
admitted within the budget may go on costing) is infeasible, and never on the front.

The search is optuna's NSGA-II sampler (a maintained library with multi-objective
samplers, constraints and a database storage): its trials live in the results database
beside the runs, so a killed optimisation resumes where it was, and a package interrupted
mid-way is asked again with the same settings, whose runs already stored are not run again.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sqlalchemy import Engine

from sim.experiments import execute, store
from sim.experiments.compare import paired
from sim.calibration.posterior import posterior_draws, posterior_hash
from sim.experiments.jobs import make_jobs, replication_seeds
from sim.provenance import code_version
from sim.scenario import Scenario, load, with_overrides
from sim.scenario.loader import SCENARIO_DIR

OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "jobs": ("employed_20_64", "maximize", "additional people aged 20-64 in work"),
    "declared_jobs": ("declared_employed_20_64", "maximize", "additional people aged 20-64 in declared work"),
    "city_net_cost": ("city_net_cost_eur", "minimize", "the city's own net cost over the run, EUR"),
    "exploited": ("exploited_count", "minimize", "change in exploited workers"),
    "regularisations": ("regularisations_total", "maximize", "additional regularisations through work"),
    "overqualification": ("overqualification_rate", "minimize", "change in over-qualification (tertiary)"),
    "women": ("employment_rate_by_sex.female", "maximize", "change in women's employment rate"),
}
"""Objective -> (per-run metric, direction, what it is). Each is the mean paired difference
of the metric from the baseline over the replications."""

SIZE_FIELDS = {
    "one_stop_shop": "capacity_clients_per_month",
    "integrated_training": "places",
    "sse_transitional_jobs": "places",
    "ephemeral_cooperatives": "cohort_size",
    "reserved_procurement": "reserved_share",
    "start_up_support": "new_collectives_per_year",
    "third_place": "visitors_per_month",
    "mentoring": "places",
    "oacas_host_support": "places",
    "regularisation_advice": "clients_per_month",
    "union_contact_points": "contact_points",
    "anti_discrimination": "covered_employer_share",
}
"""The field that sizes each lever; a lever not named here is searched on or off only."""

SIZE_RANGE = (0.25, 4.0)
"""Sizes searched, as factors of the lever scenario's own size (log-uniform), within the field's allowed range."""

BUDGET = "policies.policy_budget_eur_per_year"
OVER_BUDGET = "largest_yearly_lever_spending_share_of_budget"


class OptimisationError(ValueError):
    """An optimisation that cannot run (an unknown city or objective), in one line."""


@dataclass(frozen=True)
class LeverChoice:
    """A lever the search may switch on: what its scenario sets, and the field that sizes it."""

    lever: str
    settings: dict[str, Any]
    """Dotted fields its lever scenario sets beyond the baseline (all under ``policies.<lever>.``)."""
    size_field: str | None
    size: float | None
    bounds: tuple[float, float] | None
    integer: bool


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def city_levers(city: str) -> tuple[list[LeverChoice], dict[str, str]]:
    """The levers the city controls, from its lever scenarios; and those left out, with why."""
    folder = SCENARIO_DIR / city
    if not (folder / "baseline.toml").is_file():
        cities = sorted(p.parent.name for p in SCENARIO_DIR.glob("*/baseline.toml") if p.parent.name != "eu27")
        raise OptimisationError(f"optimise: unknown CITY '{city}' (allowed: {', '.join(cities)})")
    baseline = load(f"{city}/baseline")
    base = _flat(baseline.model_dump(mode="json"))
    choices, left_out = {}, {}
    for path in sorted(folder.glob("*.toml")):
        if path.stem in ("baseline", "combined"):
            continue
        changed = {k: v for k, v in _flat(load(f"{city}/{path.stem}").model_dump(mode="json")).items()
                   if base.get(k) != v and not k.startswith("meta.")}
        levers = {k.split(".")[1] for k in changed if k.startswith("policies.")}
        if len(levers) != 1 or any(k.split(".")[:2] != ["policies", *levers] for k in changed):
            outside = next((k for k in changed if not k.startswith("policies.")), sorted(changed)[0] if changed else "")
            left_out[path.stem] = f"changes more than one lever's table ({outside})"
            continue
        (lever,) = levers
        if lever in choices:
            continue
        field = SIZE_FIELDS.get(lever)
        section = getattr(baseline.policies, lever)
        size = bounds = None
        integer = False
        if field is not None:
            size = changed.get(f"policies.{lever}.{field}", getattr(section, field))
            meta = type(section).model_fields[field]
            low = next((m.ge for m in meta.metadata if getattr(m, "ge", None) is not None), 0.0)
            high = next((m.le for m in meta.metadata if getattr(m, "le", None) is not None), float("inf"))
            bounds, integer = (low, high), meta.annotation is int
        choices[lever] = LeverChoice(lever, changed, field, size, bounds, integer)
    return list(choices.values()), left_out


def package(choices: list[LeverChoice], params: dict[str, Any], budget_eur_per_year: float) -> dict[str, Any]:
    """The overrides of the package a trial's ``params`` describe (``on.LEVER``, ``size.LEVER``)."""
    overrides: dict[str, Any] = {BUDGET: float(budget_eur_per_year)}
    for choice in choices:
        if not params.get(f"on.{choice.lever}"):
            continue
        overrides.update(choice.settings)  # what the lever's own scenario sets, its switch included
        if choice.size_field is not None and f"size.{choice.lever}" in params:
            value = float(np.clip(choice.size * params[f"size.{choice.lever}"], *choice.bounds))
            overrides[f"policies.{choice.lever}.{choice.size_field}"] = round(value) if choice.integer else value
    return overrides


def package_file(city: str, overrides: dict[str, Any], description: str) -> str:
    """A package as a scenario file: the city's baseline extended with its lever tables, which
    ``pathways run`` or ``compare`` and the dashboard read like any other."""
    baseline = load(f"{city}/baseline")
    tables: dict[str, dict[str, Any]] = {}
    for name, value in sorted(overrides.items()):
        table, _, key = name.rpartition(".")
        tables.setdefault(table, {})[key] = value
    lines = [f"# A package found by `pathways optimise {city}`: {description}.",
             f'extends = "{city}/baseline"', "", "[meta]", f'name = "{baseline.meta.name}, package"',
             f'description = "{description}"', f'city = "{baseline.meta.city}"', f'country = "{baseline.meta.country}"']
    for table, values in tables.items():
        lines += ["", f"[{table}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def describe(choices: list[LeverChoice], params: dict[str, Any]) -> str:
    """A package in words: its levers, with their sizes as factors of the lever scenario's."""
    parts = [c.lever.replace("_", " ") + (f" x{params[f'size.{c.lever}']:.2f}" if f"size.{c.lever}" in params else "")
             for c in choices if params.get(f"on.{c.lever}")]
    return ", ".join(parts) or "no lever"


def label_of(overrides: dict[str, Any]) -> str:
    """A package's label in the results database: the same settings, the same label."""
    return "package-" + hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Optimisation:
    name: str
    """The experiment and the optuna study, in the results database."""
    objectives: list[str]
    front: pd.DataFrame
    """Feasible packages no other feasible one beats on every objective: label, package,
    objectives, budget use, and whether it dominates the city's shipped ``combined``."""
    combined: dict[str, float]
    """The shipped ``combined`` scenario's objectives under the same budget, and its ``budget_share``."""
    trials: int
    left_out: dict[str, str]
    packages: list[dict[str, Any]]
    """Every package tried, as ``progress`` hears of them (the front is drawn from these)."""


def front_of(packages: list[dict[str, Any]], objectives: list[str]) -> list[dict[str, Any]]:
    """The packages within the budget that no other one within it beats on every objective."""
    feasible = [p for p in packages if p["budget_share"] <= 1.0]
    return [p for p in feasible if not any(dominates(q, p, objectives) for q in feasible)]


def dominates(a: dict[str, float], b: dict[str, float], objectives: list[str]) -> bool:
    """Whether ``a`` is at least as good as ``b`` on every objective and better on one."""
    better = [(a[o] - b[o]) * (1 if OBJECTIVES[o][1] == "maximize" else -1) for o in objectives]
    return all(d >= 0 for d in better) and any(d > 0 for d in better)


class _Evaluator:
    """Runs packages beside the stored baseline and reads their objectives back."""

    def __init__(self, engine: Engine, experiment: store.Experiment, city: str, objectives: list[str],
                 replications: int, months: int, seed: int, migrants: int | None, workers: int, dask: str | None,
                 draws: list[dict[str, float]] | None, robust: bool, stop: Callable[[], bool] | None):
        self.engine, self.experiment, self.objectives = engine, experiment, objectives
        self.replications, self.months, self.seed, self.migrants = replications, months, seed, migrants
        self.workers, self.dask, self.draws, self.robust, self.stop = workers, dask, draws, robust, stop
        self.baseline = load(f"{city}/baseline")

    def run(self, label: str, scenario: Scenario, overrides: dict[str, Any]) -> bool:
        """Run a package's replications (those not stored yet); False if stopped before the end.
        A failed run ends the search in one line: a package judged on fewer replications
        than asked would not have been held to the budget in every one."""
        jobs = make_jobs([(label, scenario, overrides)], self.replications, self.seed, self.months, self.migrants,
                         self.draws)
        try:
            report = execute.run(self.engine, self.experiment.id, jobs, self.workers, self.dask, stop=self.stop)
        except execute.Cancelled:
            return False
        if report.failed:
            raise OptimisationError(f"optimise: {report.failed} of {len(jobs)} runs of {label} failed "
                                    f"(see: pathways export {self.experiment.name})")
        return True

    def values(self, label: str) -> tuple[dict[str, float], float]:
        """Each objective's mean paired difference from the baseline (robust: its worst
        decile over the replications, which with posterior draws span the parameters'
        uncertainty too), and the largest share of the yearly budget spent in any year of
        any replication."""
        names = [OBJECTIVES[o][0] for o in self.objectives] + [OVER_BUDGET]
        metrics = store.load_metrics(self.engine, self.experiment.id, names)
        metrics = metrics[metrics["label"].isin(["baseline", label])]
        out = {}
        for objective in self.objectives:
            metric, direction, _ = OBJECTIVES[objective]
            diffs = paired(metrics, metric, label, "baseline") if metric in metrics.columns else np.array([])
            if not diffs.size:
                out[objective] = float("nan")
            elif self.robust:
                out[objective] = float(np.quantile(diffs, 0.1 if direction == "maximize" else 0.9))
            else:
                out[objective] = float(diffs.mean())
        own = metrics.loc[metrics["label"] == label]
        share = float(own[OVER_BUDGET].max()) if OVER_BUDGET in own.columns and own[OVER_BUDGET].notna().any() else 0.0
        return out, share


def optimise(city: str, budget_eur_per_year: float, objectives: list[str], trials: int = 60, replications: int = 5,
             months: int = 120, seed: int = 1, migrants: int | None = None, workers: int = 1, dask: str | None = None,
             db: str | None = None, name: str | None = None, posterior: str | None = None, robust: bool = False,
             progress: Callable[[int, int, dict[str, Any]], None] | None = None,
             stop: Callable[[], bool] | None = None) -> Optimisation:
    """Search the city's packages under the budget for the Pareto front of ``objectives``
    (module docstring), ``trials`` packages in all, resuming a stored optimisation of the
    same settings. With ``posterior``, each replication draws the calibrated parameters of
    that preset from its posterior (the same draw for every package and the baseline); with
    ``robust``, a package is judged on its worst decile over the replications, not its mean.
    ``progress(done, total, package)`` hears of each package as it is tried:
    its label, its description, its objectives and its ``budget_share``; ``stop()`` true ends
    the search after the runs under way (what is stored stays, and the same call resumes)."""
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not objectives:
        raise OptimisationError(f"optimise: --objective '{unknown[0] if unknown else ''}' is not known "
                                f"(allowed: {', '.join(OBJECTIVES)})")
    if len(set(objectives)) != len(objectives):
        raise OptimisationError("optimise: each --objective may be given once")
    if not 0 < budget_eur_per_year < 1e12:
        raise OptimisationError("optimise: --budget-eur-per-year must be above 0 and below 1e12")
    choices, left_out = city_levers(city)
    if not choices:
        raise OptimisationError(f"optimise: {city} has no lever scenario the city controls")
    draws = posterior_draws(posterior, replication_seeds(seed, replications), city) if posterior else None
    spec = {"city": city, "budget_eur_per_year": budget_eur_per_year, "objectives": objectives,
            "replications": replications, "months": months, "seed": seed, "migrants": migrants,
            "posterior": posterior, "posterior_sha256": posterior_hash(posterior) if posterior else None,
            "robust": robust, "code_version": code_version()}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    engine = store.connect(db)
    experiment = store.get_or_create_experiment(engine, name or f"optimise-{digest}", "optimise", spec, code_version())
    evaluator = _Evaluator(engine, experiment, city, objectives, replications, months, seed, migrants, workers, dask,
                           draws, robust, stop)
    # The shipped package, held to the same budget as the search's, for a fair comparison.
    capped = {BUDGET: float(budget_eur_per_year)}
    if not (evaluator.run("baseline", evaluator.baseline, {})
            and evaluator.run("combined", with_overrides(load(f"{city}/combined"), capped), capped)):
        raise execute.Cancelled("stopped on request, before the first package; the runs done are stored")
    combined, combined_share = evaluator.values("combined")
    combined["budget_share"] = combined_share

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(store.database_url(db))
    study = optuna.create_study(study_name=experiment.name, storage=storage,
                                directions=[OBJECTIVES[o][1] for o in objectives], load_if_exists=True)
    # The sampler's own random state is not stored: a resumed search seeds it with the
    # trials already done, so that it does not propose the first packages again (a fresh
    # search is reproducible from its seed; a resumed one continues differently).
    study.sampler = optuna.samplers.NSGAIISampler(population_size=max(4, min(20, trials // 3)),
                                                  seed=seed + len(study.trials))
    for interrupted in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        # Killed mid-way: asked again with the same settings, whose stored runs are kept.
        study.enqueue_trial(interrupted.params, user_attrs={"resumed": interrupted.number})
        storage.set_trial_state_values(interrupted._trial_id, optuna.trial.TrialState.FAIL)

    def objective(trial: optuna.Trial) -> tuple[float, ...]:
        params = {}
        for choice in choices:
            on = trial.suggest_categorical(f"on.{choice.lever}", [False, True])
            params[f"on.{choice.lever}"] = on
            if choice.size_field is not None:
                params[f"size.{choice.lever}"] = trial.suggest_float(f"size.{choice.lever}", *SIZE_RANGE, log=True)
        overrides = package(choices, params, budget_eur_per_year)
        label = label_of(overrides)
        trial.set_user_attr("label", label)
        trial.set_user_attr("package", describe(choices, params))
        trial.set_user_attr("overrides", overrides)
        if not evaluator.run(label, with_overrides(evaluator.baseline, overrides), overrides):
            study.stop()
            raise optuna.TrialPruned("stopped")  # not judged: its runs may be incomplete
        values, share = evaluator.values(label)
        trial.set_constraint("budget", share - 1.0)  # feasible when <= 0: the sampler and the front keep to the budget
        trial.set_user_attr("budget_share", share)
        if progress is not None:
            done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))) + 1
            progress(done, trials, {"label": label, "package": describe(choices, params), "overrides": overrides,
                                    **values, "budget_share": share})
        return tuple(values[o] for o in objectives)

    complete = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    if complete < trials and not (stop is not None and stop()):
        study.optimize(objective, n_trials=trials - complete)
    front = []
    for trial in study.best_trials:  # optuna keeps only feasible trials on the front (their constraint <= 0)
        values = dict(zip(objectives, trial.values, strict=True))
        front.append({"label": trial.user_attrs["label"], "package": trial.user_attrs["package"],
                      "overrides": trial.user_attrs["overrides"], **values,
                      "budget_share": trial.user_attrs["budget_share"],
                      "dominates_combined": dominates(values, combined, objectives)})
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    packages = [{"label": t.user_attrs["label"], "package": t.user_attrs["package"], "overrides": t.user_attrs["overrides"],
                 **dict(zip(objectives, t.values, strict=True)), "budget_share": t.user_attrs["budget_share"]}
                for t in done]
    return Optimisation(experiment.name, objectives, pd.DataFrame(front), combined, len(done), left_out, packages)
