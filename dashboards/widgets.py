"""Components shared by the pages: validated inputs, the scenario editor, figures and tables."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards.captions import CAPTIONS, LEVERS
from dashboards.i18n import _, here
from sim.locales import Translator

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
        kind = _("a whole number") if integer else _("a number")
        try:
            number = int(new_text) if integer else float(new_text)
        except ValueError:
            set_error(_("{label}: '{text}' is not {kind} (allowed: {low} to {high})").format(
                label=label, text=new_text[:40], kind=kind, low=f"{low:g}", high=f"{high:g}"))
            return
        if not (low <= number <= high):  # also refuses NaN
            set_error(_("{label}: {text} is out of range (allowed: {low} to {high})").format(
                label=label, text=new_text[:40], low=f"{low:g}", high=f"{high:g}"))
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
        name = _(LEVERS[group.name][0]) if group.name in LEVERS else group.name.replace("_", " ")
        with solara.Details(summary=_("{lever} (on)").format(lever=name) if enabled else name, expand=False):
            solara.Text(_(LEVERS[group.name][1]) if group.name in LEVERS else group.title,
                        style={"font-size": "0.85em", "color": "#555"})
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
def Table(frame: pd.DataFrame, digits: int = 3, translated: tuple[str, ...] = ()):
    """A small table for reading: numbers rounded to ``digits`` decimals in the tab's locale
    (53,4 in French), columns captioned in its language (``captions.CAPTIONS``), and the cells
    of the ``translated`` columns (words from the catalogues: a level, a dimension) in it."""
    tr = here()
    shown = pd.DataFrame({_caption(column): [_(value) if column in translated and isinstance(value, str)
                                             else _cell(value, tr, digits) for value in frame[column]]
                          for column in frame.columns})
    solara.DataFrame(shown, items_per_page=60)


def _caption(column: Any) -> str:
    caption = str(column).replace("_", " ")
    return _(caption) if caption in CAPTIONS else str(column)


def _cell(value: Any, tr: Translator, digits: int) -> Any:
    """A number as text in the locale, rounded (a whole number as it is: a year, an id); no
    data as an empty cell; the rest as it is."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return "" if value is None or value is pd.NA else value
    if pd.isna(value):
        return ""
    if isinstance(value, int | np.integer):
        return str(value)
    return tr.rounded(round(float(value), digits) + 0.0, digits)  # + 0.0: no "-0"


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
        return _("none")
    if isinstance(value, float):
        return here().rounded(value, 3)
    return str(value)
