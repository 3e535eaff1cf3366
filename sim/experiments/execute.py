"""Running an experiment's jobs: in this process, on local processes, or on Dask.

The driver submits tasks to any ``concurrent.futures`` executor (a process pool, or a
Dask client's executor, the same code from a laptop to a cluster) and stores each
outcome as it arrives (single writer). Jobs already stored as done are skipped, so
running the same command again after an interruption (Ctrl-C, a killed worker, a killed
driver) completes only what is missing. Dask is asked never to merge identical calls
(``pure=False``): replications are never de-duplicated.
"""

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import Engine

from sim.experiments import store
from sim.experiments.jobs import Job, Outcome, failed_outcomes, run_record, run_task, tasks

Progress = Callable[[int, int], None]
"""Called with (runs done, runs in the experiment) after each stored run."""

MAX_POOL_RESTARTS = 2
STOP_POLL_S = 0.5
"""How often a running experiment asks ``stop`` while it waits for its workers."""


StopRequested = Callable[[], bool]
"""Asked after each stored task; ``True`` stops the experiment (the dashboard's Cancel)."""


class ExecutionError(RuntimeError):
    """The experiment could not finish; what is stored stays, and rerunning resumes."""


class Cancelled(ExecutionError):
    """The experiment was stopped on request; the runs already stored stay."""


@dataclass
class Report:
    total: int
    already_done: int
    stored: int
    failed: int


@contextlib.contextmanager
def dask_client(dask: str, workers: int) -> Iterator["distributed.Client"]:  # noqa: F821
    """A client of the Dask scheduler at ``dask``, or of a local cluster of ``workers``
    single-threaded processes for ``"local"``; closed (the local cluster too) on leaving."""
    from distributed import Client, LocalCluster

    if dask == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(dask, timeout="10s")
        except OSError as exc:
            raise ExecutionError(f"--dask: cannot reach a Dask scheduler at {dask} ({exc})") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def start_method() -> str:
    """How the local pool starts its workers: ``fork`` where the system has it and this
    process runs no other thread (a command), so that they start with the modules this
    process has imported instead of importing them again (a second or more each, most of a
    short experiment); ``spawn`` otherwise: fork copies other threads' locks in whatever
    state they are (the dashboard's server runs many). The numbers are the same either way."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


KEPT_WORKERS_NICENESS = 10
"""How much lower than its server a kept pool's workers run (``os.nice``): the server
draws results and answers clicks while they run, on the same cores; at the same priority
the runs took a third of its time (the first results of a comparison came 0.1 to 0.2 s
later). The runs still take every cycle the server leaves, but only a small share of a
core against any other busy process of normal priority on the machine."""


def _pool(workers: int, method: str, niceness: int = 0) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(os.getpid(), niceness))


def _start_worker(parent: int, niceness: int) -> None:
    """A worker's first step: lower its priority by ``niceness``, and end with the process
    that started it. A server or driver stopped by a signal leaves its workers waiting on
    a queue that never closes (each holds a writing end of it), and a kept pool's are
    always waiting."""
    if niceness and hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # a convenience: where the system refuses, they run as they are
            os.nice(niceness)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


_kept: dict[int, ProcessPoolExecutor] = {}
"""The pools ``keep_pool`` keeps, by number of workers."""
_kept_lock = threading.Lock()
"""Two experiments of a server may find their kept pool broken at once: one replaces it."""


def keep_pool(workers: int) -> None:
    """Start a pool of ``workers`` processes now and keep it for every experiment of this
    process that asks for as many: a long-lived process (the dashboard's server) then
    starts each experiment on workers that have imported the model already, instead of
    starting new ones (a second or more before the first run). Spawned, as this process
    runs threads (``start_method``), at a lower priority (``KEPT_WORKERS_NICENESS``);
    replaced if its workers die."""
    with _kept_lock:
        if workers > 1 and workers not in _kept:
            pool = _pool(workers, "spawn", KEPT_WORKERS_NICENESS)
            for _ in range(workers):  # one call per worker starts them all, each importing this module
                pool.submit(start_method)
            _kept[workers] = pool


def _replace_if_kept(pool: Executor) -> None:
    """A kept pool whose workers died is broken for good: a new one takes its place."""
    with _kept_lock:
        replaced = [workers for workers, kept in _kept.items() if kept is pool]
        for workers in replaced:
            del _kept[workers]
    for workers in replaced:
        pool.shutdown(wait=False, cancel_futures=True)
        keep_pool(workers)


@contextlib.contextmanager
def executor(workers: int, dask: str | None = None, method: str | None = None) -> Iterator[Executor | None]:
    """``None`` means: run in this process (one worker, no Dask). ``method`` starts the
    local pool's workers (``start_method()`` by default)."""
    if dask:
        with dask_client(dask, workers) as client:
            yield client.get_executor(pure=False)
    elif workers <= 1:
        yield None
    elif (kept := _kept.get(workers)) is not None:
        yield kept  # not shut down: it serves the process's next experiment too
    else:
        pool = _pool(workers, method or start_method())
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # on Ctrl-C, do not wait for the running tasks
            raise
        pool.shutdown(wait=True)


def run(engine: Engine, experiment_id: int, jobs: list[Job], workers: int = 1, dask: str | None = None,
        progress: Progress | None = None, stop: StopRequested | None = None, method: str | None = None,
        first_apart: bool = False) -> Report:
    """Run the jobs not yet stored as done, storing each outcome as it arrives.

    A task that raises (rather than returning failed outcomes) has its runs stored as
    failed; dead worker processes are replaced up to ``MAX_POOL_RESTARTS`` times; on
    Ctrl-C the outcomes already returned are stored before the interrupt goes on; when
    ``stop`` answers ``True`` the remaining tasks are dropped and ``Cancelled`` is raised.
    ``method`` starts a local pool's workers (``start_method``); ``first_apart`` runs the
    first replication's scenarios as tasks of their own (``jobs.tasks``).
    """
    done = store.done_runs(engine, experiment_id)
    todo = [job for job in jobs if (job.label, job.replication) not in done]
    report = Report(total=len(jobs), already_done=len(jobs) - len(todo), stored=0, failed=0)

    def keep(outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            store.store_run(engine, experiment_id, run_record(outcome), outcome.metrics, outcome.series)
            report.stored += outcome.status == "done"
            report.failed += outcome.status == "failed"
            if progress is not None:
                progress(report.already_done + report.stored + report.failed, report.total)

    announced = progress is None

    def announce() -> None:
        """The first progress, once the first tasks are on their way: the dashboard redraws
        its page at each progress, and the runs need not wait for it."""
        nonlocal announced
        if not announced:
            announced = True
            progress(report.already_done, report.total)

    def check_stop() -> None:
        if stop is not None and stop():
            raise Cancelled(f"stopped on request; {report.already_done + report.stored} runs are stored")

    pending = tasks(todo, first_apart and (dask is not None or workers > 1))  # one worker: nothing side by side
    restarts = 0
    while pending:
        how = method or start_method()
        if not dask and workers > 1 and workers not in _kept and how == "fork":
            # No pooled connection may be shared with forked workers (SQLAlchemy's advice
            # for pools and os.fork): the driver reconnects at its next write.
            engine.dispose()
        with executor(workers, dask, how) as pool:
            if pool is None:
                announce()
                for task in list(pending):
                    keep(run_task(task))
                    pending.remove(task)
                    check_stop()
                continue
            # A kept pool serves other experiments too (the server's other users): this one
            # keeps only as many tasks in it as there are workers, so that experiments take
            # turns and a stopped one leaves little behind. A pool of its own takes them all.
            in_flight = workers if pool in _kept.values() else len(pending)
            queued = iter(list(pending))
            futures: dict[Future, list[Job]] = {}
            waiting: set[Future] = set()
            try:
                while True:
                    while len(waiting) < in_flight and (task := next(queued, None)) is not None:
                        future = pool.submit(run_task, task)  # raises if a kept pool is broken already
                        futures[future] = task
                        waiting.add(future)
                        if len(waiting) >= workers:
                            announce()  # every worker has a task: the rest may be sent after
                    announce()
                    if not waiting:
                        break
                    finished, waiting = wait(waiting, timeout=STOP_POLL_S, return_when=FIRST_COMPLETED)
                    for future in finished:
                        task = futures[future]
                        try:
                            outcomes = future.result()
                        except (BrokenProcessPool, *_lost_worker_errors()):
                            raise
                        except Exception as exc:  # the task itself failed: its runs are stored as failed
                            outcomes = failed_outcomes(task, exc)
                        keep(outcomes)
                        pending.remove(task)
                    check_stop()
            except (BrokenProcessPool, *_lost_worker_errors()):
                _replace_if_kept(pool)
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise ExecutionError(
                        f"worker processes died {restarts} times; {report.already_done + report.stored} runs are "
                        "stored: run the same command again to finish the rest"
                    ) from None
            except KeyboardInterrupt:
                for future, task in futures.items():
                    if task in pending and future.done() and not future.cancelled() and future.exception() is None:
                        keep(future.result())
                raise
            finally:
                for future in waiting:  # stopped or failed: a kept pool must not go on with this experiment
                    future.cancel()
    announce()  # nothing was left to run
    return report


def _lost_worker_errors() -> tuple[type[BaseException], ...]:
    """Dask's error for a task whose workers kept dying, when Dask is installed."""
    try:
        from distributed import KilledWorker
    except ImportError:
        return ()
    return (KilledWorker,)
