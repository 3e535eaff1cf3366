"""Pathways through the city: who moves between labour states and legal statuses, and how fast.

The model keeps only the present in its population arrays; ``PathwayTracker`` keeps a
compact monthly snapshot (person id, legal status, labour state) so that a run can show
flows between states over the years (the guide's "pathway", §2.8 springboard and §2.9
linear versus integrated routes), one migrant's history month by month, and the time to
a first declared job by reason of arrival, sex and education (Kaplan-Meier, censoring
those who leave or still wait).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.indicators import first_formal_job_tables
from sim.records import kaplan_meier_curve
from sim.states import Education, LabourState, LegalStatus, Reason, Sex

if TYPE_CHECKING:
    from sim.model import CityModel

LEFT = "left the city"

LABOUR_GROUPS: dict[str, tuple[LabourState, ...]] = {
    "not ready or inactive": (LabourState.NOT_READY, LabourState.INACTIVE),
    "searching": (LabourState.SEARCHING,),
    "language or training": (LabourState.LANGUAGE_COURSE, LabourState.INTEGRATED_TRAINING),
    "undeclared work": (LabourState.UNDECLARED_WORK,),
    "SSE job or cooperative": (
        LabourState.SSE_TRANSITIONAL_JOB, LabourState.EPHEMERAL_COOP_MEMBER, LabourState.SSE_COOP_MEMBER,
        LabourState.SOLIDARITY_ACTIVITY,
    ),
    "declared job": (LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS, LabourState.SELF_EMPLOYED),
}
"""Labour states gathered into the stages of a pathway, so that a flow chart stays readable."""

_LABOUR_GROUP_OF = {state: name for name, states in LABOUR_GROUPS.items() for state in states}
_STATUS_NAMES = {status: status.name.lower().replace("_", " ") for status in LegalStatus if status != LegalStatus.GONE}
_STAGE_BY_CODE = {
    "labour": np.array([_LABOUR_GROUP_OF.get(state, LEFT) for state in LabourState], dtype=object),
    "status": np.array([_STATUS_NAMES.get(status, LEFT) for status in LegalStatus], dtype=object),
}
"""Stage name by state code, so that a whole cohort is named with one array lookup."""

BREAKDOWNS = {"reason": Reason, "sex": Sex, "education": Education}
"""Groups of the time to a first declared job: reason of arrival (the status one arrives
with: asylum, family, work, study), sex and education."""


@dataclass
class PathwayTracker:
    """Monthly snapshots of everyone's legal status and labour state, sorted by person id."""

    months: list[int] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)
    labour: list[np.ndarray] = field(default_factory=list)

    def record(self, model: "CityModel") -> None:
        """Snapshot the month just run (call after ``model.step()``)."""
        rows = np.flatnonzero(model.pop.alive())
        order = np.argsort(model.pop.person_id[rows], kind="stable")
        rows = rows[order]
        self.months.append(model.month - 1)
        self.ids.append(model.pop.person_id[rows].astype(np.int32 if model.pop.next_id < 2**31 else np.int64))
        self.status.append(model.pop.status[rows].copy())
        self.labour.append(model.pop.labour[rows].copy())

    def history(self, person_id: int) -> pd.DataFrame:
        """One migrant's legal status and labour state in each recorded month they were in the city."""
        rows = []
        for month, ids, status, labour in zip(self.months, self.ids, self.status, self.labour):
            at = np.searchsorted(ids, person_id)
            if at < ids.size and ids[at] == person_id:
                rows.append({"month": month, "legal_status": _STATUS_NAMES[LegalStatus(status[at])],
                             "labour_state": LabourState(labour[at]).name.lower().replace("_", " ")})
        return pd.DataFrame(rows, columns=["month", "legal_status", "labour_state"])

    def stages(self, kind: str, at_months: list[int], cohort: np.ndarray) -> pd.DataFrame:
        """The stage of each person of ``cohort`` (person ids) at each of ``at_months``.

        ``kind`` is ``"labour"`` (the groups of ``LABOUR_GROUPS``) or ``"status"`` (legal
        status); people no longer in the city are in stage ``LEFT``.
        """
        if kind not in ("labour", "status"):
            raise ValueError(f"kind must be 'labour' or 'status', not {kind!r}")
        table = {}
        for month in at_months:
            index = self.months.index(month)
            ids = self.ids[index]
            codes = (self.labour if kind == "labour" else self.status)[index]
            at = np.minimum(np.searchsorted(ids, cohort), ids.size - 1)
            present = ids[at] == cohort if ids.size else np.zeros(cohort.size, dtype=bool)
            names = np.full(cohort.size, LEFT, dtype=object)
            names[present] = _STAGE_BY_CODE[kind][codes[at[present]]]
            table[month] = names
        return pd.DataFrame(table, index=pd.Index(cohort, name="person_id"))

    def cohort(self, which: str) -> np.ndarray:
        """Person ids of a cohort: ``"present"`` at the first recorded month, or ``"newcomers"``
        who arrived during the first recorded year."""
        if not self.months:
            raise ValueError("no month recorded yet")
        if which == "present":
            return self.ids[0]
        if which == "newcomers":
            first_year = [ids for month, ids in zip(self.months, self.ids) if month < self.months[0] + 12]
            return np.setdiff1d(np.unique(np.concatenate(first_year)), self.ids[0])
        raise ValueError(f"cohort must be 'present' or 'newcomers', not {which!r}")


def flows(stages: pd.DataFrame) -> pd.DataFrame:
    """People moving from each stage to each stage between consecutive columns of ``stages``."""
    out = []
    columns = list(stages.columns)
    for start, end in zip(columns, columns[1:]):
        counts = stages.groupby([start, end]).size()
        for (source, target), people in counts.items():
            out.append({"from_month": start, "to_month": end, "source": source, "target": target, "people": int(people)})
    return pd.DataFrame(out, columns=["from_month", "to_month", "source", "target", "people"])


def first_job_curves(model: "CityModel", by: str, max_months: int = 120) -> pd.DataFrame:
    """Share still without a declared job, by months since arrival, for each group of ``by``.

    Columns: ``months`` and one per group, plus ``all``. Only people who arrived during the
    reported run count (see ``records.FirstFormalJob``).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {sorted(BREAKDOWNS)}, not {by!r}")
    events, censored = first_formal_job_tables(model)
    axis = list(BREAKDOWNS).index(by)
    other = tuple(a for a in range(3) if a != axis)
    e, c = events.sum(axis=other), censored.sum(axis=other)
    horizon = min(max_months, e.shape[1] - 1) + 1
    table = {"months": np.arange(horizon)}
    for member in BREAKDOWNS[by]:
        if e[member].sum() + c[member].sum() > 0:
            table[member.name.lower()] = kaplan_meier_curve(e[member], c[member])[:horizon]
    table["all"] = kaplan_meier_curve(e.sum(axis=0), c.sum(axis=0))[:horizon]
    return pd.DataFrame(table)
