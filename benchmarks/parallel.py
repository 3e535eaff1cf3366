"""Parallel efficiency and the per-task overhead of each executor: in this process, the
local process pool (``--workers``) and Dask (``--dask local``: a local cluster, the same
code path as a remote scheduler).

1. Efficiency, as a user runs it: ``pathways compare liege/baseline liege/one_stop_shop
   --reps 8 --months 60`` on 1 worker, on 2 and on ``--dask local`` with 2, wall time of
   the whole command (Python's start, imports, runs, the comparison and its tables).
2. Overhead per task: the same comparison with tasks too small to cost anything themselves
   (``--months 1 --migrants 200``) at two replication counts. Each replication is one task
   (the seed's two scenarios share its warm-up), so the slope of the wall time between the
   two counts is the cost of one more task: ``w * slope`` on ``w`` workers, less the task's
   own cost (the in-process slope), is what each executor adds per task (sending it,
   storing its outcome, waiting), whatever it costs to start.

    python benchmarks/parallel.py [--workers 2]

docs/scaling.md turns these figures into the time of a calibration or a sweep on N workers.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def wall(arguments: list[str]) -> float:
    """Seconds for one `pathways compare ...` in its own process with a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "sim", "compare", *arguments, "--db", f"sqlite:///{folder}/b.db"]
        start = time.perf_counter()
        subprocess.run(command, cwd=CHECKOUT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def executors(workers: int) -> dict[str, list[str]]:
    return {"in process": ["--workers", "1"], f"pool of {workers}": ["--workers", str(workers)],
            f"dask local, {workers}": ["--workers", str(workers), "--dask", "local"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pair = ["liege/baseline", "liege/one_stop_shop"]

    print("1. Whole command: compare liege/baseline liege/one_stop_shop --reps 8 --months 60")
    times = {name: wall([*pair, "--reps", "8", "--months", "60", *options])
             for name, options in executors(args.workers).items()}
    one = times["in process"]
    for name, seconds in times.items():
        print(f"   {name:18s} {seconds:6.1f} s   {one / seconds:4.2f}x the in-process time")

    small, large = 10, 60
    print(f"\n2. Overhead per task: --months 1 --migrants 200, {small} and {large} tasks (replications)")
    slopes = {}
    for name, options in executors(args.workers).items():
        low, high = (wall([*pair, "--reps", str(reps), "--months", "1", "--migrants", "200", *options])
                     for reps in (small, large))
        slopes[name] = (high - low) / (large - small)
        print(f"   {name:18s} {low:6.1f} s / {high:6.1f} s: {1000 * slopes[name]:6.1f} ms of wall time per task")
    task = slopes["in process"]
    for name, slope in slopes.items():
        if name != "in process":
            print(f"   {name:18s} adds {1000 * (args.workers * slope - task):6.1f} ms per task "
                  f"(its {args.workers} workers' time per task, less the task's own {1000 * task:.1f} ms)")


if __name__ == "__main__":
    main()
