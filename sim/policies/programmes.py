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

from sim.states import IS_EMPLOYED, N_LABOUR, LabourState

if TYPE_CHECKING:
    from sim.model import CityModel

FOLLOW_UP_MONTHS = (6, 12)
IN_JOB_OR_TRAINING = IS_EMPLOYED.copy()
IN_JOB_OR_TRAINING[[LabourState.LANGUAGE_COURSE, LabourState.INTEGRATED_TRAINING]] = True
assert IN_JOB_OR_TRAINING.size == N_LABOUR


def admit(model: "CityModel", candidates: np.ndarray, places: int, waiting_since: np.ndarray | None = None) -> np.ndarray:
    """Choose up to ``places`` participants: referred ones first, then (if given) those
    waiting longest, ties broken at random."""
    if places <= 0 or candidates.size == 0 or not model.municipality.can_fund():
        return np.empty(0, dtype=np.int64)
    shop = model.params.policies.one_stop_shop
    # Compare months rather than subtract: NO_MONTH (never referred) would overflow.
    referred = model.pop.one_stop_shop_month[candidates] >= model.month - shop.referral_months
    keys = [model.rng.random(candidates.size)]
    if waiting_since is not None:
        keys.append(waiting_since)
    keys.append(~referred)
    return candidates[np.lexsort(keys)[:places]]


class ProgrammeOutcomes:
    """Participants of each lever and whether they are in a job or training 6 and 12 months on."""

    def __init__(self):
        self.entries: dict[str, list[np.ndarray]] = {}
        self.followed: dict[str, dict[int, list[int]]] = {}

    def enter(self, model: "CityModel", lever: str, rows: np.ndarray) -> None:
        if rows.size == 0:
            return
        record = np.stack([rows, model.pop.person_id[rows], np.full(rows.size, model.month)])
        self.entries.setdefault(lever, []).append(record)
        self.followed.setdefault(lever, {m: [0, 0, 0] for m in FOLLOW_UP_MONTHS})

    def follow_up(self, model: "CityModel") -> None:
        """Count, for entries reaching 6 or 12 months now: still in the city, and in a job or training."""
        pop = model.pop
        for lever, chunks in self.entries.items():
            entries = np.concatenate(chunks, axis=1)
            self.entries[lever] = [entries]
            for months in FOLLOW_UP_MONTHS:
                due = entries[:, entries[2] + months == model.month]
                if due.shape[1] == 0:
                    continue
                here = pop.person_id[due[0]] == due[1]
                success = here & IN_JOB_OR_TRAINING[pop.labour[due[0]]]
                counts = self.followed[lever][months]
                counts[0] += due.shape[1]
                counts[1] += int(here.sum())
                counts[2] += int(success.sum())

    def summary(self) -> dict[str, dict]:
        out = {}
        for lever, chunks in self.entries.items():
            participants = int(sum(chunk.shape[1] for chunk in chunks))
            lever_out: dict = {"participants": participants}
            for months, (due, here, success) in self.followed[lever].items():
                lever_out[f"after_{months}_months"] = {
                    "followed": due,
                    "still_in_city": here,
                    "in_job_or_training_share": success / here if here else None,
                }
            out[lever] = lever_out
        return out
