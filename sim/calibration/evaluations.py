"""Programme evaluations: each lever held against what the real programme's evaluation found.

``calibration/programmes.toml`` lists the evaluations: the programme, the lever and the
city scenario that stand for it, the statistic its evaluation published, with the source,
the tolerance and the evaluation's design. ``evaluate`` replicates the evaluation in the
model: it runs the lever's scenario, follows the cohort the programme took in (its
eligibility is the lever's), computes the published statistic on them, and, for the
comparison the evaluation did not or could not make, the same statistic for the same
people in the city's baseline run (same seed, so the same people arrive: common random
numbers). That is the programme's effect on its participants; the published figure is
compared with the participants' value, as the evaluation measured it.

The observers here read the models month by month and change nothing in them.
"""

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.targets import CALIBRATION_DIR
from sim.model import CityModel
from sim.provenance import code_version
from sim.policies.programmes import IN_JOB_OR_TRAINING, IN_MAINSTREAM_WORK
from sim.scenario import load, with_overrides
from sim.sse import REVENUE_SOURCES
from sim.states import LegalStatus

PUBLIC_SOURCES = ("public_orders", "subsidies")
"""An SSE enterprise's income from the public purse: the city's orders and its subsidies."""
STATISTICS = ("in_job_or_training", "in_mainstream_work", "public_share_of_income", "founders_regularised",
              "applications_per_undocumented")
"""What an evaluation can measure (``Observer`` subclasses; the file's header explains each)."""
KEYS = {"title", "section", "lever", "scenario", "cities", "statistic", "months", "published", "tolerance",
        "at_least", "source", "design", "overrides", "run_months", "why_missed", "bounds", "scan"}


@dataclass(frozen=True)
class Evaluation:
    name: str
    title: str
    section: str
    lever: str
    scenario: str
    """The lever's scenario in each city: ``scenarios/CITY/<scenario>.toml``."""
    cities: tuple[str, ...]
    """The cities the programme can be replicated in; the first is where it ran, or the nearest."""
    statistic: str
    months: int
    """When the statistic is read: months after entry (or founding, or the calendar month)."""
    tolerance: float
    source: str
    design: str
    run_months: int
    published: float | None = None
    """None: the programme published no outcome (``why_missed`` says so)."""
    at_least: bool = False
    """The published figure is a floor ("most participants"): hit when the value reaches
    ``published - tolerance`` or more."""
    overrides: tuple[tuple[str, Any], ...] = ()
    why_missed: str | None = None
    bounds: str | None = None
    """The lever parameter, an assumption, that this evaluation bounds: ``--scan`` runs the
    evaluation at each of ``scan`` and reports the values whose mean hits the published figure."""
    scan: tuple[float, ...] = ()


def evaluations() -> dict[str, Evaluation]:
    with (CALIBRATION_DIR / "programmes.toml").open("rb") as handle:
        table = tomllib.load(handle)
    out = {}
    for name, entry in table.items():
        unknown = set(entry) - KEYS
        if unknown:
            raise ValueError(f"programmes.toml [{name}]: unknown key '{sorted(unknown)[0]}' (allowed: {', '.join(sorted(KEYS))})")
        if entry["statistic"] not in STATISTICS:
            raise ValueError(f"programmes.toml [{name}]: statistic '{entry['statistic']}' (allowed: {', '.join(STATISTICS)})")
        out[name] = Evaluation(name=name, cities=tuple(entry.pop("cities")), scan=tuple(entry.pop("scan", ())),
                               overrides=tuple(entry.pop("overrides", {}).items()), **entry)
    return out


def evaluation(name: str, city: str | None) -> tuple[Evaluation, str]:
    """The named evaluation and the city to run it in (its first by default), or a one-line error."""
    known = evaluations()
    if name not in known:
        raise ValueError(f"unknown programme '{name}' (allowed: {', '.join(known)})")
    chosen = known[name]
    city = city or chosen.cities[0]
    if city not in chosen.cities:
        raise ValueError(f"programme '{name}' cannot be replicated in '{city}' (allowed: {', '.join(chosen.cities)})")
    return chosen, city


class Observer:
    """Reads a model after each month; ``value`` is the statistic over the run."""

    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation

    def observe(self, model: CityModel) -> None:
        raise NotImplementedError

    def value(self) -> dict[str, float | None]:
        raise NotImplementedError


class CohortOutcome(Observer):
    """The share of a lever's entrants (each person's first entry) who were in some states
    at some month within ``months`` after they entered ("a job, an internship or training
    within 12 months"), among those still in the city then, in the lever's run; and the
    same people's share over the same months in the baseline run (``compare``), where they
    never entered."""

    def __init__(self, evaluation: Evaluation, states: np.ndarray):
        super().__init__(evaluation)
        self.states = states
        self.ids = np.empty(0, dtype=np.int64)
        """Entrants' person ids, sorted, from the lever's run; ``due`` the month each is counted."""
        self.due = np.empty(0, dtype=np.int64)
        self.reached = np.zeros(0, dtype=bool)
        self.counts = {"participants": np.zeros(2, dtype=np.int64), "same_people_without": np.zeros(2, dtype=np.int64)}

    def observe(self, model: CityModel) -> None:
        month = model.month - 1  # the month just run
        entries = model.programme_outcomes.entries.get(self.evaluation.lever, [])
        if entries:
            latest = np.concatenate(entries, axis=1)
            new = np.unique(latest[1, latest[2] == month])
            new = new[~np.isin(new, self.ids)]  # each person's first entry
            ids = np.concatenate([self.ids, new])
            order = np.argsort(ids, kind="stable")
            self.ids = ids[order]
            self.due = np.concatenate([self.due, np.full(new.size, month + self.evaluation.months)])[order]
            self.reached = np.concatenate([self.reached, np.zeros(new.size, dtype=bool)])[order]
        self._count(model, month, "participants")

    def compare(self, model: CityModel) -> None:
        """The baseline run's month: the entrants' states, from the month they entered in the lever's run."""
        self._count(model, model.month - 1, "same_people_without")

    def _count(self, model: CityModel, month: int, key: str) -> None:
        following = (self.due >= month) & (self.due - self.evaluation.months <= month)
        if not following.any():
            return
        pop = model.pop
        rows = np.flatnonzero(pop.alive() & np.isin(pop.person_id, self.ids[following]))
        index = np.searchsorted(self.ids, pop.person_id[rows])
        self.reached[index[self.states[pop.labour[rows]]]] = True
        here = index[self.due[index] == month]
        self.counts[key] += [here.size, np.count_nonzero(self.reached[here])]
        self.reached[self.due == month] = False  # ready for the baseline run's count

    def value(self) -> dict[str, float | None]:
        return {key: (int(hit) / int(n) if n else None) for key, (n, hit) in self.counts.items()} | {
            "cohort": int(self.counts["participants"][0])}


class PublicShareOfIncome(Observer):
    """The public share (city orders and subsidies) of the income of the collectives the
    lever founded, in the year of their life that ends at month ``months`` (12: the first
    year, 36: the third)."""

    def __init__(self, evaluation: Evaluation):
        super().__init__(evaluation)
        self.income = np.zeros(2)

    def observe(self, model: CityModel) -> None:
        year_end = self.evaluation.months
        for enterprise in model.sse_enterprises:
            age = model.month - 1 - enterprise.founded_month  # 0 in the founding month
            if enterprise.founded_as == "collective" and year_end - 12 <= age < year_end and enterprise.alive:
                month = enterprise.accounts.month
                self.income += [sum(month[s] for s in PUBLIC_SOURCES), sum(month[s] for s in REVENUE_SOURCES)]

    def value(self) -> dict[str, float | None]:
        return {"participants": self.income[0] / self.income[1] if self.income[1] > 0 else None}


class FoundersRegularised(Observer):
    """Of the founders of the lever's collectives who had no papers at the founding, the
    share with papers ``months`` later, among those still in the city."""

    def __init__(self, evaluation: Evaluation):
        super().__init__(evaluation)
        self.founders: list[tuple[np.ndarray, int]] = []
        self.counts = np.zeros(2, dtype=np.int64)

    def observe(self, model: CityModel) -> None:
        pop, month = model.pop, model.month - 1
        for enterprise in model.sse_enterprises:
            if enterprise.founded_as == "collective" and enterprise.founded_month == month:
                members = np.flatnonzero(pop.sse_enterprise == enterprise.index)
                undocumented = members[pop.status[members] == LegalStatus.UNDOCUMENTED]
                self.founders.append((pop.person_id[undocumented], month + self.evaluation.months))
        for ids, due in self.founders:
            if due == month:
                here = np.flatnonzero(pop.alive() & np.isin(pop.person_id, ids))
                self.counts += [here.size, np.count_nonzero(pop.status[here] != LegalStatus.UNDOCUMENTED)]

    def value(self) -> dict[str, float | None]:
        n, regularised = self.counts
        return {"participants": int(regularised) / int(n) if n else None, "cohort": int(n)}


class ApplicationsPerUndocumented(Observer):
    """Regularisation applications filed over the run, per person without papers in the
    month before the window (``months``: the run's month of the window's opening)."""

    def __init__(self, evaluation: Evaluation):
        super().__init__(evaluation)
        self.undocumented = 0
        self.applications = 0

    def observe(self, model: CityModel) -> None:
        if model.month - 1 == self.evaluation.months - 1:
            self.undocumented = int(np.count_nonzero(model.pop.status == LegalStatus.UNDOCUMENTED))
        self.applications = model.regularisation_applications

    def value(self) -> dict[str, float | None]:
        return {"participants": self.applications / self.undocumented if self.undocumented else None,
                "cohort": self.undocumented}


def observer(evaluation: Evaluation) -> Observer:
    match evaluation.statistic:
        case "in_job_or_training":
            return CohortOutcome(evaluation, IN_JOB_OR_TRAINING)
        case "in_mainstream_work":
            return CohortOutcome(evaluation, IN_MAINSTREAM_WORK)
        case "public_share_of_income":
            return PublicShareOfIncome(evaluation)
        case "founders_regularised":
            return FoundersRegularised(evaluation)
    return ApplicationsPerUndocumented(evaluation)


def replicate(evaluation: Evaluation, city: str, seed: int, migrants: int | None = None) -> dict[str, float | None]:
    """One replication: the lever's run with its observer and, for a cohort outcome, the
    baseline run with the same seed, read for the same people."""
    watch = observer(evaluation)
    runs = [(f"{city}/{evaluation.scenario}", watch.observe)]
    if isinstance(watch, CohortOutcome):
        runs.append((f"{city}/baseline", watch.compare))
    for scenario, read in runs:
        params = with_overrides(load(scenario), dict(evaluation.overrides))
        model = CityModel(params, rng=seed, migrants=migrants)
        for _ in range(evaluation.run_months):
            model.step()
            read(model)
    return watch.value()


def _replicate_task(task: tuple[str, str, int, int | None, float | None]) -> dict[str, float | None]:
    name, city, seed, migrants, value = task
    chosen = evaluations()[name]
    if value is not None:
        chosen = Evaluation(**{**chosen.__dict__, "overrides": (*chosen.overrides, (chosen.bounds, value))})
    return replicate(chosen, city, seed, migrants)


def evaluate(name: str, city: str | None = None, reps: int = 4, seed: int = 1, migrants: int | None = None,
             workers: int = 1, scan: bool = False) -> dict[str, Any]:
    """Replicate the named evaluation ``reps`` times (seeds ``seed``, ``seed + 1``...) and
    compare the mean with the published figure; with ``scan``, also at each value of the
    parameter the evaluation bounds (the same seeds at each)."""
    chosen, city = evaluation(name, city)
    if scan and not chosen.scan:
        raise ValueError(f"--scan: programme '{name}' bounds no lever parameter (those that do: "
                         f"{', '.join(n for n, e in evaluations().items() if e.scan)})")
    points: list[float | None] = [None, *(chosen.scan if scan else ())]
    tasks = [(name, city, seed + rep, migrants, value) for value in points for rep in range(reps)]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            values = list(pool.map(_replicate_task, tasks))
    else:
        values = [_replicate_task(task) for task in tasks]
    out = summarise(chosen, city, values[:reps]) | {"reps": reps, "seed": seed, "migrants": migrants, "scan": [],
                                                    "code": code_version()}
    for index, value in enumerate(points[1:], start=1):
        point = summarise(chosen, city, values[index * reps:(index + 1) * reps])
        out["scan"].append({"value": value, "participants": point["participants"], "hit": point["hit"]})
    return out


def summarise(chosen: Evaluation, city: str, values: list[dict[str, float | None]]) -> dict[str, Any]:
    """The replications' mean, range, and whether the mean hits the published figure."""
    def across(key: str) -> dict[str, float] | None:
        found = [v[key] for v in values if v.get(key) is not None]
        if not found:
            return None
        return {"mean": float(np.mean(found)), "low": float(np.min(found)), "high": float(np.max(found)),
                "replications": len(found)}

    participants = across("participants")
    mean = None if participants is None else participants["mean"]
    if mean is None or chosen.published is None:
        hit = False
    elif chosen.at_least:
        hit = mean >= chosen.published - chosen.tolerance
    else:
        hit = abs(mean - chosen.published) <= chosen.tolerance
    return {
        "programme": chosen.name, "title": chosen.title, "city": city, "statistic": chosen.statistic,
        "months": chosen.months, "published": chosen.published, "tolerance": chosen.tolerance,
        "at_least": chosen.at_least, "source": chosen.source, "design": chosen.design,
        "bounds": chosen.bounds, "participants": participants, "same_people_without": across("same_people_without"),
        "cohort": across("cohort"), "hit": hit, "why_missed": None if hit else chosen.why_missed,
    }


def write_report(summary: dict[str, Any], folder: Path = CALIBRATION_DIR / "reports") -> Path:
    """The evaluation as a short Markdown report: ``evaluate-PROGRAMME-CITY.md``."""
    def pct(stat: dict[str, float] | None) -> str:
        if stat is None:
            return "no data"
        return f"{100 * stat['mean']:.1f} % (replications {100 * stat['low']:.1f} to {100 * stat['high']:.1f})"

    s = summary
    bound = "at least " if s["at_least"] else ""
    lines = [
        f"# {s['title']}: the evaluation replicated in {s['city']}",
        "",
        f"Produced by `pathways evaluate {s['programme']} {s['city']} --reps {s['reps']} --seed {s['seed']}"
        + (f" --migrants {s['migrants']}" if s["migrants"] else "") + (" --scan" if s["scan"] else "")
        + f"` with code {s.get('code', 'unknown')}.",
        "",
        f"- **Published**: {bound}{100 * s['published']:.1f} % ({s['source']}); tolerance {100 * s['tolerance']:.0f} points."
        if s["published"] is not None else f"- **Published**: no outcome figure ({s['source']}).",
        f"- **Design of the evaluation**: {s['design']}",
        f"- **Simulated, participants**: {pct(s['participants'])}.",
    ]
    if s["same_people_without"] is not None:
        lines.append(f"- **The same people without the programme** (the baseline run, same seeds): "
                     f"{pct(s['same_people_without'])}.")
    if s["cohort"] is not None:
        lines.append(f"- **Cohort followed, per replication**: {s['cohort']['mean']:.0f}.")
    lines.append(f"- **Result**: {'hit' if s['hit'] else 'missed'}."
                 + ("" if s["hit"] else f" {s['why_missed'] or 'No reason is known yet.'}"))
    if s["scan"]:
        hits = [point["value"] for point in s["scan"] if point["hit"]]
        lines += ["", f"## {s['bounds']}: the values the evaluation allows", "",
                  "| value | participants | hit |", "|---|---|---|"]
        lines += [f"| {point['value']:g} | {pct(point['participants'])} | {'yes' if point['hit'] else 'no'} |"
                  for point in s["scan"]]
        lines += ["", f"Values within the tolerance: {', '.join(f'{v:g}' for v in hits) if hits else 'none of those tried'} "
                      f"(the same seeds at each value)."]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"evaluate-{s['programme']}-{s['city']}.md"
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps(s, indent=1) + "\n")
    return path


def read_reports(folder: Path = CALIBRATION_DIR / "reports") -> pd.DataFrame:
    """The stored evaluations (``write_report``), one row each: published against simulated."""
    rows = []
    for path in sorted(folder.glob("evaluate-*.json")):
        s = json.loads(path.read_text())
        mean = (lambda stat: None if stat is None else stat["mean"])
        rows.append({"programme": s["programme"], "city": s["city"], "statistic": s["statistic"],
                     "months": s["months"], "published": s["published"], "at_least": s["at_least"],
                     "participants": mean(s["participants"]), "same_people_without": mean(s["same_people_without"]),
                     "tolerance": s["tolerance"], "hit": s["hit"], "why_missed": s["why_missed"], "source": s["source"]})
    return pd.DataFrame(rows)
