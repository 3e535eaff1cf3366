"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

The design points come from SALib's samplers; each point is run ``replications`` times
(common random numbers across points) and the output is the replication mean, which
keeps simulation noise out of the indices as far as replications allow (the indices'
confidence intervals are reported: read them). Morris first to screen many parameters,
then Sobol on the few that matter (SALib's sample sizes: N (D + 2) points for Sobol
without second-order terms, r (D + 1) for Morris).
"""

from typing import Any

import numpy as np
import pandas as pd
from SALib import ProblemSpec

from sim.experiments.designs import Factor
from sim.experiments.store import flatten
from sim.model import CityModel
from sim.scenario import Scenario

METHODS = ("morris", "sobol")


def problem(factors: list[Factor], output: str) -> ProblemSpec:
    flat = [f.name for f in factors if not f.high > f.low]
    if flat:
        raise ValueError(f"--param {flat[0]}: sensitivity needs a range low:high with low < high")
    listed = [f.name for f in factors if f.steps is not None or f.values is not None]
    if listed:
        raise ValueError(f"--param {listed[0]}: give a range low:high; sensitivity's sampler chooses the values")
    return ProblemSpec({
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
        "outputs": [output],
    })


def sample(spec: ProblemSpec, method: str, samples: int, seed: int) -> list[dict[str, float]]:
    """Design points as dicts of parameter values."""
    if method == "morris":
        if len(spec["names"]) < 2:
            raise ValueError("--param: Morris screening ranks two parameters or more; give another --param, or "
                             "use a sweep for one")
        spec.sample_morris(samples, seed=seed)
    elif method == "sobol":
        if samples & (samples - 1):
            raise ValueError(f"--samples {samples}: Sobol needs a power of two")
        spec.sample_sobol(samples, calc_second_order=False, seed=seed)
    else:
        raise ValueError(f"--method {method!r}: allowed values are {', '.join(METHODS)}")
    return [dict(zip(spec["names"], row.tolist(), strict=True)) for row in spec.samples]


def check_output(scenario: Scenario, output: str) -> None:
    """Refuse, before any run, an output that is not one of a run's indicators, as a month
    of the scenario at a small size has them (a few hundred migrants; the steady-state
    snapshot it needs is the one the runs use). A dotted name is checked by its first part
    only: which groups and items a table of the results holds depends on the run."""
    model = CityModel(scenario, rng=0, migrants=300)
    model.run(1)
    known = flatten(model.results())
    tables = {name.split(".")[0] for name in known if "." in name}
    if output not in known and output.split(".")[0] not in tables:
        headline = ", ".join(name for name, value in known.items() if "." not in name and value is not None)
        raise ValueError(f"--output {output!r}: no such indicator of a run (allowed: {headline}, or TABLE.KEY of "
                         f"one of {', '.join(sorted(tables))})")


def analyse(spec: ProblemSpec, method: str, metrics: pd.DataFrame, output: str, seed: int) -> pd.DataFrame:
    """Indices per parameter from the per-run metrics (averaged over replications per point)."""
    if output not in metrics.columns:
        raise ValueError(f"--output {output!r}: no such indicator in the runs")
    means = metrics.groupby("point")[output].mean().sort_index()
    if means.isna().any() or len(means) != len(spec.samples):
        raise ValueError(f"--output {output!r}: missing values at some design points; pick another indicator")
    spec.set_results(means.to_numpy(dtype=float))
    if method == "morris":
        spec.analyze_morris(seed=seed)
    else:
        spec.analyze_sobol(calc_second_order=False, seed=seed)
    result: dict[str, Any] = spec.analysis
    table = pd.DataFrame({key: np.asarray(value) for key, value in result.items() if key != "names"})
    table.insert(0, "parameter", spec["names"])
    return table
