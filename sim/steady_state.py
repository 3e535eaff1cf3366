"""The city at its steady state, drawn from a snapshot instead of warmed up the long way.

Warming a city up from the closed-form stock (:mod:`sim.initial_stock`) takes
``population.warmup_months`` (180 months in the presets) before the stock, jobs and ties
settle: most of a run's time. Yet every run of a scenario goes through the same states on
the way. So, once per warm-up (``CityModel.steady_state_key``), a city is warmed up the
long way at a reference size, ``REFERENCE_MIGRANTS``, with a seed of its own,
``SNAPSHOT_SEED``, up to month ``-population.short_warmup_months``, and its people are
kept: the *snapshot*, cached on disk. A run starts at that month: it draws its people
from the snapshot with its own random stream, gives them fresh ids, gives those in work a
job at one of its own employers, and warms up the last ``short_warmup_months`` with its
own seed.

The snapshot is taken on the model's clock, in the month the run starts, so its people's
dates (arrival, status, reviews, courses, first job) are already on the run's clock and
stay as they are; and the run's warm-up ends where the long one does, so a city still
growing at month 0 has grown as much. Scenarios sharing a warm-up and a seed share their
city at month 0, as with the long warm-up. The cache is only an optimisation: a snapshot
is a pure function of its key and of the code, so a run's numbers are the same with a
cold or a warm cache.
"""

import functools
import hashlib
import os
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.agents import employer_table
from sim.mechanisms.jobs import leave_job
from sim.mechanisms.labour_market import pay_declared, pay_undeclared
from sim.population import COLUMNS
from sim.scenario import Scenario
from sim.states import LabourState

if TYPE_CHECKING:
    from sim.model import CityModel

REFERENCE_MIGRANTS = 20_000
"""People a snapshot's city starts with (fewer if the scenario's city is smaller): enough
that its rates carry about the sampling error of a run of that size, small enough that
warming it up the long way costs a few seconds, once per warm-up."""

PERSON_COLUMNS = tuple(name for name in COLUMNS if name != "person_id")
"""The columns a run copies from the snapshot: all but the id, which is the run's own."""

SNAPSHOT_SEED = zlib.crc32(b"sim.steady_state")
"""The seed of every snapshot's city. Never a run's seed, so that every run of a warm-up
draws from one snapshot; and the same for every warm-up, not one drawn from its key, so
that snapshots keep common random numbers across parameter values as runs do across
scenarios: a parameter that changes nothing (an allowance, for who works) gives the same
snapshot, and one that changes a little, a snapshot a little different, not a fresh draw
(sensitivity analyses, sweeps and fits compare such neighbours)."""

_UNDECLARED_WORK = np.int8(LabourState.UNDECLARED_WORK)
_DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "results"


def reference_migrants(params: Scenario) -> int:
    """The size of the city a snapshot is taken from."""
    return min(REFERENCE_MIGRANTS, params.population.initial_migrants)


def cache_folder() -> Path:
    """``$PATHWAYS_CACHE/steady_state``, else ``results/steady_state`` in the checkout."""
    return Path(os.environ.get("PATHWAYS_CACHE") or _DEFAULT_CACHE) / "steady_state"


@functools.cache
def source_digest() -> str:
    """The model's code as it is on disk, uncommitted changes included: all of it, and only
    it, can change a snapshot (a commit name would also change with every edit of a doc,
    and miss a working copy's changes)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_path(key: str) -> Path:
    """Where the snapshot of ``key`` is cached: named by the key and by the code that made
    it (the sources, and NumPy's version, which fixes the random streams)."""
    made_by = f"{key}\n{source_digest()}\n{np.__version__}"
    return cache_folder() / f"{hashlib.sha256(made_by.encode()).hexdigest()[:40]}.npz"


def take_snapshot(city: "CityModel") -> dict[str, np.ndarray]:
    """The people of a city, column by column, with the sector of each one's employer (-1
    for none): a run gives them one of its own employers in that sector."""
    pop = city.pop
    rows = np.flatnonzero(pop.alive())
    people = {name: getattr(pop, name)[rows] for name in PERSON_COLUMNS}
    employer = people["employer"]
    people["employer_sector"] = np.where(employer >= 0, employer_table(city).sector[np.maximum(employer, 0)], -1)
    return people


def snapshot(model: "CityModel") -> dict[str, np.ndarray]:
    """The snapshot of ``model``'s warm-up: read from the cache, else made and cached."""
    key = model.steady_state_key()
    path = cache_path(key)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    city = model.reference_city(reference_migrants(model.params), SNAPSHOT_SEED)
    people = take_snapshot(city)
    store(path, people)
    return people


@functools.lru_cache(maxsize=8)
def _read(path: Path) -> dict[str, np.ndarray]:
    """A stored snapshot, read once per process: a file's content is fixed by its name (the
    warm-up's key and the code's digest), and a sweep's workers start hundreds of cities from
    the same few. Read-only: callers take rows from it, which copies them."""
    with np.load(path) as stored:
        people = {name: stored[name] for name in stored.files}
    for column in people.values():
        column.flags.writeable = False
    return people


def store(path: Path, people: dict[str, np.ndarray]) -> None:
    """Write a snapshot atomically: to a temporary file in the cache, then renamed, so that
    a reader never sees half a file and two processes making the same snapshot (the same
    bytes) may both write it. A cache that cannot be written is skipped: it only saves time."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.stem, suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            np.savez(handle, **people)
        temporary.chmod(0o644)  # readable by whoever shares the cache, as an ordinary file
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def balanced_draw(rng: np.random.Generator, available: int, wanted: int) -> np.ndarray:
    """``wanted`` of ``available`` people, in random order: everyone ``wanted // available``
    times, and the remainder without replacement. Closer to the snapshot's mix than
    independent draws: a run smaller than the snapshot holds no one twice, a larger one
    holds everyone as often, give or take one."""
    copies, remainder = divmod(wanted, available)
    drawn = np.concatenate([np.tile(np.arange(available), copies), rng.choice(available, remainder, replace=False)])
    return rng.permutation(drawn)


def populate(model: "CityModel", n: int) -> None:
    """The people of a city started with ``n`` migrants, as they stand in month
    ``model.month`` of the long warm-up: drawn from the snapshot with the run's own stream.

    The snapshot's city started with ``reference_migrants`` people and holds what its
    warm-up left; a run started with ``n`` holds that many times ``n / reference``, as a
    city warmed up the long way from ``n`` would (inflows and openings scale with ``n``).
    """
    if n == 0:
        return
    people = snapshot(model)
    available = people["employer_sector"].size
    wanted = round(n * available / reference_migrants(model.params))
    if wanted == 0:  # the snapshot's city emptied (no inflow), or the run is a fraction of one person
        return
    rng = model.random_stream(populate)
    drawn = balanced_draw(rng, available, wanted)
    rows = model.pop.add(drawn.size, **{name: people[name][drawn] for name in PERSON_COLUMNS})
    employ_at_run_employers(model, rows, people["employer_sector"][drawn], rng)
    # A snapshot's employer means nothing in the run (``employ_at_run_employers``): an
    # application an employer filed in the warm-up, if any, stands as the person's own.
    model.pop.regularisation_employer[rows] = -1


def employ_at_run_employers(model: "CityModel", rows: np.ndarray, sector: np.ndarray, rng: np.random.Generator) -> None:
    """People in work in the snapshot keep their job, at one of the run's employers.

    The run's employers are its own (drawn from its seed, as with the long warm-up), so a
    snapshot employer's index means nothing here. Each worker moves to an employer of the
    same sector that could employ them (any for a declared job; one hiring undeclared
    labour for undeclared work), drawn in proportion to its size, which is how the hiring
    rules spread a sector's workers over its employers. Each is paid as the hiring rules
    pay at the new employer (``earnings.pay_factor``); undeclared workers are exploited as
    their new employer's kind says. When the run has no employer of that kind in the sector (few
    employers hire undeclared labour), the job ends and the short warm-up lets them search.
    """
    pop, table = model.pop, employer_table(model)
    undeclared = pop.labour[rows] == _UNDECLARED_WORK
    for code in np.unique(sector[sector >= 0]):
        for off_the_books in (False, True):
            workers = rows[(sector == code) & (undeclared == off_the_books)]
            if workers.size == 0:
                continue
            employers = np.flatnonzero((table.sector == code) & (table.hires_undeclared | (not off_the_books)))
            if employers.size == 0:
                leave_job(model, workers)
                continue
            size = table.size_share[employers]
            chosen = employers[draws.categorical(rng, size / size.sum(), workers.size)]
            pop.employer[workers] = chosen
            if off_the_books:
                pay_undeclared(model, workers, chosen)
            else:
                pay_declared(model, workers, chosen)


