"""Time `pathways run` end to end, cold and warm cache; the snapshots' cost; the month's cost by mechanism.

1. The whole command as a user runs it, in its own process, for each of ``--runs``
   (``SCENARIO[:MIGRANTS]``, the scenario's size without ``:MIGRANTS``):

       pathways run eu27/baseline --migrants N --months 120 --seed 1 --out r.json

   timed from outside (wall clock, and the child's user and system CPU time and peak
   resident memory from ``os.wait4``). It includes starting Python, reading the scenario,
   the city's people (drawn from the steady-state snapshot, ``sim/steady_state.py``), the
   warm-up months before month 0, the nationals' comparison population, the 120 reported
   months and writing the results. Each command runs twice with its own empty cache
   (``PATHWAYS_CACHE``): cold, making the snapshots, then warm, reading them. The command
   is ``python -m sim`` run in this checkout's folder, so that it runs this checkout's
   code, or in ``--checkout PATH`` (one without a change, to measure before and after).

2. The snapshots' cost: for each scenario of ``--runs``, the time to make the steady-state
   snapshots of its migrants and its nationals (a long warm-up at the reference size, in
   this process), and to read them back from the cache.

3. The cost of one month by mechanism: a city of ``--mechanism-size`` migrants, warmed up,
   then a few reported months with a timer around each mechanism of ``model.mechanisms``
   (the same functions, under the same names, so the same random streams), around the
   month's counts (``MonthlyCounts.record``), the monthly row of indicators and each of the
   nationals' mechanisms.

    python benchmarks/scale.py [--runs eu27/baseline:1000000 liege/baseline] [--months 120]
                               [--checkout PATH] [--scenario eu27/baseline]
                               [--mechanism-size 200000] [--mechanism-months 12]
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
"""The checkout this benchmark belongs to, whose code the commands run by default."""
PATHWAYS = [sys.executable, "-m", "sim"]
"""`pathways`, run in a checkout's folder so that it runs that checkout's code, whichever
one the environment installed."""


def parse_run(text: str) -> tuple[str, int | None]:
    """``SCENARIO[:MIGRANTS]`` as (scenario, migrants or None for the scenario's)."""
    scenario, _, migrants = text.partition(":")
    return scenario, int(migrants) if migrants else None


def run_command(scenario: str, migrants: int | None, months: int, seed: int, cache: Path,
                checkout: Path = CHECKOUT) -> dict:
    """Run `pathways run ... --out r.json` in ``checkout``, in a child process, with the
    snapshot cache in ``cache``; its wall time, CPU and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "r.json"
        size = [] if migrants is None else ["--migrants", str(migrants)]
        command = [*PATHWAYS, "run", scenario, *size, "--months", str(months),
                   "--seed", str(seed), "--out", str(out)]
        environment = {**os.environ, "PATHWAYS_CACHE": str(cache)}
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=checkout,
                                 env=environment)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        error = child.stderr.read().decode() if child.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{error}")
        results = json.loads(out.read_text())
    return {
        "command": " ".join(["pathways", *command[len(PATHWAYS):-2], "--out", "r.json"]),
        "migrants": results["provenance"]["migrants"],
        "months": months,
        "wall_s": round(wall, 2),
        "user_s": round(usage.ru_utime, 2),
        "system_s": round(usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "migrant_months_per_s": round(results["provenance"]["migrants"] * months / wall),
        "final_stock": results["migrants"],
        "employment_rate": round(results["employment_rate"], 4),
    }


def _timed(function, costs: dict, label: str):
    """``function`` with a timer; same name and module, so the same random stream."""

    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            costs[label] += time.perf_counter() - start

    return timed


def snapshot_costs(scenario: str) -> dict[str, dict[str, float]]:
    """Seconds to make the steady-state snapshots of a scenario's migrants and nationals in
    an empty cache, then to read them back: a timer around ``steady_state.snapshot``, by kind
    of city, while a small city of the scenario is built (its draw and short warm-up not timed)."""
    from sim import steady_state
    from sim.model import CityModel

    costs: dict[str, dict[str, float]] = {"made": defaultdict(float), "read": defaultdict(float)}
    snapshot, previous = steady_state.snapshot, os.environ.get("PATHWAYS_CACHE")
    try:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["PATHWAYS_CACHE"] = folder
            for step_costs in costs.values():  # made in the empty cache, then read from it
                steady_state.snapshot = _timed_by_kind(snapshot, step_costs)
                CityModel(scenario, rng=1, migrants=100, start=False)
    finally:
        steady_state.snapshot = snapshot
        os.environ.pop("PATHWAYS_CACHE", None)
        if previous is not None:
            os.environ["PATHWAYS_CACHE"] = previous
    return costs


def _timed_by_kind(snapshot, costs: dict):
    """``steady_state.snapshot`` with a timer, by the kind of city (migrants or nationals)."""

    @functools.wraps(snapshot)
    def timed(model):
        start = time.perf_counter()
        try:
            return snapshot(model)
        finally:
            costs[type(model).__name__] += time.perf_counter() - start

    return timed


def mechanism_costs(scenario: str, migrants: int, months: int, seed: int) -> tuple[dict[str, float], dict]:
    """Seconds per reported month spent in each mechanism, the month's counts, the monthly row
    and the nationals' mechanisms, over ``months`` months of a warmed-up city."""
    from sim import indicators
    from sim.model import CityModel

    model = CityModel(scenario, rng=seed, migrants=migrants)
    costs: dict[str, float] = defaultdict(float)

    def label(mechanism, prefix: str = "") -> str:
        return prefix + f"{mechanism.__module__}.{mechanism.__qualname__}".removeprefix("sim.")

    def instrument(city, prefix: str = "") -> None:
        city.mechanisms = [_timed(m, costs, label(m, prefix)) for m in city.mechanisms]
        city.counts.record = _timed(city.counts.record, costs, prefix + "records.MonthlyCounts.record")

    instrument(model)
    if model.nationals is not None:
        instrument(model.nationals, "nationals: ")
    monthly_row = indicators.monthly_row
    indicators.monthly_row = _timed(monthly_row, costs, "indicators.monthly_row")
    try:
        start = time.perf_counter()
        for _ in range(months):
            if any(not hasattr(m, "__wrapped__") for m in model.mechanisms):  # a change of law rebuilt the list
                model.mechanisms = [_timed(m, costs, label(m)) for m in model.mechanisms]
            model.step()
        total = time.perf_counter() - start
    finally:
        indicators.monthly_row = monthly_row
    per_month = {name: seconds / months for name, seconds in costs.items()}
    return per_month, {"migrants": migrants, "slots": model.pop.slots, "months": months,
                       "total_per_month_s": total / months,
                       "nationals": 0 if model.nationals is None else model.nationals.pop.count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["eu27/baseline:1000000", "liege/baseline"],
                        help="SCENARIO[:MIGRANTS] for each command (default size: the scenario's)")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--checkout", type=Path, default=CHECKOUT,
                        help="run the commands in this checkout (another one: before a change)")
    parser.add_argument("--scenario", default="eu27/baseline", help="the city of the cost by mechanism")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mechanism-size", type=int, default=200_000)
    parser.add_argument("--mechanism-months", type=int, default=12)
    parser.add_argument("--skip-command", action="store_true", help="no whole command")
    parser.add_argument("--skip-snapshots", action="store_true", help="no snapshot cost")
    parser.add_argument("--skip-mechanisms", action="store_true", help="no cost by mechanism")
    args = parser.parse_args()
    runs = [parse_run(text) for text in args.runs]

    if not args.skip_command:
        print(f"{'migrants':>10} {'cache':>5} {'wall s':>7} {'user s':>7} {'sys s':>6} {'peak MB':>8} "
              f"{'M mig-months/s':>15}  command")
        for scenario, migrants in runs:
            with tempfile.TemporaryDirectory() as cache:
                for state in ("cold", "warm"):
                    r = run_command(scenario, migrants, args.months, args.seed, Path(cache), args.checkout)
                    print(f"{r['migrants']:>10,} {state:>5} {r['wall_s']:>7} {r['user_s']:>7} {r['system_s']:>6} "
                          f"{r['peak_rss_mb']:>8} {r['migrant_months_per_s'] / 1e6:>15.1f}  {r['command']}")
        print(f"(wall time of the whole command from the shell, warm-up and nationals included; cold: an empty "
              f"snapshot cache, warm: the same cache again; {os.cpu_count()} cores; python -m sim in "
              f"{args.checkout}, one process)\n")

    if not args.skip_snapshots:
        print(f"{'made s':>7} {'read s':>7}  steady-state snapshot")
        for scenario in dict.fromkeys(scenario for scenario, _ in runs):
            costs = snapshot_costs(scenario)
            for kind in costs["made"]:
                print(f"{costs['made'][kind]:>7.2f} {costs['read'][kind]:>7.3f}  {scenario}, {kind}")
        print()

    if not args.skip_mechanisms:
        per_month, about = mechanism_costs(args.scenario, args.mechanism_size, args.mechanism_months, args.seed)
        measured = sum(per_month.values())
        print(f"Cost of one reported month by mechanism: {args.scenario}, {about['migrants']:,} migrants "
              f"({about['slots']:,} rows) and {about['nationals']:,} nationals, mean of {about['months']} months")
        print(f"{'ms/month':>9} {'share':>6}  mechanism")
        for name, seconds in sorted(per_month.items(), key=lambda item: -item[1]):
            print(f"{seconds * 1e3:>9.2f} {seconds / measured:>6.1%}  {name}")
        print(f"{measured * 1e3:>9.2f} {1:>6.0%}  timed parts ({about['total_per_month_s'] * 1e3:.2f} ms/month in all)")


if __name__ == "__main__":
    main()
