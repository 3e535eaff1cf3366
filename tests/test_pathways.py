"""Pathways: snapshots, flows between stages, one migrant's history, and Kaplan-Meier curves."""

import numpy as np
import pytest

from sim.pathways import LEFT, PathwayTracker, first_job_curves, flows
from sim.records import kaplan_meier_curve, kaplan_meier_median
from tests.helpers import small_model


@pytest.fixture(scope="module")
def tracked():
    model = small_model(migrants=2500)
    tracker = PathwayTracker()
    for _ in range(36):
        model.step()
        tracker.record(model)
    return model, tracker


@pytest.mark.parametrize("kind", ["labour", "status"])
def test_flows_conserve_the_cohort(tracked, kind):
    _, tracker = tracked
    cohort = tracker.cohort("present")
    stages = tracker.stages(kind, [0, 12, 35], cohort)
    table = flows(stages)
    for (start, end), block in table.groupby(["from_month", "to_month"]):
        assert block["people"].sum() == cohort.size
        out_of = block.groupby("source")["people"].sum()
        into = block.groupby("target")["people"].sum()
        assert out_of.to_dict() == stages[start].value_counts().to_dict()
        assert into.to_dict() == stages[end].value_counts().to_dict()
    assert (stages[0] != LEFT).all()  # everyone of the month-0 cohort is in the city at month 0
    assert LEFT in set(stages[35])  # and over three years some leave (outflow, guide data)


def test_newcomers_arrived_in_the_first_year(tracked):
    model, tracker = tracked
    newcomers = tracker.cohort("newcomers")
    assert newcomers.size > 0 and not np.isin(newcomers, tracker.ids[0]).any()
    stages = tracker.stages("status", [12], newcomers)
    still_here = newcomers[(stages[12] != LEFT).to_numpy()]
    rows = [model.pop.row_of(int(i)) for i in still_here if int(i) in set(model.pop.person_id[model.pop.alive()])]
    assert all(0 <= model.pop.arrival_month[r] < 12 for r in rows)


def test_a_migrants_history_ends_in_their_current_record(tracked):
    # Someone of the month-0 cohort still here: the history runs month by month to the last
    # month, where it reads as their current record. Someone who left: it stops when they left.
    model, tracker = tracked
    here = set(model.pop.person_id[model.pop.alive()].tolist())
    cohort = [int(i) for i in tracker.ids[0]]
    stayed = next(i for i in cohort if i in here)
    left = next(i for i in cohort if i not in here)
    history = tracker.history(stayed)
    now = model.migrant(stayed)
    last = history.iloc[-1]
    assert last["month"] == model.month - 1
    assert last["legal_status"] == now["status"].replace("_", " ")
    assert last["labour_state"] == now["labour"].replace("_", " ")
    assert list(history["month"]) == list(range(history["month"].iloc[0], history["month"].iloc[-1] + 1))
    gone = tracker.history(left)
    assert gone["month"].iloc[0] == 0 and gone["month"].iloc[-1] < model.month - 1
    assert tracker.history(10**9).empty


def test_first_job_curves_fall_from_one_and_match_the_reported_medians(tracked):
    model, _ = tracked
    results = model.results()
    for by in ("reason", "sex", "education"):
        curves = first_job_curves(model, by, 36)
        for group in curves.columns.drop("months"):
            values = curves[group].to_numpy()
            assert np.all(np.diff(values) <= 1e-12) and 0 <= values.min() and values.max() <= 1
        for group, median in results["median_months_to_first_formal_job_by_group"][by].items():
            if median is not None and group in curves:
                assert curves[group].iloc[int(median)] <= 0.5 < (curves[group].iloc[int(median) - 1] if median else 1)


def test_kaplan_meier_on_known_counts():
    # 10 people: 2 hired in month 1, 1 censored in month 2, 3 hired in month 3 (of 7 at risk).
    events = np.array([0, 2, 0, 3, 0])
    censored = np.array([0, 0, 1, 0, 4])
    curve = kaplan_meier_curve(events, censored)
    assert curve == pytest.approx([1.0, 0.8, 0.8, 0.8 * 4 / 7, 0.8 * 4 / 7])
    assert kaplan_meier_median(events, censored) == 3.0
