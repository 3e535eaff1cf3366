"""Parameter recovery for the EU-27 calibration, at full budget.

Simulates the eu27 baseline with known values of all its free parameters (the midpoints
of the priors), calibrates on the simulated figures with ABC-SMC, and prints, for each
parameter, the known value, the posterior mean and 90 % interval, and whether the
interval covers the known value; then the simulations used and the wall time.

    python benchmarks/recovery.py [--population 100] [--budget 1500] [--workers 2] [--warmup-months 72]

The known values' figures come from runs as a user makes them (the preset's own warm-up,
from its steady-state snapshot); the fit's particles warm up for ``--warmup-months``
(``FIT_WARMUP_MONTHS``), so the benchmark also shows what that shorter warm-up costs the
fit.
"""

import argparse

from sim.calibration import fit as fitting
from sim.calibration.targets import FIT_WARMUP_MONTHS, free_parameters, metric_value, targets
from sim.model import CityModel
from sim.scenario import load, with_overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--migrants", type=int, default=6000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--warmup-months", type=int, default=FIT_WARMUP_MONTHS)
    args = parser.parse_args()
    parameters = free_parameters("eu27")
    truth = {p.name: (p.low + p.high) / 2 for p in parameters}
    fitted = [t for t in targets("eu27") if t.fit]
    scenario = with_overrides(load("eu27/baseline"), truth)
    observed = dict.fromkeys((t.id for t in fitted), 0.0)
    seeds = (101, 102, 103, 104, 105)
    for seed in seeds:
        model = CityModel(scenario, rng=seed, migrants=args.migrants)
        model.run(args.months)
        for t in fitted:
            observed[t.id] += metric_value(model.results(), t.metric) / len(seeds)
    result = fitting.calibrate("eu27", args.population, args.budget, args.generations, args.workers, args.migrants,
                               args.months, seed=1, parameters=parameters, observed=observed,
                               warmup_months=args.warmup_months)
    print(f"{'parameter':52s} {'known':>9s} {'mean':>9s} {'90 % interval':>21s} covered")
    covered = 0
    for p in parameters:
        low, high = result.interval(p.name)
        hit = low <= truth[p.name] <= high
        covered += hit
        print(f"{p.name:52s} {truth[p.name]:>9.4g} {result.mean()[p.name]:>9.4g} [{low:>9.4g}, {high:>9.4g}] {'yes' if hit else 'NO'}")
    print(f"{covered}/{len(parameters)} covered; {result.simulations} simulations, {result.generations} generations, "
          f"{result.wall_s:.0f} s on {args.workers} workers ({args.migrants} migrants, {args.months} months per run "
          f"after a {args.warmup_months}-month warm-up)")


if __name__ == "__main__":
    main()
