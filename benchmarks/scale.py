"""Time `pathways run` at 100,000 and 1,000,000 migrants, and the month's cost by mechanism.

1. The whole command as a user runs it, in its own process:

       pathways run eu27/baseline --migrants N --months 120 --out r.json

   timed from outside (wall clock, and the child's user and system CPU time and peak
   resident memory from ``os.wait4``). It includes starting Python, reading the scenario,
   the initial stock, the warm-up months that settle the city before month 0, the
   nationals' comparison population, the 120 reported months and writing the results.

2. The cost of one month by mechanism: a city of ``--mechanism-size`` migrants, warmed up,
   then a few reported months with a timer around each mechanism of ``model.mechanisms``
   (the same functions, under the same names, so the same random streams), around the
   month's counts (``MonthlyCounts.record``), the monthly row of indicators and each of the
   nationals' mechanisms.

    python benchmarks/scale.py [--sizes 100000 1000000] [--months 120] [--scenario eu27/baseline]
                               [--mechanism-size 200000] [--mechanism-months 12]
"""

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def pathways_command() -> list[str]:
    """The `pathways` script installed beside this Python, else ``python -m sim``."""
    script = Path(sys.executable).with_name("pathways")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


def run_command(scenario: str, migrants: int, months: int, seed: int) -> dict:
    """Run `pathways run ... --out r.json` in a child process; its wall time, CPU and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "r.json"
        command = [*pathways_command(), "run", scenario, "--migrants", str(migrants), "--months", str(months),
                   "--seed", str(seed), "--out", str(out)]
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        error = child.stderr.read().decode() if child.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{error}")
        results = json.loads(out.read_text())
    return {
        "command": " ".join(["pathways", *command[len(pathways_command()):-2], "--out", "r.json"]),
        "migrants": migrants,
        "months": months,
        "wall_s": round(wall, 2),
        "user_s": round(usage.ru_utime, 2),
        "system_s": round(usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "migrant_months_per_s": round(migrants * months / wall),
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--scenario", default="eu27/baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mechanism-size", type=int, default=200_000)
    parser.add_argument("--mechanism-months", type=int, default=12)
    parser.add_argument("--skip-command", action="store_true", help="only the cost by mechanism")
    parser.add_argument("--skip-mechanisms", action="store_true", help="only the whole command")
    args = parser.parse_args()

    if not args.skip_command:
        print(f"{'migrants':>10} {'wall s':>7} {'user s':>7} {'sys s':>6} {'peak MB':>8} {'M mig-months/s':>15}  command")
        for size in args.sizes:
            r = run_command(args.scenario, size, args.months, args.seed)
            print(f"{r['migrants']:>10,} {r['wall_s']:>7} {r['user_s']:>7} {r['system_s']:>6} {r['peak_rss_mb']:>8} "
                  f"{r['migrant_months_per_s'] / 1e6:>15.1f}  {r['command']}")
        print(f"(wall time of the whole command from the shell, warm-up and nationals included; "
              f"{os.cpu_count()} cores; {shutil.which('pathways') or 'pathways'} in one process)\n")

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
