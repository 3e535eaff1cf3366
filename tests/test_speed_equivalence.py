"""The fast kernels give, bit for bit, what the plain code they replaced gives.

Each test runs a kernel of the speed work (``sim.population``, ``sim.agents``,
``sim.records``, ``sim.mechanisms.readiness``) and a plain reference implementation on
small random inputs, and compares the results exactly (``np.array_equal`` on the bits,
not ``allclose``). Fast: no model is warmed up.
"""

import copy
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

from sim import draws
from sim.agents import employer_table, open_all_positions
from sim.mechanisms import readiness, welfare
from sim.population import BLOCK_ROWS, COLUMNS, Population, by_code, in_table, multiply_where
from sim.records import MAX_YEARS_SINCE_ARRIVAL, WORKING_AGE_MONTHS, MonthlyCounts
from sim.states import IS_EMPLOYED, IS_FORMAL_WORK, IS_SSE, N_LABOUR, N_STATUS, LabourState, LegalStatus
from tests.helpers import small_model

SEEDS = range(20)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", SEEDS)
def test_by_code_is_fancy_indexing(seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64, np.bool_, np.int8, np.int32):
        size = int(rng.integers(1, 20))
        table = (rng.random(size) * 10).astype(dtype)
        codes = rng.integers(-size, size, int(rng.integers(0, 300))).astype(np.int8)  # negative codes count from the end
        assert _same_bits(by_code(table, codes), table[codes])


@pytest.mark.parametrize("seed", range(3))
def test_by_code_on_columns_longer_than_a_block(seed):
    rng = np.random.default_rng(seed)
    table = rng.random(N_LABOUR).astype(np.float32)
    codes = rng.integers(0, N_LABOUR, 2 * BLOCK_ROWS + int(rng.integers(1, 1000))).astype(np.int8)
    assert _same_bits(by_code(table, codes), table[codes])


@pytest.mark.parametrize("seed", SEEDS)
def test_in_table_is_a_boolean_lookup(seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, N_LABOUR, 500).astype(np.int8)
    random_table = rng.random(N_LABOUR) < 0.4
    start = int(rng.integers(0, N_LABOUR))
    run = np.zeros(N_LABOUR, dtype=bool)
    run[start:start + int(rng.integers(1, 5))] = True  # consecutive codes: the range test
    for table in (IS_EMPLOYED, IS_FORMAL_WORK, IS_SSE, random_table, run, np.zeros(N_LABOUR, dtype=bool)):
        assert _same_bits(in_table(table, codes), table[codes])


@pytest.mark.parametrize("seed", SEEDS)
def test_multiply_where_is_a_masked_product(seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        column = (rng.random(400) * rng.choice([1e-30, 1.0, 1e30])).astype(dtype)
        column[:3] = (0.0, -0.0, 1.0)
        mask = rng.random(400) < 0.3
        # Rates from tiny to beyond the exact range of 1 + (factor - 1), which falls back to where=.
        for factor in (1.0 - rng.random() * 0.05, 1.0 - rng.random(), rng.random() * 0.4, 1.0 + rng.random() * 3, 1.0):
            expected = column.copy()
            np.multiply(expected, dtype(factor), out=expected, where=mask)
            got = column.copy()
            multiply_where(got, mask, factor)
            assert _same_bits(got, expected), (dtype, factor)


def _labour_force_reference(pop, month: int, threshold: float) -> None:
    """readiness.labour_force as it was written before the speed work: three masked moves in turn."""
    leaving = ((pop.labour == LabourState.SEARCHING) | (pop.labour == LabourState.NOT_READY)) & pop.care_duties
    pop.labour[leaving] = LabourState.INACTIVE
    pop.labour_since_month[leaving] = month
    waiting = (pop.labour == LabourState.INACTIVE) | (pop.labour == LabourState.NOT_READY)
    free = waiting & ~pop.care_duties & ~pop.studying & (pop.readiness >= threshold)
    pop.labour[free] = LabourState.SEARCHING
    pop.labour_since_month[free] = month
    blocked = (pop.labour == LabourState.INACTIVE) & ~pop.care_duties & ~pop.studying
    pop.labour[blocked] = LabourState.NOT_READY
    pop.labour_since_month[blocked] = month


@pytest.mark.parametrize("seed", SEEDS)
def test_labour_force_moves_as_the_three_masked_moves(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    pop = Population(n)
    rows = pop.add(n - 100, status=rng.integers(0, N_STATUS - 1, n - 100), labour=rng.integers(0, N_LABOUR, n - 100))
    pop.remove(rows[rng.random(rows.size) < 0.2])  # free rows (GONE) among the living
    pop.care_duties[:] = rng.random(pop.slots) < 0.3
    pop.studying[:] = rng.random(pop.slots) < 0.2
    pop.readiness[:] = rng.random(pop.slots).astype(np.float32)
    threshold = float(rng.random())
    reference = copy.deepcopy(pop)
    model = SimpleNamespace(pop=pop, month=int(rng.integers(-50, 50)),
                            params=SimpleNamespace(readiness=SimpleNamespace(ready_threshold=threshold)))
    readiness.labour_force(model, rng)
    _labour_force_reference(reference, model.month, threshold)
    assert _same_bits(pop.labour, reference.labour)
    assert _same_bits(pop.labour_since_month, reference.labour_since_month)


@pytest.mark.parametrize("seed", SEEDS)
def test_free_rows_are_reused_first_in_first_out(seed):
    """The free-row queue against a plain list: the same rows, in the same order."""
    rng = np.random.default_rng(seed)
    pop = Population(int(rng.integers(0, 50)))
    free = list(range(pop.slots))
    alive: list[int] = []
    for _ in range(60):
        if alive and rng.random() < 0.5:
            leaving = np.asarray(sorted(rng.choice(alive, int(rng.integers(1, len(alive) + 1)), replace=False)))
            pop.remove(leaving)
            free += leaving.tolist()
            alive = [r for r in alive if r not in set(leaving.tolist())]
        else:
            n = int(rng.integers(0, 80))
            if len(free) < n:  # the arrays grow by an eighth, the new rows join the queue's end
                old = pop.slots
                free += list(range(old, max(old + old // 8, old + n - len(free), 1024)))
            rows = pop.add(n, status=LegalStatus.REFUGEE)
            assert rows.tolist() == free[:n]
            free, alive = free[n:], alive + rows.tolist()
        assert pop.free_rows().tolist() == free
        assert pop.count() == len(alive) == int(np.count_nonzero(pop.alive()))
    restored = pickle.loads(pickle.dumps(pop))
    assert restored.free_rows().tolist() == free
    assert all(_same_bits(getattr(restored, name), getattr(pop, name)) for name in COLUMNS)


POVERTY_PAY = np.linspace(800.0, 2000.0, N_LABOUR).astype(np.float32)
"""A pay below which a worker is poor, different in every labour state."""


def _record_reference(pop, month: int) -> tuple[np.ndarray, np.ndarray]:
    """MonthlyCounts.record's tables by plain per-person accumulation of the working-age rows."""
    cells = np.zeros(MonthlyCounts.SHAPE, dtype=np.int64)
    by_years = np.zeros((3, 4, 2, MAX_YEARS_SINCE_ARRIVAL + 1), dtype=np.int64)
    for row in range(pop.slots):
        age = month - int(pop.birth_month[row])
        if not WORKING_AGE_MONTHS[0] <= age < WORKING_AGE_MONTHS[1]:
            continue
        labour = int(pop.labour[row])
        cells[pop.status[row], labour, pop.sex[row], pop.education[row]] += 1
        work = 0 if not IS_EMPLOYED[labour] else (1 if labour == LabourState.UNDECLARED_WORK else 2)
        years = min(month - int(pop.arrival_month[row]), (MAX_YEARS_SINCE_ARRIVAL + 1) * 12) // 12
        if years <= MAX_YEARS_SINCE_ARRIVAL:
            by_years[work, pop.reason[row], pop.sex[row], years] += 1
    return cells, by_years


@pytest.mark.parametrize("seed", range(5))
def test_monthly_counts_are_the_per_person_tallies(seed):
    rng = np.random.default_rng(seed)
    month = int(rng.integers(0, 200))
    pop = _random_population(rng, 3000, month)
    counts = MonthlyCounts()
    counts.record(pop, month, POVERTY_PAY)
    cells, by_years = _record_reference(pop, month)
    assert np.array_equal(counts.cells[-1], cells)
    assert np.array_equal(counts.by_years[-1], by_years)


def _random_population(rng, slots: int, month: int) -> Population:
    pop = Population(slots)
    n = slots - slots // 10
    rows = pop.add(
        n,
        status=rng.integers(0, N_STATUS - 1, n),
        labour=rng.integers(0, N_LABOUR, n),
        sex=rng.integers(0, 2, n),
        education=rng.integers(0, 3, n),
        reason=rng.integers(0, 4, n),
        birth_month=month - rng.integers(0, 90 * 12, n),
        arrival_month=month - rng.integers(0, 20 * 12, n),
        wage_eur_per_month=rng.uniform(0.0, 3000.0, n).astype(np.float32),
        exploited=rng.random(n) < 0.3,
    )
    pop.remove(rows[rng.random(n) < 0.3])
    return pop


def test_monthly_counts_and_census_over_several_blocks():
    """The block-by-block counts against whole-column np.add.at on the working-age rows."""
    rng = np.random.default_rng(7)
    month = 55
    pop = _random_population(rng, 3 * BLOCK_ROWS + 123, month)
    counts = MonthlyCounts()
    counts.record(pop, month, POVERTY_PAY)
    age = month - pop.birth_month.astype(np.int64)
    rows = np.flatnonzero((age >= WORKING_AGE_MONTHS[0]) & (age < WORKING_AGE_MONTHS[1]))
    cells = np.zeros(MonthlyCounts.SHAPE, dtype=np.int64)
    np.add.at(cells, (pop.status[rows], pop.labour[rows], pop.sex[rows], pop.education[rows]), 1)
    assert np.array_equal(counts.cells[-1], cells)
    labour = pop.labour[rows]
    work = np.where(IS_EMPLOYED[labour], np.where(labour == LabourState.UNDECLARED_WORK, 1, 2), 0)
    years = np.minimum(month - pop.arrival_month[rows].astype(np.int64), 12 * (MAX_YEARS_SINCE_ARRIVAL + 1)) // 12
    kept = years <= MAX_YEARS_SINCE_ARRIVAL
    by_years = np.zeros((3, 4, 2, MAX_YEARS_SINCE_ARRIVAL + 1), dtype=np.int64)
    np.add.at(by_years, (work[kept], pop.reason[rows][kept], pop.sex[rows][kept], years[kept]), 1)
    assert np.array_equal(counts.by_years[-1], by_years)
    # Who gains: kind of work (declared, below skills, undeclared, exploited) and pay below
    # the poverty line for one's labour state, by status, reason, sex and education.
    quality = np.select([labour == LabourState.JOB_BELOW_SKILLS, work == 2,
                         (work == 1) & pop.exploited[rows], work == 1], [2, 1, 4, 3], 0)
    poor = (work > 0) & (pop.wage_eur_per_month[rows] < POVERTY_PAY[labour])
    by_group = np.zeros(MonthlyCounts.GROUPS, dtype=np.int64)
    np.add.at(by_group, (quality, poor.astype(int), pop.status[rows], pop.reason[rows], pop.sex[rows],
                         pop.education[rows]), 1)
    assert np.array_equal(counts.by_group[-1], by_group)
    assert by_group[4].sum() > 0 and by_group[:, 1].sum() > 0 and by_group[1:, 0].sum() > 0
    census = np.zeros((N_STATUS, N_LABOUR), dtype=np.int64)
    np.add.at(census, (pop.status, pop.labour), 1)
    assert np.array_equal(welfare.census(SimpleNamespace(pop=pop)), census)


@pytest.mark.parametrize("seed", SEEDS)
def test_poisson_on_an_array_draws_as_scalar_calls(seed):
    """What lets the employers' openings be drawn in one call (agents.open_all_positions)."""
    rng = np.random.default_rng(seed)
    means = rng.random(50) * rng.choice([0.1, 5.0, 50.0, 500.0], 50) * (rng.random(50) < 0.9)
    one, other = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
    assert np.array_equal([one.poisson(mean) for mean in means], other.poisson(means))
    assert one.random() == other.random()  # and the streams end in the same place


def test_employers_as_arrays():
    """Employers read and write their rows of the table; the vectorised opening draw gives the
    per-agent loop's numbers; copies of a model keep employers and table together."""
    model = small_model("liege/baseline", migrants=300)
    table = employer_table(model)
    assert len(table) == len(model.employers)
    for employer in model.employers:
        assert employer.sector == table.sector[employer.index]
        assert employer.discrimination_logit == table.discrimination_logit[employer.index]
    employer = model.employers[3]
    employer.discrimination_logit = 0.25
    employer.exploitative = True
    employer.openings[:] = 7
    assert table.discrimination_logit[3] == 0.25 and table.exploitative[3] and (table.openings[3] == 7).all()

    twin = copy.deepcopy(model)
    model.agents_by_type[type(employer)].do("open_positions", np.random.default_rng(5))
    open_all_positions(twin, np.random.default_rng(5))
    assert np.array_equal(employer_table(twin).openings, table.openings)
    twin.employers[0].openings[:] = 99
    assert table.openings[0, 0] != 99  # the copy has its own table
    assert employer_table(pickle.loads(pickle.dumps(twin))).openings[0, 0] == 99


def test_a_run_counts_by_arrival_and_group_over_its_final_window_only():
    # ``CityModel.run`` counts by years since arrival and by group in its last 12 months
    # only; stepping month by month counts them every month. The results must be the same
    # bit for bit, and asking the run for more months than it counted must say so.
    whole, stepped = small_model(migrants=1500), small_model(migrants=1500)
    whole.run(20)
    for _ in range(20):
        stepped.step()
    assert whole.results() == stepped.results()
    assert len(whole.counts.by_group) == 12 and len(stepped.counts.by_group) == 20
    assert whole.counts.months_in_detail == 12
    with pytest.raises(ValueError, match="cover the last 12 months, not 13"):
        whole.counts.groups(13)
    # A second run counts its own final window; the first's last months stay counted.
    whole.run(5)
    for _ in range(5):
        stepped.step()
    assert whole.counts.months_in_detail == 17
    assert _same_bits(whole.counts.groups(17), stepped.counts.groups(17))
    assert whole.results() == stepped.results()


@pytest.mark.parametrize("seed", SEEDS)
def test_categorical_is_numpy_s_choice_with_probabilities(seed):
    # The same indices from the same stream, and the stream left where choice leaves it.
    rng = np.random.default_rng(seed)
    weights = rng.random(int(rng.integers(1, 10))) + 0.01
    for p in (weights / weights.sum(), list(weights / weights.sum())):
        for size in (0, 1, 37, 5000):
            ours, numpy_s = np.random.default_rng([seed, size]), np.random.default_rng([seed, size])
            assert _same_bits(draws.categorical(ours, p, size), numpy_s.choice(len(weights), size=size, p=p))
            assert ours.random() == numpy_s.random()


@pytest.mark.parametrize("seed", range(5))
def test_keyed_uniforms_are_keyed_uniform_name_by_name(seed):
    rng = np.random.default_rng(seed)
    people = rng.integers(0, 10**9, int(rng.integers(0, 200)))
    for employers in (rng.integers(-2, 50, people.size), -2):  # an array of employers, or one key for all
        rows = draws.keyed_uniforms(seed, ("earnings.pay", "earnings.part_time"), people, employers)
        assert rows.shape == (2, people.size)
        for row, name in zip(rows, ("earnings.pay", "earnings.part_time"), strict=True):
            assert _same_bits(row, draws.keyed_uniform(seed, name, people, employers))
