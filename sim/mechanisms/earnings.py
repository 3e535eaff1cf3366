"""Each person's pay: hours and pay around the sector's wage, and income against the poverty line.

A sector pays a monthly wage by job level (``labour_market.sectors``); people in the same
job are not paid the same. A job's pay is that wage times the person's pay factor in
the job (log-normal, mean 1, spread ``earnings.pay_dispersion_log``), times
``part_time_hours_share`` when the job is part-time, which it is with the share of the
person's sex (Eurostat lfsa_eppgan). Undeclared work pays its share of the elementary
wage (``undeclared``) on the same factors; an SSE enterprise pays its own rate from its
accounts (:mod:`sim.sse`), which its accounts book.

Both draws are keyed by the person and the employer (``draws.keyed_uniform``): the
same person at the same employer is paid the same in every scenario and month, and a
lever that moves someone to another employer pays them as that job would.

Income for poverty is net: declared pay less ``employee_deductions_share_of_gross_pay``;
undeclared pay as paid; benefits as paid (:mod:`sim.mechanisms.welfare`). A person in
paid work whose net income is below ``poverty_line_eur_per_month`` is counted as working
poor: the individual reading of Eurostat's in-work poverty, which looks at the household.
"""

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from sim import draws
from sim.mechanisms.welfare import benefit_by_status
from sim.states import IS_EMPLOYED, IS_FORMAL_WORK, Sex

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario import Scenario


def pay_factor(model: "CityModel", rows: np.ndarray, employers: np.ndarray) -> np.ndarray:
    """The share of the sector's full-time wage that each person is paid at the employer
    (index into ``model.employers``, or an SSE enterprise's key): pay factor times hours."""
    p, pop = model.params.earnings, model.pop
    person = pop.person_id[rows]
    spread = p.pay_dispersion_log
    pay, hours = draws.keyed_uniforms(model._seed, ("earnings.pay", "earnings.part_time"), person, employers)
    factor = np.exp(spread * ndtri(np.clip(pay, 1e-12, 1.0 - 1e-12)) - spread**2 / 2)  # mean 1
    part_time_share = np.where(pop.sex[rows] == np.int8(Sex.FEMALE), p.part_time_share_female, p.part_time_share_male)
    part_time = hours < part_time_share
    return (factor * np.where(part_time, p.part_time_hours_share, 1.0)).astype(np.float32)


def net_income_eur_per_month(model: "CityModel", rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Each person's net monthly income: pay after employees' deductions if in declared
    work, pay as paid if undeclared, else their benefit."""
    pop, p = model.pop, model.params.earnings
    labour = pop.labour[rows]
    pay = pop.wage_eur_per_month[rows] * np.where(IS_FORMAL_WORK[labour],
                                                   np.float32(1.0 - p.employee_deductions_share_of_gross_pay),
                                                   np.float32(1.0))
    return np.where(IS_EMPLOYED[labour], pay, benefit_by_status(model)[pop.status[rows]])


def working_poor(model: "CityModel", rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Whether each person is in work and has a net income below the poverty line. Unpaid
    members of a collective (solidarity activity) are not in work."""
    labour = model.pop.labour[rows]
    below = net_income_eur_per_month(model, rows) < model.params.earnings.poverty_line_eur_per_month
    return IS_EMPLOYED[labour] & below


def poverty_pay_by_labour(params: "Scenario") -> np.ndarray:
    """By labour state, the pay below which a person in work is working poor: the poverty
    line grossed up by the employees' deductions in declared work, as it is otherwise.
    Equivalent to ``working_poor`` for the monthly counts (``records.MonthlyCounts``), which
    compare pay without computing everyone's net income."""
    p = params.earnings
    return np.where(IS_FORMAL_WORK, p.poverty_line_eur_per_month / (1.0 - p.employee_deductions_share_of_gross_pay),
                    p.poverty_line_eur_per_month).astype(np.float32)
