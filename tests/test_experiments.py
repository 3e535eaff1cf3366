"""Experiments: replications with common random numbers, the results database (SQLite and
a real PostgreSQL), identical numbers on 1 worker, 2 workers and Dask, and resuming after
the driver is killed."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.experiments import execute, store
from sim.experiments.api import Settings, export, run_compare, run_design
from sim.experiments.compare import compare
from sim.experiments.jobs import make_jobs, replication_seeds, results_series, run_task, tasks
from sim.experiments.store import flatten
from sim.model import CityModel
from sim.nationals import NationalsModel
from sim.scenario import load

SMALL = dict(replications=3, months=12, migrants=1500)
PAIR = ["liege/baseline", "liege/one_stop_shop"]


def test_replication_seeds_are_distinct_and_reproducible():
    seeds = replication_seeds(7, 50)
    assert len(set(seeds)) == 50 and seeds == replication_seeds(7, 50)
    assert all(0 <= s < 2**63 for s in seeds)
    assert replication_seeds(8, 50) != seeds


def test_a_run_from_a_shared_warm_up_equals_a_run_of_its_own(monkeypatch):
    # The task's later runs start from a copy of the first one's warm-up and read its
    # nationals (run_task): every metric and every month's row, the nationals' rates among
    # them, must be those of a run made alone.
    jobs = make_jobs([(n, load(n), {}) for n in [*PAIR, "liege/combined"]], 1, 3, 12, 1500)
    assert len(tasks(jobs)) == 1
    months = []  # the reported months the nationals went through
    advance = CityModel.advance_month

    def counted(model: CityModel) -> None:
        if isinstance(model, NationalsModel) and model.month >= 0:
            months.append(model.month)
        advance(model)

    monkeypatch.setattr(CityModel, "advance_month", counted)
    outcomes = run_task(jobs)
    assert len(months) == 12  # the first run's nationals only: 36 if each run stepped its own
    monkeypatch.undo()
    for job, outcome in zip(jobs, outcomes, strict=True):
        direct = CityModel(load(job.label), rng=job.seed, migrants=1500)
        direct.run(12)
        results = direct.results()
        assert outcome.status == "done"
        alone = flatten(results)
        assert outcome.metrics.keys() == alone.keys()
        assert all(outcome.metrics[k] == alone[k] or outcome.metrics[k] != outcome.metrics[k] for k in alone)  # NaN
        assert outcome.series == results_series(results)
        assert all(row["nationals_employment_rate"] is not None for row in outcome.series)


def test_compare_stores_every_run_with_its_provenance(database):
    experiment, comparison, report = run_compare(PAIR, Settings(**SMALL, db=database))
    assert (report.stored, report.failed) == (6, 0)
    engine = store.connect(database)
    runs = store.load_runs(engine, experiment.id)
    assert len(runs) == 6 and set(runs.status) == {"done"}
    assert runs.groupby("replication").seed.nunique().eq(1).all()  # common random numbers
    assert runs.seed.nunique() == 3
    for run in runs.itertuples():
        assert len(run.scenario_sha256) == 64 and json.loads(run.scenario_json)["meta"]["city"] == "liege"
        assert "mesa" in json.loads(run.packages_json) and run.code_version
    listed = store.experiments(engine)
    assert listed.loc[listed.name == experiment.name, "runs_done"].item() == 6
    series = store.load_series(engine, experiment.id)
    assert set(series.month) == set(range(12))
    # Running the same comparison again finds everything stored and runs nothing.
    again, comparison_again, report_again = run_compare(PAIR, Settings(**SMALL, db=database))
    assert again.id == experiment.id
    assert (report_again.already_done, report_again.stored) == (6, 0)
    pd.testing.assert_frame_equal(store.load_runs(engine, experiment.id), runs)
    pd.testing.assert_frame_equal(comparison.summary, comparison_again.summary)


def test_one_worker_two_workers_and_dask_give_identical_numbers(tmp_path):
    # The same numbers, and the same exported files byte for byte (rows in a fixed order,
    # whatever order the runs finished in), but for runs.csv (timings, workers).
    tables, exported = [], []
    for workers, dask in ((1, None), (2, None), (2, "local")):
        db = f"sqlite:///{tmp_path}/{workers}-{dask}.db"
        experiment, _, _ = run_compare(PAIR, Settings(**SMALL, workers=workers, dask=dask, db=db))
        metrics = store.load_metrics(store.connect(db), experiment.id)
        tables.append(metrics.drop(columns="run_id"))
        files = export(experiment.name, tmp_path / f"out-{workers}-{dask}", db=db)
        exported.append({p.name: p.read_bytes() for p in files if p.suffix == ".csv" and p.stem != "runs"})
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])
    assert {"metrics.csv", "monthly.csv", "comparison.csv", "placements.csv"} <= set(exported[0])
    assert exported[0] == exported[1] == exported[2]
    # Replications are never merged: each is its own run with its own numbers.
    baseline = tables[0][tables[0].label == PAIR[0]]
    assert len(baseline) == 3 and baseline.employment_rate.nunique() == 3


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_workers_started_either_way_give_the_numbers_of_this_process(tmp_path, method):
    # A command forks its workers, the dashboard's server spawns them (execute.start_method):
    # both must store what the driver's own process computes. pytest runs threads of its
    # own, hence Python's warning on the fork asked for here; the workers take no lock.
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 2, 5, 6, 1500)
    stored = []
    for workers, how in ((1, None), (2, method)):
        engine = store.connect(f"sqlite:///{tmp_path}/{workers}.db")
        experiment = store.get_or_create_experiment(engine, "m", "compare", {"x": 1}, "test")
        report = execute.run(engine, experiment.id, jobs, workers=workers, method=how)
        assert (report.stored, report.failed) == (4, 0)
        stored.append(store.load_metrics(engine, experiment.id).drop(columns="run_id"))
    pd.testing.assert_frame_equal(stored[0], stored[1])


def test_a_kept_pool_serves_each_experiment_and_is_replaced_when_its_workers_die(tmp_path):
    # The dashboard's server keeps one pool (execute.keep_pool): experiments run on it with
    # the numbers of this process, and a pool whose worker was killed gives way to a new one.
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 2, 9, 6, 1500)
    execute.keep_pool(2)
    kept = execute._kept[2]
    try:
        stored = []
        for name, workers in (("alone", 1), ("kept", 2), ("again", 2)):
            engine = store.connect(f"sqlite:///{tmp_path}/{name}.db")
            experiment = store.get_or_create_experiment(engine, name, "compare", {"x": 1}, "test")
            if name == "again":
                os.kill(next(iter(kept._processes)), signal.SIGKILL)
                time.sleep(0.5)
            report = execute.run(engine, experiment.id, jobs, workers=workers)
            assert (report.stored, report.failed) == (4, 0)
            stored.append(store.load_metrics(engine, experiment.id).drop(columns="run_id"))
            if name == "kept":
                assert execute._kept[2] is kept  # not shut down after the experiment
                # Its workers run below the server that draws their results.
                lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + execute.KEPT_WORKERS_NICENESS)
                assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in kept._processes] == [lower, lower]
                ran_on = {int(worker.rsplit(":", 1)[1]) for worker in store.load_runs(engine, experiment.id).worker}
                assert ran_on <= set(kept._processes)
        assert execute._kept[2] is not kept
        pd.testing.assert_frame_equal(stored[0], stored[1])
        pd.testing.assert_frame_equal(stored[0], stored[2])
    finally:
        for pool in execute._kept.values():
            pool.shutdown(cancel_futures=True)
        execute._kept.clear()


def test_a_pools_workers_end_with_the_process_that_started_them():
    # A server stopped by a signal must not leave its kept pool's workers behind (each
    # holds about 0.35 GB, waiting on a queue that never closes): they follow their parent.
    # The keeper says "ready" once each worker has answered (its watch runs from its start).
    keeper = subprocess.Popen([sys.executable, "-c", "import os, time; from sim.experiments import execute; "
                               "execute.keep_pool(2); pool = execute._kept[2]; "
                               "[pool.submit(os.getpid).result() for _ in range(4)]; print('ready', flush=True); "
                               "time.sleep(300)"], stdout=subprocess.PIPE, text=True)
    try:
        assert keeper.stdout.readline().strip() == "ready"
        workers = subprocess.run(["pgrep", "-P", str(keeper.pid), "-f", "spawn_main"], capture_output=True,
                                 text=True).stdout.split()
        assert len(workers) == 2
    finally:
        keeper.kill()
        keeper.wait()
    deadline = time.monotonic() + 30  # a watch looks once a second; a loaded machine may be slow to schedule it
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_running(pid) for pid in workers)


def _running(pid: str) -> bool:
    """Whether the process exists and has not ended (a zombie nobody reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_command_forks_its_workers_and_a_threaded_server_spawns_them():
    import threading

    assert execute.start_method() == ("fork" if threading.active_count() == 1 else "spawn")
    done = threading.Event()
    helper = threading.Thread(target=done.wait)
    helper.start()
    try:
        assert execute.start_method() == "spawn"
    finally:
        done.set()
        helper.join()


def test_the_first_replication_can_run_apart_for_early_results():
    # The dashboard shows a comparison once every scenario has a replication: with
    # first_apart, each run of the first replication is a task, so the workers run them
    # side by side; later replications keep their shared warm-up. A resumed experiment's
    # first replication is the first one still to run.
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 3, 3, 12, 1500)
    assert [[(j.label, j.replication) for j in task] for task in tasks(jobs, first_apart=True)] == [
        [(PAIR[0], 0)], [(PAIR[1], 0)], [(PAIR[0], 1), (PAIR[1], 1)], [(PAIR[0], 2), (PAIR[1], 2)]]
    assert [len(task) for task in tasks(jobs)] == [2, 2, 2]
    assert [len(task) for task in tasks(jobs[2:], first_apart=True)] == [1, 1, 2]


def test_paired_differences_leave_out_replications_either_lacks():
    from sim.experiments.compare import paired

    # A has replications 0-3, B 1, 3 and 4 (stored out of order), and A's replication 3 has
    # no value: only replication 1 is a pair.
    metrics = pd.DataFrame({"label": ["A", "A", "A", "A", "B", "B", "B"],
                            "replication": [0, 1, 2, 3, 4, 3, 1],
                            "x": [1.0, 2.0, 3.0, np.nan, 10.0, 20.0, 7.5]})
    assert paired(metrics, "x", "B", "A").tolist() == [5.5]
    assert paired(metrics, "x", "A", "B").tolist() == [-5.5]
    metrics.loc[3, "x"] = 4.0  # now replication 3 pairs too, in replication order
    assert paired(metrics, "x", "B", "A").tolist() == [5.5, 16.0]
    # Two runs of one replication of a scenario (two experiments' metrics put together)
    # have no pairing: refused, rather than one of them taken.
    twice = pd.concat([metrics, metrics.iloc[[4]]], ignore_index=True)
    with pytest.raises(ValueError, match="a replication appears twice"):
        paired(twice, "x", "B", "A")


def test_the_first_replication_runs_apart_only_with_workers_to_run_it_side_by_side(tmp_path, monkeypatch):
    split = []
    real = execute.tasks

    def recorded(jobs, first_apart=False):
        split.append(first_apart)
        return real(jobs, first_apart)

    monkeypatch.setattr(execute, "tasks", recorded)
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 1, 3, 2, 300)
    for workers in (1, 2):
        engine = store.connect(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        experiment = store.get_or_create_experiment(engine, "split", "compare", {}, "test")
        assert execute.run(engine, experiment.id, jobs, workers, first_apart=True).stored == 2
    assert split == [False, True]  # one worker runs them one after the other anyway


def test_comparison_statistics_on_known_numbers():
    # Scenario B is A + 0.02 in every replication: the paired difference is exactly 0.02
    # with a zero-width interval, whatever the spread across replications.
    rng = np.random.default_rng(0)
    a = rng.normal(0.6, 0.05, 20)
    rows = []
    for label, shift, spend in (("A", 0.0, 0.0), ("B", 0.02, 1e6)):
        for r, value in enumerate(a):
            rows.append({"label": label, "replication": r, "employment_rate": value + shift,
                         "employed_20_64": 1000 * (value + shift), "lever_spending_eur": spend,
                         "public_revenue_eur": 0.0, "social_assistance_eur": 0.0})
    result = compare(pd.DataFrame(rows), ["A", "B"], ["employment_rate"])
    b = result.summary[result.summary.scenario == "B"].iloc[0]
    assert b["diff"] == pytest.approx(0.02) and b.diff_low == pytest.approx(0.02) and b.diff_high == pytest.approx(0.02)
    assert b["mean"] == pytest.approx(np.mean(a + 0.02))
    cost = result.cost_per_job.iloc[0]
    assert cost.extra_people_in_work == pytest.approx(20.0)
    assert cost.cost_per_extra_person_eur == pytest.approx(1e6 / 20)
    # Every paired resample has the same 20 extra people: the bootstrap interval is a point.
    assert cost.low == pytest.approx(5e4) and cost.high == pytest.approx(5e4)
    assert b.p5 == pytest.approx(np.percentile(a + 0.02, 5)) and b.p95 == pytest.approx(np.percentile(a + 0.02, 95))
    assert result.impact.iloc[0].net_benefit_eur == pytest.approx(-1e6)


def test_who_was_passed_over_adds_up_by_group_and_is_nil_where_nobody_was():
    from sim.experiments.compare import _who_gains

    # B's graduates passed over 3 refugee men and 1 undocumented woman per replication; A has
    # no graduates (its runs record no one passed over, but count it). Each dimension adds
    # up to the 4, a group nobody of which was passed over shows 0, not "no data".
    rows = []
    people = {"people_in_work_by_group.refugee|asylum|male|low": 10.0,
              "people_in_work_by_group.undocumented|family|female|low": 5.0,
              "people_in_work_by_group.temporary_permit|work|male|high": 7.0}
    for r in range(4):
        rows.append({"label": "A", "replication": r, **people, "programme_outcomes.mentoring.displaced": 0})
        rows.append({"label": "B", "replication": r, **people, "programme_outcomes.integrated_training.displaced": 4,
                     "displaced_by_group.refugee|asylum|male|low": 3.0,
                     "displaced_by_group.undocumented|family|female|low": 1.0})
    who = _who_gains(pd.DataFrame(rows), ["A", "B"])
    total = who[who.dimension == "all migrants"].iloc[0]
    assert total.displaced == pytest.approx(4) and total.displaced_low == pytest.approx(4)
    for _, groups in who[who.dimension != "all migrants"].groupby("dimension"):
        assert groups.displaced.sum() == pytest.approx(4)
    status = who[who.dimension == "legal status"].set_index("group").displaced
    assert status["refugee"] == pytest.approx(3) and status["temporary_permit"] == 0


def test_a_comparisons_tables_are_made_when_read_and_the_same_in_any_order(tmp_path):
    # The dashboard reads the summary and the city's own cost at each partial result and the
    # other tables only in an open tab: the rest must not be computed, and each table (the
    # bootstrap ones included) must not depend on which was read first.
    from sim.experiments.compare import Comparison, compare

    settings = Settings(replications=3, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/l.db")
    experiment, _, _ = run_compare(PAIR, settings)
    metrics = store.load_metrics(store.connect(settings.db), experiment.id)
    tables = list(Comparison.TABLES)
    first = compare(metrics, list(PAIR))
    first.summary, first.city_cost_per_job  # noqa: B018 (read, as the first screen does)
    assert set(vars(first)) & set(tables) == {"summary", "city_cost_per_job"}
    for order in (tables, tables[::-1]):
        other = compare(metrics, list(PAIR))
        for name in order:
            getattr(other, name)
        for name in tables:
            pd.testing.assert_frame_equal(getattr(first, name), getattr(other, name), check_exact=True)
    # The two bootstrap tables, read in either order, on replications that differ (so that
    # each resample draws): a generator shared between them would change the intervals.
    rng = np.random.default_rng(3)
    rows = [{"label": label, "replication": r, "employed_20_64": 1000 + 30 * (label == "B") + rng.normal(0, 10),
             "lever_spending_eur": 1e6 * (label == "B") + rng.normal(0, 1e4),
             "city_net_cost_eur": 4e5 * (label == "B") + rng.normal(0, 1e4)} for label in "AB" for r in range(12)]
    synthetic = pd.DataFrame(rows)
    cost_first, city_first = compare(synthetic, ["A", "B"]), compare(synthetic, ["A", "B"])
    cost_first.cost_per_job, city_first.city_cost_per_job  # noqa: B018 (each read first in one of them)
    for table in ("cost_per_job", "city_cost_per_job"):
        pd.testing.assert_frame_equal(getattr(cost_first, table), getattr(city_first, table), check_exact=True)
        low, high = getattr(cost_first, table)[["low", "high"]].to_numpy(dtype=float)[0]
        assert np.isfinite([low, high]).all() and low < high


def test_gross_and_net_show_what_is_not_additional():
    # Scenario B: its lever's participants are 30 in declared work at the end in every
    # replication, and declared employment at the end is 10 higher than A's: 20 are not
    # additional; its 6 placements took 4 other job seekers' openings (displaced), which the
    # scenario's row adds up. Scenario C has no lever with participants (reserved orders): no gross figure.
    rows = []
    money = {"employed_20_64": 0.0, "lever_spending_eur": 0.0, "public_revenue_eur": 0.0, "social_assistance_eur": 0.0}
    for r in range(5):
        base = 1000 + 7 * r  # replications differ; pairs do not
        rows.append({"label": "A", "replication": r, "declared_employed_20_64_at_end": base, **money,
                     "participants_in_declared_work_at_end": 0})
        rows.append({"label": "B", "replication": r, "declared_employed_20_64_at_end": base + 10, **money,
                     "participants_in_declared_work_at_end": 30,
                     "programme_outcomes.integrated_training.participants": 50 + r,
                     "programme_outcomes.integrated_training.placements": 6,
                     "programme_outcomes.integrated_training.displaced": 4,
                     "programme_outcomes.integrated_training.in_declared_work_at_end": 30})
        rows.append({"label": "C", "replication": r, "declared_employed_20_64_at_end": base + 4, **money,
                     "participants_in_declared_work_at_end": 0})
    table = compare(pd.DataFrame(rows), ["A", "B", "C"], ["declared_employed_20_64_at_end"]).placements
    lever = table[(table.scenario == "B") & (table.lever == "integrated_training")].iloc[0]
    assert lever.participants == pytest.approx(52) and lever.in_declared_work_at_end == pytest.approx(30)
    assert lever.placements == pytest.approx(6) and lever.displaced == pytest.approx(4)
    total = table[(table.scenario == "B") & (table.lever == "all levers")].iloc[0]
    assert total.displaced == pytest.approx(4)
    assert total.net_extra_in_declared_work == pytest.approx(10) and total.not_additional == pytest.approx(20)
    assert total.net_low == pytest.approx(10) and total.net_high == pytest.approx(10)
    orders = table[table.scenario == "C"]
    assert list(orders.lever) == ["all levers"] and np.isnan(orders.iloc[0].not_additional)
    assert orders.iloc[0].net_extra_in_declared_work == pytest.approx(4)


def test_export_writes_csv_and_parquet(tmp_path):
    db = f"sqlite:///{tmp_path}/r.db"
    experiment, _, _ = run_compare(PAIR, Settings(**SMALL, db=db))
    written = export(experiment.name, tmp_path / "out", db)
    names = {path.name for path in written}
    assert {"runs.csv", "metrics.parquet", "monthly.parquet", "comparison.csv", "cost_per_job.csv", "impact.csv"} <= names
    comparison = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert set(comparison.scenario) == set(PAIR)
    assert len(pd.read_parquet(tmp_path / "out" / "monthly.parquet")) > 0


def test_sweep_runs_each_design_point():
    points = [{"policies.one_stop_shop.capacity_clients_per_month": v} for v in (0.0, 300.0)]
    experiment, metrics, _ = run_design("liege/one_stop_shop", points, "sweep",
                                        Settings(replications=2, months=12, migrants=1500), {"design": "test"})
    assert sorted(metrics.point.unique()) == [0, 1] and len(metrics) == 4
    spend = metrics.groupby("point").lever_spending_eur.mean()
    assert spend[1] > spend[0]  # 300 clients a month cost more than none


def test_resume_after_killing_the_driver_loses_and_duplicates_nothing(tmp_path):
    db = f"sqlite:///{tmp_path}/kill.db"
    command = _compare_command(db, "killed")
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    engine = store.connect(db)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.5)
        if _stored_runs(engine, "killed") >= 4:
            break
    assert driver.poll() is None, "the experiment finished before it could be killed"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its worker processes, at once
    driver.wait()
    experiment = store.load_experiment(engine, "killed")
    kept = store.done_runs(engine, experiment.id)
    assert 4 <= len(kept) < 16
    stored_before = store.load_runs(engine, experiment.id)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    runs = store.load_runs(engine, experiment.id)
    assert len(runs) == 16
    # The runs stored before the kill are the same rows after the resume, untouched.
    same = stored_before.merge(runs, on="id", suffixes=("_before", "_after"))
    assert len(same) == len(stored_before)
    assert (same.finished_utc_before == same.finished_utc_after).all() and (same.label_before == same.label_after).all()
    # The same final numbers as an uninterrupted experiment.
    clean_db = f"sqlite:///{tmp_path}/clean.db"
    subprocess.run([*command[:-4], "--db", clean_db, "--name", "clean"], check=True, capture_output=True, timeout=600)
    def table(url, name):
        e = store.connect(url)
        m = store.load_metrics(e, store.load_experiment(e, name).id)
        return m.drop(columns="run_id").sort_values(["label", "replication"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(table(db, "killed"), table(clean_db, "clean"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["compare", "liege/baseline"], "at least two scenarios"),
        (["compare", "liege/baseline", "atlantis/baseline"], "available:"),
        (["compare", *PAIR, "--reps", "0"], "--reps"),
        (["compare", *PAIR, "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "--reps", "1", "--months", "1"],
         "cannot be opened"),
        (["sweep", "liege/baseline", "--param", "inflow.newcomers_per_month"], "name=low:high"),
        (["sweep", "liege/baseline", "--param", "inflow.nope=1:2", "--reps", "1", "--months", "1"], "no such scenario field"),
        (["sensitivity", "liege/baseline", "--param", "inflow.newcomers_per_month=1:2", "--method", "fast"], "allowed values"),
        (["export", "nothing-here", "--out", "x"], "no such file"),  # PATHWAYS_DB names a database never made
    ],
)
def test_bad_experiment_input_gets_one_line_and_exit_code_2(tmp_path, args, expected):
    env = {**os.environ, "PATHWAYS_DB": f"sqlite:///{tmp_path}/r.db"}
    done = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_every_run(tmp_path, workers):
    # The first report (nothing done yet) comes once, whether runs go to this process or to
    # a pool (there, once the first tasks are submitted); a resumed experiment with nothing
    # left reports once that everything is done.
    settings = Settings(replications=2, months=6, migrants=1500, workers=workers, db=f"sqlite:///{tmp_path}/p.db")
    for expected_first in (0, 4):
        seen, pool_started = [], []
        before = set(multiprocessing.active_children())  # another test's processes are not this pool

        def progress(done: int, total: int) -> None:
            if not seen:
                pool_started.append(bool(set(multiprocessing.active_children()) - before))
            seen.append((done, total))

        run_compare(PAIR, settings, progress=progress)
        # A pool's first report waits for its workers to have tasks, not the reverse.
        assert pool_started == [workers > 1 and expected_first == 0]
        assert seen[0] == (expected_first, 4) and seen[-1] == (4, 4)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
        assert len(seen) == (5 if expected_first == 0 else 1)


def test_a_task_that_raises_stores_its_runs_as_failed_and_the_rest_goes_on(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path}/f.db")
    experiment = store.get_or_create_experiment(engine, "f", "compare", {"x": 1}, "test")
    good = make_jobs([(n, load(n), {}) for n in PAIR], 1, 1, 6, 1500)
    broken = [replace(good[0], label="broken", migrants=-5)]  # its warm-up raises in the worker
    report = execute.run(engine, experiment.id, good + broken, workers=2)
    assert (report.stored, report.failed) == (2, 1)
    runs = store.load_runs(engine, experiment.id).set_index("label")
    assert runs.loc["broken", "status"] == "failed" and "migrants: -5 is negative" in runs.loc["broken", "error"]
    # Running again retries the failed run only (it fails again, and replaces its row).
    again = execute.run(engine, experiment.id, good + broken, workers=1)
    assert (again.already_done, again.failed) == (2, 1)
    assert len(store.load_runs(engine, experiment.id)) == 3


def test_execute_reports_what_was_already_done(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path}/e.db")
    experiment = store.get_or_create_experiment(engine, "e", "compare", {"x": 1}, "test")
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 2, 1, 6, 1500)
    first = execute.run(engine, experiment.id, jobs[:2])
    second = execute.run(engine, experiment.id, jobs)
    assert (first.stored, second.already_done, second.stored) == (2, 2, 2)


def test_a_killed_worker_process_is_replaced_and_the_experiment_finishes(tmp_path):
    db = f"sqlite:///{tmp_path}/worker.db"
    command = _compare_command(db, "worker-killed")
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = store.connect(db)
    deadline, killed = time.monotonic() + 240, None
    while time.monotonic() < deadline and driver.poll() is None and killed is None:
        time.sleep(0.5)
        stored = _stored_runs(engine, "worker-killed")
        children = subprocess.run(["pgrep", "-P", str(driver.pid)], capture_output=True, text=True).stdout.split()
        # The driver's children are its workers (forked: the driver's own command line;
        # spawned: spawn_main), and with spawn a resource tracker.
        workers = [pid for pid in children if "resource_tracker" not in _cmdline(pid)]
        if stored >= 2 and workers:
            killed = int(workers[0])
            os.kill(killed, signal.SIGKILL)
    assert killed is not None, "no worker to kill before the experiment ended"
    _, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err
    runs = store.load_runs(engine, store.load_experiment(engine, "worker-killed").id)
    assert len(runs) == 16 and set(runs.status) == {"done"}


def _compare_command(db: str, name: str) -> list[str]:
    """A comparison long enough (16 runs on 2 workers) to be interrupted mid-way."""
    return [sys.executable, "-m", "sim", "compare", *PAIR, "--reps", "8", "--months", "24", "--migrants", "3000",
            "--workers", "2", "--db", db, "--name", name]


def _stored_runs(engine, name: str) -> int:
    """Runs stored as done so far (0 while the experiment does not exist yet)."""
    try:
        return len(store.done_runs(engine, store.load_experiment(engine, name).id))
    except store.StoreError:
        return 0


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_morris_screening_ranks_an_influential_parameter_above_an_inert_one(tmp_path):
    # The discrimination penalty moves employment; the asylum allowance (income of people
    # not working) cannot change who works. Morris' mu* must rank them that way.
    done = subprocess.run(
        [sys.executable, "-m", "sim", "sensitivity", "liege/baseline",
         "--param", "labour_market.discrimination_logit_penalty=0:3",
         "--param", "welfare.asylum_allowance_eur_per_month=0:300",
         "--samples", "4", "--reps", "1", "--months", "12", "--migrants", "1500",
         "--db", f"sqlite:///{tmp_path}/sa.db", "--out", str(tmp_path / "sa")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    indices = pd.read_csv(tmp_path / "sa" / "indices.csv").set_index("parameter")
    assert indices.loc["labour_market.discrimination_logit_penalty", "mu_star"] > 0
    assert indices.loc["welfare.asylum_allowance_eur_per_month", "mu_star"] == 0


def test_a_stop_request_keeps_the_stored_runs_and_a_rerun_finishes_the_rest(tmp_path):
    """The dashboard's Cancel: stop after the first task; what is stored stays and resuming completes it."""
    engine = store.connect(f"sqlite:///{tmp_path}/s.db")
    experiment = store.get_or_create_experiment(engine, "s", "compare", {"x": 1}, "test")
    jobs = make_jobs([(n, load(n), {}) for n in PAIR], 3, 1, 6, 1500)
    with pytest.raises(execute.Cancelled, match="stopped on request; 2 runs are stored"):
        execute.run(engine, experiment.id, jobs, stop=lambda: True)
    assert len(store.done_runs(engine, experiment.id)) == 2  # one task: both scenarios of one seed
    rest = execute.run(engine, experiment.id, jobs)
    assert (rest.already_done, rest.stored) == (2, 4)
    uninterrupted = store.connect(f"sqlite:///{tmp_path}/u.db")
    other = store.get_or_create_experiment(uninterrupted, "u", "compare", {"x": 1}, "test")
    execute.run(uninterrupted, other.id, jobs)
    columns = ["label", "replication", "employment_rate", "lever_spending_eur"]
    pd.testing.assert_frame_equal(
        store.load_metrics(engine, experiment.id)[columns].sort_values(columns[:2]).reset_index(drop=True),
        store.load_metrics(uninterrupted, other.id)[columns].sort_values(columns[:2]).reset_index(drop=True))


def test_comparison_report_is_self_contained_and_escapes_labels(tmp_path):
    from sim.experiments.api import plan_compare
    from sim.experiments.report import comparison_csv, comparison_html, open_comparison

    hostile = "<script>alert(1)</script>"
    scenarios = {"liege/baseline": load("liege/baseline"), hostile: load("liege/one_stop_shop")}
    settings = Settings(replications=3, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/r.db")
    plan = plan_compare(scenarios, settings)
    execute.run(plan.engine, plan.experiment.id, plan.jobs)
    view = open_comparison(plan.engine, plan.experiment.name)
    page = comparison_html(view)
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page and page.count("data:image/png;base64,") == 2
    table = pd.read_csv(__import__("io").StringIO(comparison_csv(view)))
    rate = table[(table.indicator == "employment_rate") & (table.scenario == "liege/baseline")]["mean"].iloc[0]
    raw = view.comparison.summary
    assert rate == pytest.approx(100 * raw[(raw.indicator == "employment_rate") & (raw.scenario == "liege/baseline")]["mean"].iloc[0])
    assert 20 < rate < 90  # a percentage, not a fraction
    # The law each scenario ran under, with its legal sources; an unknown label is named as such.
    assert "rules <b>BE</b> from 2024-01" in page and "Loi de 1980" in page
    assert "the scenario file is not available here" in page
    # One sentence a council can quote per scenario, first in the report, with the change
    # in people in work as the table has it and its interval.
    from sim.experiments.report import quotable

    sentences = quotable(view.comparison, view.labels, 6, 3)
    assert len(sentences) == 1 and sentences[0].startswith(f"{hostile}: ")
    jobs = raw[(raw.indicator == "employed_20_64") & (raw.scenario == hostile)].iloc[0]
    clear = jobs.diff_low > 0 or jobs.diff_high < 0
    assert (" more people in work" in sentences[0] or " fewer people in work" in sentences[0]) == clear
    assert "no clear change" in sentences[0] or clear
    assert "95 % interval" in sentences[0] and "net over the run" in sentences[0]
    assert page.index("In one sentence") < page.index("The city's own net cost per additional person")
    # Who gains: each dimension's groups add up to all migrants, whose change is the
    # headline change in people in work.
    who = view.comparison.who_gains
    assert set(who.dimension) == {"all migrants", "legal status", "reason of arrival", "sex", "education"}
    total = who[who.dimension == "all migrants"].iloc[0]
    assert total.extra_in_work == pytest.approx(jobs["diff"])
    for _, rows in who[who.dimension != "all migrants"].groupby("dimension"):
        assert rows.extra_in_work.sum() == pytest.approx(total.extra_in_work)
        assert rows.extra_in_declared_work.sum() == pytest.approx(total.extra_in_declared_work)
        for measure in ("extra_below_skills", "extra_exploited", "extra_working_poor"):
            assert rows[measure].sum() == pytest.approx(total[measure])
        assert rows.people.sum() == pytest.approx(total.people)
    assert "<h2>Who gains</h2>" in page
    # By income: nine deciles a scenario, in order, each change the mean paired difference.
    deciles = view.comparison.income_deciles
    assert list(deciles.decile) == [f"d{d}" for d in range(1, 10)]
    assert deciles.counterfactual_eur.is_monotonic_increasing
    metrics = store.load_metrics(plan.engine, plan.experiment.id).pivot(
        index="replication", columns="label", values="net_income_deciles_eur_per_month.d9")
    assert deciles.change_eur.iloc[-1] == pytest.approx((metrics[hostile] - metrics["liege/baseline"]).mean())
    assert "<h3>By income</h3>" in page
