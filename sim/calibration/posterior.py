"""A fitted preset's or city's posterior: where it is, its digest, and draws from it.

Apart from the fit (``sim.calibration.fit``, which needs pyabc) so that experiments that
draw parameters from a posterior import no more than they use.
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.targets import CALIBRATION_DIR, presets
from sim.scenario import loader

FITTED_DIR = CALIBRATION_DIR / "fitted"


def posterior_path(preset: str) -> Path:
    """A preset's posterior file (the presets of ``free_parameters.toml``), or that of a city
    written by ``pathways city new`` (in its ``fit/`` folder)."""
    city = loader.SCENARIO_DIR / preset / loader.FIT_FOLDER / f"{preset}-posterior.csv"
    if preset not in presets() and preset.replace("_", "").isalnum() and city.is_file():
        return city
    if preset not in presets():
        raise ValueError(f"--posterior: '{preset[:60]}' is not a calibrated preset or city (allowed: "
                         f"{', '.join(presets())}, or a city written by pathways city new)")
    return FITTED_DIR / f"{preset}-posterior.csv"


def posterior_hash(preset: str) -> str:
    """SHA-256 of a preset's posterior file, so experiments drawing from it record which."""
    path = posterior_path(preset)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def posterior_draws(preset: str, seeds: list[int], city: str) -> list[dict[str, float]]:
    """One posterior particle per seed (drawn by weight with that seed): for comparisons
    that carry parameter uncertainty, the same draw for every scenario of a replication.

    A posterior holds the parameters fitted to its own city's figures (``city``, the
    scenarios' ``meta.city``): another city's would replace them with that city's.
    """
    if preset != city:
        raise ValueError(f"--posterior {preset[:60]}: the scenarios are of {city}, whose fitted parameters a "
                         f"posterior of {preset[:60]} would replace (allowed: {city})")
    path = posterior_path(preset)
    if not path.is_file():
        raise ValueError(f"--posterior {preset}: no posterior found (run: pathways calibrate {preset})")
    particles = pd.read_csv(path)
    if "weight" not in particles or particles["weight"].sum() <= 0:
        raise ValueError(f"--posterior {preset}: {path.name} has no positive 'weight' column")
    weights = particles.pop("weight").to_numpy()
    draws = []
    for seed in seeds:
        index = np.random.default_rng([seed, 1]).choice(len(particles), p=weights / weights.sum())
        draws.append({name: float(value) for name, value in particles.iloc[index].items()})
    return draws
