"""Dashboard load benchmark: several users start a comparison at the same moment (each in
their own browser context, on loopback) while another user keeps loading pages.

Prints when each user's comparison finished, how long page loads took meanwhile, and
whether every user saw their own results.

    python benchmarks/load.py [--users 5] [--reps 10] [--months 60]
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.dashboard_browser import CHROMIUM_ARGS, chromium_path, run_load, start_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
                load = run_load(browser, server, args.users, args.reps, args.months)
                browser.close()
        finally:
            server.stop()
    print(f"{args.users} users, each comparing 2 Liège scenarios x {args.reps} replications x {args.months} months "
          "(2 comparisons at a time, 2 workers each):")
    print(f"  finished after (s): {', '.join(f'{s:.1f}' for s in sorted(load.finished_s))}")
    print(f"  Runs page loads meanwhile: {len(load.page_load_s)}, median {statistics.median(load.page_load_s):.2f} s, "
          f"max {max(load.page_load_s):.2f} s")
    print(f"  every user saw their own comparison: {all(load.seeds_shown)}; browser problems: {len(load.problems)}")


if __name__ == "__main__":
    main()
