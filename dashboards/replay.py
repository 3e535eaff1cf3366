"""Replay: each preset run from 2014 with each year's published inputs, against the
published series it was never fitted to (``pathways replay`` writes what this page reads)."""

import solara

from dashboards.i18n import _, here
from dashboards import settings
from dashboards.widgets import Plot, Table
from sim.calibration import replay

preset = solara.reactive("eu27")


@solara.component
def Page():
    solara.Title(_("Replay · Inclusion pathways"))
    solara.Markdown(_("## Replay: the years the model was not fitted to"))
    solara.Select(_("Preset"), value=preset, values=list(replay.PRESET_GEO))
    try:
        table, inputs = replay.read(settings.known(preset.value, list(replay.PRESET_GEO), "preset"))
    except (FileNotFoundError, ValueError) as exc:
        solara.Warning(str(exc))
        return
    errors = replay.mean_absolute_errors(table)
    solara.Markdown(
        _("`{preset}/baseline` run month by month from January {year}, each year's newcomers, recognition rate and "
          "labour demand taken from the published series, the national rules as they were. The parameters are the "
          "2023 fit's, **not refitted**: every other year is out of sample. Mean absolute error: {errors}.").format(
            preset=preset.value, year=table.year.min(),
            errors="; ".join(_("{label} {points} points").format(label=replay.COMPARED[name][2],
                                                                  points=here().number(100 * value, 1))
                             for name, value in errors.items())))
    Plot(replay.figure(preset.value, table), "replay-series")
    Table(table[["label", "year", "published", "simulated", "low", "high", "error"]], digits=3)
    refugees = replay.read_refugees(preset.value)
    if len(refugees):
        solara.Markdown(_("**Refugees' declared employment, where the surveys looked**: each published point of the "
                          "refugee curve read at the end of its survey's year, on the arrivals the replay has seen; "
                          "{hits} of {points} within their tolerance.").format(hits=int(refugees.hit.sum()),
                                                                              points=len(refugees)))
        Table(refugees, digits=3)
    solara.Markdown(_("**Inputs, year by year** (calibration/replay/README.md gives their sources)"))
    Table(inputs, digits=3)
