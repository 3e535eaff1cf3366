"""Self-employment: starting a business of one's own, and closing it (Eurostat lfsa_esgan, T26).

Self-employment is a main route into work for non-EU citizens in several countries: 10.4 %
of employed non-EU citizens aged 20-64 in the EU were self-employed in 2023, against
13.5 % of nationals (T26, T26-N). Each month, people who may set up a business and are
looking for work or in an employee's job start one at
``labour_market.self_employment_start_rate_per_month`` times their command of the
language: a business needs customers, suppliers and the administration, all in it
(an assumption, which gives nationals their higher share at one rate for all).
Asylum seekers may not register a business; people without papers work undeclared.

A business works in its owner's trade, at the skilled level when the owner's
qualification is usable here (``labour_market.skilled_eligible``), else as elementary
work, and earns what the trade pays at that level, on the owner's pay factor (its
clients pay it: no employer's opening is taken). Businesses close at
``labour_market.business_closure_rate_per_month``, and the owner looks for work again.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.mechanisms import earnings
from sim.mechanisms.jobs import leave_job, take_job
from sim.mechanisms.labour_market import skilled_eligible
from sim.mechanisms.work_authorisation import work_authorised
from sim.states import JobLevel, LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel

OWN_BUSINESS = -2
"""The employer key of one's own business in the pay draws (``earnings.pay_factor``): an
employer index is 0 or more, and -1 is no employer."""
SELF_EMPLOYED = np.int8(LabourState.SELF_EMPLOYED)
ASYLUM_SEEKER = np.int8(LegalStatus.ASYLUM_SEEKER)
_MAY_START = np.zeros(len(LabourState), dtype=bool)
_MAY_START[[LabourState.SEARCHING, LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS]] = True


def business_starts(model: "CityModel", rng: np.random.Generator) -> None:
    """Searchers and employees with the right to work, other than asylum seekers, start a
    business (module docstring).

    Drawn the way ``draws.chosen_by_code`` draws (language is no code, so not through it):
    candidates among all rows at the rate of a full command of the language, each kept with
    their command of it, then those who may start one. Each row's chance is its rate, the
    draws cost as many as there are candidates (about 0.3 % of rows), and a lever that
    changes who may start shifts no one else's draw.
    """
    pop, lm = model.pop, model.params.labour_market
    rows = draws.chosen(rng, lm.self_employment_start_rate_per_month, pop.slots)
    rows = np.compress(draws.happens(rng, pop.language[rows], rows.size), rows)
    rows = np.compress(may_start(model, rows), rows)
    open_businesses(model, rows)
    model.flows.self_employment_starts += rows.size


def may_start(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Which of these people may start a business: searchers and employees with the right
    to work, other than asylum seekers."""
    pop = model.pop
    allowed = _MAY_START[pop.labour[rows]] & (pop.status[rows] != ASYLUM_SEEKER)
    allowed[allowed] = work_authorised(model, rows[allowed])
    return allowed


def open_businesses(model: "CityModel", rows: np.ndarray) -> None:
    """These people leave any job and work in a business of their own (module docstring)."""
    if rows.size == 0:
        return
    pop = model.pop
    skilled = skilled_eligible(model, rows)
    level = np.where(skilled, JobLevel.SKILLED, JobLevel.ELEMENTARY).astype(np.int8)
    leave_job(model, rows)  # an employee gives up the job (it is not refilled from a list)
    take_job(model, rows, np.full(rows.size, -1, dtype=np.int32), level,
             np.full(rows.size, SELF_EMPLOYED, dtype=np.int8))
    wage = np.array([[s.elementary_wage_eur_per_month, s.skilled_wage_eur_per_month] for s in model.sectors],
                    dtype=np.float32)
    own = np.full(rows.size, OWN_BUSINESS, dtype=np.int64)
    pop.wage_eur_per_month[rows] = wage[pop.origin_sector[rows], level] * earnings.pay_factor(model, rows, own)


def settled_businesses(model: "CityModel", rows: np.ndarray, months: np.ndarray) -> None:
    """Give a business to those of ``rows`` who would run one after ``months`` months of
    starts and closures, in closed form: the people of a stock, before their warm-up.

    From no business, with a start rate r (the monthly rate times one's command of the
    language) and a closure rate c, the chance of running one after m months is
    r / (r + c) * (1 - (1 - r - c)^m). Only those who may start one (``may_start``; in a
    stock, the searchers among them) are drawn, and each of their ``months`` counts as one
    in which they could start (a spell of care, or a lower command of the language earlier,
    is not counted off): the warm-up settles the rest, over 1 / (r + c) months (about 5
    years).
    """
    pop, lm = model.pop, model.params.labour_market
    allowed = may_start(model, rows)
    rows, months = rows[allowed], months[allowed]
    start = lm.self_employment_start_rate_per_month * pop.language[rows].astype(np.float64)
    total = start + lm.business_closure_rate_per_month
    stationary = np.divide(start, total, out=np.zeros_like(start), where=total > 0)
    running = stationary * (1 - (1 - total) ** np.maximum(months, 0))
    open_businesses(model, rows[draws.happens(model.rng, running, rows.size)])


def business_closures(model: "CityModel", rng: np.random.Generator) -> None:
    """Businesses close at ``labour_market.business_closure_rate_per_month``; their owners
    search again."""
    rows = np.flatnonzero(model.pop.labour == SELF_EMPLOYED)
    leave_job(model, rows[draws.chosen(rng, model.params.labour_market.business_closure_rate_per_month, rows.size)])
