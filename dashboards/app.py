"""The dashboard's pages and layout (``pathways app`` serves this module with Solara)."""

import solara

from dashboards import explore

routes = [
    solara.Route(path="/", component=explore.Page, label="Explore"),
]


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's layout signature)
    solara.AppLayout(children=children, title="Inclusion pathways: migrants, cities and the social economy")
