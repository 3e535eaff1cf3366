"""Runs: the experiments stored in the results database; reopen one and export it."""

import json

import solara

from dashboards.i18n import _
from dashboards import settings
from dashboards.results import ComparisonResults, safe_filename
from dashboards.widgets import Table
from sim.experiments import store
from sim.experiments.report import open_comparison

selected = solara.reactive("")
refresh = solara.reactive(0)


@solara.component
def Page():
    solara.Title(_("Runs · Inclusion pathways"))
    solara.Markdown(_("## Stored experiments"))
    refresh.value  # noqa: B018 (subscribe: the Refresh button re-reads the database)
    try:
        engine = settings.engine()
        table = store.experiments(engine)
    except store.StoreError as exc:
        solara.Error(_("Cannot read the results database: {error}").format(error=exc))
        return
    solara.Text(_("Database: {database}").format(database=store.describe(engine)), style={"color": "#555"})
    solara.Button(_("Refresh"), on_click=lambda: refresh.set(refresh.value + 1))
    if table.empty:
        solara.Info(_("No experiment stored yet: run one on the Compare page, or with `pathways compare`."))
        return
    Table(table.sort_values("created_utc", ascending=False))
    names = list(table.sort_values("created_utc", ascending=False)["name"])
    solara.Select(_("Open an experiment"), value=selected, values=[""] + names)
    if not selected.value or selected.value not in names:
        return
    experiment = store.load_experiment(engine, selected.value)
    solara.Text(_("{name} ({kind}, code {code})").format(name=experiment.name, kind=experiment.kind,
                                                         code=experiment.code_version),
                style={"font-size": "1.2em", "font-weight": "500"})
    if experiment.kind == "compare":
        StoredComparison(experiment.name, refresh.value)
        return
    metrics = store.load_metrics(engine, experiment.id)
    spec = json.loads(experiment.spec_json)
    solara.Text(_("{points} design points x {reps} replications; {runs} runs done.").format(
        points=len(spec.get("scenarios", [])), reps=spec.get("replications"), runs=len(metrics)))
    if not metrics.empty:
        Table(metrics.describe().T.reset_index().rename(columns={"index": "metric"}), digits=4)
        solara.FileDownload(lambda: metrics.to_csv(index=False).encode(),
                            filename=f"{safe_filename(experiment.name)}-metrics.csv", label=_("Download metrics (CSV)"))


@solara.component
def StoredComparison(name: str, version: int):
    """A stored comparison, read once per name (and again on Refresh)."""
    def read():
        try:
            return open_comparison(settings.engine(), name)
        except (ValueError, store.StoreError) as exc:
            return str(exc)

    opened = solara.use_memo(read, [name, version])
    if isinstance(opened, str):
        solara.Warning(opened)
    else:
        ComparisonResults(opened)
