"""Explore: one city, its levers as controls, a live run, inspectors for one migrant and one SSE
enterprise, and the national rules in force."""

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import solara
from solara.lab import task

from dashboards import settings
from dashboards.i18n import _, here
from dashboards.people import situation
from dashboards.widgets import NumberInput, Plot, ScenarioEditor, Table, edited, record_frame
from sim import figures
from sim import rules as legal_rules
from sim.experiments import share
from sim.experiments.compare import SERIES
from sim.model import CityModel
from sim.pathways import PathwayTracker
from sim.scenario import available, load
from sim.sse import alive_enterprises


@dataclass
class LiveRun:
    """The model a tab is exploring, with the snapshots its migrant inspector reads."""

    model: CityModel
    label: str
    seed: int
    horizon_months: int
    scenario: str
    """The shipped scenario it runs, with ``edits``: what reproduces it."""
    edits: dict
    migrants: int | None
    tracker: PathwayTracker = field(default_factory=PathwayTracker)
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while the model steps and while the page reads it: a month is never half shown."""

    def step(self) -> None:
        with self.lock:
            self.model.step()
            self.tracker.record(self.model)

    @property
    def months_done(self) -> int:
        return len(self.model.series)


# Page state: module-level reactives are per browser tab (one Solara virtual kernel each).
preset = solara.reactive("liege/baseline")
overrides = solara.reactive({})
seed = solara.reactive(1)
migrants = solara.reactive(0)
"""0: the scenario's own size."""
horizon = solara.reactive(120)
live = solara.reactive(None)
version = solara.reactive(0)
"""Bumped when the live model has moved on, so that plots redraw."""
inspected_migrant = solara.reactive(-1)
inspected_enterprise = solara.reactive(0)
tab = solara.reactive(0)

REDRAW_EVERY_S = 0.7


@task
def reset() -> str:
    """Build the model from the controls (warm-up included), as they were when Reset was pressed."""
    name, edits, run_seed, size, months = preset.value, overrides.value, seed.value, migrants.value, horizon.value
    scenario = edited(load(settings.known(name, available(), "scenario")), edits)
    settings.check_size(scenario, size or None, months)
    with settings.SIMULATION_SLOTS:
        model = CityModel(scenario, rng=run_seed, migrants=size or None)
    if reset.is_current() and not settings.tab_closed():
        live.set(LiveRun(model, name + (" (edited)" if edits else ""), run_seed, months, name, dict(edits),
                         size or None))
        inspected_migrant.set(-1)
        version.set(version.value + 1)
    return _("{count} migrants in the city after the warm-up").format(count=here().number(model.pop.count()))


@task
def play(months: int) -> int:
    """Step the live model up to ``months`` months (or to its horizon), redrawing now and then."""
    run: LiveRun | None = live.value
    if run is None:
        return 0
    last_draw, done = time.monotonic(), 0
    with settings.SIMULATION_SLOTS:
        while done < months and run.months_done < run.horizon_months and play.is_current():
            if settings.tab_closed():
                return done
            run.step()
            done += 1
            if time.monotonic() - last_draw > REDRAW_EVERY_S:
                version.set(version.value + 1)
                last_draw = time.monotonic()
    version.set(version.value + 1)
    return done


@solara.component
def Controls():
    cities = sorted(available())
    solara.Select(_("Scenario"), value=preset, values=cities, on_value=lambda _: overrides.set({}))
    NumberInput(_("Random seed"), seed.value, seed.set, low=0, high=2**31 - 1,
                help=_("the same seed and scenario give the same run")).key(f"seed-{preset.value}")
    NumberInput(_("Migrants at the start (0: the scenario's)"), migrants.value, migrants.set, low=0,
                high=settings.MAX_MIGRANTS, help=_("larger cities run slower")).key(f"migrants-{preset.value}")
    NumberInput(_("Horizon, months"), horizon.value, horizon.set, low=1, high=settings.MAX_MONTHS)
    solara.Markdown(_("**Policy levers** (a change applies at the next Reset)"))
    try:
        base = load(settings.known(preset.value, cities, "scenario"))
    except ValueError as exc:  # ScenarioError is one
        solara.Error(str(exc))
        return
    ScenarioEditor(base, preset.value, overrides)


@solara.component
def RunButtons(run: LiveRun | None):
    busy = bool(reset.pending or play.pending)
    with solara.Row():
        solara.Button(_("Reset"), on_click=reset, disabled=busy, color="primary")
        solara.Button(_("Step"), on_click=lambda: play(1), disabled=busy or run is None)
        solara.Button(_("Run 12 months"), on_click=lambda: play(12), disabled=busy or run is None)
        solara.Button(_("Run to horizon"), on_click=lambda: play(settings.MAX_MONTHS), disabled=busy or run is None)
        solara.Button(_("Stop"), on_click=play.cancel, disabled=not play.pending)
    if reset.pending:
        solara.Info(_("Warming the city up (180 months of history before month 0)..."))
    elif reset.error:
        solara.Error(_("Could not build the model: {error}").format(error=reset.exception))
    elif reset.finished and reset.value:
        solara.Text(reset.value, style={"color": "#555"})
    solara.ProgressLinear(bool(play.pending))


@solara.component
def MigrantInspector(run: LiveRun):
    model = run.model

    def pick_random() -> None:
        with run.lock:
            rows = np.flatnonzero(model.pop.alive())
            pick = int(model.pop.person_id[rows[np.random.default_rng().integers(rows.size)]]) if rows.size else -1
        inspected_migrant.set(pick)

    with solara.Row():
        NumberInput(_("Migrant id"), inspected_migrant.value, inspected_migrant.set, low=-1,
                    high=max(model.pop.next_id - 1, 0)).key(f"migrant-{inspected_migrant.value}")
        solara.Button(_("A random migrant"), on_click=pick_random)
    person = inspected_migrant.value
    if person < 0:
        solara.Text(_("Type a migrant id or pick one at random."))
        return
    with run.lock:
        try:
            record = model.migrant(person)
        except KeyError:
            record = None
        history = run.tracker.history(person)
        when = _("month {month}").format(month=model.month - 1) if run.months_done else _("at the start")
        sectors = [sector.name.replace("_", " ") for sector in model.sectors]
        now = model.month
    if record is None:
        solara.Warning(_("Migrant {person} has not arrived yet.").format(person=person))
    with solara.Columns([1, 1]):
        with solara.Column():
            if record is not None and not record["in_city"]:
                solara.Warning(_("Migrant {person} has left the city (month {month}): their last record.").format(
                    person=person, month=record["left_month"]))
            solara.Markdown((_("**Migrant {person} now ({when})**") if record is None or record["in_city"]
                             else _("**Migrant {person} when they left**")).format(person=person, when=when))
            if record is not None:
                solara.Markdown("\n".join(f"- {line}" for line in situation(record, sectors, now, here())))
                with solara.Details(_("Every field of the record")):
                    Table(record_frame(record))
        with solara.Column():
            solara.Markdown(_("**Pathway: legal status and labour state, month by month**"))
            if history.empty:
                solara.Text(_("No month recorded yet: step the model."))
            else:
                changes = history[(history[["legal_status", "labour_state"]].shift() != history[
                    ["legal_status", "labour_state"]]).any(axis=1)]
                Table(changes)


@solara.component
def EnterpriseInspector(run: LiveRun):
    enterprises = run.model.sse_enterprises
    if not enterprises:
        solara.Text(_("No SSE enterprise in this city yet (switch on start-up support, ephemeral cooperatives or "
                      "transitional jobs, or set existing enterprises)."))
        return
    alive = len(alive_enterprises(run.model))
    solara.Text(_("{founded} SSE enterprises founded, {alive} open.").format(founded=len(enterprises), alive=alive))
    NumberInput(_("Enterprise number"), inspected_enterprise.value, inspected_enterprise.set, low=0,
                high=len(enterprises) - 1)
    index = min(inspected_enterprise.value, len(enterprises) - 1)
    with run.lock:
        record = enterprises[index].record()
    Table(record_frame(record), digits=2)


@solara.component
def RulesInForce(run: LiveRun):
    """The national rules of the run's last month run (month 0 before any), with their
    legal sources, the reform it assumes, and the months the rules changed a field."""
    with run.lock:
        law, month, changes = run.model.given_scenario.law, max(run.model.month - 1, 0), list(run.model.calendar_changes)
    if law.rules is None:
        solara.Markdown(_("This scenario names no national rules: its own values hold (see its file). "
                          "`pathways rules CODE` lists a country's rules."))
        return
    today = legal_rules.month_end(law.start, month)
    solara.Markdown(_("**{rules}** rules in force on {date} (month {month}; month 0 is {start}). Each rule with its legal "
                      "source and dates; a rule 'not encoded' is documentation of what the model leaves out. All of "
                      "them: docs/rules.md.").format(rules=law.rules, date=today.isoformat(), month=month, start=law.start))
    if law.assumed_reform:
        solara.Warning(_("Assumed national reform: {reform}").format(reform=law.assumed_reform))
    Table(pd.DataFrame(legal_rules.table(law.rules, today)))
    if changes:
        solara.Markdown(_("**Months the rules or the timeline changed a field**"))
        Table(pd.DataFrame([{"month": c["month"], "calendar month": c["calendar_month"],
                             "changes": ", ".join(f"{k} = {v}" for k, v in c["changes"].items())} for c in changes]))


@solara.component
def Page():
    solara.Title(_("Explore · Inclusion pathways"))
    with solara.Sidebar():
        Controls()
    run: LiveRun | None = live.value
    version.value  # noqa: B018 (subscribe: redraw when the run moves on)
    solara.Markdown(_("## Explore one run"))
    RunButtons(run)
    if run is None:
        solara.Info(_("Choose a scenario and its levers on the left, then press Reset to build the city."))
        return
    solara.Markdown(_("**{label}**, seed {seed}: month {month} of {horizon}, {count} migrants in the city.").format(
        label=run.label, seed=run.seed, month=run.months_done, horizon=run.horizon_months,
        count=here().number(run.model.pop.count())))
    with solara.lab.Tabs(value=tab, lazy=True):  # only the open tab's components are made, at each redraw
        with solara.lab.Tab(_("Indicators")):
            Indicators(run, run.months_done)
        with solara.lab.Tab(_("A migrant")):
            MigrantInspector(run)
        with solara.lab.Tab(_("An SSE enterprise")):
            EnterpriseInspector(run)
        with solara.lab.Tab(_("Rules in force")):
            RulesInForce(run)
        with solara.lab.Tab(_("Reproduce")):
            Reproduce(run, run.months_done)


@solara.component
def Indicators(run: LiveRun, months: int):
    """The run's indicators month by month, its ``months`` done (an argument, so that a step redraws them)."""
    if months:
        with run.lock:
            frame = run.model.monthly_frame()
        Plot(figures.run_figure(frame, SERIES, run.label, here()), "explore-series")
    else:
        solara.Text(_("Step or run the model to see its indicators month by month."))


@solara.component
def Reproduce(run: LiveRun, months: int):
    """The command and the Python lines that give this run's numbers, to the month shown
    (``months``, passed in so that the tab redraws as the run moves on)."""
    solara.Markdown(_("The same scenario, edits, seed and code give the same numbers. **The command** (`pathways`, in a "
                      "shell), for the {months} months run so far:").format(months=months))
    with solara.Column(classes=["reproduce-command"]):
        solara.Preformatted(share.run_command(run.scenario, run.edits, run.seed, months, run.migrants))
    solara.Markdown(_("**Python lines:**"))
    with solara.Column(classes=["reproduce-python"]):
        solara.Preformatted(share.run_python(run.scenario, run.edits, run.seed, months, run.migrants))
