"""Compare: two to four scenarios of one city, replicated with common random numbers on the
experiment engine in the background, with progress and partial results as runs arrive."""

import time

import solara
from solara.lab import task

from dashboards import settings
from dashboards.i18n import _
from dashboards.results import ComparisonResults
from dashboards.widgets import NumberInput, ScenarioEditor, edited
from sim.experiments import execute, share, store
from sim.experiments.api import Settings, plan_compare
from sim.experiments.report import open_comparison
from sim.provenance import code_version
from sim.scenario import ScenarioError, available, from_text, load
from sim.scenario.loader import MAX_UPLOAD_BYTES

PARTIAL_EVERY_S = 2.0
"""How often partial results are recomputed while runs arrive."""

city = solara.reactive("liege")
chosen = solara.reactive(["liege/baseline", "liege/one_stop_shop"])
edit_base = solara.reactive("")
"""A scenario to add in an edited form ('' for none)."""
edit_overrides = solara.reactive({})
uploaded = solara.reactive(None)
"""(label, scenario) of a scenario file uploaded or pasted in the page, or None."""
upload_error = solara.reactive("")
replications = solara.reactive(20)
months = solara.reactive(120)
seed = solara.reactive(1)
progress = solara.reactive((0, 0))
status = solara.reactive("")
view = solara.reactive(None)
finished = solara.reactive(False)


def cities() -> list[str]:
    return sorted({name.split("/")[0] for name in available()})


def scenarios_of(name: str) -> list[str]:
    return [s for s in available() if s.startswith(f"{name}/")]


def scenario_set() -> tuple[dict, dict]:
    """The comparison the controls describe: label -> scenario of the chosen and uploaded
    ones (the first is the counterfactual), and the edited one as {base: edits} (compared
    after them, ``api.plan_compare``)."""
    options = scenarios_of(city.value)
    chosen_scenarios = {settings.known(name, options, "scenario"): load(name) for name in chosen.value}
    if uploaded.value is not None:
        label, scenario = uploaded.value
        if scenario.meta.city != city.value:  # a comparison pairs runs of one city (api.plan_compare)
            raise ValueError(_("the uploaded scenario is of {theirs} and this page compares scenarios of {city}: "
                               "choose its city, or upload one of {city}").format(theirs=scenario.meta.city,
                                                                                   city=city.value))
        chosen_scenarios[label] = scenario
    edits = {}
    if edit_base.value:
        base = settings.known(edit_base.value, options, "edited scenario")
        edits[base] = dict(edit_overrides.value)
    count = len(chosen_scenarios) + len(edits)
    if not 2 <= count <= settings.MAX_SCENARIOS:
        raise ValueError(_("choose 2 to {most} scenarios (now {count})").format(most=settings.MAX_SCENARIOS, count=count))
    for scenario in [*chosen_scenarios.values(), *(edited(load(base), e) for base, e in edits.items())]:
        settings.check_size(scenario, None, months.value)
    return chosen_scenarios, edits


def labels_of(scenarios: dict, edits: dict) -> list[str]:
    return [*scenarios, *map(share.edited_label, edits)]


def open_link(search: str) -> None:
    """Set the page as a shared link says (``sim.experiments.share``): its stored comparison
    if this server's database has it, and the controls that run it again."""
    try:
        recipe = share.from_query(search)
    except ValueError as exc:
        status.set(str(exc))
        return
    names = [*recipe.scenarios, *recipe.edits]
    cities_named = {name.split("/")[0] for name in names}
    if len(cities_named) > 1:
        status.set(_("link: this page compares scenarios of one city; the link names {cities}: run the command "
                     "that made it").format(cities=", ".join(sorted(cities_named))))
        return
    city.set(names[0].split("/")[0])
    chosen.set(list(recipe.scenarios))
    base, changes = next(iter(recipe.edits.items()), ("", {}))
    edit_base.set(base)
    edit_overrides.set(changes)
    notes = []
    for reactive, field, value, low, high in (
            (replications, _("Replications per scenario"), recipe.replications, 2, settings.MAX_REPLICATIONS),
            (months, _("Months"), recipe.months, 12, settings.MAX_MONTHS),
            (seed, _("Base seed"), recipe.seed, 0, 2**31 - 1)):
        reactive.set(min(max(value, low), high))
        if not low <= value <= high:
            notes.append(_("the link asks for {field} {value}, which this page sets between {low} and {high}: run the "
                           "command below to reproduce it").format(field=field, value=value, low=low, high=high))
    if len(recipe.edits) > 1:
        notes.append(_("the link edits {count} scenarios and this page edits one: run the command below to reproduce "
                       "it").format(count=len(recipe.edits)))
    if recipe.migrants is not None or recipe.posterior is not None:
        notes.append(_("it ran at a reduced size or on posterior draws, which this page does not set: run the command "
                       "below to reproduce it"))
    if recipe.code_version not in (None, code_version()):
        notes.append(_("it was made with code {theirs}; this server runs {ours}, so a new run may differ").format(
            theirs=recipe.code_version, ours=code_version()))
    try:
        stored = open_comparison(settings.engine(), recipe.experiment) if recipe.experiment else None
    except (ValueError, store.StoreError):
        stored = None
    if stored is not None:
        view.set(stored)
        finished.set(True)
        opened = _("Opened from a link: the stored comparison '{name}'.").format(name=recipe.experiment)
    else:
        opened = _("Opened from a link: this server has not stored that comparison; press Run comparison to run it.")
    status.set(" ".join([opened, *(_("Note: {note}.").format(note=note) for note in notes)]))


@task
def run_comparison() -> str:
    """Plan, wait for a free slot on this server, run with progress, and show results as they come.

    Only the current call of this tab updates the page: a cancelled or superseded call
    (and one whose tab has closed) stops at its next check and leaves the page alone.
    """
    def current() -> bool:
        return run_comparison.is_current() and not settings.tab_closed()

    view.set(None)
    finished.set(False)
    scenarios, edits = scenario_set()
    plan = plan_compare(scenarios, Settings(replications=replications.value, months=months.value,
                                            seed=seed.value, workers=settings.workers()), edits)
    name = plan.experiment.name
    progress.set((0, len(plan.jobs)))
    try:
        if wait_for_slot(current):
            try:
                run_plan(plan, current)
            finally:
                settings.EXPERIMENT_SLOTS.release()
    finally:
        plan.engine.dispose()  # a long-running server opens one engine per comparison: close its connections
    return name


def wait_for_slot(current) -> bool:
    """Take one of the server's comparison slots, saying so while waiting; False if the call stopped."""
    if settings.EXPERIMENT_SLOTS.acquire(blocking=False):
        return True
    status.set(_("Waiting for another comparison on this server to finish..."))
    while not settings.EXPERIMENT_SLOTS.acquire(timeout=0.5):
        if not current():
            return False
    return True


def opened(engine, name: str):
    """The stored comparison with what the page shows first (the summary, the city's own
    cost) computed here, in the task, where a failure is caught and reported; the other
    tables when their tab opens."""
    stored = open_comparison(engine, name)
    stored.comparison.summary, stored.comparison.city_cost_per_job  # noqa: B018
    return stored


def run_plan(plan, current) -> None:
    """Run the planned comparison, showing progress and partial results while ``current()``."""
    name = plan.experiment.name
    last_partial, tried = time.monotonic(), False
    first_replication = len({job.label for job in plan.jobs})  # runs before any pair can be compared

    def report(done: int, total: int) -> None:
        nonlocal last_partial, tried
        if not current():
            return
        progress.set((done, total))
        status.set(_("{done} of {total} runs done").format(done=done, total=total))
        # The first results as soon as they may be shown, then a refresh every PARTIAL_EVERY_S.
        if first_replication <= done < total and (not tried or time.monotonic() - last_partial > PARTIAL_EVERY_S):
            tried = True
            try:
                view.set(opened(plan.engine, name))
            except Exception:  # noqa: BLE001 (a failed refresh must not fail the runs; the final one reports)
                pass
            last_partial = time.monotonic()

    outcome = execute.run(plan.engine, plan.experiment.id, plan.jobs, settings.workers(), None, report,
                          stop=lambda: not current(), first_apart=True)
    if current():
        view.set(opened(plan.engine, name))
        finished.set(True)
        failed = _("; {failed} failed (see the Runs page)").format(failed=outcome.failed) if outcome.failed else ""
        status.set(_("Done: {runs} runs{failed}, stored as experiment '{name}'.").format(
            runs=outcome.total - outcome.failed, failed=failed, name=name))


def cancel() -> None:
    """Stop the comparison: the runs already stored stay, and running it again finishes the rest."""
    run_comparison.cancel()
    finished.set(True)
    done, total = progress.value
    status.set(_("Stopped: {done} of {total} runs are stored; run the comparison again to finish the rest.").format(
        done=done, total=total))


def accept_upload(text: str, source: str) -> None:
    """Validate a scenario file's text (size-limited, extending only a shipped scenario) and add it."""
    try:
        scenario = from_text(text, source=source)
        settings.check_size(scenario, None, months.value)
    except (ScenarioError, ValueError) as exc:
        upload_error.set(str(exc))
        return
    upload_error.set("")
    uploaded.set((f"uploaded: {scenario.meta.name[:60]}", scenario))


@solara.component
def Upload():
    solara.Markdown(_("**Or add your own scenario file** (TOML; it may `extends` a shipped scenario by name)"))
    text, set_text = solara.use_state("")

    def dropped(file: dict) -> None:
        data = file["file_obj"].read(MAX_UPLOAD_BYTES + 1)  # lazy: never more than the limit in memory
        if file["size"] > MAX_UPLOAD_BYTES or len(data) > MAX_UPLOAD_BYTES:
            upload_error.set(f"{file['name'][:60]}: larger than {MAX_UPLOAD_BYTES // 1000} kB")
            return
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            upload_error.set(f"{file['name'][:60]}: not UTF-8 text")
            return
        accept_upload(content, source=file["name"][:60])

    solara.FileDrop(label=_("Drop a .toml file here"), on_file=dropped, lazy=True)
    solara.InputTextArea(_("Or paste it here"), value=text, on_value=set_text, rows=4, continuous_update=True)
    with solara.Row():
        solara.Button(_("Add this scenario"), on_click=lambda: accept_upload(text, "pasted scenario"),
                      disabled=not text.strip())
        solara.Button(_("Remove it"), on_click=lambda: uploaded.set(None), disabled=uploaded.value is None)
    if upload_error.value:
        solara.Error(upload_error.value)
    elif uploaded.value is not None:
        solara.Success(_("Added: {label}").format(label=uploaded.value[0]))


@solara.component
def Controls():
    def pick_city(name: str) -> None:
        options = scenarios_of(name)
        chosen.set(options[:2])
        edit_base.set("")
        edit_overrides.set({})

    solara.Select(_("City"), value=city, values=cities(), on_value=pick_city)
    options = scenarios_of(city.value)
    solara.SelectMultiple(_("Scenarios (the first is the counterfactual)"), values=chosen, all_values=options)
    solara.Select(_("Add an edited scenario"), value=edit_base, values=[""] + options,
                  on_value=lambda _: edit_overrides.set({}))
    # Keyed by value: a link sets them after the first render, and each input keeps its own text.
    NumberInput(_("Replications per scenario"), replications.value, replications.set, low=2,
                high=settings.MAX_REPLICATIONS, help=_("more replications, narrower confidence intervals")
                ).key(f"replications-{replications.value}")
    NumberInput(_("Months"), months.value, months.set, low=12, high=settings.MAX_MONTHS).key(f"months-{months.value}")
    NumberInput(_("Base seed"), seed.value, seed.set, low=0, high=2**31 - 1).key(f"seed-{seed.value}")
    if edit_base.value:
        solara.Markdown(_("**Edit {scenario}**").format(scenario=edit_base.value))
        base = settings.known(edit_base.value, options, "edited scenario")
        ScenarioEditor(load(base), base, edit_overrides)
    Upload()


@solara.component
def Page():
    solara.Title(_("Compare · Inclusion pathways"))
    with solara.Sidebar():
        Controls()
    solara.Markdown(_("## Compare scenarios"))
    router = solara.use_router()
    link = solara.use_reactive("")  # the link this tab has opened, so that it is opened once

    def follow_link() -> None:
        if router.search and router.search != link.value and share.is_link(router.search):
            link.set(router.search)
            open_link(router.search)

    solara.use_effect(follow_link, [router.search])

    def describe() -> tuple[list[str], str | None]:
        try:
            return labels_of(*scenario_set()), None
        except (ValueError, OSError) as exc:
            return [], str(exc)

    # Read the scenario files when the choice changes, not at every progress update.
    labels, problem = solara.use_memo(describe, [city.value, tuple(chosen.value), edit_base.value,
                                                 edit_overrides.value, uploaded.value, months.value])
    running = bool(run_comparison.pending)
    with solara.Row():
        solara.Button(_("Run comparison"), on_click=run_comparison, disabled=running or problem is not None,
                      color="primary")
        solara.Button(_("Cancel"), on_click=cancel, disabled=not running)
    with solara.Column():  # always there, so that the results below keep their place (and their tab)
        if problem:
            solara.Warning(problem)
        else:
            solara.Text(_("{count} scenarios x {reps} replications: {labels}").format(
                count=len(labels), reps=replications.value, labels=" vs ".join(labels)),
                        style={"color": "#555"})
        done, total = progress.value
        if running or (total and not finished.value):
            solara.ProgressLinear(value=100 * done / total if total else True)
        if status.value:
            solara.Text(status.value)
        if run_comparison.error:
            solara.Error(_("Could not finish: {error}. Runs already stored are kept; run it again to finish the rest.").format(
                error=run_comparison.exception))
    if view.value is not None:
        ComparisonResults(view.value, running=running)
