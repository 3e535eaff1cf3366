"""Population accounting: everyone in exactly one labour state and one legal status every
month, states consistent with each other, and stock changes equal to flows."""

import numpy as np
import pytest

from sim.mechanisms.work_authorisation import work_authorised
from sim.records import WORKING_AGE_MONTHS
from sim.states import (
    IS_EMPLOYED,
    IS_FORMAL_WORK,
    IS_SSE,
    N_LABOUR,
    N_STATUS,
    LabourState,
    LegalStatus,
)

from tests.helpers import small_model


def check_invariants(model) -> None:
    pop = model.pop
    alive = pop.alive()
    status, labour = pop.status, pop.labour
    # Exactly one state each: codes are single values, so check that they are valid and
    # that "gone" in one means "gone" in the other.
    assert np.all((status >= 0) & (status < N_STATUS)) and np.all((labour >= 0) & (labour < N_LABOUR))
    assert np.array_equal(alive, labour != LabourState.GONE)
    assert pop.count() == np.count_nonzero(alive)
    rows = np.flatnonzero(alive)
    assert np.unique(pop.person_id[rows]).size == rows.size
    employed = IS_EMPLOYED[labour[rows]]
    # A job means exactly one of: a mainstream employer, an SSE enterprise, self-employment;
    # unpaid members of a collective (solidarity activity) are in an enterprise without a job.
    with_employer = pop.employer[rows] >= 0
    in_sse = pop.sse_enterprise[rows] >= 0
    self_employed = labour[rows] == LabourState.SELF_EMPLOYED
    unpaid = labour[rows] == LabourState.SOLIDARITY_ACTIVITY
    assert np.array_equal(with_employer.astype(int) + (in_sse & ~unpaid) + self_employed, employed.astype(int))
    # Residents of an approved host organisation (OACAS) are in unpaid solidarity activity
    # there, or search for work from it once they have papers, outside any SSE enterprise.
    host = pop.host_months[rows] >= 0
    assert np.array_equal(in_sse, IS_SSE[labour[rows]] & ~host)
    assert np.all(labour[rows][host & IS_SSE[labour[rows]]] == LabourState.SOLIDARITY_ACTIVITY)
    assert np.all(pop.employer[rows] < len(model.employers))
    assert all(model.sse_enterprises[i].alive for i in np.unique(pop.sse_enterprise[rows[in_sse]]))
    assert np.array_equal(pop.wage_eur_per_month[rows] > 0, employed)
    # No declared work without work authorisation; people without it stay in an SSE
    # enterprise only unpaid, in one open to people without papers (guide §2.10, §5).
    formal = rows[IS_FORMAL_WORK[labour[rows]]]
    assert np.all(work_authorised(model, formal))
    assert all(model.sse_enterprises[i].accepts_undocumented for i in pop.sse_enterprise[rows[unpaid & ~host]])
    assert not np.any(labour[rows[status[rows] == LegalStatus.UNDOCUMENTED]] == LabourState.JOB_MATCHING_SKILLS)
    # Exploitation happens only in undeclared work, at exploitative employers.
    exploited = rows[pop.exploited[rows]]
    assert np.all(labour[exploited] == LabourState.UNDECLARED_WORK)
    assert all(model.employers[e].exploitative for e in np.unique(pop.employer[exploited]))
    # Out of the labour force only with a reason; in a course only until it ends.
    in_programme = rows[(labour[rows] == LabourState.INTEGRATED_TRAINING) | (labour[rows] == LabourState.SSE_TRANSITIONAL_JOB)]
    assert np.all(pop.programme_end_month[in_programme] >= model.month - 1)
    inactive = rows[labour[rows] == LabourState.INACTIVE]
    assert np.all(pop.care_duties[inactive] | pop.studying[inactive])
    in_course = rows[labour[rows] == LabourState.LANGUAGE_COURSE]
    assert np.all(pop.course_end_month[in_course] >= model.month - 1)
    # Ages: 18 at the youngest arrival, nobody past the exit age.
    age = model.month - pop.birth_month[rows]
    assert np.all(age >= 18 * 12 - 1) and np.all(age <= model.params.outflow.exit_age_years * 12)
    assert np.all((pop.language[rows] >= 0) & (pop.language[rows] <= 1))
    # Free rows hold empty values, so whole-column sums are sums over people.
    free = ~alive
    assert not pop.language[free].any() and not pop.wage_eur_per_month[free].any()


@pytest.mark.parametrize("scenario", ["liege/baseline", "liege/combined", "barcelona/combined", "paris/combined"])
def test_invariants_and_flows_hold_every_month(scenario):
    model = small_model(scenario, migrants=3000)
    check_invariants(model)
    for _ in range(48):
        before = model.pop.count()
        model.step()
        check_invariants(model)
        assert model.pop.count() - before == model.flows.newcomers - model.flows.leavers
    monthly = model.monthly_frame()
    stock = np.concatenate([[monthly["migrants"].iloc[0] - monthly["newcomers"].iloc[0] + monthly["leavers"].iloc[0]],
                            monthly["migrants"].to_numpy()])
    assert np.array_equal(np.diff(stock), (monthly["newcomers"] - monthly["leavers"]).to_numpy())


def test_monthly_counts_and_census_cover_everyone(liege_run):
    model = liege_run
    pop = model.pop
    alive = pop.alive()
    # The census is taken after the month's departures: everyone in the city, once.
    assert model.census[: N_STATUS - 1].sum() == pop.count()
    by_status = np.bincount(pop.status[alive], minlength=N_STATUS)
    assert np.array_equal(model.census.sum(axis=1)[: N_STATUS - 1], by_status[: N_STATUS - 1])
    # The month's cells count each person aged 20-64 at that month exactly once.
    last_month = model.month - 1
    working_age = alive & (pop.birth_month <= last_month - WORKING_AGE_MONTHS[0])
    working_age &= pop.birth_month > last_month - WORKING_AGE_MONTHS[1]
    assert model.counts.cells[-1].sum() == np.count_nonzero(working_age)
    assert model.counts.by_years[-1].sum() <= model.counts.cells[-1].sum()


def test_warm_up_leaves_a_settled_city():
    # After the warm-up the baseline should be near its steady state: the employment rate
    # in month 0 and month 24 differ by less than 3 points. The seed-to-seed noise of a
    # monthly rate among ~9,000 people aged 20-64 is about 0.5 point; before the warm-up
    # was long enough, the drift over those months was 3 to 6 points.
    model = small_model(migrants=12000, seed=2)
    model.run(25)
    series = model.monthly_frame()["employment_rate"]
    assert abs(series.iloc[24] - series.iloc[0]) < 0.03
