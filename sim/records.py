"""What the model remembers from month to month for its indicators.

The population arrays hold only the present; these accumulators keep the history that
end-of-run indicators need: flows in and out, the time from arrival to a first formal
job (with censoring, for a Kaplan-Meier median), monthly counts of people by legal
status, labour state, sex and education, and by years since arrival, and each leaver's
last record.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from sim.population import NO_MONTH, Population, blocks, by_code, readable
from sim.states import EMPLOYED_STATES, N_LABOUR, N_STATUS, Education, JobLevel, LabourState, LegalStatus, Reason, Sex

N_GROUPS = len(Reason) * len(Sex) * len(Education)
MAX_YEARS_SINCE_ARRIVAL = 10
WORKING_AGE_MONTHS = (20 * 12, 65 * 12)
_MONTHS_TRACKED = (MAX_YEARS_SINCE_ARRIVAL + 1) * 12
"""Ages 20-64, the LFS band of the employment-rate targets (lfsa_ergan)."""
_FIRST_EMPLOYED, _LAST_EMPLOYED = np.int8(min(EMPLOYED_STATES)), np.int8(max(EMPLOYED_STATES))
_UNDECLARED = np.int8(LabourState.UNDECLARED_WORK)
_BELOW_SKILLS = np.int8(LabourState.JOB_BELOW_SKILLS)
_SELF_EMPLOYED = np.int8(LabourState.SELF_EMPLOYED)
_HIGH = np.int8(Education.HIGH)


GROUP_SEPARATOR = "|"


def group_key(index: tuple[int, int, int, int]) -> str:
    """A who-gains group's name from its (legal status, reason, sex, education) codes:
    ``status|reason|sex|education``, as the results key it."""
    return GROUP_SEPARATOR.join(e(v).name.lower() for e, v in zip((LegalStatus, Reason, Sex, Education), index,
                                                                   strict=True))


class WorkQuality(IntEnum):
    """What kind of work someone has this month, for who gains (``MonthlyCounts.GROUPS``)."""

    NONE = 0
    DECLARED = 1
    DECLARED_BELOW_SKILLS = 2
    UNDECLARED = 3
    UNDECLARED_EXPLOITED = 4


@dataclass
class Flows:
    """What happened in the current month: people who entered and left the city, and
    mainstream openings filled (every mainstream job starts by filling one)."""

    newcomers: int = 0
    leavers: int = 0
    openings_filled: int = 0
    self_employment_starts: int = 0
    """People who set up alone this month: business starts (``self_employment``) and an
    ephemeral cohort's members whose trade pays."""


class Departures:
    """Each leaver's last record, to answer for someone who has left (``CityModel.migrant``).

    Only the columns a person's situation is told by (``KEPT``), 38 bytes a leaver: a
    million-migrant decade keeps some 60 MB, where whole rows would take three times that.
    Unlike the indicators' records it keeps the warm-up's leavers too: their ids were given
    in this run, and asking for one (the README's ``model.migrant(42)``) has an answer.
    """

    KEPT = ("person_id", "status", "status_since_month", "labour", "labour_since_month", "reason", "sex",
            "education", "origin_sector", "birth_month", "arrival_month", "language")

    def __init__(self) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def leave(self, pop: Population, rows: np.ndarray, month: int) -> None:
        chunk = {name: getattr(pop, name)[rows] for name in self.KEPT}  # fancy indexing copies
        chunk["left_month"] = np.full(rows.size, month, dtype=np.int32)
        self._chunks.append(chunk)

    def last_record(self, person_id: int) -> dict[str, Any] | None:
        """The readable record of the month ``person_id`` left, with ``left_month``; None
        if they have not left."""
        for chunk in reversed(self._chunks):
            at = np.flatnonzero(chunk["person_id"] == person_id)
            if at.size:
                values = {name: column[at[0]].item() for name, column in chunk.items()}
                left = values.pop("left_month")
                return {**readable(values, left), "left_month": left}
        return None


def group_index(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Index of (reason of arrival, sex, education) groups, for breakdowns."""
    return (pop.reason[rows].astype(np.int64) * len(Sex) + pop.sex[rows]) * len(Education) + pop.education[rows]


class FirstFormalJob:
    """Months from arrival to the first declared job, for people who arrived during the run.

    Events are counted when they happen; people who leave without one are censored at
    departure; people still waiting are censored at the time of the query.
    """

    def __init__(self, max_months: int):
        self.max_months = max_months
        self.events = np.zeros((N_GROUPS, max_months + 1), dtype=np.int64)
        self.departed = np.zeros((N_GROUPS, max_months + 1), dtype=np.int64)

    def _add(self, table: np.ndarray, pop: Population, rows: np.ndarray, month: int) -> None:
        rows = rows[(pop.arrival_month[rows] >= 0) & (pop.first_formal_job_month[rows] == NO_MONTH)]
        if rows.size:  # most calls of a month (a hire, a departure) have no one arrived in the run
            waited = _months_waited(month, pop.arrival_month[rows], self.max_months)
            np.add.at(table, (group_index(pop, rows), waited), 1)

    def hired(self, pop: Population, rows: np.ndarray, month: int) -> None:
        """Count first formal jobs; call before ``first_formal_job_month`` is set."""
        self._add(self.events, pop, rows, month)

    def censor(self, pop: Population, rows: np.ndarray, month: int) -> None:
        self._add(self.departed, pop, rows, month)

    def tables(self, pop: Population, month: int) -> tuple[np.ndarray, np.ndarray]:
        """Event and censoring counts by group and months waited, including those still waiting."""
        waiting = np.zeros_like(self.departed)
        rows = np.flatnonzero(pop.alive())
        rows = rows[(pop.arrival_month[rows] >= 0) & (pop.first_formal_job_month[rows] == NO_MONTH)]
        np.add.at(waiting, (group_index(pop, rows), _months_waited(month, pop.arrival_month[rows], self.max_months)), 1)
        return self.events, self.departed + waiting


def _months_waited(month: int, arrival_month: np.ndarray, max_months: int) -> np.ndarray:
    """Months since arrival, within 0 .. ``max_months``: ``np.clip``'s result without its
    wrapper, which costs more than the few rows a month's call has."""
    return np.minimum(np.maximum(month - arrival_month, 0), max_months)


def kaplan_meier_curve(events: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Share still waiting after each month waited (Kaplan-Meier survival), from counts of
    events and censorings per month waited."""
    at_risk = (events + censored)[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
    return np.cumprod(1.0 - hazard)


def kaplan_meier_median(events: np.ndarray, censored: np.ndarray) -> float | None:
    """Median waiting time from counts of events and censorings per month waited.

    Returns ``None`` when fewer than half have had the event by the longest wait observed
    (the median is not reached), rather than a biased median of the uncensored times.
    """
    reached = np.flatnonzero(kaplan_meier_curve(events, censored) <= 0.5)
    return float(reached[0]) if reached.size else None


def _mixed_radix(code: np.ndarray, *digits: tuple[np.ndarray, int]) -> np.ndarray:
    """``code * base + digit`` for each (digit, base) in turn, in place: one small integer per
    combination of codes, for ``np.bincount``."""
    for digit, base in digits:
        code *= np.int16(base)
        code += digit
    return code


class MonthlyCounts:
    """Per month, people aged 20-64 by (status, labour state, sex, education), by years since
    arrival, and by group (who gains: ``GROUPS``); and, by status, the tertiary graduates
    running an elementary business (``businesses_below_skills``): the LFS classes the
    self-employed by their occupation, so they are over-qualified as graduates in
    elementary jobs are."""

    SHAPE = (N_STATUS, N_LABOUR, len(Sex), len(Education))
    GROUPS = (len(WorkQuality), 2, N_STATUS, len(Reason), len(Sex), len(Education))
    """Work (``WorkQuality``) and working poor or not, by legal status, reason of arrival, sex
    and education."""

    def __init__(self, by_arrival_and_group: bool = True):
        self.by_arrival_and_group = by_arrival_and_group
        """Whether to count by years since arrival and by group too: the nationals' comparison
        population needs neither, and skipping them halves its count (3.4 to 1.7 ms a month at a million)."""
        self.cells: list[np.ndarray] = []
        self.months_in_detail = 0
        """The last months counted by years since arrival and by group, in a row (``record``)."""
        self.by_years: list[np.ndarray] = []  # (work: none, undeclared, declared; reason, sex, years since arrival 0-10)
        self.by_group: list[np.ndarray] = []
        self.businesses_below_skills: list[np.ndarray] = []

    def record(self, pop: Population, month: int, poverty_pay_by_labour: np.ndarray, in_detail: bool = True) -> None:
        """Count the month. ``poverty_pay_by_labour`` is the pay below which a worker in each
        labour state is working poor (``earnings.poverty_pay_by_labour``). ``in_detail``: by
        years since arrival and by group too, if kept at all (``by_arrival_and_group``); only
        the final window's indicators read them, so a run counts them in its last months
        only (``CityModel.run``), which saves about a tenth of a month at a million."""
        detailed = self.by_arrival_and_group and in_detail
        # Block by block (``population.blocks``), so that the temporaries stay in cache: the
        # working-age rows of the block (free rows have a birth month far in the future, so
        # they are never of working age), their codes combined in small integers, counted.
        # Codes are compared with NumPy scalars, not the IntEnum members: NumPy takes an
        # IntEnum for a generic Python object and widens the whole column to compare.
        n_cells = int(np.prod(self.SHAPE))
        groups = (3, len(Reason), len(Sex))
        n_index = int(np.prod(groups)) * (_MONTHS_TRACKED + 1)
        cells = np.zeros(n_cells, dtype=np.int64)
        by_month = np.zeros(n_index, dtype=np.int64)
        n_groups = int(np.prod(self.GROUPS))
        by_group = np.zeros(n_groups, dtype=np.int64)
        businesses_below = np.zeros(N_STATUS, dtype=np.int64)
        for block in blocks(pop.slots):
            birth = pop.birth_month[block]
            working_age = birth <= month - WORKING_AGE_MONTHS[0]
            working_age &= birth > month - WORKING_AGE_MONTHS[1]
            rows = np.flatnonzero(working_age)
            labour, sex = pop.labour[block].take(rows), pop.sex[block].take(rows)
            status, education = pop.status[block].take(rows), pop.education[block].take(rows)
            cell = _mixed_radix(status.astype(np.int16), (labour, N_LABOUR), (sex, len(Sex)), (education, len(Education)))
            cells += np.bincount(cell, minlength=n_cells)
            business_below = labour == _SELF_EMPLOYED
            business_below &= education == _HIGH
            business_below &= pop.job_level[block].take(rows) == np.int8(JobLevel.ELEMENTARY)
            businesses_below += np.bincount(status[business_below], minlength=N_STATUS)
            if not detailed:
                continue
            # By months since arrival (cheaper than dividing everyone's by 12), then summed into years.
            work = labour >= _FIRST_EMPLOYED
            work &= labour <= _LAST_EMPLOYED
            index = work.astype(np.int16)  # 0 no work, 1 undeclared work, 2 declared work
            work &= labour != _UNDECLARED
            index += work
            reason = pop.reason[block].take(rows)
            # Who gains: the job's quality and pay by status, reason, sex, education.
            below = labour == _BELOW_SKILLS
            below |= business_below
            off_the_books = labour == _UNDECLARED
            quality = work.astype(np.int16)  # declared work, 1
            quality += below  # declared, below one's skills: 2
            quality += off_the_books * np.int16(WorkQuality.UNDECLARED)
            quality += off_the_books & pop.exploited[block].take(rows)  # exploited: 4
            poor = index > 0
            poor &= pop.wage_eur_per_month[block].take(rows) < by_code(poverty_pay_by_labour, labour)
            group = _mixed_radix(quality, (poor, 2), (status, N_STATUS), (reason, len(Reason)), (sex, len(Sex)),
                                 (education, len(Education)))
            by_group += np.bincount(group, minlength=n_groups)
            since = month - pop.arrival_month[block].take(rows)
            np.minimum(since, _MONTHS_TRACKED, out=since)
            index = _mixed_radix(index, (reason, len(Reason)), (sex, len(Sex)),
                                 (since.astype(np.int16), _MONTHS_TRACKED + 1))
            by_month += np.bincount(index, minlength=n_index)
        self.cells.append(cells.reshape(self.SHAPE))
        self.businesses_below_skills.append(businesses_below)
        if not detailed:
            self.months_in_detail = 0
            return
        self.months_in_detail += 1
        self.by_group.append(by_group.reshape(self.GROUPS))
        by_month = by_month.reshape(*groups, _MONTHS_TRACKED + 1)
        years = by_month[..., :_MONTHS_TRACKED].reshape(*groups, MAX_YEARS_SINCE_ARRIVAL + 1, 12)
        self.by_years.append(years.sum(axis=-1))

    def window(self, months: int) -> np.ndarray:
        """``cells`` summed over the last ``months`` recorded months."""
        return sum(self.cells[-months:])

    def years_since_arrival(self, months: int) -> np.ndarray:
        """``by_years`` summed over the last ``months`` recorded months."""
        self._kept("by years since arrival", months)
        return sum(self.by_years[-months:])

    def _kept(self, what: str, months: int) -> None:
        if not self.by_arrival_and_group:
            raise ValueError(f"these monthly counts were kept without the counts {what} (by_arrival_and_group=False: "
                             "the nationals' comparison population)")
        if months > self.months_in_detail:
            raise ValueError(f"the counts {what} cover the last {self.months_in_detail} months, not {months}: a run "
                             "counts them over its final window only (CityModel.run)")

    def businesses_below(self, months: int) -> np.ndarray:
        """``businesses_below_skills`` summed over the last ``months`` recorded months, by status."""
        return sum(self.businesses_below_skills[-months:])

    def groups(self, months: int) -> np.ndarray:
        """``by_group`` summed over the last ``months`` recorded months."""
        self._kept("by group", months)
        return sum(self.by_group[-months:])
