"""Levers written outside the core: their parameters, and the plugins that define them.

A plugin is a Python module that registers a lever with
``sim.policies.register(LeverSpec(...), parameters=MyLever)``, where ``MyLever`` is a
:class:`~sim.scenario.policies.Lever` subclass holding the lever's parameters with their
units and ranges. Scenarios then set them under ``[policies.extensions.NAME]``, validated
like every other field. ``PATHWAYS_PLUGINS`` lists the plugins to import, as module
names (``my_city.levers``) or ``.py`` files, separated by ``:``; every process that loads
a scenario or runs the model (the CLI, the dashboard, each worker) imports them, because
they inherit the environment. docs/extending.md walks through an example.
"""

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel

PARAMETERS: dict[str, type[BaseModel]] = {}
"""Parameter classes of the registered extension levers, by lever name."""

_loaded: dict[str, ModuleType] = {}
"""Imported plugins, by resolved file path or module name."""
_failed: dict[str, str] = {}
"""Plugins that could not be imported, with the one-line reason (not retried)."""


class PluginError(ImportError):
    """A plugin named in ``PATHWAYS_PLUGINS`` that cannot be imported, in one line."""


def register_parameters(name: str, parameters: type[BaseModel]) -> None:
    if name in PARAMETERS and PARAMETERS[name] is not parameters:
        raise ValueError(f"lever '{name}' already has parameters registered")
    PARAMETERS[name] = parameters


def load_plugins() -> list[ModuleType]:
    """Import the plugins of ``PATHWAYS_PLUGINS`` (once each); return them."""
    for entry in filter(None, os.environ.get("PATHWAYS_PLUGINS", "").split(os.pathsep)):
        key = str(Path(entry).resolve()) if entry.endswith(".py") else entry
        if key in _failed:
            raise PluginError(_failed[key])
        if key not in _loaded:
            try:
                _loaded[key] = _import(entry)
            except PluginError as exc:
                _failed[key] = str(exc)
                raise
    return list(_loaded.values())


def _import(entry: str) -> ModuleType:
    if not entry.endswith(".py"):
        try:
            return importlib.import_module(entry)
        except Exception as exc:
            raise PluginError(f"PATHWAYS_PLUGINS: cannot import '{entry}': {type(exc).__name__}: {exc}") from None
    path = Path(entry).resolve()
    try:
        if not path.is_file():
            raise FileNotFoundError(f"no file {path}")
        name = module_name(path)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"no file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    except Exception as exc:
        sys.modules.pop(locals().get("name", ""), None)
        raise PluginError(f"PATHWAYS_PLUGINS: cannot import '{entry}': {type(exc).__name__}: {exc}") from None


def module_name(path: Path) -> str:
    """The module name of a plugin file: one per file, so that its classes pickle by name
    to worker processes, and taken from the file's content, not its place, because the
    model seeds each mechanism's random stream by its module's name: the same plugin then
    gives the same numbers from any checkout."""
    return f"pathways_plugin_{path.stem}_{hashlib.sha256(path.read_bytes()).hexdigest()[:8]}"


def parameters_of(name: str) -> type[BaseModel]:
    """The parameter class of an extension lever, loading the plugins if needed."""
    if name not in PARAMETERS:
        try:
            load_plugins()
        except PluginError as exc:
            raise ValueError(str(exc)) from None
    if name not in PARAMETERS:
        registered = ", ".join(sorted(PARAMETERS)) or "none"
        raise ValueError(f"no extension lever named '{name}' is registered (registered: {registered}); "
                         "PATHWAYS_PLUGINS must name the plugin that defines it")
    return PARAMETERS[name]
