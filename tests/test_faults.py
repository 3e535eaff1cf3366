"""Faults during an experiment, each on the real thing: a SQLite database locked by another
process, a PostgreSQL server stopped and started again mid-experiment, a full disk while
exporting. Each ends with a clear message or a recovery, keeps the finished runs, and a
resume completes the rest. (A killed driver and a killed worker: tests/test_experiments.py.)"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sim.experiments import store
from tests.test_experiments import PAIR, _stored_runs

TOTAL = 2 * 12


def compare(db: str, name: str, **env: str) -> subprocess.Popen:
    """A comparison of 24 short runs on one worker, stored as it goes."""
    command = [sys.executable, "-m", "sim", "compare", *PAIR, "--reps", "12", "--months", "24", "--migrants", "2000",
               "--workers", "1", "--db", db, "--name", name]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def wait_for_runs(engine, name: str, at_least: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        stored = _stored_runs(engine, name)
        if stored >= at_least:
            return stored
        time.sleep(0.05)
    raise AssertionError(f"the experiment ended (or stalled) before {at_least} runs: {process.communicate()}")


def assert_complete_without_duplicates(engine, name: str) -> None:
    runs = store.load_runs(engine, store.load_experiment(engine, name).id)
    assert len(runs) == TOTAL and (runs.status == "done").all()
    assert not runs.duplicated(["label", "replication"]).any()


def test_a_sqlite_database_locked_by_another_process(tmp_path):
    path = tmp_path / "locked.db"
    db = f"sqlite:///{path}"
    engine = store.connect(db)
    driver = compare(db, "locked", PATHWAYS_DB_BUSY_S="1")
    stored_before = wait_for_runs(engine, "locked", 2, driver)
    # Another program takes the write lock and keeps it until the driver has given up (it waits 1 s).
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(path)!r}, timeout=60, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.readline(); c.execute('COMMIT')\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    out, err = driver.communicate(timeout=240)
    locker.communicate("release\n", timeout=30)
    assert driver.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "is locked: another program held its write lock" in lines[0], err
    kept = _stored_runs(engine, "locked")
    assert stored_before <= kept < TOTAL
    # The lock is gone: the same command finishes the rest.
    resumed = compare(db, "locked")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert_complete_without_duplicates(engine, "locked")


@pytest.fixture
def own_postgresql():
    """A PostgreSQL server of this test's own (a fresh cluster, a free loopback port), which it may stop."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not binaries:
        raise RuntimeError("PostgreSQL is not installed: run `bash scripts/test-postgres.sh` (make test does)")
    bin_dir = binaries[-1]
    data = Path(tempfile.mkdtemp(prefix="pathways-pg-faults-"))  # under /tmp: the server's user must reach it
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run([*as_postgres, bin_dir / "initdb", "-D", data / "data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)

    def pg_ctl(*args: str) -> None:
        subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", data / "data", "-o", f"-h 127.0.0.1 -p {port} -k {data}",
                        "-l", data / "server.log", "-w", *args], check=True, capture_output=True)

    pg_ctl("start")
    subprocess.run([*as_postgres, bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "faults"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/faults", pg_ctl
    finally:
        subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", data / "data", "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_postgresql_stopped_and_started_again_mid_experiment(own_postgresql):
    db, pg_ctl = own_postgresql
    engine = store.connect(db)
    driver = compare(db, "restarted")
    wait_for_runs(engine, "restarted", 2, driver)
    engine.dispose()
    pg_ctl("-m", "fast", "stop")
    time.sleep(4)  # runs finish meanwhile: their writes fail and are retried
    pg_ctl("start")
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 0, err
    assert "warning: database" in err and "retrying for up to 60 s" in err  # the outage was met, and ridden out
    assert_complete_without_duplicates(store.connect(db), "restarted")

    # With retries off, the same outage ends the experiment in one line; a resume finishes it.
    driver = compare(db, "no-retry", PATHWAYS_DB_RECONNECT_S="0")
    wait_for_runs(store.connect(db), "no-retry", 2, driver)
    pg_ctl("-m", "fast", "stop")
    _, err = driver.communicate(timeout=300)
    pg_ctl("start")
    assert driver.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "error: database" in err, err
    resumed = compare(db, "no-retry")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert_complete_without_duplicates(store.connect(db), "no-retry")


def test_a_full_disk_while_exporting(tmp_path):
    if os.geteuid() != 0:
        raise RuntimeError("this test mounts a tiny tmpfs to fill a disk for real: run it as root (CI does)")
    db = f"sqlite:///{tmp_path}/export.db"
    done = subprocess.run([sys.executable, "-m", "sim", "compare", *PAIR, "--reps", "3", "--months", "24", "--migrants",
                           "1500", "--db", db, "--name", "exported"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    engine = store.connect(db)
    before = store.load_runs(engine, store.load_experiment(engine, "exported").id)
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", tiny], check=True)
    try:
        full = subprocess.run([sys.executable, "-m", "sim", "export", "exported", "--out", tiny, "--db", db],
                              capture_output=True, text=True, timeout=120)
        leftovers = sorted(p.name for p in tiny.iterdir())
    finally:
        subprocess.run(["umount", tiny], check=True)
    assert full.returncode == 2
    lines = full.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "no file was written" in lines[0], full.stderr
    assert leftovers == []  # all files or none
    after = store.load_runs(engine, store.load_experiment(engine, "exported").id)
    assert after.equals(before)
    roomy = subprocess.run([sys.executable, "-m", "sim", "export", "exported", "--out", tmp_path / "roomy", "--db", db],
                           capture_output=True, text=True, timeout=120)
    assert roomy.returncode == 0 and (tmp_path / "roomy" / "monthly.parquet").stat().st_size > 0


def test_a_laptop_that_sleeps_mid_experiment(tmp_path):
    """The driver and its workers stopped (SIGSTOP, as a suspended laptop) for a few seconds,
    then woken: the experiment picks up and finishes, every run stored once."""
    db = f"sqlite:///{tmp_path}/sleep.db"
    engine = store.connect(db)
    command = [sys.executable, "-m", "sim", "compare", *PAIR, "--reps", "12", "--months", "24", "--migrants", "2000",
               "--workers", "2", "--db", db, "--name", "slept"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_runs(engine, "slept", 2, driver)
    os.killpg(driver.pid, signal.SIGSTOP)
    time.sleep(3)
    os.killpg(driver.pid, signal.SIGCONT)
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 0, err
    assert_complete_without_duplicates(engine, "slept")
