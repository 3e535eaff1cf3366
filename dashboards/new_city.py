"""New city: what a city office knows, the rest from its country's defaults, fitted to its
country's figures and ready to compare (``pathways city new`` does the same)."""

import threading

import solara
from solara.lab import task
from solara.server import kernel_context

from dashboards import compare, settings
from dashboards.i18n import _, here
from dashboards.widgets import NumberInput, Table
from sim.calibration import city_files, new_city
from sim.calibration.countries import countries

name = solara.reactive("")
country = solara.reactive("BE")
inhabitants = solara.reactive(100_000)
non_eu_residents = solara.reactive(10_000)
unemployment = solara.reactive("")
"""The city's unemployment rate in percent, or empty if not known."""
sse = solara.reactive("")
"""SSE enterprises taking on migrants, or empty if not known."""
existing = solara.reactive([])
origins = solara.reactive("")
"""Main countries of origin as ``MA:30, TR:15`` (percent of non-EU residents), or empty."""
language = solara.reactive("")
simulations = solara.reactive(new_city.FitBudget.simulations)
stage = solara.reactive(("", 0, 0))
made = solara.reactive(None)


def _optional(text: str, field: str, cast):
    text = text.strip()
    if not text:
        return None
    try:
        return cast(text.replace(",", ".") if cast is float else text)
    except ValueError:
        raise city_files.CityError(_("{field}: '{text}' is not a number (leave it empty if not known)").format(
            field=field, text=text[:20])) from None


PARTICLES_PER_SIMULATION = new_city.FitBudget.population / new_city.FitBudget.simulations
"""Particles per generation as a share of the budget, as ``pathways city new``'s defaults."""


class Stopped(Exception):
    """The tab that asked for the city closed, or asked again: nothing is written."""


@task
def write_city() -> None:
    """Write, fit and report the city in a slot of this server."""
    def current() -> bool:
        return write_city.is_current() and not settings.tab_closed()

    made.set(None)
    stage.set(("", 0, 0))
    facts = city_files.CityFacts(
        name.value.strip(), country.value, int(inhabitants.value), int(non_eu_residents.value),
        _optional(unemployment.value, _("unemployment rate"), float), _optional(sse.value, _("SSE enterprises"), int),
        tuple(existing.value), city_files.parse_origins(origins.value), language.value.strip() or None)
    if not compare.wait_for_slot(current):
        return
    try:
        budget = new_city.FitBudget(simulations=int(simulations.value), population=max(10, round(simulations.value * PARTICLES_PER_SIMULATION)),
                                    workers=settings.workers())
        tab, runner = kernel_context.get_current_context(), threading.current_thread()

        def heard(where: str, done: int, total: int) -> None:
            # The fit's generations are heard from a thread that watches its database: it takes
            # this tab's context, and only the task's own thread can ask whether it is current.
            with tab:
                if settings.tab_closed() or (threading.current_thread() is runner and not write_city.is_current()):
                    raise Stopped(_("stopped: the tab closed or the city was asked for again"))  # write nothing
                stage.set((where, done, total))

        made.set(new_city.create(facts, budget, f"the dashboard's New city page ({facts.name}, {facts.country})",
                                 progress=heard))
    finally:
        settings.EXPERIMENT_SLOTS.release()


def open_in_compare(city: str) -> None:
    compare.city.set(city)
    compare.chosen.set([f"{city}/baseline"])


@solara.component
def Progress():
    where, done, total = stage.value
    if not where:
        return
    label = (_("Fitting: generation {done} of {total}") if where == "fit" else
             _("Fit report: {done} of {total} runs")).format(done=done, total=total)
    solara.Text(label)
    solara.ProgressLinear(value=100 * done / total if total else True)


@solara.component
def Result():
    router = solara.use_router()
    city = made.value
    if city is None:
        return
    table = city.validation.table
    measured = table[table.simulated.notna()]
    solara.Success(_("Wrote {folder}: {count} scenarios, fitted from {priors}.").format(
        folder=city.folder, count=len(city.files), priors=city.priors_from))
    Table(measured[["id", "indicator", "group", "published", "simulated", "low", "high", "error", "tolerance",
                    "within_tolerance", "source"]], digits=3)

    def opened() -> None:
        open_in_compare(city.folder.name)
        router.push("/compare")

    solara.Button(_("Open in Compare"), on_click=opened, color="primary")


@solara.component
def Page():
    solara.Title(_("New city · Inclusion pathways"))
    known = countries()
    solara.Markdown(_("## A new city"))
    solara.Markdown(_("What your office knows; the rest comes from your country's published "
                      "figures (Eurostat: newcomers by reason, employment and unemployment of non-EU citizens and "
                      "nationals). The city is fitted to its country's employment rates, starting from the country's "
                      "calibrated preset where there is one, and appears in every page once its fit report is "
                      "written. Nothing is written if a step fails."))
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.InputText(_("Name (lower-case letters, digits, underscores)"), value=name, continuous_update=False)
            solara.Select(_("Country"), value=country, values=list(known))
            solara.Text(here().country(country.value), style={"font-size": "0.85em", "color": "#555"})
            NumberInput(_("Inhabitants"), inhabitants.value, inhabitants.set, low=1, high=10**8)
            NumberInput(_("Non-EU residents"), non_eu_residents.value, non_eu_residents.set, low=0, high=10**8)
        with solara.Column():
            solara.InputText(_("Unemployment rate, % (empty if not known)"), value=unemployment,
                             continuous_update=False)
            solara.InputText(_("SSE enterprises taking on migrants (empty if not known)"), value=sse,
                             continuous_update=False)
            solara.InputText(_("Main origins: country code and % of non-EU residents, such as MA:30, TR:15 (empty "
                               "if not known)"), value=origins, continuous_update=False)
            solara.InputText(_("The city's language, if not the country's first (such as fr for Liège)"),
                             value=language, continuous_update=False)
            solara.SelectMultiple(_("Programmes the city already runs"), values=existing,
                                  all_values=city_files.existing_levers(country.value))
            NumberInput(_("Simulations for the fit"), simulations.value, simulations.set, low=20, high=5000)
    solara.Button(_("Write and fit the city"), on_click=write_city, disabled=bool(write_city.pending) or not name.value,
                  color="primary")
    if write_city.pending:
        Progress()
    if write_city.error:
        solara.Error(_("Nothing was written: {error}").format(error=write_city.exception))
    Result()
