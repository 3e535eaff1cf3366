"""Dashboard benchmark: Explore's Reset of Liège, then a comparison of two Liège scenarios
with 20 replications run from the Compare page, in a real browser, as a planner would.

Prints the seconds from the Reset click to the city built (its people drawn from the
steady-state snapshot, as cached by earlier runs, and its warm-up), then from the
comparison's click to the first progress shown, to the first results on screen (partial
results appear while runs arrive; waited for, to the browser's frame), and to the finished
comparison, with the progress readings seen from the first results on. The server is
``pathways app`` on loopback with a fresh SQLite database.

    python benchmarks/dashboard.py [--reps 20] [--workers 2]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.dashboard_browser import (  # noqa: E402
    CHROMIUM_ARGS, chromium_path, new_context, open_page, start_server, type_into, watch,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder), workers=args.workers)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
                watched = watch(new_context(browser))
                page = watched.page
                open_page(watched, server, "", "Explore one run")
                start = time.monotonic()
                page.get_by_role("button", name="Reset").click()
                page.get_by_text("migrants in the city after the warm-up").wait_for(timeout=60_000)
                reset_s = time.monotonic() - start
                open_page(watched, server, "compare", "Compare scenarios")
                type_into(page, "Replications per scenario", str(args.reps))
                total = 2 * args.reps
                page.get_by_text(f"2 scenarios x {args.reps} replications").wait_for()
                start = time.monotonic()
                page.get_by_role("button", name="Run comparison").click()
                page.get_by_text(f"of {total} runs done").first.wait_for(timeout=120_000)
                progress_at = time.monotonic() - start
                # Waited for, not polled: a poll every 250 ms would add 125 ms on average.
                page.locator(".figure-compare-bands img").first.wait_for(timeout=120_000)
                first_results = time.monotonic() - start
                readings = []
                while not page.get_by_text(f"Done: {total} runs").count():
                    status = page.get_by_text(f"of {total} runs done")
                    if status.count():
                        readings.append((round(time.monotonic() - start, 1), status.first.inner_text()))
                    page.wait_for_timeout(250)
                done = time.monotonic() - start
                browser.close()
        finally:
            server.stop()
    print(f"Explore page, Reset of liege/baseline: the city built after {reset_s:.1f} s")
    print(f"Compare page, liege/baseline vs liege/one_stop_shop, {args.reps} replications x 120 months, "
          f"{args.workers} workers:")
    print(f"  first progress shown after {progress_at:5.1f} s")
    print(f"  first results shown after  {first_results:5.2f} s")
    print(f"  comparison finished after  {done:5.1f} s")
    seen = sorted({text for _, text in readings}, key=lambda t: int(t.split()[0]))
    print(f"  progress readings ({len(seen)} distinct): {', '.join(s.split(' of')[0] for s in seen)} of {total}")
    if watched.problems():
        print(f"  browser problems: {watched.problems()}")


if __name__ == "__main__":
    main()
