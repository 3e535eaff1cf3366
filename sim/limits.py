"""Size limits of a run, checked before it starts: a clear message instead of running out of memory.

A person costs about 110 bytes of columns, and a run's peak is about 4 times its columns
(measured: 390 MB for 1,000,000 migrants, ``benchmarks/scale.py``). The upper bound on the
people a run can hold counts every newcomer and no departure.
"""

from sim.scenario import Scenario, ScenarioError
from sim.steady_state import reference_migrants

MAX_PEOPLE = 20_000_000
"""About 8 GB at the measured peak per person: a third of the reference machine's 24 GB."""
MAX_MONTHS = 1200
"""A century: the longest horizon that means anything for a labour-market pathway."""


def people_upper_bound(scenario: Scenario, migrants: int | None, months: int) -> int:
    """People the run could hold at most: the initial stock plus every newcomer of the
    warm-up and the run (inflows scale with ``migrants``, as in ``CityModel``), and the
    nationals' comparison population; or, if larger, the city its steady-state snapshot is
    taken from (``steady_state.reference_migrants``, warmed up the long way at the
    scenario's own inflow), which a run smaller than it makes first."""
    initial = scenario.population.initial_migrants
    warm_up = scenario.population.warmup_months
    own = _people(scenario, initial if migrants is None else migrants, warm_up + months)
    if migrants == 0:  # a city started empty draws nobody from a snapshot
        return own
    return max(own, _people(scenario, reference_migrants(scenario), warm_up))


def _people(scenario: Scenario, start: int, months: int) -> int:
    """People a city started with ``start`` migrants could hold after ``months``."""
    initial = scenario.population.initial_migrants
    scale = start / initial if initial else 1.0
    arrivals = scenario.inflow.newcomers_per_month * scale * months
    # The nationals beside them, and their entries at 20 (one working life of 45 years renews them).
    nationals = scenario.nationals.people(scale) * (1 + months / 540)
    return int(start + arrivals + nationals)


def check_run_size(scenario: Scenario, migrants: int | None, months: int) -> None:
    """Raise ``ScenarioError`` (one line, naming the fields to change) when a run is too large."""
    if not 0 <= months <= MAX_MONTHS:
        raise ScenarioError(f"months: {months} is out of range (allowed: 0 to {MAX_MONTHS})")
    if migrants is not None and migrants < 0:
        raise ScenarioError(f"migrants: {migrants} is negative (allowed: 0 to {MAX_PEOPLE:,})")
    bound = people_upper_bound(scenario, migrants, months)
    if bound > MAX_PEOPLE:
        horizon = f" and {months} months" if months else ""
        raise ScenarioError(
            f"scenario '{scenario.meta.name}': the run could hold up to {bound:,} people (the initial migrants plus "
            f"inflow.newcomers_per_month over {scenario.population.warmup_months} warm-up months{horizon}, and "
            f"the nationals' comparison population; or the city its steady-state snapshot is taken from, at the "
            f"scenario's own size), more than the limit of {MAX_PEOPLE:,}: lower "
            "population.initial_migrants, inflow.newcomers_per_month, nationals.comparison_people, --migrants or --months")
