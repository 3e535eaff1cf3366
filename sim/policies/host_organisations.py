"""Approved host organisations (OACAS) and the city's support for them (``oacas_host_support``).

France's organismes d'accueil communautaire et d'activités solidaires (CASF L265-1,
approved by the prefect, CASF R265-1; Emmaus communities above all, and about twenty
other associations) house the people they take in and give them unpaid solidarity
activity, an allowance and social support, whatever their papers: in 2020 the 122 Emmaus
communities housed 5,000 compagnons, more than half of them without papers (Gisti, Plein
droit n° 126). Three years of uninterrupted activity there is what the OACAS route counts
(CESEDA L435-2, ``policies.regularisation``); activity in any other collective is not.

Places: ``regularisation.oacas_host_places`` exist in the city's country (a national
institution: they are filled in the warm-up too, with the national route), and the
``oacas_host_support`` lever adds the places the city funds, from month 0, while the
year's lever budget lasts (a month it is spent, no one enters the city's places). The
month of a host organisation, before the route's applications:

1. A resident who holds a job (declared or not) leaves: the place is free. A resident
   with the right to work (a permit obtained while housed) searches for a job while still
   housed; one without it is in solidarity activity.
2. A resident leaves of their own accord with ``oacas_host_exit_rate_per_month`` (drawn
   per person and month, keyed) and searches.
3. Free places are filled at once (communities have waiting lists; assumption) from the
   undocumented people searching or in undeclared work, in an order drawn per person and
   month (keyed, so that more places admit the same people and more).
4. Each resident in solidarity activity adds a month to ``host_months`` (the OACAS clock);
   a resident out of it (searching with papers) restarts at 0: the law asks for
   uninterrupted activity.

Someone who leaves the city frees their place (their row is emptied). Places are
filled the country's first; the city pays ``cost_eur_per_place_per_month`` for each of its
places occupied after the month's entries (the residents beyond the country's places, up to
the city's), and keeps paying for those occupied once the year's budget is spent.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms.jobs import leave_job
from sim.mechanisms.work_authorisation import work_authorised
from sim.policies.registry import LeverSpec, register
from sim.states import IS_EMPLOYED, LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

NOT_RESIDENT = np.int16(-1)
# Codes as NumPy scalars: NumPy reads an IntEnum member as a generic Python object and
# widens a whole int8 column to compare with it.
SOLIDARITY_ACTIVITY, SEARCHING, UNDECLARED_WORK = (
    np.int8(s) for s in (LabourState.SOLIDARITY_ACTIVITY, LabourState.SEARCHING, LabourState.UNDECLARED_WORK)
)
UNDOCUMENTED = np.int8(LegalStatus.UNDOCUMENTED)


def residents(model: "CityModel") -> np.ndarray:
    """Rows of the people living in an approved host organisation."""
    return np.flatnonzero(model.pop.host_months >= 0)


def city_places(model: "CityModel") -> int:
    """The places the city funds, for this model's population (none before month 0)."""
    support = model.params.policies.oacas_host_support
    if not (support.enabled and model.started):
        return 0
    return model.scaled(support.places, "oacas_host_support.places", each_month=False)


def national_places(model: "CityModel") -> int:
    """The places of the country's approved host organisations, for this model's population."""
    places = model.params.policies.regularisation.oacas_host_places
    return model.scaled(places, "regularisation.oacas_host_places", each_month=False)


def open_places(model: "CityModel") -> int:
    """Places that may take someone in this month: the country's, and the city's while the
    year's lever budget lasts."""
    return national_places(model) + (city_places(model) if model.municipality.can_fund() else 0)


def occupied_city_places(model: "CityModel") -> int:
    """The city's places in use: the residents beyond the country's places, up to the city's."""
    return min(city_places(model), max(residents(model).size - national_places(model), 0))


def residence(model: "CityModel", rng: np.random.Generator) -> None:
    """The host organisations' month (module docstring)."""
    _leave_for_a_job(model)
    _leave_of_own_accord(model)
    _take_in(model)
    _count_activity_months(model)


def _leave_for_a_job(model: "CityModel") -> None:
    pop = model.pop
    rows = residents(model)
    working = IS_EMPLOYED[pop.labour[rows]]
    pop.host_months[rows[working]] = NOT_RESIDENT
    rows = rows[~working]
    authorised = work_authorised(model, rows)
    in_activity = pop.labour[rows] == SOLIDARITY_ACTIVITY
    leave_job(model, rows[authorised & in_activity])
    _start_activity(model, rows[~authorised & ~in_activity])


def _leave_of_own_accord(model: "CityModel") -> None:
    pop = model.pop
    rows = residents(model)
    rate = model.params.policies.regularisation.oacas_host_exit_rate_per_month
    leaving = rows[draws.keyed_uniform(model._seed, "host_organisations.exit", pop.person_id[rows], model.month) < rate]
    pop.host_months[leaving] = NOT_RESIDENT
    leave_job(model, leaving[pop.labour[leaving] == SOLIDARITY_ACTIVITY])


def _take_in(model: "CityModel") -> None:
    pop = model.pop
    free = open_places(model) - residents(model).size
    if free <= 0:
        return
    labour = pop.labour
    looking = (labour == SEARCHING) | (labour == UNDECLARED_WORK)
    candidates = np.flatnonzero(looking & (pop.status == UNDOCUMENTED) & (pop.host_months < 0))
    order = draws.keyed_uniform(model._seed, "host_organisations.entry", pop.person_id[candidates], model.month)
    entering = candidates[np.argsort(order, kind="stable")[:free]]
    _start_activity(model, entering)
    pop.host_months[entering] = 0


def _start_activity(model: "CityModel", rows: np.ndarray) -> None:
    """Residents without the right to work are in unpaid solidarity activity: no job, no
    employer, no SSE enterprise (the host organisation is not one of the model's SSE
    enterprises, whose accounts pay their workers)."""
    leave_job(model, rows)
    model.pop.labour[rows] = SOLIDARITY_ACTIVITY


def _count_activity_months(model: "CityModel") -> None:
    pop = model.pop
    rows = residents(model)
    active = pop.labour[rows] == SOLIDARITY_ACTIVITY
    pop.host_months[rows[active]] += 1
    pop.host_months[rows[~active]] = 0


def fund_places(model: "CityModel", rng: np.random.Generator) -> None:
    """The city pays for its places in use this month (``residence``, which the
    regularisation lever runs just before, fills them with the country's)."""
    p = model.params.policies.oacas_host_support
    model.municipality.spend("oacas_host_support", occupied_city_places(model) * p.cost_eur_per_place_per_month)


register(LeverSpec("oacas_host_support", "status", (fund_places,), priority=110))
