"""The scenario fields a person may edit, read from the schema: for forms and notebooks.

Each lever of ``policies`` becomes a group of fields with their kind (switch, whole
number, number, choice), bounds and the docstring that cites the guide. The schema stays
the single authority: an edited value is accepted only if ``with_overrides`` validates it.
"""

import annotated_types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.scenario.policies import Policies
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class EditableField:
    path: str
    """Dotted name in the scenario, e.g. ``policies.one_stop_shop.capacity_clients_per_month``."""
    label: str
    kind: str
    """``switch``, ``integer``, ``number`` or ``choice``."""
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def value(self, scenario: Scenario) -> Any:
        node: Any = scenario
        for part in self.path.split("."):
            node = getattr(node, part)
        return node

    def parse(self, text: str) -> Any:
        """The typed text as this field's type; ``ValueError`` with a one-line message if it is not one."""
        text = text.strip()
        if self.kind == "integer":
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{self.path}: '{text[:40]}' is not a whole number{self.bounds()}") from None
        if self.kind == "number":
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{self.path}: '{text[:40]}' is not a number{self.bounds()}") from None
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"{self.path}: must be a finite number{self.bounds()}")
            return value
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError(f"{self.path}: '{text[:40]}' is not allowed (allowed: {', '.join(self.choices)})")
            return text
        raise ValueError(f"{self.path}: a switch takes no typed value")

    def bounds(self) -> str:
        if self.low is None and self.high is None:
            return ""
        return f" (allowed: {_fmt(self.low)} to {_fmt(self.high)})"


@dataclass(frozen=True)
class LeverGroup:
    name: str
    title: str
    """The first line of the lever's docstring (its guide section)."""
    fields: tuple[EditableField, ...]


def lever_groups() -> list[LeverGroup]:
    """The levers of ``policies`` with their editable fields, in the schema's order."""
    groups, loose = [], []
    for name, info in Policies.model_fields.items():
        model = info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            loose.append(_field("policies", name, info))
            continue
        fields = tuple(f for f in (_field(f"policies.{name}", key, sub) for key, sub in model.model_fields.items()) if f)
        title = (model.__doc__ or name).strip().splitlines()[0]
        groups.append(LeverGroup(name, title, fields))
    groups.append(LeverGroup("budget", "The municipality's yearly cap on spending for the levers.",
                             tuple(f for f in loose if f)))
    return groups


def _field(prefix: str, name: str, info) -> EditableField | None:
    annotation = info.annotation
    path, label, description = f"{prefix}.{name}", name.replace("_", " "), (info.description or "").strip()
    if annotation is bool:
        return EditableField(path, label, "switch", description)
    if typing.get_origin(annotation) is typing.Literal:
        return EditableField(path, label, "choice", description, choices=tuple(typing.get_args(annotation)))
    if annotation in (int, float):
        low = high = None
        for meta in info.metadata:
            if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
                low = getattr(meta, "ge", getattr(meta, "gt", None))
            if isinstance(meta, annotated_types.Le | annotated_types.Lt):
                high = getattr(meta, "le", getattr(meta, "lt", None))
        return EditableField(path, label, "integer" if annotation is int else "number", description, low, high)
    return None  # lists and sector names are edited in scenario files


def _fmt(value: float | None) -> str:
    if value is None:
        return "any"
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0e}"
