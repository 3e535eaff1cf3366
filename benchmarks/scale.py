"""Time one run of 100,000 and of 1,000,000 migrants over 120 months.

Prints, per size: set-up time (initial stock and warm-up months), run time, migrant-months
per second of the reported run and of the whole job, and peak memory (max RSS) of the
process. Each size runs in its own process so that peak memory is its own.

    python benchmarks/scale.py [--sizes 100000 1000000] [--months 120] [--scenario eu27/baseline]
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def measure(scenario: str, migrants: int, months: int, seed: int) -> dict:
    from sim.model import CityModel

    start = time.perf_counter()
    model = CityModel(scenario, rng=seed, migrants=migrants)
    set_up = time.perf_counter() - start
    start = time.perf_counter()
    model.run(months)
    run = time.perf_counter() - start
    results = model.results()
    return {
        "migrants": migrants,
        "months": months,
        "warmup_months": model.params.population.warmup_months,
        "setup_s": round(set_up, 2),
        "run_s": round(run, 2),
        "total_s": round(set_up + run, 2),
        "migrant_months_per_s_run": round(migrants * months / run),
        "migrant_months_per_s_total": round(migrants * (months + model.params.population.warmup_months) / (set_up + run)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "final_stock": results["migrants"],
        "employment_rate": round(results["employment_rate"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--scenario", default="eu27/baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.scenario, args.sizes[0], args.months, args.seed)))
        return
    print(f"{'migrants':>10} {'setup s':>8} {'run s':>7} {'total s':>8} {'M mig-months/s (run)':>21} "
          f"{'(whole job)':>12} {'peak MB':>8}")
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--sizes", str(size), "--months", str(args.months),
             "--scenario", args.scenario, "--seed", str(args.seed)],
            capture_output=True, text=True, check=True,
        )
        r = json.loads(done.stdout)
        print(f"{r['migrants']:>10,} {r['setup_s']:>8} {r['run_s']:>7} {r['total_s']:>8} "
              f"{r['migrant_months_per_s_run'] / 1e6:>21.1f} {r['migrant_months_per_s_total'] / 1e6:>12.1f} "
              f"{r['peak_rss_mb']:>8}")
    print(f"({args.scenario}, {args.months} months after {r['warmup_months']} warm-up months, seed {args.seed}, "
          "one process on one core)")


if __name__ == "__main__":
    main()
