"""Time scenario comparisons of the Liège preset on this machine's cores.

    python benchmarks/compare.py [--workers 2]

Runs `pathways compare` as a user would (full Liège preset, 120 months, a fresh SQLite
database each time) and prints wall time and runs per second for:
  - liege/baseline vs liege/one_stop_shop, 30 replications;
  - four Liège scenarios, 50 replications.
"""

import argparse
import subprocess
import sys
import tempfile
import time

CASES = {
    "2 scenarios x 30 replications": ["liege/baseline", "liege/one_stop_shop"],
    "4 scenarios x 50 replications": ["liege/baseline", "liege/one_stop_shop", "liege/mentoring", "liege/combined"],
}
REPS = {"2 scenarios x 30 replications": 30, "4 scenarios x 50 replications": 50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{'case':32s} {'runs':>5s} {'wall s':>7s} {'runs/s':>7s}  (Liège, 120 months, {args.workers} workers)")
    for case, scenarios in CASES.items():
        reps = REPS[case]
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "sim", "compare", *scenarios, "--reps", str(reps), "--workers", str(args.workers),
                 "--db", f"sqlite:///{folder}/bench.db"],
                check=True, stdout=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - start
        runs = reps * len(scenarios)
        print(f"{case:32s} {runs:>5d} {wall:>7.1f} {runs / wall:>7.2f}")


if __name__ == "__main__":
    main()
