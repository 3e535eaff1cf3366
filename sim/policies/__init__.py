"""Policy levers. Importing this package registers every shipped lever (``registry.LEVERS``),
then those of the plugins named in ``PATHWAYS_PLUGINS`` (:mod:`sim.scenario.extensions`).

Each module holds one lever: its mechanism, its guide section, and its registration.
Reserved procurement has no monthly mechanism of its own: it is a revenue of SSE
enterprises, booked in ``sim.sse.sse_economy``.
"""

from sim.policies import (  # noqa: F401  (imported to register the levers)
    anti_discrimination,
    ephemeral_cooperatives,
    host_organisations,
    integrated_training,
    mentoring,
    municipal_id_card,
    one_stop_shop,
    regularisation,
    regularisation_advice,
    sse_transitional_jobs,
    start_up_support,
    third_place,
    union_contact_points,
)
from sim.policies.registry import LEVERS, PHASES, LeverSpec, enabled_levers, register
from sim.scenario.extensions import PluginError, load_plugins

try:
    load_plugins()  # levers of PATHWAYS_PLUGINS, in every process that runs the model
except PluginError:
    pass  # said in one line when a scenario names a lever of the plugin (extensions.parameters_of)

__all__ = ["LEVERS", "PHASES", "LeverSpec", "enabled_levers", "register"]
