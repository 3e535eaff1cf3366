"""The historical replay: yearly inputs from the published series, scaled from the fitted
2023 city, and the command that runs it out of sample and writes its report."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration import replay
from sim.calibration.targets import FIT_YEAR
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("preset", list(replay.PRESET_GEO))
def test_the_fit_year_inputs_are_the_presets_own(preset):
    # Every input is the preset's value times the published series' ratio to 2023, so the
    # replay's 2023 is the fitted city, whatever the series' levels.
    base = load(f"{preset}/baseline")
    years = range(2014, 2025)
    inputs, _ = replay.yearly_inputs(preset, base, years, {year: 1.0 for year in years})
    fit = inputs.set_index("year").loc[FIT_YEAR]
    assert fit.newcomers_per_month == pytest.approx(base.inflow.newcomers_per_month)
    for reason in replay.REASON_SERIES:
        assert fit[f"share_{reason}"] == pytest.approx(getattr(base.inflow.reason_shares, reason))
    assert fit.recognition_rate == pytest.approx(base.asylum.recognition_rate)


def test_the_2015_asylum_arrivals_show_in_the_inputs():
    # First-time asylum applicants in the EU: 1.22 million in 2015 against 0.53 million in
    # 2014 (calibration/replay/newcomers.csv): the asylum newcomers more than double.
    base = load("eu27/baseline")
    inputs, _ = replay.yearly_inputs("eu27", base, range(2014, 2017), {y: 1.0 for y in range(2014, 2017)})
    asylum = (inputs.newcomers_per_month * inputs.share_asylum).to_numpy()
    assert asylum[1] > 2 * asylum[0]


def test_labour_demand_follows_the_nationals_employment():
    # Spain's nationals' employment rose by several points from 2015 to 2023: the openings
    # scale that reproduces 2015 is lower than the fitted one, and 2023's is the fitted one
    # within the measurement noise of two seeds at 5,000 nationals (about 1 point of
    # employment, a few hundredths of the scale).
    base = load("barcelona/baseline")
    demand = replay.labour_demand("barcelona", base, range(2015, 2024), seed=3, people=5_000)
    scale = base.labour_market.openings_scale
    assert demand[2015] < demand[2023]
    assert demand[2023] == pytest.approx(scale, rel=0.1)
    nationals = replay.published("barcelona").query("citizen == 'NAT'").set_index("year").employment_rate_pct
    assert nationals.loc[2015] < nationals.loc[2023] - 3  # the premise of the test


def test_a_flat_stretch_of_employment_keeps_the_presets_demand():
    # Above the preset's scale the nationals' employment barely moves; measured with noise
    # and made monotone, it is flat from 0.8 to 1.6 here. The rate of that stretch is
    # reached at any of those multiples: the preset's own (1) is kept, not the stretch's end.
    rates = np.interp(replay.DEMAND_GRID, [0.1, 0.8, 1.6], [0.3, 0.7, 0.7])
    assert replay.demand_multiple(0.7, rates) == 1.0
    assert replay.demand_multiple(0.5, rates) == pytest.approx(float(np.interp(0.5, rates[:10], replay.DEMAND_GRID[:10])))


def test_the_replay_command_writes_its_report_without_refitting(tmp_path):
    fitted = (ROOT / "calibration" / "fitted" / "liege.toml").read_text()
    db = f"sqlite:///{tmp_path / 'r.db'}"
    done = subprocess.run([sys.executable, "-m", "sim", "replay", "liege", "--from", "2022", "--to", "2024", "--reps", "2",
                           "--migrants", "2000", "--db", db, "--reports", str(tmp_path)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Mean absolute error" in done.stdout
    assert "**Not refitted**" in (tmp_path / "replay-liege.md").read_text()
    table, inputs = replay.read("liege", tmp_path)
    assert sorted(table.year.unique()) == [2022, 2023, 2024] and list(inputs.year) == [2022, 2023, 2024]
    assert np.isfinite(table.simulated).all() and table.published.notna().all()
    # An out-of-sample test: the fitted parameters are as they were.
    assert (ROOT / "calibration" / "fitted" / "liege.toml").read_text() == fitted


def test_bad_replay_requests_get_one_line_errors():
    for args, named in ((["replay", "atlantis"], "allowed: eu27"), (["replay", "liege", "--from", "2010"], "2014 to 2024")):
        done = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 2 and named in done.stderr and "Traceback" not in done.stderr


def test_a_replay_stopped_early_is_the_same_runs_up_to_then(tmp_path):
    # The refugee curve's points are read from runs that stop at their survey's year: with
    # the same seeds and inputs they must be the full runs up to then, month for month.
    from sim.experiments import store
    from sim.experiments.api import Settings

    base = load("eu27/baseline")
    years = range(2014, 2017)
    inputs, _ = replay.yearly_inputs("eu27", base, years, {year: base.labour_market.openings_scale for year in years})
    settings = Settings(2, 12, 5, 1500, 1, None, f"sqlite:///{tmp_path / 'r.db'}", None)
    series = {}
    for last in (2015, 2016):
        experiment, metrics, _ = replay._run("eu27", inputs, 2014, last, settings)
        assert len(metrics) == 2
        frame = store.load_series(store.connect(settings.db), experiment.id, names=list(replay.COMPARED))
        series[last] = frame.sort_values(["name", "replication", "month"]).reset_index(drop=True)
    assert series[2015].month.max() == 23 and series[2016].month.max() == 35
    early = series[2016][series[2016].month <= 23].reset_index(drop=True)
    assert early[["name", "replication", "month", "value"]].equals(series[2015][["name", "replication", "month", "value"]])


def test_the_refugee_curve_is_read_where_the_surveys_looked(tmp_path):
    # 2014-2016 holds the surveys of 2016 (T27-T29: the arrivals of 2015, 2014 and 2013
    # a year, two and three after they came), and no other point; 2014-2018 adds those of
    # 2018 (T13, T13-M, T13-W). A replay to 2018 reads 2016's points from runs stopped
    # there: they must be what a replay to 2016 reads at its end.
    assert [t.id for t in replay.cohort_targets("eu27", 2014, 2016)] == ["T27", "T28", "T29"]
    assert replay.cohort_targets("liege", 2014, 2024) == []
    read = {}
    for last in (2016, 2018):
        folder = tmp_path / str(last)
        done = subprocess.run([sys.executable, "-m", "sim", "replay", "eu27", "--from", "2014", "--to", str(last),
                               "--reps", "2", "--migrants", "2000", "--db", f"sqlite:///{folder / 'r.db'}",
                               "--reports", str(folder)],
                              capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert "Refugee curve where the surveys looked:" in done.stdout
        assert "## Refugees' declared employment, where the surveys looked" in (folder / "replay-eu27.md").read_text()
        read[last] = replay.read_refugees("eu27", folder).set_index("target")
    assert list(read[2016].index) == ["T27", "T28", "T29"] and set(read[2016].year) == {2016}
    assert set(read[2018].index) == {"T27", "T28", "T29", "T13", "T13-M", "T13-W"}
    pd.testing.assert_frame_equal(read[2018].loc[["T27", "T28", "T29"]], read[2016])
    assert (read[2018].loc[["T13", "T13-M", "T13-W"], "year"] == 2018).all()
    assert read[2018].simulated.between(0, 1).all()


def test_a_replay_counts_its_runs_stopped_early_in_its_progress(tmp_path):
    # 2014-2018 runs twice: to 2018, then to 2016 for the surveys of 2016 (T27-T29). The
    # progress counts both sets as one: 2 replications each, 4 runs in all, never backwards.
    from sim.experiments.api import Settings

    assert replay.survey_years_before("eu27", 2014, 2018) == [2016]
    calls = []
    settings = Settings(2, 12, 5, 1500, 1, None, f"sqlite:///{tmp_path / 'r.db'}", None)
    replay.replay("eu27", 2014, 2018, settings, progress=lambda done, total: calls.append((done, total)))
    assert {total for _, total in calls} == {4}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 4 and 2 in done
