"""Figures of runs and comparisons, shared by the dashboard and the exported reports.

Each function takes tables (pandas) and returns a Matplotlib ``Figure`` built without
pyplot, so that figures can be drawn from the dashboard's worker threads.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.path import Path as MplPath

from sim.locales import N_, Translator, translator
from sim.pathways import LEFT, flows

ENGLISH = translator("en")

PALETTE = ["#1f5f8b", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30638e", "#b5838d"]
"""Colours of scenarios (first: the counterfactual)."""
STAGE_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4"]
"""Colours of pathway stages (ColorBrewer Dark2, colour-blind safe): one each, 'left the city' grey."""


def _scale(kind: str) -> tuple[float, str]:
    return (100.0, "%") if kind == "pct" else (1.0, N_("EUR") if kind == "eur" else N_("people"))


MONTH_TICK_STEPS = [1, 1.2, 2, 2.4, 3, 4, 6, 10]
"""Tick spacings of a month axis in each decade (``MaxNLocator`` steps): 12, 24 and 60
months on a long run, as well as 1 to 10 on a short one."""

GRID_MARGINS_IN = {"left": 0.85, "right": 0.15, "top": 0.35, "bottom": 0.5, "between_columns": 0.95,
                   "between_rows": 0.95}
"""Margins of a grid of axes, in inches: room for a title above each axes, a label and
tick labels of up to six digits beside and below it (``_grid_in_inches``)."""


def _grid_in_inches(fig: Figure, rows: int, columns: int) -> dict[str, float]:
    """The subplot parameters that leave ``GRID_MARGINS_IN`` around a grid of axes.

    A fixed layout, where the others are constrained: the comparison's bands are drawn
    again at each partial result while runs arrive, and the constrained layout, which
    measures every text before drawing, took 0.25 s of the 0.65 s that drawing them took.
    """
    m = GRID_MARGINS_IN
    width, height = fig.get_size_inches()
    axes_width = (width - m["left"] - m["right"] - m["between_columns"] * (columns - 1)) / columns
    axes_height = (height - m["top"] - m["bottom"] - m["between_rows"] * (rows - 1)) / rows
    return {"left": m["left"] / width, "right": 1 - m["right"] / width, "bottom": m["bottom"] / height,
            "top": 1 - m["top"] / height, "wspace": m["between_columns"] / axes_width,
            "hspace": m["between_rows"] / axes_height}


def bands_figure(bands: dict[str, pd.DataFrame], indicators: Sequence[tuple[str, str, str]],
                 labels: Sequence[str], tr: Translator = ENGLISH) -> Figure:
    """Each indicator over the months, one line per scenario with its 90 % band across replications.

    ``bands`` maps a series name to ``compare.series_bands`` output.
    """
    shown = [entry for entry in indicators if entry[0] in bands and not bands[entry[0]].empty]
    columns = 2
    rows = max(1, -(-len(shown) // columns))
    fig = Figure(figsize=(11, 3.0 * rows))
    grid = fig.add_gridspec(rows, columns, **_grid_in_inches(fig, rows, columns))
    axes = [fig.add_subplot(grid[index // columns, index % columns]) for index in range(len(shown))]
    for ax, (name, title, kind) in zip(axes, shown):
        factor, unit = _scale(kind)
        # Five or six ticks a side on a panel three inches high, months by whole years where
        # they fit: enough to read, and each tick is several Matplotlib artists (with the
        # default, seven to nine a side, a partial result's figure took a tenth longer).
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=MONTH_TICK_STEPS, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        table = bands[name]
        for colour, label in zip(PALETTE, labels):
            line = table[table["label"] == label]
            if line.empty:
                continue
            ax.fill_between(line["month"], line["p5"] * factor, line["p95"] * factor, color=colour, alpha=0.2, lw=0)
            ax.plot(line["month"], line["mean"] * factor, color=colour, lw=1.6, label=label)
        ax.set_title(tr.gettext(title), fontsize=10)
        ax.set_xlabel(tr.gettext("month"))
        ax.set_ylabel(tr.gettext(unit))
        ax.grid(alpha=0.3)
    if shown:
        axes[0].legend(fontsize=8, loc="best")
    return fig


def run_figure(frame: pd.DataFrame, indicators: Sequence[tuple[str, str, str]], label: str,
               tr: Translator = ENGLISH) -> Figure:
    """The monthly series of one run (``CityModel.monthly_frame()``), laid out as ``bands_figure``."""
    bands = {}
    for name, _, _ in indicators:
        if name in frame:
            values = frame[name].astype(float)
            bands[name] = pd.DataFrame({"label": label, "month": frame["month"], "mean": values, "p5": values,
                                        "p95": values})
    return bands_figure(bands, indicators, [label], tr)


def differences_figure(summary: pd.DataFrame, indicators: Sequence[tuple[str, str, str]],
                       labels: Sequence[str], tr: Translator = ENGLISH) -> Figure:
    """Paired differences from the first scenario with their 95 % confidence intervals.

    Indicators have different units, so each indicator's block is scaled to its widest
    interval; the numbers beside each point are in the indicator's own unit.
    """
    others = list(labels[1:])
    shown = [entry for entry in indicators if entry[0] in set(summary["indicator"])]
    fig = Figure(figsize=(11, 0.4 * len(shown) * max(1, len(others)) + 1.2), layout="constrained")
    ax, text_ax = fig.subplots(1, 2, width_ratios=[3, 2], sharey=True)  # numbers beside the points, never clipped
    text_ax.axis("off")
    ticks, names, y = [], [], 0
    for name, title, kind in shown:
        factor, unit = _scale(kind)
        block = summary[(summary["indicator"] == name) & summary["scenario"].isin(others)]
        extent = np.nanmax(np.abs(block[["diff", "diff_low", "diff_high"]].to_numpy(dtype=float) * factor),
                           initial=0.0)
        extent = extent if extent > 0 else 1.0
        first = y
        for colour, label in zip(PALETTE[1:], others):
            row = block[block["scenario"] == label]
            if not row.empty and not pd.isna(row["diff"].iloc[0]):
                diff, low, high = (float(row[c].iloc[0]) * factor for c in ("diff", "diff_low", "diff_high"))
                error = [[(diff - low) / extent], [(high - diff) / extent]] if not np.isnan(low) else None
                ax.errorbar(diff / extent, y, xerr=error, fmt="o", color=colour, capsize=3,
                            label=label if name == shown[0][0] else None)
                interval = (f"[{tr.signed(low, 2)}; {tr.signed(high, 2)}]" if error is not None
                            else tr.gettext("(one pair: no interval)"))
                unit_name = tr.gettext("percentage points") if kind == "pct" else tr.gettext(unit)
                text_ax.text(0.0, y, f"{tr.signed(diff, 2)} {interval} {unit_name}", fontsize=8, va="center")
            y += 1
        ticks.append((first + y - 1) / 2)
        names.append(tr.gettext(title))
        y += 0.5
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlim(-1.1, 1.1)
    ax.set_xticks([])
    ax.invert_yaxis()
    ax.set_title(tr.gettext("difference from the first scenario, with 95 % confidence interval"), fontsize=10)
    if others and shown:
        ax.legend(fontsize=8, loc="lower left")
    return fig


def alluvial_figure(stages: pd.DataFrame, title: str) -> Figure:
    """Flows of a cohort between stages at successive months (an alluvial chart).

    ``stages`` has one row per person and one column per month, holding stage names
    (``PathwayTracker.stages``).
    """
    months = list(stages.columns)
    order = sorted(set(np.unique(stages.to_numpy().astype(str))), key=_stage_order)
    colours = {stage: STAGE_COLOURS[i % len(STAGE_COLOURS)] for i, stage in enumerate(order)}
    colours[LEFT] = "#9e9e9e"
    total = max(len(stages), 1)
    gap = 0.015
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    ax = fig.subplots()
    positions: dict[tuple[int, str], float] = {}
    width = 0.12
    for i, month in enumerate(months):
        counts = stages[month].value_counts()
        bottom = 0.0
        for stage in order:
            height = counts.get(stage, 0) / total
            positions[(i, stage)] = bottom
            if height > 0:
                ax.add_patch(Rectangle((i - width / 2, bottom), width, height, color=colours[stage], lw=0))
                if height > 0.03:
                    ax.text(i, bottom + height / 2, f"{100 * height:.0f}%", ha="center", va="center", fontsize=7,
                            color="white")
            bottom += height + gap
    moves = flows(stages).set_index(["from_month", "source", "target"])["people"]
    for i, start in enumerate(months[:-1]):
        out_offset = {stage: positions[(i, stage)] for stage in order}
        in_offset = {stage: positions[(i + 1, stage)] for stage in order}
        for source in order:
            for target in order:
                people = moves.get((start, source, target), 0)
                if not people:
                    continue
                height = people / total
                y0, y1 = out_offset[source], in_offset[target]
                x0, x1 = i + width / 2, i + 1 - width / 2
                xm = (x0 + x1) / 2
                path = MplPath(
                    [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 + height), (xm, y1 + height), (xm, y0 + height),
                     (x0, y0 + height), (x0, y0)],
                    [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO, MplPath.CURVE4,
                     MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY],
                )
                ax.add_patch(PathPatch(path, color=colours[source], alpha=0.35, lw=0))
                out_offset[source] += height
                in_offset[target] += height
    ax.set_xlim(-0.5, len(months) - 0.5)
    ax.set_ylim(0, 1 + gap * len(order))
    ax.set_xticks(range(len(months)), [f"year {m // 12}" if m % 12 == 0 else f"month {m}" for m in months])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.legend(handles=[Rectangle((0, 0), 1, 1, color=colours[s]) for s in reversed(order)],
              labels=list(reversed(order)), fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"{title} ({len(stages):,} people)", fontsize=10)
    return fig


def _stage_order(stage: str) -> tuple[int, str]:
    """Keep 'left the city' on top of the chart, the rest in a stable order."""
    return (1 if stage == LEFT else 0, stage)


def survival_figure(curves: pd.DataFrame, by: str) -> Figure:
    """Share still without a declared job by months since arrival (Kaplan-Meier), per group."""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    groups = [c for c in curves.columns if c not in ("months", "all")]
    for colour, group in zip(PALETTE, groups):
        ax.step(curves["months"], 100 * curves[group], where="post", color=colour, label=group)
    ax.step(curves["months"], 100 * curves["all"], where="post", color="black", ls="--", label="all")
    ax.axhline(50, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("months since arrival")
    ax.set_ylabel("% still without a declared job")
    ax.set_ylim(0, 101)
    ax.set_title(f"time to a first declared job, by {by} (Kaplan-Meier; arrivals during the run)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def years_since_arrival_figure(simulated: pd.DataFrame, published: pd.DataFrame, title: str) -> Figure:
    """Employment rate by completed years since arrival against published points.

    ``simulated``: columns year, mean and optionally p5/p95 (fractions);
    ``published``: columns year, value (fractions) and label.
    Optional columns draw one line per sex: ``men`` and ``women`` in ``simulated``,
    ``group`` (all, men or women) in ``published``.
    """
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    if {"p5", "p95"} <= set(simulated.columns):
        ax.fill_between(simulated["year"], 100 * simulated["p5"], 100 * simulated["p95"], color=PALETTE[0], alpha=0.2,
                        lw=0, label="model, 90 % band")
    ax.plot(simulated["year"], 100 * simulated["mean"], color=PALETTE[0], marker="o", label="model")
    for colour, group in ((PALETTE[2], "men"), (PALETTE[4], "women")):
        if group in simulated.columns:
            ax.plot(simulated["year"], 100 * simulated[group], color=colour, ls="--", label=f"model, {group}")
    if not published.empty:
        groups = published["group"] if "group" in published else pd.Series("all", index=published.index)
        for group, points in published.groupby(groups):
            colour = {"men": PALETTE[2], "women": PALETTE[4]}.get(group, PALETTE[1])
            ax.scatter(points["year"], 100 * points["value"], color=colour, marker="D", zorder=3,
                       label="published" if group == "all" else f"published, {group}")
        for _, row in published.iterrows():
            ax.annotate(row["label"], (row["year"], 100 * row["value"]), textcoords="offset points", xytext=(5, -12),
                        fontsize=7)
    ax.set_xlabel("completed years since arrival")
    ax.set_ylabel("employment rate, %")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def targets_figure(table: pd.DataFrame) -> Figure:
    """Each calibration target: the published value against the model's mean and 90 % interval."""
    rows = table.dropna(subset=["simulated"]).reset_index(drop=True)
    fig = Figure(figsize=(10, 0.42 * len(rows) + 1.2), layout="constrained")
    ax = fig.subplots()
    for y, row in rows.iterrows():
        colour = PALETTE[3] if row["within_tolerance"] else PALETTE[1]
        ax.errorbar(100 * row["simulated"], y, xerr=[[100 * (row["simulated"] - row["low"])],
                                                      [100 * (row["high"] - row["simulated"])]],
                    fmt="o", color=colour, capsize=3)
        ax.scatter(100 * row["published"], y, marker="D", color="black", zorder=3)
    ax.set_yticks(range(len(rows)), [f"{r.id} {r.indicator} ({r.group})"[:70] for r in rows.itertuples()], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("%  (black diamond: published; dot and bar: model mean and 90 % interval; red: outside tolerance)")
    ax.grid(alpha=0.3, axis="x")
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (for reports and downloads)."""
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
