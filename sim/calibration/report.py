"""The fit report: every target of a preset against fresh runs of the current parameters.

For each target: the published value, the simulated mean and 90 % interval over
replications, the error, whether the interval covers the published value, and whether
the error is within the target's tolerance; inputs and figures the model cannot produce
are listed with the reason. The refugees' employment-by-years-since-arrival curve is
drawn against the published points. Written as Markdown with a PNG beside it, and as CSV tables that the dashboard reads.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import figures
from sim.calibration.targets import CALIBRATION_DIR, FIT_YEAR, Target, fit_calendar, targets
from sim.experiments.api import Settings, run_design
from sim.scenario import load

REPORTS_DIR = CALIBRATION_DIR / "reports"
CURVE_POINTS = {"T27": 1, "T28": 2, "T29": 3, "T13": 5, "T13-M": 5, "T13-W": 5, "T30": 6, "T30-M": 6, "T30-W": 6,
                "T14": 7, "T16": 7, "T16-W": 7, "T31-M": 7, "T31-W": 7, "T15": 8, "T32-M": 8, "T32-W": 8}
"""Published points of the refugee curve: target id -> completed years since arrival."""
CURVE_GROUPS = {"T16": "men", "T16-W": "women", "T13-M": "men", "T13-W": "women", "T30-M": "men", "T30-W": "women",
                "T31-M": "men", "T31-W": "women", "T32-M": "men", "T32-W": "women"}
"""Points published for one sex; the others are for everyone."""


@dataclass
class Validation:
    preset: str
    table: pd.DataFrame
    curve: pd.DataFrame
    """Asylum arrivals' declared employment rate by years since arrival (as T13-T16 are
    compared): mean, p5, p95 per year, and the means of men and women."""
    runs: int
    settings: Settings


def validate(preset: str, settings: Settings, progress=None, baseline: str | None = None,
             compared: list[Target] | None = None) -> Validation:
    """Run the preset's baseline ``settings.replications`` times and compare with every target;
    a city written by ``pathways city new`` passes its ``baseline`` file and its targets."""
    baseline = baseline or f"{preset}/baseline"
    calendar = fit_calendar(load(baseline), settings.months)
    _, metrics, _ = run_design(baseline, [calendar], "validation", settings, {"preset": preset}, progress)
    rows = []
    for target in targets(preset) if compared is None else compared:
        row = {"id": target.id, "indicator": target.indicator, "group": target.group, "published": target.published,
               "source": target.source, "fitted": target.fit, "note": target.not_reachable or (
                   f"input: {target.input}" if target.input else ""), "why_missed": target.why_missed}
        if target.metric is not None:
            values = metrics[target.metric].dropna().to_numpy(dtype=float) if target.metric in metrics else np.array([])
            if values.size:
                mean, low, high = values.mean(), np.percentile(values, 5), np.percentile(values, 95)
                row.update(simulated=mean, low=low, high=high, error=mean - target.published,
                           covered=bool(low <= target.published <= high),
                           within_tolerance=bool(abs(mean - target.published) <= target.tolerance),
                           tolerance=target.tolerance)
            else:
                row["note"] = "no data in the runs"
        rows.append(row)
    curve = []
    for year in range(1, 11):
        values = _values(metrics, f"formal_employment_rate_by_years_since_arrival.asylum.{year}")
        men = _values(metrics, f"formal_employment_rate_by_years_since_arrival.asylum_male.{year}")
        women = _values(metrics, f"formal_employment_rate_by_years_since_arrival.asylum_female.{year}")
        curve.append({"year": year, "mean": values.mean() if values.size else np.nan,
                      "p5": np.percentile(values, 5) if values.size else np.nan,
                      "p95": np.percentile(values, 95) if values.size else np.nan,
                      "men": men.mean() if men.size else np.nan, "women": women.mean() if women.size else np.nan})
    columns = ["id", "indicator", "group", "published", "source", "fitted", "note", "why_missed", "simulated", "low",
               "high", "error", "covered", "within_tolerance", "tolerance"]
    return Validation(preset, pd.DataFrame(rows, columns=columns), pd.DataFrame(curve), len(metrics), settings)


def _values(metrics: pd.DataFrame, column: str) -> np.ndarray:
    return metrics[column].dropna().to_numpy(dtype=float) if column in metrics else np.array([])


SOURCES = "Sources: `calibration/targets.csv`; how each figure is compared: `calibration/comparisons.toml`."


def write(validation: Validation, folder: Path = REPORTS_DIR, sources: str = SOURCES) -> Path:
    """Markdown report and refugee-curve plot; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    plot = folder / f"{validation.preset}-refugee-curve.png"
    plot.write_bytes(figures.png(curve_figure(validation.preset, validation.table, validation.curve)))
    validation.table.to_csv(folder / f"{validation.preset}.csv", index=False)
    validation.curve.to_csv(folder / f"{validation.preset}-curve.csv", index=False)
    t = validation.table
    s = validation.settings
    measured = t[t.simulated.notna()]
    lines = [
        f"# Fit report: {validation.preset}",
        "",
        f"{validation.runs} fresh runs of `{validation.preset}/baseline` ({s.months} months, "
        f"{'the preset size' if s.migrants is None else f'{s.migrants:,} migrants'}, root seed {s.seed}); rates "
        f"averaged over each run's final 12 months ({FIT_YEAR}, under the national rules in force from the run's first "
        "month, for a preset that names them), ages 20-64. 'covered': the published value lies within the "
        "simulated 90 % interval across runs; 'hit': the error is within the target's tolerance.",
        "",
        f"Targets measured: {len(measured)}; hit: {int(measured.within_tolerance.sum()) if len(measured) else 0}; "
        f"covered: {int(measured.covered.sum()) if len(measured) else 0}.",
        "",
        "| target | indicator | group | published | simulated [90 %] | error | tolerance | covered | hit | fitted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in measured.itertuples(index=False):
        lines.append(
            f"| {row.id} | {row.indicator} | {row.group} | {_pct(row.published)} | {_pct(row.simulated)} "
            f"[{_pct(row.low)}, {_pct(row.high)}] | {100 * row.error:+.1f} pts | {100 * row.tolerance:.0f} pts | "
            f"{'yes' if row.covered else 'no'} | {'yes' if row.within_tolerance else '**no**'} | {'yes' if row.fitted else 'no'} |"
        )
    missed = measured[~measured.within_tolerance.astype(bool)]
    if len(missed):
        lines += ["", "## Missed, and why", "", "| target | group | error | what the model lacks |", "|---|---|---|---|"]
        for row in missed.itertuples(index=False):
            why = row.why_missed if isinstance(row.why_missed, str) else "not explained yet"
            lines.append(f"| {row.id} | {row.group} | {100 * row.error:+.1f} pts | {why} |")
    lines += ["", "## Not compared", "", "| target | indicator | group | why |", "|---|---|---|---|"]
    for row in t[t.simulated.isna()].itertuples(index=False):
        lines.append(f"| {row.id} | {row.indicator} | {row.group} | {row.note} |")
    lines += ["", "## Refugees' employment by years since arrival", "",
              "Declared work of arrivals seeking asylum (refugees, and the rejected who stayed), ages 20-64, "
              "as the survey behind T13-T16 records it.", "",
              f"![Refugee employment curve]({plot.name})", "",
              "| years | simulated mean [90 %] | published | men | published, men | women | published, women |",
              "|---|---|---|---|---|---|---|"]
    points = published_curve(t)
    for row in validation.curve.itertuples(index=False):
        at = points[points.year == row.year]
        cells = [_pct(row.mean) + f" [{_pct(row.p5)}, {_pct(row.p95)}]", _published(at, "all"),
                 _pct(getattr(row, "men", None)), _published(at, "men"), _pct(getattr(row, "women", None)),
                 _published(at, "women")]
        lines.append(f"| {row.year} | " + " | ".join(cells) + " |")
    lines += ["", sources]
    path = folder / f"{validation.preset}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _published(points: pd.DataFrame, group: str) -> str:
    values = points.loc[points.group == group, "value"]
    return _pct(values.iloc[0]) if len(values) else ""


def published_curve(table: pd.DataFrame) -> pd.DataFrame:
    """The published points of the refugee curve (year, value, label, group: all, men or
    women) from a fit-report table."""
    rows = table[table["id"].isin(list(CURVE_POINTS))]
    groups = [CURVE_GROUPS.get(i, "all") for i in rows["id"]]
    return pd.DataFrame({"year": [CURVE_POINTS[i] for i in rows["id"]], "value": rows["published"].to_numpy(),
                         "label": [f"{i}{'' if g == 'all' else ', ' + g} (IAB-BAMF-SOEP, DE)"
                                   for i, g in zip(rows["id"], groups)],
                         "group": groups})


def published_refugee_curve() -> pd.DataFrame:
    """The published points of refugees' employment by years since arrival, men and women
    together (EU-27 preset's targets)."""
    table = pd.DataFrame([{"id": t.id, "published": t.published} for t in targets("eu27") if t.id in CURVE_POINTS])
    curve = published_curve(table)
    return curve[curve.group == "all"].reset_index(drop=True)


def curve_figure(preset: str, table: pd.DataFrame, curve: pd.DataFrame):
    return figures.years_since_arrival_figure(
        curve, published_curve(table), f"Arrivals seeking asylum: declared employment by years in the city ({preset})")


def read(preset: str, folder: Path = REPORTS_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored fit report of a preset: its target table and refugee curve (``write`` wrote them)."""
    table_path, curve_path = folder / f"{preset}.csv", folder / f"{preset}-curve.csv"
    if not table_path.exists() or not curve_path.exists():
        raise FileNotFoundError(f"no fit report for '{preset}' yet: run `pathways validate {preset}`")
    table = pd.read_csv(table_path)
    if "why_missed" not in table:  # reports written before misses carried a reason
        table["why_missed"] = None
    return table, pd.read_csv(curve_path)


def _pct(value: float | None) -> str:
    return "" if value is None or value != value else f"{100 * value:.1f} %"
