"""Policy levers. Importing this package registers every shipped lever (``registry.LEVERS``).

Each module holds one lever: its mechanism, its guide section, and its registration.
Reserved procurement has no monthly mechanism of its own: it is a revenue of SSE
enterprises, booked in ``sim.sse.sse_economy``.
"""

from sim.policies import (  # noqa: F401  (imported to register the levers)
    anti_discrimination,
    ephemeral_cooperatives,
    integrated_training,
    mentoring,
    municipal_id_card,
    one_stop_shop,
    regularisation,
    sse_transitional_jobs,
    start_up_support,
    third_place,
    union_contact_points,
)
from sim.policies.registry import LEVERS, PHASES, LeverSpec, enabled_levers, register

__all__ = ["LEVERS", "PHASES", "LeverSpec", "enabled_levers", "register"]
