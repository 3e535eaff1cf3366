"""Runs of an experiment as jobs, and the worker function that executes them.

Replications use common random numbers: replication ``r`` has the same seed in every
scenario (spawned from one root seed with NumPy's ``SeedSequence``), so scenario
differences are paired and their noise largely cancels. Jobs that share a seed and a
warm-up (``sim.model.warm_up_key``: same city, different levers) are one task: the city
is warmed up once and each scenario starts from a copy, which gives exactly the numbers
of separate runs at a fraction of the cost.
"""

import datetime as dt
import json
import os
import pickle
import platform
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiments.store import flatten
from sim.model import CityModel, warm_up_key
from sim.provenance import code_version, package_versions
from sim.limits import check_run_size
from sim.scenario import Scenario, content_hash, validate, with_overrides


@dataclass(frozen=True)
class Job:
    """One run: a scenario (its full content), a replication and its seed."""

    label: str
    point: int
    replication: int
    seed: int
    scenario: dict[str, Any] = field(hash=False)
    """The validated scenario's content (``model_dump``): the job carries what it runs."""
    overrides: dict[str, Any] = field(hash=False)
    months: int
    migrants: int | None

    def params(self) -> Scenario:
        return validate(self.scenario, source=f"job '{self.label}'")


@dataclass
class Outcome:
    job: Job
    status: str
    metrics: dict[str, float | None]
    series: list[dict[str, Any]]
    wall_s: float
    worker: str
    error: str | None = None
    code_version: str = field(default_factory=code_version)
    packages: dict[str, str] = field(default_factory=package_versions)


def replication_seeds(root_seed: int, replications: int) -> list[int]:
    """One seed per replication, the same for every scenario (common random numbers)."""
    children = np.random.SeedSequence(root_seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def make_jobs(scenarios: list[tuple[str, Scenario, dict[str, Any]]], replications: int, root_seed: int,
              months: int, migrants: int | None, per_replication: list[dict[str, Any]] | None = None) -> list[Job]:
    """Jobs for (label, scenario, overrides) triples x replications, replication-major.

    ``per_replication[r]`` (dotted-name overrides) applies to every scenario of replication
    r: a posterior draw of the calibrated parameters, shared like the seed.
    """
    for _, scenario, _ in scenarios:
        check_run_size(scenario, migrants, months)
    seeds = replication_seeds(root_seed, replications)
    jobs = []
    for replication, seed in enumerate(seeds):
        shared = per_replication[replication] if per_replication else {}
        for point, (label, scenario, overrides) in enumerate(scenarios):
            params = with_overrides(scenario, shared) if shared else scenario
            jobs.append(Job(label, point, replication, seed, params.model_dump(mode="json"), {**overrides, **shared},
                            months, migrants))
    return jobs


MAX_JOBS_PER_TASK = 4
"""Scenarios sharing a warm-up run together in tasks of at most this many, so that a long
sweep still spreads over the workers and an interruption loses little."""


def tasks(jobs: list[Job], first_apart: bool = False) -> list[list[Job]]:
    """Group jobs sharing a seed and a warm-up into tasks, keeping the jobs' order.

    ``first_apart`` makes each job of the first replication a task of its own, for a
    caller that shows results while runs arrive (the dashboard): a comparison has nothing
    to show until every scenario has a replication, which then comes after one run on
    each worker rather than after all of them on one, for a warm-up and a nationals'
    population more per scenario, once. The numbers are the same either way.
    """
    groups: dict[tuple[int, str, int | None], list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.seed, warm_up_key(job.params()), job.migrants), []).append(job)
    first = min((job.replication for job in jobs), default=None)
    grouped = []
    for group in groups.values():
        if first_apart and group[0].replication == first:
            grouped.extend([job] for job in group)
        else:
            grouped.extend(group[i:i + MAX_JOBS_PER_TASK] for i in range(0, len(group), MAX_JOBS_PER_TASK))
    return grouped


def failed_outcomes(jobs: list[Job], exc: BaseException, worker: str = "") -> list["Outcome"]:
    return [Outcome(job, "failed", {}, [], 0.0, worker, f"{type(exc).__name__}: {exc}") for job in jobs]


def run_task(jobs: list[Job]) -> list[Outcome]:
    """Warm the city up once, then run each job's scenario from a copy of it.

    The nationals' comparison population is the same in every scenario of a warm-up and
    seed (levers are for migrants, ``nationals.nationals_scenario``), so after the first
    run each later run of as many months reads that run's nationals rather than stepping
    its own copy through the same months again: the same numbers, a third less work.
    """
    worker = f"{platform.node()}:{os.getpid()}"
    start = time.perf_counter()
    first = jobs[0]
    try:
        base = CityModel(first.params(), rng=first.seed, migrants=first.migrants, start=False)
    except Exception as exc:  # a warm-up that fails fails every run of the task, and only them
        return failed_outcomes(jobs, exc, worker)
    frozen = pickle.dumps(base)
    warm_up_share = (time.perf_counter() - start) / len(jobs)
    outcomes = []
    nationals, nationals_months = None, None  # the nationals of the last run done, and its months
    for job in jobs:
        began = time.perf_counter()
        try:
            model = pickle.loads(frozen)
            if nationals is not None and nationals_months == job.months:
                model.nationals = nationals
            model.start(job.params())
            model.run(job.months)
            results = model.results()
        except Exception as exc:  # a failed run is stored as such; the experiment goes on
            outcomes.append(Outcome(job, "failed", {}, [], time.perf_counter() - began, worker,
                                    f"{type(exc).__name__}: {exc}"))
            continue
        nationals, nationals_months = model.nationals, job.months
        outcomes.append(Outcome(job, "done", flatten(results), results_series(results),
                                warm_up_share + time.perf_counter() - began, worker))
    return outcomes


def results_series(results: dict[str, Any]) -> list[dict[str, Any]]:
    monthly = results["monthly"]
    return [{name: values[i] for name, values in monthly.items()} for i in range(len(monthly["month"]))]


def run_record(outcome: Outcome) -> dict[str, Any]:
    """The ``Run`` row of an outcome, with its provenance (code and packages as the worker saw them)."""
    job = outcome.job
    params = job.params()
    return {
        "label": job.label,
        "point": job.point,
        "replication": job.replication,
        "seed": job.seed,
        "scenario_sha256": content_hash(params),
        "scenario_json": json.dumps(job.scenario, sort_keys=True),
        "overrides_json": json.dumps(job.overrides, sort_keys=True),
        "months": job.months,
        "migrants": job.migrants if job.migrants is not None else params.population.initial_migrants,
        "status": outcome.status,
        "error": outcome.error,
        "wall_s": outcome.wall_s,
        "worker": outcome.worker,
        "code_version": outcome.code_version,
        "packages_json": json.dumps(outcome.packages, sort_keys=True),
        "finished_utc": dt.datetime.now(dt.UTC),
    }
