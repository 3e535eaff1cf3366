"""What produced a run: scenario content, seed, code version and package versions."""

import datetime as dt
import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.scenario import content_hash

if TYPE_CHECKING:
    from sim.model import CityModel

PACKAGES = ("inclusion-pathways", "mesa", "numpy", "scipy", "pandas", "pydantic", "sqlmodel")
_REPO = Path(__file__).resolve().parents[1]


@functools.cache
def code_version() -> str:
    """Package version, plus the git commit (and ``-dirty`` for uncommitted changes) when known."""
    version = metadata.version("inclusion-pathways")
    try:
        commit = subprocess.run(
            ["git", "-C", str(_REPO), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}" if commit else version


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    """Read once per process: parsing the packages' metadata took a quarter of a small run."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions (a fresh dict: callers may keep it)."""
    return dict(_installed_versions())


def provenance(model: "CityModel") -> dict[str, Any]:
    """What produced a run: the scenario as given (with its rules, timeline and assumed
    reform, which the model applies month by month), the seed, the size, the code."""
    return {
        "scenario_sha256": content_hash(model.given_scenario),
        "scenario": model.given_scenario.model_dump(mode="json"),
        "seed": model._seed,
        "migrants": model.initial_migrants,
        "months": int(model.month),
        "calendar_changes": model.calendar_changes,
        "code_version": code_version(),
        "packages": package_versions(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
