"""Components shared by the pages: validated inputs, the scenario editor, figures and tables."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure

from sim.scenario import Scenario, ScenarioError, with_overrides
from sim.scenario.editable import EditableField, lever_groups


@solara.component
def NumberInput(label: str, value: int | float, on_value: Callable[[Any], None], integer: bool = True,
                low: float = 0, high: float = 1e9, help: str = "", key_prefix: str = ""):
    """A typed number, refused with a message (and not passed on) unless it is in [low, high]."""
    text, set_text = solara.use_state(str(value))
    error, set_error = solara.use_state("")

    def typed(new_text: str | None) -> None:
        new_text = (new_text or "").strip()
        set_text(new_text)
        kind = "a whole number" if integer else "a number"
        try:
            number = int(new_text) if integer else float(new_text)
        except ValueError:
            set_error(f"{label}: '{new_text[:40]}' is not {kind} (allowed: {low:g} to {high:g})")
            return
        if not (low <= number <= high):  # also refuses NaN
            set_error(f"{label}: {new_text[:40]} is out of range (allowed: {low:g} to {high:g})")
            return
        set_error("")
        on_value(number)

    solara.InputText(label, value=text, on_value=typed, error=error or False, message=help or None,
                     continuous_update=False)


@solara.component
def FieldEditor(field: EditableField, base: Scenario, overrides: solara.Reactive[dict[str, Any]]):
    """One scenario field: accepted only if the whole edited scenario still validates."""
    current = overrides.value.get(field.path, field.value(base))
    text, set_text = solara.use_state(str(current))
    error, set_error = solara.use_state("")

    def accept(value: Any) -> None:
        candidate = {**overrides.value, field.path: value}
        try:
            with_overrides(base, candidate)
        except ScenarioError as exc:
            set_error(str(exc).split("with overrides: ", 1)[-1])
            return
        set_error("")
        overrides.set(candidate)

    def typed(new_text: str | None) -> None:
        set_text(new_text or "")
        try:
            value = field.parse(new_text or "")
        except ValueError as exc:
            set_error(str(exc))
            return
        accept(value)

    if field.kind == "switch":
        solara.Switch(label=field.label, value=bool(current), on_value=accept)
        if error:
            solara.Error(error, dense=True)
    elif field.kind == "choice":
        solara.Select(label=field.label, value=current, values=list(field.choices), on_value=accept)
    else:
        solara.InputText(field.label, value=text, on_value=typed, error=error or False,
                         message=(field.description.splitlines()[0][:140] if field.description else None),
                         continuous_update=False)


@solara.component
def ScenarioEditor(base: Scenario, base_name: str, overrides: solara.Reactive[dict[str, Any]]):
    """The levers of a scenario as switches and typed values, one panel per lever."""
    for group in lever_groups():
        enabled = overrides.value.get(f"policies.{group.name}.enabled")
        if enabled is None and group.fields and group.fields[0].kind == "switch":
            enabled = group.fields[0].value(base)
        marker = " (on)" if enabled else ""
        with solara.Details(summary=f"{group.name.replace('_', ' ')}{marker}", expand=False):
            solara.Text(group.title, style={"font-size": "0.85em", "color": "#555"})
            for field in group.fields:
                FieldEditor(field, base, overrides).key(f"{base_name}:{field.path}")


def edited(base: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The base scenario with the accepted edits (each was validated when typed)."""
    return with_overrides(base, overrides) if overrides else base


@solara.component
def Plot(fig: Figure, name: str):
    """A Matplotlib figure as a PNG, in a block classed ``figure-<name>`` (what the browser tests look for)."""
    with solara.Column(classes=[f"figure-{name}"]):
        solara.FigureMatplotlib(fig, format="png", dpi=90)


@solara.component
def Table(frame: pd.DataFrame, digits: int = 3):
    """A small table, rounded for reading."""
    solara.DataFrame(frame.round(digits), items_per_page=60)


def record_frame(record: dict[str, Any]) -> pd.DataFrame:
    """A nested record (a migrant, an enterprise) as a two-column table of readable text."""
    rows = []
    for key, value in record.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items()]
        else:
            rows.append((key, value))
    return pd.DataFrame([(field, _readable(value)) for field, value in rows], columns=["field", "value"])


def _readable(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)
