"""What programme levers share: admitting participants, and following them up.

Admission gives priority to people the one-stop shop referred in the last
``one_stop_shop.referral_months`` (guide §2.4: the shop "refers to training, SSE and
mentoring"), then to the others at random, up to the free places, and only while the
year's lever budget lasts. Follow-up is how real programmes are evaluated (Duo for a Job,
Barcelona's Nausica): the share of participants in a job or in training 6 and 12 months
after they entered.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.work_authorisation import work_authorised
from sim.records import WORKING_AGE_MONTHS, group_key
from sim.states import IS_EMPLOYED, IS_FORMAL_WORK, N_LABOUR, N_STATUS, Education, LabourState, Reason, Sex

if TYPE_CHECKING:
    from sim.model import CityModel

FOLLOW_UP_MONTHS = (6, 12)
IN_JOB_OR_TRAINING = IS_EMPLOYED.copy()
IN_JOB_OR_TRAINING[[LabourState.LANGUAGE_COURSE, LabourState.INTEGRATED_TRAINING]] = True
assert IN_JOB_OR_TRAINING.size == N_LABOUR


def admit(
    model: "CityModel",
    rng: np.random.Generator,
    candidates: np.ndarray,
    places: int,
    waiting_since: np.ndarray | None = None,
    unit_cost: float = 0.0,
) -> np.ndarray:
    """Choose up to ``places`` participants: referred ones first, then (if given) those
    waiting longest, ties broken at random; no more than the year's remaining lever
    budget pays for at ``unit_cost`` each."""
    if unit_cost > 0:
        places = min(places, int(model.municipality.budget_left_eur() // unit_cost))
    if places <= 0 or candidates.size == 0 or not model.municipality.can_fund():
        return np.empty(0, dtype=np.int64)
    shop = model.params.policies.one_stop_shop
    # Compare months rather than subtract: NO_MONTH (never referred) would overflow.
    referred = model.pop.one_stop_shop_month[candidates] >= model.month - shop.referral_months
    keys = [rng.random(candidates.size)]
    if waiting_since is not None:
        keys.append(waiting_since)
    keys.append(~referred)
    return candidates[np.lexsort(keys)[:places]]


IN_MAINSTREAM_WORK = np.zeros(N_LABOUR, dtype=bool)
IN_MAINSTREAM_WORK[[LabourState.JOB_MATCHING_SKILLS, LabourState.JOB_BELOW_SKILLS, LabourState.SELF_EMPLOYED]] = True
COUNTS = ("followed", "still_in_city", "in_job_or_training", "in_mainstream_work", "in_declared_work")


class ProgrammeOutcomes:
    """Entries into each lever, where the entrants are 6 and 12 months on, and placements.

    ``participants`` counts entries, ``people`` distinct persons (someone may enter twice).
    A programme that is itself a job (SSE places) counts as a job; ``in_mainstream_work``
    (a mainstream job or self-employment) is the springboard outcome; ``in_declared_work``
    counts people (not shares) in declared work, the gross figure that a comparison sets
    against the net change in people in work. ``placements`` counts the jobs a lever's own
    channel gave: partner-priority hires, lasting cooperatives' members, cohort members
    going on self-employed. ``displaced`` counts the times an accepted job seeker was
    passed over at an opening a partner-priority hire took (``labour_market._count_displaced``),
    per lever and, over all levers, by the group they were in that month (``displaced_by_group``).
    """

    def __init__(self):
        self.entries: dict[str, list[np.ndarray]] = {}
        self.followed: dict[str, dict[int, np.ndarray]] = {}
        self.placements: dict[str, int] = {}
        self.displaced: dict[str, int] = {}
        self.displaced_groups = np.zeros((N_STATUS, len(Reason), len(Sex), len(Education)), dtype=np.int64)

    def displace(self, model: "CityModel", lever: str, rows: np.ndarray) -> None:
        """Count the job seekers passed over for ``lever``'s graduates this month."""
        if rows.size == 0:
            return
        self.displaced[lever] = self.displaced.get(lever, 0) + int(rows.size)
        pop = model.pop
        np.add.at(self.displaced_groups, (pop.status[rows], pop.reason[rows], pop.sex[rows], pop.education[rows]), 1)

    def displaced_by_group(self) -> dict[str, int]:
        """Times job seekers were passed over for a graduate over the run, keyed
        ``status|reason|sex|education`` like the who-gains counts (``indicators.by_group``);
        groups nobody was passed over in are left out."""
        return {group_key(index): int(self.displaced_groups[index])
                for index in zip(*np.nonzero(self.displaced_groups), strict=True)}

    def placed(self, lever: str, count: int) -> None:
        if count:
            self.placements[lever] = self.placements.get(lever, 0) + int(count)

    def enter(self, model: "CityModel", lever: str, rows: np.ndarray) -> None:
        if rows.size == 0:
            return
        record = np.stack([rows, model.pop.person_id[rows], np.full(rows.size, model.month)])
        self.entries.setdefault(lever, []).append(record)
        self.followed.setdefault(lever, {m: np.zeros(len(COUNTS), dtype=np.int64) for m in FOLLOW_UP_MONTHS})

    def follow_up(self, model: "CityModel") -> None:
        """Count the entries reaching 6 or 12 months now (the person's row must still be theirs)."""
        pop = model.pop
        for lever, chunks in self.entries.items():
            entries = np.concatenate(chunks, axis=1)
            self.entries[lever] = [entries]
            for months in FOLLOW_UP_MONTHS:
                due = entries[:, entries[2] + months == model.month]
                if due.shape[1] == 0:
                    continue
                here = pop.person_id[due[0]] == due[1]
                labour = pop.labour[due[0]]
                declared = here & IS_FORMAL_WORK[labour] & work_authorised(model, due[0])
                self.followed[lever][months] += [
                    due.shape[1],
                    np.count_nonzero(here),
                    np.count_nonzero(here & IN_JOB_OR_TRAINING[labour]),
                    np.count_nonzero(here & IN_MAINSTREAM_WORK[labour]),
                    np.count_nonzero(declared),
                ]

    def in_declared_work_at_end(self, model: "CityModel", levers: list[str] | None = None) -> np.ndarray:
        """Ids of the participants (in ``levers``, or any) still in the city, aged 20-64 in the
        last month run and in declared work now, each person once: the gross figure a
        comparison sets beside the net change in people in declared work aged 20-64."""
        pop, last = model.pop, model.month - 1
        chunks = [chunk for lever, lever_chunks in self.entries.items() if levers is None or lever in levers
                  for chunk in lever_chunks]
        if not chunks:
            return np.empty(0, dtype=np.int64)
        entries = np.concatenate(chunks, axis=1)
        rows = entries[0][pop.person_id[entries[0]] == entries[1]]
        age = last - pop.birth_month[rows]
        rows = rows[(age >= WORKING_AGE_MONTHS[0]) & (age < WORKING_AGE_MONTHS[1]) & IS_FORMAL_WORK[pop.labour[rows]]]
        return np.unique(pop.person_id[rows])

    def summary(self, model: "CityModel") -> dict[str, dict]:
        """Per lever: entries, people, placements, the follow-ups, and
        ``in_declared_work_at_end`` (``in_declared_work_at_end``'s count for the lever)."""
        out = {}
        for lever, chunks in self.entries.items():
            entries = np.concatenate(chunks, axis=1)
            lever_out: dict = {"participants": int(entries.shape[1]), "people": int(np.unique(entries[1]).size),
                               "placements": self.placements.get(lever, 0),
                               "displaced": self.displaced.get(lever, 0),
                               "in_declared_work_at_end": int(self.in_declared_work_at_end(model, [lever]).size)}
            for months, (due, here, job_or_training, mainstream, declared) in self.followed[lever].items():
                lever_out[f"after_{months}_months"] = {
                    "followed": int(due),
                    "still_in_city": int(here),
                    "in_job_or_training_share": job_or_training / here if here else None,
                    "in_mainstream_work_share": mainstream / here if here else None,
                    "in_declared_work": int(declared),
                }
            out[lever] = lever_out
        return out
