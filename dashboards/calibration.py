"""Calibration: each published target against the model's mean and 90 % interval, per preset."""

from pathlib import Path

import solara

from dashboards.i18n import _
from dashboards import settings
from dashboards.widgets import Plot, Table
from sim import figures
from sim.calibration import evaluations, report
from sim.calibration.targets import presets
from sim.scenario import loader

preset = solara.reactive("eu27")


def fitted() -> dict[str, Path]:
    """The presets, and the cities written by ``pathways city new``, with the folder of their fit report."""
    cities = {path.parent.parent.name: path.parent for path in sorted(loader.SCENARIO_DIR.glob(f"*/{loader.FIT_FOLDER}/*.csv"))
              if path.stem == path.parent.parent.name}
    return {**{name: report.REPORTS_DIR for name in presets()}, **cities}


@solara.component
def Page():
    solara.Title(_("Calibration · Inclusion pathways"))
    solara.Markdown(_("## Calibration: the model against published statistics"))
    folders = fitted()
    solara.Select(_("Preset"), value=preset, values=list(folders))
    try:
        chosen = settings.known(preset.value, list(folders), "preset")
        table, curve = report.read(chosen, folders[chosen])
    except (FileNotFoundError, ValueError) as exc:
        solara.Warning(str(exc))
        return
    measured = table.dropna(subset=["simulated"])
    hits = int(measured["within_tolerance"].astype(bool).sum())
    solara.Markdown(
        _("{count} targets compared, {hits} within their tolerance. Fresh runs of `{preset}/baseline` with the fitted "
          "parameters (`pathways validate` re-runs them). Targets the model does not produce are listed below with the "
          "reason.").format(count=len(measured), hits=hits, preset=preset.value))
    Plot(figures.targets_figure(measured), "calibration-targets")
    shown = measured[["id", "indicator", "group", "published", "simulated", "low", "high", "error", "tolerance",
                      "covered", "within_tolerance", "fitted", "source"]]
    Table(shown, digits=3)
    missed = measured[~measured["within_tolerance"].astype(bool)]
    if len(missed):
        solara.Markdown(_("**Missed, and what the model lacks**"))
        Table(missed.assign(why_missed=missed["why_missed"].fillna("not explained yet"))[
            ["id", "group", "published", "simulated", "error", "why_missed"]], digits=3)
    Plot(report.curve_figure(preset.value, table, curve), "calibration-curve")
    solara.Markdown(_("**Not compared, and why**"))
    Table(table[table["simulated"].isna()][["id", "indicator", "group", "note"]])
    Programmes()


@solara.component
def Programmes():
    """The levers against the real programmes' evaluations (``pathways evaluate``), beside the targets."""
    solara.Markdown(_("### Programmes against their evaluations"))
    solara.Markdown(_("Each lever replicates a real programme's evaluation in a city: the participants' figure "
                      "against the published one, and the same people without the programme (`pathways evaluate` "
                      "writes them; calibration/programmes.toml gives the sources)."))
    stored = evaluations.read_reports(report.REPORTS_DIR)
    if stored.empty:
        solara.Info(_("No programme evaluated yet: run `pathways evaluate PROGRAMME`."))
        return
    Table(stored, digits=3)
