"""Historical replay: a preset run in calendar months from 2014 with each year's inputs,
against the published series it was never fitted to.

The preset's parameters are its 2023 fit (``calibration/fitted``), unchanged: the replay
is an out-of-sample test. What changes year by year are inputs, each scaled from the
preset's own 2023 value by the published series' ratio to 2023, so that the replay's 2023
is the fitted city (vendored under ``calibration/replay/``, see its README):

- newcomers by reason: work, family and study by first residence permits for that reason
  (Eurostat migr_resfirst), asylum by first-time asylum applicants (migr_asyappctza), since
  the model's asylum newcomers are people who arrive and apply, and the 2015-16 arrivals
  show there, not in the permits granted a year or more later;
- the asylum recognition rate, by the first-instance positive rate (migr_asydcfsta);
- labour demand, by the nationals' employment rate (lfsa_ergan): each year's
  ``labour_market.openings_scale`` is the one at which the model's nationals' employment
  moves from its 2023 level by as much as the published one did (``labour_demand``). The
  nationals' rate is an input here, never an outcome compared.

The national rules (``[law]``) follow their dates, so Italy's 2020 regularisation window
opens in 2020 and France's OACAS route in 2019. Non-EU citizens' employment and
unemployment rates are then compared with the published ones, year by year, with the mean
absolute error (``write``), as ``sim.calibration.report`` does for the fit.

The refugee curve's published points (``calibration/targets.csv``: the IAB-BAMF-SOEP
surveys) each describe the arrivals of given years observed in a given year: the 2015
arrivals in 2016, a year after they came. The fit can only read them in its 2023
cross-section, on the arrivals of 2022 and before, who came through another year's
procedures and labour market; the replay reads each where its survey did, at the end of
its year (``refugee_points``), on the arrivals it has seen.
"""

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import figures
from sim.calibration.targets import CALIBRATION_DIR, FIT_YEAR, Target, targets
from sim.experiments import store
from sim.experiments.api import Settings, run_design
from sim.scenario import Scenario, load, with_overrides

DATA_DIR = CALIBRATION_DIR / "replay"
REPORTS_DIR = CALIBRATION_DIR / "reports"
PRESET_GEO = {"eu27": "EU27_2020", "liege": "BE", "paris": "FR", "barcelona": "ES", "prato": "IT"}
"""The published series each preset is held against: its country's (the EU's for eu27)."""
REASON_SERIES = {
    "work": "first_permits_remunerated",
    "family": "first_permits_family",
    "study": "first_permits_education",
    "asylum": "first_time_asylum_applicants",
}
"""The published yearly flow that scales each reason's newcomers (module docstring)."""
COMPARED = {
    "non_eu_citizens_employment_rate": ("NEU27_2020_FOR", "employment_rate_pct", "employment rate, non-EU citizens 20-64"),
    "non_eu_citizens_unemployment_rate": ("NEU27_2020_FOR", "unemployment_rate_pct", "unemployment rate, non-EU citizens"),
}
"""Simulated monthly series -> (citizenship, published column, label) of the comparison."""
DEMAND_GRID = np.array([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6])
"""Multiples of the preset's openings scale at which the nationals' employment is measured:
dense below half the scale, where openings become scarce and employment responds (above
it, the fitted presets' openings exceed their job seekers and employment barely moves)."""


class ReplayError(ValueError):
    """A replay that cannot run (unknown preset, years outside the data), in one line."""


@dataclass
class Replay:
    preset: str
    first_year: int
    last_year: int
    inputs: pd.DataFrame
    """Per year: newcomers per month, reason shares, recognition rate, openings scale, and
    the published figures they come from."""
    table: pd.DataFrame
    """Per year and compared series: published, simulated mean and 90 % interval, error."""
    refugees: pd.DataFrame
    """Per published point of the refugee curve observed within the replay's years: the
    same, read at the end of its survey's year (``refugee_points``)."""
    runs: int
    settings: Settings
    notes: list[str]


def published(preset: str) -> pd.DataFrame:
    """The preset's country's labour-market series (``labour.csv``), total of both sexes."""
    frame = _read(DATA_DIR / "labour.csv")
    frame = frame[(frame.geo == _geo(preset)) & (frame.sex == "T")]
    return frame.astype({"year": int})


def flows(preset: str) -> pd.DataFrame:
    """The preset's country's yearly newcomers and asylum decisions (``newcomers.csv``)."""
    frame = _read(DATA_DIR / "newcomers.csv")
    return frame[frame.geo == _geo(preset)].astype({"year": int}).set_index("year")


def _read(path: Path) -> pd.DataFrame:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column not in ("geo", "citizen", "sex", "age"):
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    return frame


def _geo(preset: str) -> str:
    if preset not in PRESET_GEO:
        raise ReplayError(f"replay: unknown preset '{preset}' (allowed: {', '.join(PRESET_GEO)})")
    return PRESET_GEO[preset]


def _ratio(series: pd.Series, year: int) -> tuple[float, int | None]:
    """The series' value in ``year`` over its ``FIT_YEAR`` value, and the year whose figure
    was used: a year without a published figure takes the nearest earlier one (the
    earliest for years before the series starts). A series without a ``FIT_YEAR`` figure
    cannot be scaled from the fitted city: it gives 1 (the input held at the preset's
    value) and no year."""
    known = series.dropna()
    if FIT_YEAR not in known.index or known.loc[FIT_YEAR] <= 0:
        return 1.0, None
    earlier = known[known.index <= year]
    used = int(earlier.index.max()) if len(earlier) else int(known.index.min())
    return float(known.loc[used] / known.loc[FIT_YEAR]), used


def _note(notes: dict[str, dict[str, list[int]]], what: str, year: int, used: int | None) -> None:
    """Record, per input, the years whose figure is not published and what stood in."""
    if used is None:
        notes.setdefault(what, {}).setdefault(f"held at the preset's value (no {FIT_YEAR} figure to scale from)", []).append(year)
    elif used != year:
        notes.setdefault(what, {}).setdefault(f"{used}'s figure used", []).append(year)


def _notes(notes: dict[str, dict[str, list[int]]]) -> list[str]:
    """One line per input and stand-in: the years, in order."""
    return [f"{what}: not published for {', '.join(map(str, years))}; {standin}"
            for what, standins in notes.items() for standin, years in standins.items()]


def yearly_inputs(preset: str, base: Scenario, years: range, demand: dict[int, float]) -> tuple[pd.DataFrame, list[str]]:
    """Each year's inputs, scaled from the preset's 2023 values (module docstring)."""
    data = flows(preset)
    data["asylum_positive_rate"] = data.asylum_first_instance_positive / data.asylum_first_instance_decisions
    shares = base.inflow.reason_shares
    rows, notes = [], {}
    for year in years:
        by_reason = {}
        for reason, column in REASON_SERIES.items():
            ratio, used = _ratio(data[column], year)
            _note(notes, f"{reason} newcomers ({column})", year, used)
            by_reason[reason] = base.inflow.newcomers_per_month * getattr(shares, reason) * ratio
        total = sum(by_reason.values())
        ratio, used = _ratio(data.asylum_positive_rate, year)
        _note(notes, "recognition rate (first-instance positive decisions over all decisions)", year, used)
        rows.append({
            "year": year,
            "newcomers_per_month": total,
            **{f"share_{reason}": value / total for reason, value in by_reason.items()},
            "recognition_rate": min(1.0, base.asylum.recognition_rate * ratio),
            "openings_scale": demand[year],
            **{column: data[column].get(year, np.nan) for column in REASON_SERIES.values()},
            "asylum_positive_rate": data.asylum_positive_rate.get(year, np.nan),
        })
    return pd.DataFrame(rows), _notes(notes)


def timeline(inputs: pd.DataFrame) -> list[dict[str, Any]]:
    """The scenario's ``[[timeline]]``: each year's inputs from its January."""
    steps = []
    for row in inputs.itertuples(index=False):
        shares = {reason: float(getattr(row, f"share_{reason}")) for reason in REASON_SERIES}
        shares["asylum"] = 1.0 - shares["work"] - shares["family"] - shares["study"]  # exact sum for validation
        steps.append({"month": f"{row.year}-01", "settings": {
            "inflow.newcomers_per_month": float(row.newcomers_per_month),
            **{f"inflow.reason_shares.{reason}": share for reason, share in shares.items()},
            "asylum.recognition_rate": float(row.recognition_rate),
            "labour_market.openings_scale": float(row.openings_scale),
        }})
    return steps


def labour_demand(preset: str, base: Scenario, years: range, seed: int, people: int = 20_000,
                  notes: dict[str, dict[str, list[int]]] | None = None) -> dict[int, float]:
    """Each year's openings scale: the one at which the model's nationals' employment
    rate differs from its value at the preset's scale by the published change since 2023.

    The nationals' employment rate rises with the openings scale; it is measured on a grid
    of multiples of the preset's scale (``DEMAND_GRID``, two seeds each, after the
    warm-up) and read off by linear interpolation, within the grid.
    """
    from sim.nationals import NationalsModel

    nationals = published(preset).query("citizen == 'NAT'").set_index("year").employment_rate_pct / 100
    scale = base.labour_market.openings_scale
    rates = []
    for multiple in DEMAND_GRID:
        params = with_overrides(base, {"labour_market.openings_scale": float(scale * multiple)})
        runs = []
        for replication in range(2):
            model = NationalsModel(params, rng=seed + replication, people=people)
            model.run(12)
            runs.append(model.indicators()["employment_rate"])
        rates.append(float(np.mean(runs)))
    rates = np.maximum.accumulate(np.array(rates))  # monotone for the inverse (noise at the flat top)
    at_fit = float(np.interp(1.0, DEMAND_GRID, rates))
    demand = {}
    for year in years:
        _, used = _ratio(nationals, year)
        if notes is not None:
            _note(notes, "labour demand (nationals' employment rate)", year, used)
        if used is None:
            raise ReplayError(f"replay: no published nationals' employment rate for {FIT_YEAR} in calibration/replay/labour.csv")
        wanted = at_fit + float(nationals.loc[used] - nationals.loc[FIT_YEAR])
        demand[year] = float(scale * demand_multiple(wanted, rates))
    return demand


def demand_multiple(wanted: float, rates: np.ndarray) -> float:
    """The multiple of the preset's openings scale (``DEMAND_GRID``) at which the nationals'
    employment rate is ``wanted``, by linear interpolation between the grid's ``rates``
    (made monotone). Where a flat stretch gives it at several multiples (at the top, where
    openings exceed job seekers and the noise was levelled), the rate does not tell them
    apart, so the one nearest the preset's own scale, 1, is kept."""
    flat = DEMAND_GRID[rates == wanted]
    if flat.size > 1:
        return float(flat[np.argmin(np.abs(flat - 1.0))])
    return float(np.interp(wanted, rates, DEMAND_GRID))


def replay(preset: str, first_year: int, last_year: int, settings: Settings, progress=None) -> Replay:
    """Run the preset from January ``first_year`` to December ``last_year`` with each
    year's inputs, ``settings.replications`` times, and compare with the published series."""
    _geo(preset)
    if not 2014 <= first_year <= last_year <= 2024:
        raise ReplayError(f"replay: years {first_year}-{last_year} are outside the published data (allowed: 2014 to 2024, "
                          "first not after last)")
    base = load(f"{preset}/baseline")
    years = range(first_year, last_year + 1)
    demand_notes: dict[str, dict[str, list[int]]] = {}
    demand = labour_demand(preset, base, years, settings.seed, notes=demand_notes)
    inputs, notes = yearly_inputs(preset, base, years, demand)
    notes += _notes(demand_notes)
    batches = 1 + len(survey_years_before(preset, first_year, last_year))
    experiment, metrics, run_settings = _run(preset, inputs, first_year, last_year, settings,
                                             _batch_progress(progress, 0, batches))
    series = store.load_series(store.connect(settings.db), experiment.id, names=list(COMPARED))
    table = compare(preset, series, first_year)
    refugees = refugee_points(preset, inputs, first_year, last_year, settings, metrics, progress)
    return Replay(preset, first_year, last_year, inputs, table, refugees, len(metrics), run_settings, notes)


def _run(preset: str, inputs: pd.DataFrame, first_year: int, last_year: int, settings: Settings, progress=None):
    """The preset's runs from January ``first_year`` to December ``last_year`` under those
    years' inputs: the experiment, its metrics and the settings it ran with."""
    point = {"law.start": f"{first_year}-01", "timeline": timeline(inputs[inputs.year <= last_year])}
    name = settings.name if settings.name is None or last_year == int(inputs.year.max()) else f"{settings.name}-{last_year}"
    run_settings = Settings(settings.replications, 12 * (last_year - first_year + 1), settings.seed, settings.migrants,
                            settings.workers, settings.dask, settings.db, name)
    experiment, metrics, _ = run_design(f"{preset}/baseline", [point], "replay", run_settings,
                                        {"preset": preset, "years": [first_year, last_year]}, progress)
    return experiment, metrics, run_settings


def _batch_progress(progress, batch: int, batches: int):
    """``progress`` for the ``batch``-th of ``batches`` equal sets of runs: one count over all of them."""
    if progress is None:
        return None
    return lambda done, total: progress(batch * total + done, batches * total)


def cohort_targets(preset: str, first_year: int, last_year: int) -> list[Target]:
    """The preset's published points of the refugee curve observed within the years."""
    return [t for t in targets(preset) if t.metric and "by_years_since_arrival" in t.metric
            and first_year <= int(t.year) <= last_year]


def survey_years_before(preset: str, first_year: int, last_year: int) -> list[int]:
    """The years before ``last_year`` in which ``cohort_targets`` were observed: each needs
    runs of its own that stop there (``refugee_points``)."""
    return sorted({int(t.year) for t in cohort_targets(preset, first_year, last_year)} - {last_year})


def refugee_points(preset: str, inputs: pd.DataFrame, first_year: int, last_year: int, settings: Settings,
                   metrics: pd.DataFrame, progress=None) -> pd.DataFrame:
    """Each point of ``cohort_targets`` against the replay at the end of its survey's year.

    A year before ``last_year`` is read from runs that stop there: the same seeds and the
    same inputs up to then, so the same runs as ``metrics``' up to that year (common random
    numbers), ended where the survey looked. ``metrics``: the full runs' results;
    ``progress`` counts the full runs and these as one set (the full runs first).
    """
    rows = []
    before = survey_years_before(preset, first_year, last_year)
    by_year: dict[int, pd.DataFrame] = {last_year: metrics}
    for batch, year in enumerate(before, start=1):
        batch_progress = _batch_progress(progress, batch, 1 + len(before))
        by_year[year] = _run(preset, inputs, first_year, year, settings, batch_progress)[1]
    for target in cohort_targets(preset, first_year, last_year):
        year = int(target.year)
        values = by_year[year][target.metric].to_numpy(dtype=float)
        error = values.mean() - target.published
        rows.append({"target": target.id, "group": target.group, "year": year, "published": target.published,
                     "simulated": values.mean(), "low": np.percentile(values, 5), "high": np.percentile(values, 95),
                     "error": error, "tolerance": target.tolerance, "hit": bool(abs(error) <= target.tolerance)})
    return pd.DataFrame(rows, columns=["target", "group", "year", "published", "simulated", "low", "high", "error",
                                       "tolerance", "hit"])


def compare(preset: str, series: pd.DataFrame, first_year: int) -> pd.DataFrame:
    """Yearly means of the simulated monthly rates (per run, then across runs) against the
    published yearly figures."""
    series = series.assign(year=first_year + series.month // 12)
    yearly = series.groupby(["name", "replication", "year"]).value.mean().reset_index()
    data = published(preset)
    rows = []
    for name, (citizen, column, label) in COMPARED.items():
        figures_ = data[data.citizen == citizen].set_index("year")[column] / 100
        for year, runs in yearly[yearly.name == name].groupby("year").value:
            values = runs.to_numpy(dtype=float)
            value = figures_.get(year, np.nan)
            rows.append({"series": name, "label": label, "year": int(year), "published": value,
                         "simulated": values.mean(), "low": np.percentile(values, 5), "high": np.percentile(values, 95),
                         "error": values.mean() - value})
    return pd.DataFrame(rows)


def mean_absolute_errors(table: pd.DataFrame) -> dict[str, float]:
    """Per compared series, the mean absolute error over the years with a published figure."""
    return {name: float(group.error.abs().mean()) for name, group in table.dropna(subset=["error"]).groupby("series")}


def figure(preset: str, table: pd.DataFrame):
    """Simulated (with its 90 % band) and published series, year by year."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(COMPARED), figsize=(5 * len(COMPARED), 3.6), constrained_layout=True)
    for ax, (name, (_, _, label)) in zip(np.atleast_1d(axes), COMPARED.items(), strict=True):
        rows = table[table.series == name]
        ax.fill_between(rows.year, 100 * rows.low, 100 * rows.high, alpha=0.25, label="simulated, 90 % of runs")
        ax.plot(rows.year, 100 * rows.simulated, marker="o", label="simulated, mean")
        ax.plot(rows.year, 100 * rows.published, marker="s", color="black", label="published (Eurostat)")
        ax.set_title(label, fontsize=10)
        ax.set_ylabel("%")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(f"Replay {table.year.min()}-{table.year.max()}: {preset}, not fitted to these years")
    return fig


def read(preset: str, folder: Path = REPORTS_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A written replay's comparison table and inputs (``write``)."""
    _geo(preset)
    path = folder / f"replay-{preset}.csv"
    if not path.exists():
        raise FileNotFoundError(f"no replay of {preset} yet: `pathways replay {preset}` writes it")
    return pd.read_csv(path), pd.read_csv(folder / f"replay-{preset}-inputs.csv")


def read_refugees(preset: str, folder: Path = REPORTS_DIR) -> pd.DataFrame:
    """A written replay's refugee-curve points (``refugee_points``); empty if it has none."""
    _geo(preset)
    path = folder / f"replay-{preset}-refugees.csv"
    if not path.exists():
        return pd.DataFrame(columns=["target", "group", "year", "published", "simulated", "low", "high", "error",
                                     "tolerance", "hit"])
    return pd.read_csv(path)


def write(replay_: Replay, folder: Path = REPORTS_DIR) -> Path:
    """``replay-PRESET.md`` with its CSV tables and figure; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"replay-{replay_.preset}"
    (folder / f"{stem}.png").write_bytes(figures.png(figure(replay_.preset, replay_.table)))
    replay_.table.to_csv(folder / f"{stem}.csv", index=False)
    replay_.inputs.to_csv(folder / f"{stem}-inputs.csv", index=False)
    refugees_csv = folder / f"{stem}-refugees.csv"
    if len(replay_.refugees):
        replay_.refugees.to_csv(refugees_csv, index=False)
    else:
        refugees_csv.unlink(missing_ok=True)
    s = replay_.settings
    errors = mean_absolute_errors(replay_.table)
    lines = [
        f"# Replay {replay_.first_year}-{replay_.last_year}: {replay_.preset}",
        "",
        f"{replay_.runs} runs of `{replay_.preset}/baseline` in calendar months from January {replay_.first_year} "
        f"({s.months} months, {'the preset size' if s.migrants is None else f'{s.migrants:,} migrants'}, root seed "
        f"{s.seed}), each year's inputs from the published series, the national rules as they were in force. "
        f"**Not refitted**: the parameters are the {FIT_YEAR} fit's; the years before and after {FIT_YEAR} are out of "
        "sample. Rates are yearly means of monthly rates, ages 20-64, non-EU citizens as the survey sees them "
        "(with papers, not naturalised).",
        "",
        "Mean absolute error: " + "; ".join(f"{COMPARED[name][2]} {100 * value:.1f} points" for name, value in errors.items()) + ".",
        "",
        f"![Replay]({stem}.png)",
        "",
    ]
    for name, (_, _, label) in COMPARED.items():
        rows = replay_.table[replay_.table.series == name]
        lines += [f"## {label}", "", "| year | published | simulated [90 %] | error |", "|---|---|---|---|"]
        for row in rows.itertuples(index=False):
            published_ = "" if np.isnan(row.published) else f"{100 * row.published:.1f} %"
            error = "" if np.isnan(row.error) else f"{100 * row.error:+.1f} pts"
            lines.append(f"| {row.year} | {published_} | {100 * row.simulated:.1f} % [{100 * row.low:.1f} %, "
                         f"{100 * row.high:.1f} %] | {error} |")
        lines.append("")
    lines += _refugee_section(replay_)
    lines += ["## Inputs", "",
              "Each year's inputs, scaled from the preset's own 2023 values by the published series' ratio to "
              f"{FIT_YEAR} (sources: calibration/replay/README.md).", "",
              "| year | newcomers a month | work | family | study | asylum | recognition | openings scale |",
              "|---|---|---|---|---|---|---|---|"]
    for row in replay_.inputs.itertuples(index=False):
        lines.append(f"| {row.year} | {row.newcomers_per_month:.0f} | {row.share_work:.2f} | {row.share_family:.2f} | "
                     f"{row.share_study:.2f} | {row.share_asylum:.2f} | {row.recognition_rate:.2f} | "
                     f"{row.openings_scale:.3f} |")
    lines += ["", "## What the replay misses, and why", "", *_misses(replay_), ""]
    if replay_.notes:
        lines += ["## Notes on the inputs", "", *[f"- {note}" for note in replay_.notes], ""]
    path = folder / f"{stem}.md"
    path.write_text("\n".join(lines))
    return path


def _refugee_section(replay_: Replay) -> list[str]:
    """The refugee curve's points read at their survey's year (``refugee_points``)."""
    if not len(replay_.refugees):
        return []
    hits = int(replay_.refugees.hit.sum())
    lines = ["## Refugees' declared employment, where the surveys looked", "",
             "Each published point of the refugee curve (calibration/targets.csv) describes the arrivals of given "
             "years, observed in a given year. The fit report reads them in its "
             f"{FIT_YEAR} cross-section, on later arrivals; here each is read at the end of its survey's year, "
             "from runs identical to these up to then (same seeds and inputs), on the arrivals seeking asylum the "
             f"replay has seen (those before {replay_.first_year} come from the warm-up). Not fitted here: "
             f"{hits} of {len(replay_.refugees)} within their tolerance.", "",
             "| target | group | survey year | published | simulated [90 %] | error | tolerance | hit |",
             "|---|---|---|---|---|---|---|---|"]
    for row in replay_.refugees.itertuples(index=False):
        lines.append(f"| {row.target} | {row.group} | {row.year} | {100 * row.published:.1f} % | "
                     f"{100 * row.simulated:.1f} % [{100 * row.low:.1f} %, {100 * row.high:.1f} %] | "
                     f"{100 * row.error:+.1f} pts | {100 * row.tolerance:.0f} pts | {'yes' if row.hit else '**no**'} |")
    return lines + [""]


def _misses(replay_: Replay) -> list[str]:
    """The years off by more than 3 points, then why (``why_missed.toml``)."""
    off = replay_.table[replay_.table.error.abs() > 0.03]
    lines = [f"Years off by more than 3 points: {len(off)} of {int(replay_.table.error.notna().sum())} compared."]
    for label, rows in off.groupby("label", sort=False):
        lines.append(f"- {label}: " + ", ".join(f"{row.year} {100 * row.error:+.1f}" for row in rows.itertuples(index=False)))
    why = tomllib.loads((DATA_DIR / "why_missed.toml").read_text(encoding="utf-8"))
    lines += ["", why["presets"].get(replay_.preset, "Not explained yet."), "", "Common to every preset:", ""]
    lines += [f"- {reason}" for reason in why["common"]]
    return lines
