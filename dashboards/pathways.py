"""Pathways: flows between labour states and legal statuses over the years, time to a first
declared job by group, and employment by years since arrival against the published curve."""

import pandas as pd
import solara
from solara.lab import task

from dashboards.i18n import _
from sim.locales import N_
from dashboards import settings
from dashboards.widgets import NumberInput, Plot
from sim import figures
from sim.calibration.report import published_refugee_curve
from sim.model import CityModel
from sim.pathways import PathwayTracker, first_job_curves
from sim.scenario import available, load

scenario = solara.reactive("liege/baseline")
seed = solara.reactive(1)
months = solara.reactive(120)
migrants = solara.reactive(0)
result = solara.reactive(None)
tab = solara.reactive(0)
kind = solara.reactive("labour")
cohort = solara.reactive("present")
breakdown = solara.reactive("status at arrival")
reason = solara.reactive("asylum")

KINDS = {"labour": N_("labour state"), "status": N_("legal status")}
GROUPS = {"status at arrival": "reason", "sex": "sex", "education": "education"}
"""Breakdowns of the time to a first declared job; the status one arrives with follows the
reason of arrival (asylum seeker, work, family or study permit)."""
COHORTS = {"present": N_("people in the city at month 0"), "newcomers": N_("people who arrived in the first year")}


@task
def simulate() -> None:
    """One run of the chosen scenario (as the controls were at the click), snapshotting everyone every month."""
    name, run_seed, horizon, size = scenario.value, seed.value, months.value, migrants.value
    scenario_params = load(settings.known(name, available(), "scenario"))
    settings.check_size(scenario_params, size or None, horizon)
    with settings.SIMULATION_SLOTS:
        model = CityModel(scenario_params, rng=run_seed, migrants=size or None)
        tracker = PathwayTracker()
        for month in range(horizon):
            if not simulate.is_current() or settings.tab_closed():
                return
            model.step()
            tracker.record(model)
            simulate.progress = 100 * (month + 1) / horizon
    result.set((name, run_seed, model, tracker))


@solara.component
def Controls():
    solara.Select(_("Scenario"), value=scenario, values=sorted(available()))
    NumberInput(_("Random seed"), seed.value, seed.set, low=0, high=2**31 - 1)
    NumberInput(_("Months"), months.value, months.set, low=12, high=settings.MAX_MONTHS)
    NumberInput(_("Migrants at the start (0: the scenario's)"), migrants.value, migrants.set, low=0,
                high=settings.MAX_MIGRANTS)
    solara.Button(_("Simulate"), on_click=simulate, disabled=bool(simulate.pending), color="primary")


@solara.component
def Page():
    solara.Title(_("Pathways · Inclusion pathways"))
    with solara.Sidebar():
        Controls()
    solara.Markdown(_("## Pathways through the city"))
    with solara.Column():  # always there, so that the tabs below keep their place
        if simulate.pending:
            solara.ProgressLinear(value=simulate.progress or True)
        if simulate.error:
            solara.Error(_("Could not simulate: {error}").format(error=simulate.exception))
    if result.value is None:
        solara.Info(_("Choose a scenario on the left and press Simulate (a few seconds for Liège)."))
        return
    name, run_seed, model, tracker = result.value
    solara.Markdown(_("**{name}**, seed {seed}, {months} months.").format(name=name, seed=run_seed, months=len(tracker.months)))
    with solara.lab.Tabs(value=tab, lazy=True):  # only the open tab's component is made, at each redraw
        with solara.lab.Tab(_("Flows")):
            Flows(tracker)
        with solara.lab.Tab(_("Time to a first declared job")):
            FirstJob(model, tracker)
        with solara.lab.Tab(_("Employment by years since arrival")):
            YearsSinceArrival(model)


@solara.component
def Flows(tracker):
    """A cohort's stages over the years, as flows between them."""
    with solara.Row():
        solara.ToggleButtonsSingle(value=kind, values=list(KINDS))
        solara.ToggleButtonsSingle(value=cohort, values=list(COHORTS))
    first = 12 if cohort.value == "newcomers" else 0  # newcomers have all arrived by month 12
    years = [m for m in tracker.months if m >= first and (m - first) % 24 == 0] or tracker.months[-1:]
    if tracker.months[-1] not in years:
        years.append(tracker.months[-1])
    people = tracker.cohort(cohort.value)
    if people.size == 0:
        solara.Warning(_("Nobody in this cohort."))
    else:
        stages = tracker.stages(kind.value, years, people)
        Plot(figures.alluvial_figure(stages, _("{cohort}, by {kind}").format(cohort=_(COHORTS[cohort.value]),
                                                                              kind=_(KINDS[kind.value]))),
             "pathways-flows")


@solara.component
def FirstJob(model, tracker):
    """Time from arrival to a first declared job, by group (Kaplan-Meier)."""
    solara.ToggleButtonsSingle(value=breakdown, values=list(GROUPS))
    by = GROUPS[settings.known(breakdown.value, list(GROUPS), "breakdown")]
    Plot(figures.survival_figure(first_job_curves(model, by, len(tracker.months)), breakdown.value),
         "pathways-first-job")


@solara.component
def YearsSinceArrival(model):
    """Declared employment by completed years since arrival, against the published refugee curve."""
    solara.ToggleButtonsSingle(value=reason, values=["asylum", "work", "family", "study", "all"])
    by_year = model.results()["formal_employment_rate_by_years_since_arrival"][reason.value]
    simulated = pd.DataFrame({"year": [int(y) for y in by_year],
                              "mean": [float("nan") if v is None else v for v in by_year.values()]})
    published = published_refugee_curve() if reason.value == "asylum" else published_refugee_curve().iloc[0:0]
    Plot(figures.years_since_arrival_figure(
        simulated, published, _("declared employment by completed years since arrival: {reason} (final 12 "
                                "months of the run)").format(reason=reason.value)), "pathways-years")
    solara.Text(_("Declared work only, as the survey behind the published points records it. Published points: "
                "refugees in Germany (IAB-BAMF-SOEP), the calibration targets T13-T15."), style={"color": "#555"})
