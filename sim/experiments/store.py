"""The results database: experiments, their runs (with provenance), and the runs' figures.

SQLModel over SQLite by default (a file under ``results/``), PostgreSQL when the URL says
so (``--db`` or ``PATHWAYS_DB``). Only the driver process writes: workers return results
and the driver stores each run in one short transaction as it arrives, so an interrupted
experiment keeps every run it finished. A run is identified by (experiment, label,
replication): storing it twice is impossible, which is what makes resuming safe.
"""

import json
import os
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Column, Engine, UniqueConstraint, delete, event, insert, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.types import Text
from sqlmodel import Field, Session, SQLModel, create_engine, select

DEFAULT_DB = "sqlite:///results/pathways.db"


def _seconds(variable: str, default: float) -> float:
    """A duration from the environment, in seconds."""
    text = os.environ.get(variable, "")
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e6:
        raise StoreError(f"{variable} must be a number of seconds from 0 (got {text[:40]!r})")
    return value


def reconnect_s() -> float:
    """How long a PostgreSQL action keeps retrying while the server is away (``PATHWAYS_DB_RECONNECT_S``, 60)."""
    return _seconds("PATHWAYS_DB_RECONNECT_S", 60.0)


def sqlite_busy_s() -> float:
    """How long a SQLite write waits for another program's write lock (``PATHWAYS_DB_BUSY_S``, 30)."""
    return _seconds("PATHWAYS_DB_BUSY_S", 30.0)


CONNECTION_LOST = ("08", "57P01", "57P02", "57P03")
"""PostgreSQL error codes of a server that went away or is not there yet: connection
exceptions (class 08), administrator shutdown, crash shutdown, cannot connect now."""


class StoreError(RuntimeError):
    """The database cannot be used; the message says why in one line."""

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable
        """The server was unreachable: the same action may succeed a little later."""


def _retrying(engine: Engine, action):
    """Run a database action, retrying with backoff for ``reconnect_s()`` while a PostgreSQL
    server is unreachable (said once on stderr). Each action is one transaction that is
    safe to repeat: a run already stored is never stored again."""
    deadline, delay, said = time.monotonic() + reconnect_s(), 0.2, False
    while True:
        try:
            return action()
        except StoreError as exc:
            if not exc.retryable or time.monotonic() + delay > deadline:
                raise
            if not said:
                print(f"warning: {exc}; retrying for up to {reconnect_s():g} s", file=sys.stderr, flush=True)
                said = True
            time.sleep(delay)
            delay = min(2 * delay, 5.0)


class Experiment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    kind: str = Field(max_length=40)
    """compare, sweep or sensitivity."""
    spec_json: str = Field(sa_column=Column(Text, nullable=False))
    """The full command: scenarios and their content hashes, replications, months, seed..."""
    code_version: str = Field(max_length=100)
    created_utc: datetime


class Run(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("experiment_id", "label", "replication"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id", index=True)
    label: str = Field(max_length=200)
    """The scenario's name in the experiment, or a design point's label."""
    point: int = 0
    """Index of the design point (sweeps, sensitivity); the scenario's position otherwise."""
    replication: int
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    scenario_sha256: str = Field(max_length=64)
    scenario_json: str = Field(sa_column=Column(Text, nullable=False))
    overrides_json: str = Field(sa_column=Column(Text, nullable=False))
    months: int
    migrants: int
    status: str = Field(max_length=20)
    """done or failed."""
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    wall_s: float
    worker: str = Field(max_length=200)
    code_version: str = Field(max_length=100)
    packages_json: str = Field(sa_column=Column(Text, nullable=False))
    finished_utc: datetime


class RunMetric(SQLModel, table=True):
    """End-of-run indicators in long form: ``name`` is a dotted path (``employment_rate_by_sex.female``)."""

    run_id: int = Field(foreign_key="run.id", primary_key=True)
    name: str = Field(primary_key=True, max_length=200)
    value: float | None = None


class RunSeries(SQLModel, table=True):
    """Monthly series in long form."""

    run_id: int = Field(foreign_key="run.id", primary_key=True)
    month: int = Field(primary_key=True)
    name: str = Field(primary_key=True, max_length=100)
    value: float | None = None


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("PATHWAYS_DB") or DEFAULT_DB


def connect(url: str | None = None, existing: bool = False) -> Engine:
    """An engine with the tables created. SQLite gets WAL, a busy timeout, foreign keys and
    ``BEGIN IMMEDIATE`` (a deferred transaction that upgrades to writing can fail at once
    with "database is locked", busy timeout or not). ``existing``, for a command that only
    reads: a SQLite file named by the user (not the default one) that does not exist is
    refused, not created (a mistyped path would show an empty database, and leave one behind)."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"database URL {_safe(url)!r} is not usable: {_first_line(exc)}") from None
    path = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
        if existing and url != DEFAULT_DB and not Path(path).is_file():
            raise StoreError(f"database {_safe(url)}: no such file (a command that reads results needs the database "
                             "that stored them: --db or PATHWAYS_DB)")
        folder = Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"database folder {folder} cannot be created: {exc.strerror}") from None
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"database URL {_safe(url)!r} is not usable: {_first_line(exc)}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        SQLModel.metadata.create_all(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"database {_safe(url)} cannot be opened: {_first_line(exc)}") from None
    return engine


def describe(engine: Engine) -> str:
    """The engine's database, for people: its URL without the password."""
    return _safe(engine.url.render_as_string(hide_password=False))


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let the 'begin' hook issue BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_s() * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Writing transactions take the write lock at once; reads do not block on writers (WAL)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("writing") else "BEGIN")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{host}"
    return url


def get_or_create_experiment(engine: Engine, name: str, kind: str, spec: dict[str, Any], code_version: str) -> Experiment:
    """The experiment of this name; a new one if none. The same name with another spec is an error."""
    spec_json = json.dumps(spec, sort_keys=True)

    def create() -> Experiment:
        with _session(engine, writing=True) as session:
            found = session.exec(select(Experiment).where(Experiment.name == name)).first()
            if found is not None:
                if found.spec_json != spec_json:
                    raise StoreError(
                        f"experiment '{name}' already exists with different settings; choose another --name"
                    )
                return found
            experiment = Experiment(name=name, kind=kind, spec_json=spec_json, code_version=code_version,
                                    created_utc=datetime.now(UTC))
            session.add(experiment)
            session.commit()
            session.refresh(experiment)
            return experiment

    return _retrying(engine, create)


def done_runs(engine: Engine, experiment_id: int) -> set[tuple[str, int]]:
    """(label, replication) of the runs already stored as done."""
    def read() -> list:
        with _session(engine) as session:
            return session.exec(
                select(Run.label, Run.replication).where(Run.experiment_id == experiment_id, Run.status == "done")
            ).all()

    return {(label, replication) for label, replication in _retrying(engine, read)}


def store_run(engine: Engine, experiment_id: int, run: dict[str, Any], metrics: dict[str, float | None],
              series: list[dict[str, Any]]) -> None:
    """Store one finished run, its metrics and series, in a single transaction.

    A run already stored as done stays as it is (another driver got there first: the
    numbers are the same); a failed attempt is replaced by the new outcome.
    """
    def write() -> None:
        with _session(engine, writing=True) as session:
            stale = session.exec(
                select(Run).where(Run.experiment_id == experiment_id, Run.label == run["label"],
                                  Run.replication == run["replication"])
            ).first()
            if stale is not None:
                if stale.status == "done":
                    return
                for table in (RunMetric, RunSeries):
                    session.execute(delete(table).where(table.run_id == stale.id))
                session.delete(stale)
                session.flush()
            record = Run(experiment_id=experiment_id, **run)
            session.add(record)
            session.flush()
            # Core inserts, not the ORM's: a run has thousands of metric and series rows,
            # and the ORM's bookkeeping per row made the driver a third of a worker's load.
            connection = session.connection()
            if metrics:
                connection.execute(insert(RunMetric.__table__),
                                   [{"run_id": record.id, "name": k, "value": v} for k, v in metrics.items()])
            rows = [
                {"run_id": record.id, "month": row["month"], "name": name, "value": value}
                for row in series
                for name, value in row.items()
                if name != "month"
            ]
            if rows:
                connection.execute(insert(RunSeries.__table__), rows)
            session.commit()

    _retrying(engine, write)


def _connection_lost(exc: OperationalError, engine: Engine) -> bool:
    """Whether a PostgreSQL error means the server is away (worth retrying), rather than a
    real failure such as a full disk or a statement timeout."""
    if engine.dialect.name != "postgresql":
        return False
    code = getattr(exc.orig, "sqlstate", None)
    return exc.connection_invalidated or code is None or code.startswith(CONNECTION_LOST)


class _session:
    """A session whose database errors become one-line StoreErrors; ``writing`` sessions
    take SQLite's write lock when they begin."""

    def __init__(self, engine: Engine, writing: bool = False):
        self.engine = engine.execution_options(writing=True) if writing else engine

    def __enter__(self) -> Session:
        self.session = Session(self.engine)
        return self.session

    def __exit__(self, kind, exc, traceback) -> bool:
        self.session.close()
        if isinstance(exc, OperationalError):
            where = f"database {_safe(str(self.engine.url))}"
            if "database is locked" in str(exc):
                raise StoreError(f"{where} is locked: another program held its write lock for more than "
                                 f"{sqlite_busy_s():g} s; what was stored is kept: try again once it is free") from None
            raise StoreError(f"{where}: {_first_line(exc)}", retryable=_connection_lost(exc, self.engine)) from None
        if isinstance(exc, SQLAlchemyError):
            raise StoreError(f"database error: {_first_line(exc)}") from None
        return False


def experiments(engine: Engine) -> pd.DataFrame:
    """Every experiment with its number of runs done and failed."""
    with _session(engine) as session:
        found = session.exec(select(Experiment).order_by(Experiment.id)).all()
        rows = []
        for experiment in found:
            statuses = session.exec(select(Run.status).where(Run.experiment_id == experiment.id)).all()
            spec = json.loads(experiment.spec_json)
            rows.append({
                "name": experiment.name, "kind": experiment.kind,
                "scenarios": ", ".join(str(s.get("label")) for s in spec.get("scenarios", []))[:200],
                "created_utc": experiment.created_utc,
                "runs_done": statuses.count("done"), "runs_failed": statuses.count("failed"),
                "code_version": experiment.code_version,
            })
    return pd.DataFrame(rows, columns=["name", "kind", "scenarios", "created_utc", "runs_done", "runs_failed",
                                       "code_version"])


def load_experiment(engine: Engine, name: str) -> Experiment:
    with _session(engine) as session:
        found = session.exec(select(Experiment).where(Experiment.name == name)).first()
    if found is None:
        raise StoreError(f"no experiment named '{name}' in {_safe(str(engine.url))}")
    return found


RUN_ORDER = ["label", "point", "replication"]
"""Rows of runs, metrics and series in this order, whatever order the runs finished in."""


def load_runs(engine: Engine, experiment_id: int) -> pd.DataFrame:
    """The experiment's runs, one row each, columns in the ``Run`` table's order."""
    with _session(engine) as session:
        rows = session.exec(select(Run).where(Run.experiment_id == experiment_id)).all()
        runs = pd.DataFrame([row.model_dump() for row in rows], columns=list(Run.model_fields))
    return runs.sort_values(RUN_ORDER, kind="stable").reset_index(drop=True)


def load_metrics(engine: Engine, experiment_id: int, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Metrics of the experiment's done runs: one row per run (by label, point and
    replication), one column per metric (in name order)."""
    query = (
        select(Run.id, Run.label, Run.point, Run.replication, RunMetric.name, RunMetric.value)
        .join(RunMetric, RunMetric.run_id == Run.id)
        .where(Run.experiment_id == experiment_id, Run.status == "done")
    )
    if names is not None:
        query = query.where(RunMetric.name.in_(list(names)))
    with _session(engine) as session:
        long = pd.DataFrame(session.exec(query).all(), columns=["run_id", "label", "point", "replication", "name", "value"])
    if long.empty:
        return long
    wide = long.pivot(index=["run_id", "label", "point", "replication"], columns="name", values="value")
    wide.columns.name = None
    return wide.reset_index().sort_values(RUN_ORDER, kind="stable").reset_index(drop=True)


def load_series(engine: Engine, experiment_id: int, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Monthly series of the experiment's done runs, long format; ``names`` keeps only those series."""
    query = (
        select(Run.label, Run.replication, RunSeries.month, RunSeries.name, RunSeries.value)
        .join(RunSeries, RunSeries.run_id == Run.id)
        .where(Run.experiment_id == experiment_id, Run.status == "done")
    )
    if names is not None:
        query = query.where(RunSeries.name.in_(list(names)))
    with _session(engine) as session:
        series = pd.DataFrame(session.exec(query).all(), columns=["label", "replication", "month", "name", "value"])
    return series.sort_values(["label", "replication", "month", "name"], kind="stable").reset_index(drop=True)


def flatten(results: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Numeric end-of-run indicators as dotted names; series and provenance left out."""
    out: dict[str, float | None] = {}
    for key, value in results.items():
        if not prefix and key in ("monthly", "provenance", "scenario", "city"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, bool):
            out[name] = float(value)
        elif isinstance(value, int | float) or value is None:
            out[name] = None if value is None else float(value)
    return out
