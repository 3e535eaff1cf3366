"""A stored comparison's results and exports, shown by the Compare and Runs pages."""

import html
import re

import solara

from dashboards.i18n import _, here
from dashboards.widgets import Plot, Table
from sim import figures
from sim.experiments.compare import HEADLINE, SERIES
from sim.experiments import share
from sim.experiments.report import ComparisonView, comparison_csv, comparison_html, quotable, summary_table


def safe_filename(name: str) -> str:
    """A download name made only of letters, digits, dots, dashes and underscores."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:80] or "comparison"


@solara.component
def ComparisonResults(view: ComparisonView, running: bool = False):
    tab = solara.use_reactive(0)  # kept while partial results replace each other
    tr = here()
    spec = view.spec
    if view.complete:
        note = ""
    elif running:
        note = _(" (partial: more runs are coming)")
    else:
        note = _(" (incomplete: run the comparison again to finish it)")
    # Labels and names come from the database (possibly from other users): shown as plain text, never markup.
    solara.Text(_("{labels}: {done} of {expected} runs, {months} months, base seed {seed}{note}. The first scenario is "
                  "the counterfactual.").format(labels=" vs ".join(view.labels), done=view.runs_done,
                                                expected=view.runs_expected, months=spec["months"], seed=spec["seed"],
                                                note=note),
                style={"font-weight": "500"})
    # What a council can quote, then the figure it reads first, above the tabs.
    with solara.Column(classes=["quotable"]):
        for sentence in quotable(view.comparison, view.labels, spec["months"], spec["replications"], tr):
            solara.Text(sentence)  # labels may come from other users: plain text, never markup
    with solara.Column(classes=["city-net-cost"]):
        solara.Markdown(_("**The city's own net cost per additional person in work** (its spending on the levers, "
                        "minus its share of the social assistance saved and of the extra taxes and contributions, "
                        "over the run / extra people in work over the final 12 months; 95 % bootstrap interval; "
                        "negative: a net gain for the city)"))
        Table(view.comparison.city_cost_per_job, digits=1)
    with solara.lab.Tabs(value=tab, lazy=True):  # a tab's components (figures, tables) are made when it is opened
        with solara.lab.Tab(_("Over time")):
            Shown(lambda: figures.bands_figure(view.bands, SERIES, view.labels, tr), "compare-bands")
            solara.Text(_("Lines: mean over replications; shaded: 90 % of runs."), style={"color": "#555"})
        with solara.lab.Tab(_("Differences")):
            Shown(lambda: figures.differences_figure(view.comparison.summary, HEADLINE, view.labels, tr),
                  "compare-differences")
            Table(summary_table(view, tr).drop(columns=["indicator"]), digits=2)
        with solara.lab.Tab(_("Spending and cost per job")):
            solara.Markdown(_("**Cost per additional person in work** (extra lever spending over the run / extra "
                            "people in work over the final 12 months; 95 % bootstrap interval)"))
            Table(view.comparison.cost_per_job, digits=1)
            solara.Markdown(_("**Monetised impact over the run, EUR** (guide §3.2)"))
            Table(view.comparison.impact, digits=1)
            solara.Markdown(_("**Who pays, who gains**: the same by level of government (city, region, national, "
                            "EU funds, and their total), EUR"))
            Table(view.comparison.impact_by_level, digits=1, translated=("level",))
            solara.Markdown(_("**Gross and net**: each lever's participants, placements through the lever and "
                            "participants in declared work at the end, against the net change in people in "
                            "declared work; the difference would have worked anyway or took another job "
                            "seeker's opening"))
            Table(view.comparison.placements, digits=1, translated=("lever",))
        with solara.lab.Tab(_("Who gains")):
            solara.Markdown(_("**Who gains**: the change in people aged 20-64 in work and in declared work against "
                            "the counterfactual (final 12 months; 95 % intervals, paired by replication), by legal "
                            "status, reason of arrival, sex and education; each dimension's groups add up "
                            "to all migrants. A lever's participants take openings other migrants would have had, "
                            "which shows as losses in other groups; nationals have their own openings in the model, "
                            "so it cannot say whether a lever displaces them."))
            Table(view.comparison.who_gains, digits=1, translated=("dimension",))
            solara.Markdown(_("**By income**: each decile of the net monthly income of migrants aged 20-64 at the end "
                            "(pay net of employees' deductions, or their benefit; 0 for people with neither), in the "
                            "counterfactual, and its change (95 % interval)."))
            Table(view.comparison.income_deciles, digits=1)
        with solara.lab.Tab(_("Share and reproduce")):
            Reproduce(view)
        with solara.lab.Tab(_("Export")):
            stem = safe_filename(view.experiment.name)
            solara.Markdown(_("The table as CSV, or a one-page report to send (opens offline; print it to PDF from "
                            "the browser)."))
            with solara.Row():
                solara.FileDownload(lambda: comparison_csv(view).encode(), filename=f"{stem}.csv",
                                    label=_("Download CSV"))
                solara.FileDownload(lambda: comparison_html(view, tr).encode(), filename=f"{stem}.html",
                                    label=_("Download report (HTML)"))


@solara.component
def Shown(make, name: str):
    """A figure made when it is shown: in a lazy tab, once the tab is opened (``Plot``)."""
    Plot(make(), name)


@solara.component
def Reproduce(view: ComparisonView):
    """The comparison's link, command and Python lines (``sim.experiments.share``)."""
    root = solara.use_router().root_path
    recipe = share.recipe(view.spec, view.experiment.name)
    if recipe is None:
        solara.Markdown(_("One of the scenarios is an uploaded file: it has no link. Share the file with the "
                        "comparison's settings."))
        return
    link = f"{root}/compare?{share.query(recipe)}"
    with solara.Column(classes=["share-link"]):
        solara.Markdown(_("**Link**: opens this comparison in another tab or for a colleague on this server (the "
                        "stored runs), or sets it up to run again on another."))
        solara.HTML(tag="a", unsafe_innerHTML=html.escape(_("Open this comparison")), attributes={"href": link, "target": "_blank"})
        solara.Text(link, style={"font-family": "monospace", "word-break": "break-all"})
    solara.Markdown(_("**The command** that reproduces it (`pathways`, in a shell):"))
    with solara.Column(classes=["share-command"]):
        solara.Preformatted(share.command(recipe))
    solara.Markdown(_("**Python lines** that reproduce it:"))
    with solara.Column(classes=["share-python"]):
        solara.Preformatted(share.python(recipe))
