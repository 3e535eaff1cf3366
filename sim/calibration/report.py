"""The fit report: every target of a preset against fresh runs of the current parameters.

For each target: the published value, the simulated mean and 90 % interval over
replications, the error, whether the interval covers the published value, and whether
the error is within the target's tolerance; inputs and figures the model cannot produce
are listed with the reason. The refugees' employment-by-years-since-arrival curve is
drawn against the published points. Written as Markdown with a PNG beside it.
"""

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.calibration.targets import CALIBRATION_DIR, targets  # noqa: E402
from sim.experiments.api import Settings, run_design  # noqa: E402

REPORTS_DIR = CALIBRATION_DIR / "reports"
CURVE_POINTS = {"T13": 5, "T14": 7, "T15": 8}


@dataclass
class Validation:
    preset: str
    table: pd.DataFrame
    curve: pd.DataFrame
    """Asylum arrivals' employment rate by years since arrival: mean, p5, p95 per year."""
    runs: int
    settings: Settings


def validate(preset: str, settings: Settings, progress=None) -> Validation:
    """Run the preset's baseline ``settings.replications`` times and compare with every target."""
    _, metrics, _ = run_design(f"{preset}/baseline", [{}], "validation", settings, {"preset": preset}, progress)
    rows = []
    for target in targets(preset):
        row = {"id": target.id, "indicator": target.indicator, "group": target.group, "published": target.published,
               "source": target.source, "fitted": target.fit, "note": target.not_reachable or (
                   f"input: {target.input}" if target.input else "")}
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
        column = f"employment_rate_by_years_since_arrival.asylum.{year}"
        values = metrics[column].dropna().to_numpy(dtype=float) if column in metrics else np.array([])
        curve.append({"year": year, "mean": values.mean() if values.size else np.nan,
                      "p5": np.percentile(values, 5) if values.size else np.nan,
                      "p95": np.percentile(values, 95) if values.size else np.nan})
    columns = ["id", "indicator", "group", "published", "source", "fitted", "note", "simulated", "low", "high",
               "error", "covered", "within_tolerance", "tolerance"]
    return Validation(preset, pd.DataFrame(rows, columns=columns), pd.DataFrame(curve), len(metrics), settings)


def write(validation: Validation, folder: Path = REPORTS_DIR) -> Path:
    """Markdown report and refugee-curve plot; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    plot = folder / f"{validation.preset}-refugee-curve.png"
    _plot_curve(validation, plot)
    t = validation.table
    s = validation.settings
    measured = t[t.simulated.notna()]
    lines = [
        f"# Fit report: {validation.preset}",
        "",
        f"{validation.runs} fresh runs of `{validation.preset}/baseline` ({s.months} months, "
        f"{'the preset size' if s.migrants is None else f'{s.migrants:,} migrants'}, root seed {s.seed}); rates "
        "averaged over each run's final 12 months, ages 20-64. 'covered': the published value lies within the "
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
    lines += ["", "## Not compared", "", "| target | indicator | group | why |", "|---|---|---|---|"]
    for row in t[t.simulated.isna()].itertuples(index=False):
        lines.append(f"| {row.id} | {row.indicator} | {row.group} | {row.note} |")
    lines += ["", "## Refugees' employment by years since arrival", "",
              f"![Refugee employment curve]({plot.name})", "",
              "| years | simulated mean [90 %] | published |", "|---|---|---|"]
    published = {CURVE_POINTS[r.id]: r.published for r in t.itertuples(index=False) if r.id in CURVE_POINTS}
    for row in validation.curve.itertuples(index=False):
        lines.append(f"| {row.year} | {_pct(row.mean)} [{_pct(row.p5)}, {_pct(row.p95)}] | "
                     f"{_pct(published[row.year]) if row.year in published else ''} |")
    lines += ["", "Sources: `calibration/targets.csv`; how each figure is compared: `calibration/comparisons.toml`."]
    path = folder / f"{validation.preset}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _plot_curve(validation: Validation, path: Path) -> None:
    curve = validation.curve
    published = validation.table[validation.table.id.isin(list(CURVE_POINTS))]
    figure, axes = plt.subplots(figsize=(6, 3.6), dpi=110)
    axes.fill_between(curve.year, 100 * curve.p5, 100 * curve.p95, alpha=0.25, label="simulated, 90 % of runs")
    axes.plot(curve.year, 100 * curve["mean"], marker="o", label="simulated mean")
    axes.scatter([CURVE_POINTS[i] for i in published.id], 100 * published.published, color="black", zorder=3,
                 label="published (IAB-BAMF-SOEP, DE)")
    axes.set_xlabel("years since arrival")
    axes.set_ylabel("employment rate, %")
    axes.set_title(f"Arrivals seeking asylum: employment by years in the city ({validation.preset})", fontsize=9)
    axes.set_ylim(0, 100)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _pct(value: float | None) -> str:
    return "" if value is None or value != value else f"{100 * value:.1f} %"
