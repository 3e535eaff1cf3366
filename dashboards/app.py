"""The dashboard's pages and layout (``pathways app`` serves this module with Solara)."""

import solara

from dashboards import calibration, compare, explore, new_city, packages, pathways, replay, runs, settings
from dashboards.i18n import LanguageSelect, _
from sim.experiments import execute
from sim.locales import N_

execute.keep_pool(settings.workers())  # comparisons start on workers that have imported the model already

TITLE = N_("Inclusion pathways: migrants, cities and the social economy")

@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's layout signature)
    """Solara's app layout, with navigation tabs named by the routes' labels (Solara's own show paths)."""
    route, siblings = solara.use_route()
    router = solara.use_router()
    index = siblings.index(route) if route in siblings else 0

    def go(i: int) -> None:
        router.push("/" if siblings[i].path == "/" else f"/{siblings[i].path}")

    with solara.AppLayout(title=_(TITLE)):
        with solara.AppBar():
            with solara.lab.Tabs(value=index, on_value=go, align="center"):
                for page in siblings:
                    solara.lab.Tab(_(page.label))
            LanguageSelect()
        with solara.Column(style={"width": "100%"}):
            for child in children:
                solara.display(child)


# The layout goes on the root route, which Solara applies to its siblings too (it drops a module-level
# ``Layout`` when the module defines ``routes``).
routes = [
    solara.Route(path="/", component=explore.Page, label=N_("Explore"), layout=Layout),
    solara.Route(path="compare", component=compare.Page, label=N_("Compare")),
    solara.Route(path="packages", component=packages.Page, label=N_("Find a package")),
    solara.Route(path="pathways", component=pathways.Page, label=N_("Pathways")),
    solara.Route(path="runs", component=runs.Page, label=N_("Runs")),
    solara.Route(path="calibration", component=calibration.Page, label=N_("Calibration")),
    solara.Route(path="replay", component=replay.Page, label=N_("Replay")),
    solara.Route(path="new-city", component=new_city.Page, label=N_("New city")),
]
