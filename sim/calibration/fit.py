"""Fitting a preset's free parameters to its targets with ABC-SMC (pyabc).

Approximate Bayesian computation suits a stochastic simulator with no likelihood:
parameter sets are drawn from the priors (``calibration/free_parameters.toml``), the
model is run, and sets whose outputs fall close to the published figures are kept and
refined over generations of sequential Monte Carlo. The distance is the Euclidean
norm of the gaps in units of each target's tolerance, so a gap equal to the tolerance
weighs 1 whatever the target's scale. The posterior (weighted particles) is written
beside the fitted point (its weighted mean), which scenarios load.

Simulations run at a reduced size (``migrants``, ``months``); rates do not depend on
size, only their noise does. With one worker a calibration is reproducible from its
seed; pyabc's parallel samplers do not promise the same particles on another run.
"""

import contextlib
import logging
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from sim.calibration.posterior import FITTED_DIR
from sim.calibration.targets import (
    FIT_WARMUP_MONTHS, FreeParameter, Target, fit_scenario, free_parameters, metric_value, targets,
)
from sim.experiments.execute import dask_client
from sim.model import CityModel
from sim.provenance import code_version
from sim.scenario import load, validate, with_overrides


@dataclass
class Fit:
    preset: str
    parameters: list[FreeParameter]
    posterior: pd.DataFrame
    """One row per particle: the parameters (dotted names) and its ``weight``."""
    simulations: int
    wall_s: float
    generations: int
    epsilon: float
    options: str = ""
    """The ``pathways calibrate`` options that produced it, for the fitted file's header."""
    code: str = ""
    """The code version that produced it (``provenance.code_version``)."""
    stopped: str = ""
    """Why the run ended before its budget, if it did (the posterior is then the last
    complete generation's)."""
    held: dict[str, str] = field(default_factory=dict)
    """Free parameters not fitted (``calibrate(only=...)``): each one's line of the
    previous fitted file, which its value and interval are kept from."""
    held_from: str = ""
    """The previous fitted file's first line: what produced the held values."""

    def effective_sample_size(self) -> float:
        """Kish's effective number of particles, 1 / sum(w^2) for normalised weights: far
        below the population when a few particles hold most of the weight, and the
        posterior mean then rests on them."""
        w = self.posterior["weight"].to_numpy()
        return float(1.0 / np.sum((w / w.sum()) ** 2))

    def mean(self) -> dict[str, float]:
        w = self.posterior["weight"].to_numpy()
        return {p.name: float(np.sum(self.posterior[p.name].to_numpy() * w)) for p in self.parameters}

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Weighted posterior quantiles around the median (90 % by default)."""
        order = np.argsort(self.posterior[name].to_numpy())
        values = self.posterior[name].to_numpy()[order]
        cumulative = np.cumsum(self.posterior["weight"].to_numpy()[order])
        cumulative /= cumulative[-1]
        low = values[np.searchsorted(cumulative, (1 - level) / 2)]
        high = values[min(np.searchsorted(cumulative, 1 - (1 - level) / 2), values.size - 1)]
        return float(low), float(high)


class Simulator:
    """The model as pyabc sees it: parameters in, target statistics (in tolerance units) out."""

    def __init__(self, baseline: str | Path, fitted: list[Target], migrants: int, months: int,
                 warmup_months: int = FIT_WARMUP_MONTHS):
        self.scenario = load(baseline).model_dump(mode="json")
        self.fitted = fitted
        self.migrants = migrants
        self.months = months
        self.warmup_months = warmup_months

    def __call__(self, parameters: dict[str, float]) -> dict[str, float]:
        overrides = {_dotted(key): float(value) for key, value in parameters.items()}
        scenario = with_overrides(validate(self.scenario, source="calibration"), overrides)
        params = fit_scenario(scenario, self.months, self.warmup_months)
        seed = int(np.random.randint(0, 2**31 - 1))  # pyabc seeds numpy's global generator
        model = CityModel(params, rng=seed, migrants=self.migrants, long_warm_up=True)
        model.run(self.months)
        return statistics(model.results(), self.fitted)


def statistics(results: dict[str, Any], fitted: list[Target]) -> dict[str, float]:
    """Each fitted target's simulated value divided by its tolerance (no data counts as far off)."""
    out = {}
    for target in fitted:
        value = metric_value(results, target.metric)
        out[target.id] = (value if value is not None else -1.0) / target.tolerance
    return out


def observed_statistics(fitted: list[Target]) -> dict[str, float]:
    return {t.id: t.published / t.tolerance for t in fitted}


def _key(name: str) -> str:
    return name.replace(".", "__")


def _dotted(key: str) -> str:
    return key.replace("__", ".")


def calibrate(
    preset: str,
    population: int = 100,
    max_simulations: int = 1000,
    generations: int = 10,
    workers: int = 1,
    migrants: int = 10_000,
    months: int = 60,
    seed: int = 1,
    parameters: list[FreeParameter] | None = None,
    observed: dict[str, float] | None = None,
    database: Path | None = None,
    baseline: Path | None = None,
    fitted: list[Target] | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
    only: list[str] | None = None,
    warmup_months: int = FIT_WARMUP_MONTHS,
) -> Fit:
    """Run ABC-SMC until the budget of simulations or generations is spent.

    ``parameters`` and ``observed`` (published values by target id) default to the
    preset's; the parameter-recovery test passes its own. ``database`` keeps pyabc's
    history of generations; a database that already holds a run is continued from its
    last generation up to ``generations`` in all, so a killed calibration resumes. The
    wall time is this call's. A city written by ``pathways city new`` passes its
    ``baseline`` file and its country's targets (``fitted``); ``progress`` hears of each
    generation done (done, most), from a thread that watches pyabc's database, and an
    exception it raises ends the fit once the generation under way is done. ``dask`` (a
    scheduler's address, or ``"local"`` for a local cluster of ``workers``) runs the
    particles on Dask (pyabc's ``DaskDistributedSampler``) instead of local processes.

    ``only`` fits these free parameters, against every fitted target, and holds the others
    at the preset's previous fit (which its baseline loads): a fit in blocks, when all
    parameters at once leave too few particles near the targets to refine.

    Each particle warms up for ``warmup_months`` (``FIT_WARMUP_MONTHS``), or the preset's
    warm-up if shorter.
    """
    code = code_version()  # now, not after a fit that can outlast a commit
    parameters = parameters or free_parameters(preset)
    held: dict[str, str] = {}
    held_from = ""
    if only:
        names = [p.name for p in parameters]
        unknown = [name for name in only if name not in names]
        if unknown:
            raise ValueError(f"--only: '{unknown[0]}' is not a free parameter of {preset} (allowed: {', '.join(names)})")
        held_from, previous = _previous_fit(preset)
        missing = [p.name for p in parameters if p.name not in only and p.name not in previous]
        if missing:
            raise ValueError(f"--only: {missing[0]} is not in the previous fit of {preset}, so it cannot be held: "
                             f"fit it too (--only {missing[0]})")
        held = {p.name: previous[p.name] for p in parameters if p.name not in only}
        parameters = [p for p in parameters if p.name in only]
    fitted = [t for t in (targets(preset) if fitted is None else fitted) if t.fit]
    if observed is not None:
        fitted = [Target(**{**t.__dict__, "published": observed[t.id]}) for t in fitted if t.id in observed]
    prior = pyabc.Distribution(**{_key(p.name): pyabc.RV("uniform", p.low, p.high - p.low) for p in parameters})
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    resources = contextlib.ExitStack()
    if dask:
        client = resources.enter_context(dask_client(dask, workers))
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
    else:
        sampler = (pyabc.sampler.SingleCoreSampler() if workers <= 1
                   else pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers))
    np.random.seed(seed)
    simulator = Simulator(baseline or f"{preset}/baseline", fitted, migrants, months, warmup_months)
    abc = pyabc.ABCSMC(simulator, prior, pyabc.PNormDistance(p=2), population_size=population, sampler=sampler)
    with resources, tempfile.TemporaryDirectory() as scratch:
        path = database or Path(scratch) / "abc.db"
        done = 0
        if path.is_file():
            history = abc.load(f"sqlite:///{path}", observed_sum_stat=observed_statistics(fitted))
            done = history.max_t + 1  # pyabc counts a continued run's generations from where it was
        else:
            abc.new(f"sqlite:///{path}", observed_statistics(fitted))
        start = time.perf_counter()
        stopped = ""
        watcher = None if progress is None else GenerationWatcher(path, generations, progress)
        try:
            if generations > done:
                abc.run(max_nr_populations=generations - done, max_total_nr_simulations=max_simulations)
        except AssertionError as error:
            # pyabc refuses a generation whose importance weights degenerate (one particle
            # holding all the weight leaves a singular proposal and NaN weights); the
            # generations before it are complete and stored.
            message = (str(error).splitlines() or [""])[0]
            if "not normalized" not in message or abc.history.max_t < 0:
                raise
            stopped = f"Stopped after generation {abc.history.max_t + 1}: {message[:120].rstrip('.')}"
        finally:
            if watcher is not None:
                watcher.stop()
        history = abc.history
        wall = time.perf_counter() - start
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        epsilon = float(history.get_all_populations()["epsilon"].iloc[-1])
        simulations = int(history.total_nr_simulations)
        generations_run = int(history.max_t) + 1
    posterior = frame.rename(columns=_dotted).reset_index(drop=True)
    posterior["weight"] = weights / weights.sum()
    options = (f"--population {population} --budget {max_simulations} --generations {generations} "
               f"--workers {workers} --migrants {migrants} --months {months} --warmup-months {warmup_months} "
               f"--seed {seed}"
               + (f" --history {database.name}" if database is not None else "")
               + (f" --dask {dask}" if dask else "")
               + "".join(f" --only {p.name}" for p in parameters if only))
    return Fit(preset, parameters, posterior, simulations, wall, generations_run, epsilon, options, code, stopped,
               held, held_from)


def _previous_fit(preset: str) -> tuple[str, dict[str, str]]:
    """The preset's fitted file as it stands: its first line, and each parameter's line."""
    path = FITTED_DIR / f"{preset}.toml"
    if not path.is_file():
        raise ValueError(f"--only needs a previous fit of {preset} to hold the other parameters at ({path} is missing)")
    lines = path.read_text().splitlines()
    return lines[0], {line.split("=")[0].strip(): line.removesuffix(" (held)")
                      for line in lines if line and not line.startswith("#")}


class GenerationWatcher:
    """Reports the generations pyabc has stored while ``abc.run`` works: pyabc has no callback,
    and running one generation per call re-initialises its epsilon schedule (the fit then
    stops converging), so a thread reads the database it writes each generation to."""

    def __init__(self, database: Path, generations: int, progress: Callable[[int, int], None], every_s: float = 0.5):
        self.database, self.generations, self.progress = database, generations, progress
        self.reported = -1
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(every_s,), daemon=True)
        self._thread.start()

    def _watch(self, every_s: float) -> None:
        while not self._done.wait(every_s) and self.error is None:
            self._report()

    def _report(self) -> None:
        try:
            with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as connection:
                latest = connection.execute("SELECT MAX(t) FROM populations").fetchone()[0]
        except sqlite3.Error:  # not created yet, or being written
            return
        done = 0 if latest is None else int(latest) + 1
        if done > self.reported:
            self.reported = done
            try:
                self.progress(done, self.generations)
            except BaseException as error:  # handed to the fit's thread by stop()
                self.error = error

    def stop(self) -> None:
        """Stop watching, report the last generation, and raise what ``progress`` raised."""
        self._done.set()
        self._thread.join()
        if self.error is None:
            self._report()
        if self.error is not None:
            raise self.error


def write(fit: Fit, folder: Path = FITTED_DIR, command: str | None = None) -> tuple[Path, Path]:
    """The fitted point (posterior mean) as a scenario fragment, and the posterior particles;
    ``command`` is what produced the fit, ``pathways calibrate`` with its options by default."""
    folder.mkdir(parents=True, exist_ok=True)
    fitted_path, posterior_path = folder / f"{fit.preset}.toml", folder / f"{fit.preset}-posterior.csv"
    command = command or f"pathways calibrate {fit.preset}{' ' + fit.options if fit.options else ''}"
    lines = [
        f"# Calibrated by `{command}` on "
        f"{datetime.now(UTC):%Y-%m-%d}{' with code ' + fit.code if fit.code else ''}: ABC-SMC (pyabc),",
        f"# {fit.simulations} simulations in {fit.generations} generations, {fit.wall_s:.0f} s; final epsilon "
        f"{fit.epsilon:.3g} (tolerance units); effective sample size {fit.effective_sample_size():.0f} of "
        f"{len(fit.posterior)} particles.{' ' + fit.stopped + '.' if fit.stopped else ''}",
        f"# Posterior mean of each free parameter, with its 90 % posterior interval; the particles are in "
        f"{posterior_path.name}.",
        f"# Loaded by scenarios that say `calibration = \"{fit.preset}\"`; priors and reasons in free_parameters.toml."
        if folder == FITTED_DIR else f"# Loaded by the baseline beside this folder: `calibration = \"{folder.name}/"
                                     f"{fitted_path.name}\"`.",
    ]
    if fit.held:
        lines.append(f"# Parameters marked (held) were not fitted here: they keep the previous fit's value and "
                     f"interval, from: {fit.held_from.removeprefix('# ')}")
    fitted = {p.name for p in fit.parameters}
    posterior = fit.posterior.copy()
    for name in _in_prior_order(fit) if fit.held else [p.name for p in fit.parameters]:
        if name in fitted:
            low, high = fit.interval(name)
            lines.append(f"{name} = {fit.mean()[name]:.6g}  # 90 %: {low:.4g} to {high:.4g}")
        else:
            lines.append(f"{fit.held[name]} (held)")
            posterior[name] = float(fit.held[name].split("=")[1].split("#")[0])
    fitted_path.write_text("\n".join(lines) + "\n")
    posterior.to_csv(posterior_path, index=False)
    return fitted_path, posterior_path


def _in_prior_order(fit: Fit) -> list[str]:
    """The fitted and held parameters in the order of free_parameters.toml."""
    names = {p.name for p in fit.parameters} | set(fit.held)
    return [p.name for p in free_parameters(fit.preset) if p.name in names]
