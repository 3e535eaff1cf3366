"""Scenario discovery: the conditions under which a scenario's outcome holds a property.

"Under which conditions does the package stop paying for itself?" The uncertain
parameters (the lever's assumed parameters, and with ``posterior`` the calibrated
parameters, one posterior draw per sample) are sampled by a Latin hypercube; each sample
runs the scenario and its city's baseline at one seed (common random numbers); the
condition (``city_net_cost_per_extra_person_eur > 60000``) is evaluated on the paired
difference; and PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999, as EMA
Workbench implements it: a maintained scenario-discovery library) finds the box of
parameter values in which the condition mostly holds, with its coverage (the share of
the samples where it holds that fall in the box) and density (the share of the box's
samples where it holds). The parameters the box restricts are those that matter.
"""

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.posterior import posterior_draws, posterior_hash
from sim.experiments import designs, execute, store
from sim.experiments.api import _check_size, _experiment, _override
from sim.experiments.jobs import Job, replication_seeds
from sim.experiments.optimise import SIZE_FIELDS
from sim.limits import check_run_size
from sim.provenance import code_version
from sim.scenario import Scenario, ScenarioError, content_hash, load, with_overrides

OUTCOMES = {
    "extra_people_in_work": "additional people aged 20-64 in work (final 12 months)",
    "extra_people_in_declared_work": "additional people aged 20-64 in declared work",
    "city_net_cost_eur": "the city's own net cost over the run, EUR",
    "city_net_cost_per_extra_person_eur": "the city's net cost per additional person in work, EUR (unbounded without one)",
    "extra_lever_spending_eur": "the extra lever spending over the run, EUR",
}
"""What a condition may name: paired differences of the scenario from its baseline."""

CONDITION = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|<|>)\s*(-?[0-9][0-9_.,eE+-]*)\s*$")
ASSUMED_RANGE = (0.5, 1.5)
"""Default range of a lever's assumed parameters, as factors of the scenario's value."""


class DiscoveryError(ValueError):
    """A discovery that cannot run (a bad condition or parameter), in one line."""


@dataclass(frozen=True)
class Condition:
    outcome: str
    op: str
    value: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        return {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[self.op](values, self.value)

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"


def parse_condition(text: str) -> Condition:
    """``OUTCOME OP NUMBER`` (OP one of < <= > >=), refused in one line otherwise."""
    match = CONDITION.match(text)
    if not match:
        raise DiscoveryError(f"--condition {text[:80]!r}: write OUTCOME OP NUMBER, for instance "
                             "'city_net_cost_per_extra_person_eur > 60000'")
    outcome, op, number = match.groups()
    if outcome not in OUTCOMES:
        raise DiscoveryError(f"--condition: unknown outcome '{outcome}' (allowed: {', '.join(OUTCOMES)})")
    try:
        value = float(number.replace("_", "").replace(",", ""))
    except ValueError:
        raise DiscoveryError(f"--condition: '{number}' is not a number") from None
    return Condition(outcome, op, value)


def assumed_parameters(scenario: Scenario) -> list[designs.Factor]:
    """The enabled levers' assumed parameters (their fractions, rates and amounts; not their
    sizes or eligibility ages, which the city chooses), each over half to one and a half times the scenario's value within its allowed range."""
    factors = []
    for lever, section in scenario.policies:
        if not getattr(section, "enabled", False):
            continue
        for field, info in type(section).model_fields.items():
            value = getattr(section, field)
            if (field == SIZE_FIELDS.get(lever) or field.endswith("_years") or isinstance(value, bool)
                    or not isinstance(value, float) or value == 0):  # sizes and eligibility ages are choices
                continue
            low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), -np.inf)
            high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), np.inf)
            factors.append(designs.Factor(f"policies.{lever}.{field}", max(low, value * ASSUMED_RANGE[0]),
                                          min(high, value * ASSUMED_RANGE[1])))
    return factors


@dataclass
class Discovery:
    name: str
    condition: Condition
    samples: pd.DataFrame
    """One row per sample: the sampled parameters, the outcome and whether the condition holds."""
    box: pd.DataFrame
    """The box's restricted parameters: name, the sampled range, the box's limits, PRIM's qp-value."""
    coverage: float
    density: float
    share_holding: float
    """Share of all samples where the condition holds (the density of the whole space)."""


def outcomes(metrics: pd.DataFrame, samples: int) -> pd.DataFrame:
    """Each sample's paired differences (``s{i}`` against ``b{i}``), as ``OUTCOMES`` names them."""
    by_label = metrics.set_index("label")
    rows = []
    for i in range(samples):
        own, base = by_label.loc[f"s{i}"], by_label.loc[f"b{i}"]
        jobs = own["employed_20_64"] - base["employed_20_64"]
        cost = own["city_net_cost_eur"] - base["city_net_cost_eur"]
        rows.append({"extra_people_in_work": jobs,
                     "extra_people_in_declared_work": own["declared_employed_20_64"] - base["declared_employed_20_64"],
                     "city_net_cost_eur": cost,
                     "city_net_cost_per_extra_person_eur": cost / jobs if jobs > 0 else np.inf,
                     "extra_lever_spending_eur": own["lever_spending_eur"] - base["lever_spending_eur"]})
    return pd.DataFrame(rows)


def discover(scenario_name: str, condition: str, samples: int = 100, months: int = 120, seed: int = 1,
             migrants: int | None = None, parameters: list[str] | None = None, posterior: str | None = None,
             min_density: float = 0.8, workers: int = 1, dask: str | None = None, db: str | None = None,
             name: str | None = None, progress: execute.Progress | None = None) -> Discovery:
    """Sample, run, evaluate ``condition`` and find its box (module docstring). ``parameters``
    (``name=low:high``) replace the default uncertain parameters (``assumed_parameters``)."""
    rule = parse_condition(condition)
    if samples < 10:
        raise DiscoveryError("discover: --samples must be at least 10 for PRIM to find a box")
    scenario = load(scenario_name)
    city = scenario.meta.city
    baseline = load(f"{city}/baseline")
    factors = designs.parse_factors(parameters) if parameters else assumed_parameters(scenario)
    if not factors and not posterior:
        raise DiscoveryError(f"discover: {scenario_name} has no lever parameter to sample; give --param or --posterior")
    points = designs.latin_hypercube(factors, samples, seed) if factors else [{} for _ in range(samples)]
    seeds = replication_seeds(seed, samples)
    draws = posterior_draws(posterior, seeds, city) if posterior else [{} for _ in range(samples)]
    _check_size(2 * samples)
    jobs = []
    for i, (point, draw, run_seed) in enumerate(zip(points, draws, seeds, strict=True)):
        try:
            own = with_overrides(_override(scenario, point), draw)
            base = with_overrides(baseline, draw)
        except ScenarioError as exc:
            raise DiscoveryError(f"discover: {str(exc).splitlines()[0]}") from None
        check_run_size(own, migrants, months)
        jobs += [Job(f"s{i}", i, 0, run_seed, own.model_dump(mode="json"), {**point, **draw}, months, migrants),
                 Job(f"b{i}", i, 0, run_seed, base.model_dump(mode="json"), draw, months, migrants)]
    # As every experiment's: another code version, scenario file or posterior is another discovery.
    spec = {"scenario": scenario_name, "scenario_sha256": content_hash(scenario),
            "baseline_sha256": content_hash(baseline), "condition": str(rule), "samples": samples, "months": months,
            "seed": seed, "migrants": migrants, "parameters": [f"{f.name}={f.low}:{f.high}" for f in factors],
            "posterior": posterior, "posterior_sha256": posterior_hash(posterior) if posterior else None,
            "code_version": code_version()}
    engine = store.connect(db)
    experiment = _experiment(engine, "discover", spec, name)
    report = execute.run(engine, experiment.id, jobs, workers, dask, progress)
    if report.failed:
        raise DiscoveryError(f"discover: {report.failed} of {len(jobs)} runs failed "
                             f"(see: pathways export {experiment.name})")
    metrics = store.load_metrics(engine, experiment.id)
    table = pd.DataFrame([{**p, **d} for p, d in zip(points, draws, strict=True)])
    result = outcomes(metrics, samples)
    table[rule.outcome] = result[rule.outcome].to_numpy()
    table["holds"] = rule.holds(table[rule.outcome].to_numpy())
    varied = [c for c in table.columns if c not in (rule.outcome, "holds") and table[c].nunique() > 1]
    box, coverage, density = _prim_box(table[varied], table["holds"].to_numpy(), min_density)
    return Discovery(experiment.name, rule, table, box, coverage, density, float(table["holds"].mean()))


def _prim_box(x: pd.DataFrame, y: np.ndarray, min_density: float) -> tuple[pd.DataFrame, float, float]:
    """PRIM's box: on its peeling trajectory, the box of greatest coverage among those of at
    least ``min_density`` (else the densest, which the report then gives with its lower
    density); its restricted parameters and limits."""
    with warnings.catch_warnings():  # it warns of optional runners (ipyparallel) and plots (altair) it lacks
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", ImportWarning)
        from ema_workbench.analysis import prim

    columns = ["parameter", "sampled_low", "sampled_high", "box_low", "box_high", "qp_value"]
    if not y.any() or y.all():
        return pd.DataFrame(columns=columns), float(y.any()), float(y.mean())
    found = prim.Prim(x, y).find_box()
    trajectory = found.peeling_trajectory
    dense = trajectory[trajectory["density"] >= min_density]
    chosen = int(dense.sort_values(["coverage", "density"]).index[-1]) if not dense.empty else int(
        trajectory["density"].idxmax())
    stats, limits = found.inspect(chosen, style="data")[0]
    rows = []
    for parameter in limits.index:
        rows.append({"parameter": parameter, "sampled_low": float(x[parameter].min()),
                     "sampled_high": float(x[parameter].max()),
                     "box_low": float(limits.iloc[limits.index.get_loc(parameter), 0]),
                     "box_high": float(limits.iloc[limits.index.get_loc(parameter), 1]),
                     "qp_value": float(np.nanmin(limits.iloc[limits.index.get_loc(parameter), 2:].to_numpy(dtype=float)))})
    return pd.DataFrame(rows, columns=columns), float(stats["coverage"]), float(stats["density"])


def describe(discovery: Discovery) -> list[str]:
    """The finding in sentences."""
    lines = [f"{discovery.condition} holds in {100 * discovery.share_holding:.0f} % of the "
             f"{len(discovery.samples)} samples."]
    if discovery.share_holding in (0.0, 1.0):
        lines.append("PRIM has nothing to separate: the condition holds everywhere or nowhere sampled.")
        return lines
    if discovery.box.empty:
        lines.append("No box narrower than the whole space sampled is denser in it: the condition holds about as "
                     "often whatever the parameters sampled.")
        return lines
    parts = [f"{r.parameter} from {r.box_low:g} to {r.box_high:g} (sampled {r.sampled_low:g} to {r.sampled_high:g})"
             for r in discovery.box.itertuples()]
    lines.append(f"It holds mostly when {'; and '.join(parts)}: coverage {100 * discovery.coverage:.0f} % (of the "
                 f"samples where it holds, the share in this box), density {100 * discovery.density:.0f} % (of the "
                 "samples in this box, the share where it holds).")
    return lines
