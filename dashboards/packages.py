"""Find a package: the best mixes of a city's levers for a yearly budget (``pathways optimise``),
drawn as the search finds them, each one opened in Compare or saved as a scenario file; and
when a scenario fails (``pathways discover``)."""

import matplotlib.pyplot as plt
import pandas as pd
import solara
from solara.lab import task

from dashboards.i18n import _
from dashboards import compare, settings
from dashboards.widgets import NumberInput, Plot, Table
from sim.experiments.discover import OUTCOMES, describe as describe_discovery, discover
from sim.experiments.optimise import OBJECTIVES, front_of, optimise, package_file

city = solara.reactive("liege")
budget = solara.reactive(2_000_000)
objectives = solara.reactive(["jobs", "city_net_cost"])
trials = solara.reactive(20)
replications = solara.reactive(3)
months = solara.reactive(60)
uncertain = solara.reactive(False)
"""Draw the city's calibrated parameters from their posterior, and judge packages on their worst decile."""
tried = solara.reactive([])
"""The packages tried so far, as ``optimise`` reports them (the front is drawn from these)."""
status = solara.reactive("")
scenario = solara.reactive("combined")
condition = solara.reactive("city_net_cost_per_extra_person_eur > 60000")
samples = solara.reactive(40)
found = solara.reactive(None)


@task
def search() -> str:
    """Run the optimisation in a slot of this server, reporting each package as it is tried."""
    def current() -> bool:
        return search.is_current() and not settings.tab_closed()

    tried.set([])
    status.set("")
    if not compare.wait_for_slot(current):
        return ""
    try:
        def report(done: int, total: int, package: dict) -> None:
            if current():
                tried.set([*tried.value, package])
                status.set(_("{done} of {total} packages tried").format(done=done, total=total))

        result = optimise(city.value, float(budget.value), list(objectives.value), trials.value, replications.value,
                          months.value, workers=settings.workers(), posterior=city.value if uncertain.value else None,
                          robust=uncertain.value, progress=report, stop=lambda: not current())
    finally:
        settings.EXPERIMENT_SLOTS.release()
    if current():
        tried.set(result.packages)  # every package of the search, those of an earlier session included
        status.set(_("Done: {count} packages tried, stored as optimisation '{name}'.").format(count=result.trials,
                                                                                          name=result.name))
    return result.name


@task
def find_conditions() -> None:
    def current() -> bool:
        return find_conditions.is_current() and not settings.tab_closed()

    found.set(None)
    if not compare.wait_for_slot(current):
        return
    try:
        found.set(discover(f"{city.value}/{scenario.value}", condition.value, samples.value, months.value,
                           workers=settings.workers()))
    finally:
        settings.EXPERIMENT_SLOTS.release()


def front_figure(packages: list[dict], names: list[str]):
    """Every package tried on the first two objectives: within the budget, over it, and the front."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x, y = (names[1], names[0]) if len(names) > 1 else (names[0], names[0])
    within = [p for p in packages if p["budget_share"] <= 1]
    over = [p for p in packages if p["budget_share"] > 1]
    front = front_of(packages, names)
    ax.scatter([p[x] for p in over], [p[y] for p in over], color="0.75", label="over budget")
    ax.scatter([p[x] for p in within], [p[y] for p in within], color="tab:blue", label="within budget")
    ax.scatter([p[x] for p in front], [p[y] for p in front], facecolors="none", edgecolors="k", s=140, label="front")
    ax.set_xlabel(OBJECTIVES[x][2])
    ax.set_ylabel(OBJECTIVES[y][2])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def open_in_compare(package: dict) -> None:
    """The package beside its city's baseline, in Compare, as an edited baseline."""
    compare.city.set(city.value)
    compare.chosen.set([f"{city.value}/baseline"])
    compare.edit_base.set(f"{city.value}/baseline")
    compare.edit_overrides.set(dict(package["overrides"]))
    compare.months.set(months.value)
    compare.replications.set(max(2, replications.value))


@solara.component
def FrontTable(packages: list[dict], names: list[str]):
    router = solara.use_router()
    front = front_of(packages, names)
    if not front:
        solara.Text(_("No package within the budget yet."))
        return
    Table(pd.DataFrame([{k: p[k] for k in ["package", *names, "budget_share"]} for p in front]), digits=1)
    for number, package in enumerate(front):
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"{number}: {package['package']}", style={"font-size": "0.9em"})

            def opened(package=package) -> None:
                open_in_compare(package)
                router.push("/compare")

            solara.Button(_("Open in Compare"), on_click=opened)
            solara.FileDownload(lambda package=package: package_file(city.value, package["overrides"],
                                                                     package["package"]).encode(),
                                filename=f"{city.value}-{package['label']}.toml", label=_("Scenario file"))


@solara.component
def FindPackage():
    running = bool(search.pending)
    solara.Markdown(_("Levers the city controls, each on or off and sized between a quarter and four times its own "
                    "scenario's, against the baseline at the same seeds. The budget is a hard constraint: a package "
                    "whose spending passes it in any year of any replication is never on the front."))
    with solara.Row():
        solara.Button(_("Search"), on_click=search, disabled=running or len(objectives.value) < 1, color="primary")
        solara.Button(_("Stop"), on_click=search.cancel, disabled=not running)
    if status.value:
        solara.Text(status.value)
    if search.error:
        solara.Error(_("Could not finish: {error}").format(error=search.exception))
    packages = tried.value
    if packages:
        names = list(objectives.value)
        Plot(front_figure(packages, names), "packages-front")
        solara.Markdown(_("**The front**: packages within the budget that no other one beats on every objective"))
        FrontTable(packages, names)


@solara.component
def WhenItFails():
    options = [s.split("/")[1] for s in compare.scenarios_of(city.value) if not s.endswith("/baseline")]
    solara.Select(_("Scenario"), value=scenario, values=options)
    solara.InputText(_("Condition (OUTCOME OP NUMBER)"), value=condition, continuous_update=False)
    solara.Text(_("Outcomes: {names}").format(names=", ".join(OUTCOMES)), style={"font-size": "0.85em", "color": "#555"})
    NumberInput(_("Samples"), samples.value, samples.set, low=10, high=500)
    solara.Button(_("Find the conditions"), on_click=find_conditions, disabled=bool(find_conditions.pending),
                  color="primary")
    if find_conditions.error:
        solara.Error(_("Could not finish: {error}").format(error=find_conditions.exception))
    result = found.value
    if result is not None:
        for line in describe_discovery(result):
            solara.Text(line)
        if not result.box.empty:
            Table(result.box, digits=3)


@solara.component
def Page():
    solara.Title(_("Find a package · Inclusion pathways"))
    with solara.Sidebar():
        solara.Select(_("City"), value=city, values=[c for c in compare.cities() if c != "eu27"])
        NumberInput(_("Budget, EUR a year"), budget.value, budget.set, low=1, high=10**10)
        solara.SelectMultiple(_("Objectives"), values=objectives, all_values=list(OBJECTIVES))
        NumberInput(_("Packages to try"), trials.value, trials.set, low=2, high=200)
        NumberInput(_("Replications per package"), replications.value, replications.set, low=2, high=20)
        NumberInput(_("Months"), months.value, months.set, low=12, high=settings.MAX_MONTHS)
        solara.Checkbox(label=_("Uncertainty: draw the calibrated parameters from their posterior, and judge each "
                              "package on its worst decile of replications"), value=uncertain)
    solara.Markdown(_("## Find a package"))
    with solara.lab.Tabs():
        with solara.lab.Tab(_("The best package for a budget")):
            FindPackage()
        with solara.lab.Tab(_("When does it fail")):
            WhenItFails()
