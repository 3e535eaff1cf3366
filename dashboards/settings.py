"""Server-wide settings of the dashboard, from the environment that ``pathways app`` sets.

Every value a user types is bounded here, so that a page refuses it with a message
instead of starting a run that cannot finish on a shared server.
"""

import functools
import os
import threading

from sqlalchemy import Engine

from sim.experiments import store
from sim.limits import check_run_size, people_upper_bound

MAX_REPLICATIONS = 200
MAX_MONTHS = 240
MAX_MIGRANTS = 100_000
"""Above this, a run belongs in the command line or a batch job, not in a browser tab (a tab
keeps a monthly snapshot of everyone for its pathway views: about 140 MB at this size)."""
MAX_SCENARIOS = 4
MAX_PEOPLE = 1_000_000
"""People a dashboard run may hold at most (its initial migrants and every newcomer): about
0.4 GB per run at the measured peak, times 2 workers and 2 comparisons at a time."""


def workers() -> int:
    """Worker processes per comparison (``PATHWAYS_APP_WORKERS``, default 2: the reference machine's cores)."""
    return max(1, int(os.environ.get("PATHWAYS_APP_WORKERS", "2")))


EXPERIMENT_SLOTS = threading.BoundedSemaphore(max(1, int(os.environ.get("PATHWAYS_APP_MAX_EXPERIMENTS", "2"))))
"""Comparisons running at once on this server; more users wait in line (their page says so)."""

SIMULATION_SLOTS = threading.BoundedSemaphore(max(1, int(os.environ.get("PATHWAYS_APP_MAX_SIMULATIONS", "2"))))
"""Single runs (Explore, Pathways) stepping at once in the server process; more wait their turn."""


def tab_closed() -> bool:
    """Whether the browser tab this code runs for has gone (its tasks should stop)."""
    from solara.server import kernel_context

    return kernel_context.has_current_context() and kernel_context.get_current_context().closed_event.is_set()


def check_size(scenario, migrants: int | None, months: int) -> None:
    """Refuse, in one line, a run too large for a shared dashboard (an uploaded file can ask for anything)."""
    check_run_size(scenario, migrants, months)
    start = scenario.population.initial_migrants if migrants is None else migrants
    if start > MAX_MIGRANTS:
        raise ValueError(f"scenario '{scenario.meta.name[:60]}': {start:,} initial migrants; the dashboard runs at most "
                         f"{MAX_MIGRANTS:,} (population.initial_migrants; use the command line for more)")
    bound = people_upper_bound(scenario, migrants, months)
    if bound > MAX_PEOPLE:
        raise ValueError(f"scenario '{scenario.meta.name[:60]}': the run could hold up to {bound:,} people; the dashboard "
                         f"runs at most {MAX_PEOPLE:,} (inflow.newcomers_per_month, nationals.comparison_people, months; use the command line for more)")


def known(value: str, allowed: list[str], field: str) -> str:
    """A value chosen in a select, checked against its options (a forged one never reaches a file path)."""
    if value not in allowed:
        raise ValueError(f"{field}: '{value[:60]}' is not one of the {len(allowed)} offered")
    return value


@functools.cache
def engine() -> Engine:
    """The results database (``PATHWAYS_DB``, or SQLite in ``results/pathways.db``), opened once per server."""
    return store.connect(None)
