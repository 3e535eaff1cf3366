"""Scenario comparison with honest uncertainty, from the runs stored for an experiment.

For each indicator and scenario: the mean over replications and a 90 % band (5th to 95th
percentile across replications: what one run of the city could look like). For each
scenario after the first (the counterfactual): the mean paired difference, replication by
replication with the same seeds, and its 95 % confidence interval (Student t). Then the
cost per additional person in work, and a social-impact summary in the three families of
the guide's §3.2 that a simulation can serve: indicator changes, a monetised cost-benefit,
and the counterfactual comparison itself (which the paired differences are).

Who pays, who gains: the monetised view is also split by level of government (city,
region, national, EU; :mod:`sim.public_finances`), and the figure a city council reads
first is the city's own net cost per additional person in work: the city's share of the
lever spending, minus its share of the social assistance saved and of the extra taxes and
contributions, divided by the extra people in work.
"""

import zlib
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.locales import N_

HEADLINE: list[tuple[str, str, str]] = [
    ("employment_rate", N_("employment rate, 20-64"), "pct"),
    ("formal_employment_rate", N_("declared employment rate"), "pct"),
    ("employed_20_64", N_("people in work, 20-64"), "count"),
    ("unemployment_rate", N_("unemployment rate"), "pct"),
    ("overqualification_rate", N_("over-qualification (tertiary)"), "pct"),
    ("undeclared_work_share", N_("undeclared share of work"), "pct"),
    ("exploited_count", N_("exploited workers"), "count"),
    ("undocumented_count", N_("undocumented people"), "count"),
    ("regularisations_total", N_("regularisations through work"), "count"),
    ("sse_jobs", N_("SSE jobs"), "count"),
    ("mean_net_income_eur_per_month", N_("mean net monthly income, EUR"), "eur"),
    ("in_work_poverty_rate", N_("in-work poverty (net income below the poverty line)"), "pct"),
    ("lever_spending_eur", N_("municipal spending on levers, EUR"), "eur"),
]
"""(metric, label, kind) of the indicators a comparison reports by default. Income is the
mean, not the median: the median of people aged 20-64 sits on the benefit most people
without work receive, so it does not move when a lever moves people into work."""

SERIES: list[tuple[str, str, str]] = [
    ("employment_rate", N_("employment rate, 20-64"), "pct"),
    ("formal_employment_rate", N_("declared employment rate"), "pct"),
    ("unemployment_rate", N_("unemployment rate"), "pct"),
    ("undocumented_count", N_("undocumented people"), "count"),
    ("exploited_count", N_("exploited workers"), "count"),
    ("sse_jobs", N_("SSE jobs"), "count"),
    ("municipal_spending_eur", N_("municipal spending to date, EUR"), "eur"),
]
"""(series, label, kind) of the monthly series a comparison draws over time."""

BOOTSTRAP_RESAMPLES = 2000

LEVELS = (N_("city"), N_("region"), N_("national"), N_("eu"), N_("total"))
"""Levels of government of the split (``public_finances_by_level.LEVEL.*`` metrics), and their total."""


class Comparison:
    """The tables of a comparison of ``labels`` (the first is the counterfactual) from
    per-run metrics, each computed when first read and then kept: while runs arrive the
    dashboard shows the summary and the city's own cost at each partial result, and the
    other tables only in a tab that is open. Each table's resamples have their own seed,
    so the order they are read in changes nothing."""

    TABLES = ("summary", "cost_per_job", "impact", "city_cost_per_job", "impact_by_level", "placements",
              "who_gains", "income_deciles")

    def __init__(self, metrics: pd.DataFrame, labels: list[str], indicators: list[str]):
        self._metrics, self._labels, self._indicators = metrics, list(labels), indicators

    def computed(self) -> "Comparison":
        """This comparison with every table computed now: for a caller that shows them all,
        so that a failure comes from the call that made it."""
        for name in self.TABLES:
            getattr(self, name)
        return self

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per (indicator, scenario): mean, p5, p95, diff, diff_low, diff_high, n_pairs."""
        return _summary(self._metrics, self._labels, self._indicators)

    @cached_property
    def cost_per_job(self) -> pd.DataFrame:
        """Per scenario after the first: extra people in work, extra lever spending, cost per extra person."""
        return _cost_per_job(self._metrics, self._labels)

    @cached_property
    def impact(self) -> pd.DataFrame:
        """Per scenario after the first: the monetised cost-benefit."""
        return _impact(self._metrics, self._labels)

    @cached_property
    def city_cost_per_job(self) -> pd.DataFrame:
        """Per scenario after the first: the city's own net cost per additional person in work."""
        return _city_cost_per_job(self._metrics, self._labels)

    @cached_property
    def impact_by_level(self) -> pd.DataFrame:
        """Per scenario after the first and level of government: who pays, who gains."""
        return _impact_by_level(self._metrics, self._labels)

    @cached_property
    def placements(self) -> pd.DataFrame:
        """Per scenario after the first and lever: gross placements of participants against
        the net change in people in declared work."""
        return _placements(self._metrics, self._labels)

    @cached_property
    def who_gains(self) -> pd.DataFrame:
        """Per scenario after the first, dimension and group: the change in people in work,
        in declared work, below their skills, exploited and working poor (``_who_gains``)."""
        return _who_gains(self._metrics, self._labels)

    @cached_property
    def income_deciles(self) -> pd.DataFrame:
        """Per scenario after the first and decile of net monthly income: the counterfactual's
        level and the change (``_income_deciles``)."""
        return _income_deciles(self._metrics, self._labels)


def paired(metrics: pd.DataFrame, metric: str, label: str, reference: str) -> np.ndarray:
    """Differences ``label - reference`` of one metric, replication by replication, in the
    replications' order; a replication that either lacks, or has no value in, is left out.

    On the columns' arrays: a comparison asks for a hundred and more of these, and a
    pivot of the table for each took most of the time the dashboard shows partial results in.
    """
    labels, replications = metrics["label"].to_numpy(), metrics["replication"].to_numpy()
    values = metrics[metric].to_numpy(dtype=float)
    of_label, of_reference = labels == label, labels == reference
    for rows in (of_label, of_reference):
        if np.unique(replications[rows]).size != np.count_nonzero(rows):
            raise ValueError(f"paired {metric}: a replication appears twice for one scenario (one run each)")
    _, at_label, at_reference = np.intersect1d(replications[of_label], replications[of_reference],
                                               return_indices=True)
    ours, theirs = values[of_label][at_label], values[of_reference][at_reference]
    both = ~(np.isnan(ours) | np.isnan(theirs))
    return ours[both] - theirs[both]


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval; NaN bounds below two values."""
    n = values.size
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if n < 2:
        return mean, np.nan, np.nan
    # Student's t quantile from scipy.special: scipy.stats would cost every command that
    # compares about a second of imports.
    half = stdtrit(n - 1, 0.5 + level / 2) * values.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def compare(metrics: pd.DataFrame, labels: list[str], indicators: list[str] | None = None) -> Comparison:
    """The comparison of ``labels`` (the first is the counterfactual) from per-run metrics."""
    return Comparison(metrics, labels, indicators or [name for name, _, _ in HEADLINE if name in metrics.columns])


def _summary(metrics: pd.DataFrame, labels: list[str], indicators: list[str]) -> pd.DataFrame:
    reference = labels[0]
    rows = []
    for metric in indicators:
        for label in labels:
            values = metrics.loc[metrics["label"] == label, metric].dropna().to_numpy(dtype=float)
            row = {"indicator": metric, "scenario": label, "runs": values.size,
                   "mean": values.mean() if values.size else np.nan,
                   "p5": np.percentile(values, 5) if values.size else np.nan,
                   "p95": np.percentile(values, 95) if values.size else np.nan}
            if label != reference:
                diffs = paired(metrics, metric, label, reference)
                row["diff"], row["diff_low"], row["diff_high"] = mean_ci(diffs)
                row["pairs"] = diffs.size
            rows.append(row)
    return pd.DataFrame(rows)


GROUP_DIMENSIONS = (N_("legal status"), N_("reason of arrival"), N_("sex"), N_("education"))
"""The parts of a group's key (``indicators.by_group``: ``status|reason|sex|education``), in order."""


WHO_GAINS_MEASURES = {
    "people": ("people_by_group.", None),
    "work": ("people_in_work_by_group.", ("extra_in_work", "low", "high")),
    "declared": ("people_in_declared_work_by_group.", ("extra_in_declared_work", "declared_low", "declared_high")),
    "below_skills": ("people_below_skills_by_group.", ("extra_below_skills", "below_skills_low", "below_skills_high")),
    "exploited": ("people_exploited_by_group.", ("extra_exploited", "exploited_low", "exploited_high")),
    "working_poor": ("working_poor_by_group.", ("extra_working_poor", "working_poor_low", "working_poor_high")),
    "displaced": ("displaced_by_group.", ("displaced", "displaced_low", "displaced_high")),
}
"""Who gains: each measure's metric prefix (``indicators.by_group``) and its columns:
paired change, 95 % interval. ``displaced`` counts, over the whole run rather than the final
12 months, the times job seekers were passed over at an opening a programme graduate with
partner priority took (``ProgrammeOutcomes.displace``); its change against a counterfactual
without such graduates is the scenario's own count."""


def _who_gains(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Who gains: for each scenario after the first, the paired change in people aged 20-64
    in work, in declared work, in declared work below their skills, exploited in undeclared
    work and working poor (final 12 months; ``WHO_GAINS_MEASURES``), for every group of each
    dimension (legal status, reason of arrival, sex, education) and for all migrants. Each
    dimension's groups add up to the migrants' total, which is ``employed_20_64``'s
    difference; people count in the legal status they held each month (averaged over
    the final 12), so a lever that gives papers moves people between its groups. A lever's
    participants take openings other migrants would have had, which shows as losses in
    other groups, and at the opening in ``displaced``: the times someone was passed over
    for a graduate with partner priority over the run, in the group they were in then; nationals are not in the table: their comparison population has its own
    openings (``sim.nationals``), so the model cannot say whether a lever displaces them.
    Experiments stored before a measure have no value for it (NaN)."""
    changes = [column for _, columns in WHO_GAINS_MEASURES.values() if columns for column in columns]
    columns = ["scenario", "dimension", "group", "people", *changes]
    if not any(c.startswith(WHO_GAINS_MEASURES["work"][0]) for c in metrics.columns):
        return pd.DataFrame(columns=columns)
    sums: dict[tuple[str, str, str], np.ndarray] = {}
    for kind, (prefix, _) in WHO_GAINS_MEASURES.items():
        names = [c for c in metrics.columns if c.startswith(prefix)]
        if not names:
            continue
        parts = [c[len(prefix):].split("|") for c in names]
        # On the columns' arrays, as ``paired``: a group's sum by pandas selection, a hundred
        # of them, took most of the time a comparison's tables took to compute. One row per
        # run, summed pairwise: pandas' sums within about 1e-12 (relative). A group nobody
        # was in during a run is absent from it: zero.
        values = np.ascontiguousarray(np.nan_to_num(metrics[names].to_numpy(dtype=float)))
        sums[(kind, N_("all migrants"), "all")] = values.sum(axis=1)
        for position, dimension in enumerate(GROUP_DIMENSIONS):
            for group in sorted({p[position] for p in parts}):
                sums[(kind, dimension, group)] = values[:, [p[position] == group for p in parts]].sum(axis=1)
    table = pd.DataFrame({"label": metrics["label"].to_numpy(), "replication": metrics["replication"].to_numpy(),
                          **{"|".join(k): v for k, v in sums.items()}})
    counted = any(c.startswith("programme_outcomes.") and c.endswith(".displaced") for c in metrics.columns)
    reference, rows = labels[0], []
    for label in labels[1:]:
        of_label = table["label"].to_numpy() == label
        for dimension, group in dict.fromkeys((d, g) for _, d, g in sums):
            row = {"scenario": label, "dimension": dimension, "group": group}
            key = ("people", dimension, group)
            row["people"] = float(sums[key][of_label].mean()) if key in sums and of_label.any() else np.nan
            for kind, (_, names) in WHO_GAINS_MEASURES.items():
                if names is None:
                    continue
                key = f"{kind}|{dimension}|{group}"
                if key in table.columns:
                    row.update(zip(names, mean_ci(paired(table, key, label, reference)), strict=True))
                else:  # nobody of the group was passed over, in runs that count it; else no data
                    row.update(dict.fromkeys(names, 0.0 if kind == "displaced" and counted else np.nan))
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


DECILES = tuple(f"d{decile}" for decile in range(1, 10))


def _income_deciles(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Who gains by income: for each scenario after the first and each decile (d1-d9) of the
    net monthly income of migrants aged 20-64 at the end (``net_income_deciles_eur_per_month``),
    the counterfactual's level and the paired change with its 95 % interval. Low deciles
    are people without income (no work and no benefit) until a lever gives them some.
    Experiments stored before individual incomes have no rows."""
    columns = ["scenario", "decile", "counterfactual_eur", "change_eur", "low", "high"]
    names = {decile: f"net_income_deciles_eur_per_month.{decile}" for decile in DECILES}
    if not all(name in metrics.columns for name in names.values()):
        return pd.DataFrame(columns=columns)
    reference, rows = labels[0], []
    for label in labels[1:]:
        for decile, name in names.items():
            level = metrics.loc[metrics["label"] == reference, name].mean()
            rows.append({"scenario": label, "decile": decile, "counterfactual_eur": level,
                         **dict(zip(("change_eur", "low", "high"), mean_ci(paired(metrics, name, label, reference)),
                                    strict=True))})
    return pd.DataFrame(rows, columns=columns)


def _per_extra_person(cost: np.ndarray, jobs: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean paired cost over mean paired extra people in work, with a 95 % paired-bootstrap
    interval; NaN when the scenario does not raise employment (or, for the interval, with
    fewer than two pairs)."""
    point = low = high = np.nan
    if jobs.size and jobs.mean() > 0:
        point = cost.mean() / jobs.mean()
    if jobs.size >= 2 and jobs.mean() > 0:  # an interval needs at least two pairs
        picks = rng.integers(0, jobs.size, (BOOTSTRAP_RESAMPLES, jobs.size))
        extra = jobs[picks].mean(axis=1)
        # Resamples without extra jobs have no finite cost: they sort last (the upper
        # bound is then unbounded); order statistics avoid arithmetic on infinities.
        ratios = np.sort(np.where(extra > 0, cost[picks].mean(axis=1) / np.where(extra > 0, extra, 1), np.inf))
        low, high = ratios[int(0.025 * ratios.size)], ratios[int(0.975 * ratios.size) - 1]
    return point, low, high


def _cost_per_job(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Extra lever spending over the run divided by extra people in work (final 12 months).

    The 95 % interval is a paired bootstrap over replications (fixed seed, reproducible);
    the ratio is undefined when the scenario does not raise employment.
    """
    reference, rows = labels[0], []
    for label in labels[1:]:
        rng = np.random.default_rng(zlib.crc32(label.encode()))  # the same resamples whatever else is compared
        jobs = paired(metrics, "employed_20_64", label, reference)
        spend = paired(metrics, "lever_spending_eur", label, reference)
        row = {"scenario": label, "extra_people_in_work": jobs.mean() if jobs.size else np.nan,
               "extra_spending_eur": spend.mean() if spend.size else np.nan}
        row["cost_per_extra_person_eur"], row["low"], row["high"] = _per_extra_person(spend, jobs, rng)
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "extra_people_in_work", "extra_spending_eur",
                                       "cost_per_extra_person_eur", "low", "high"])


def _impact(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Monetised cost-benefit against the counterfactual, over the whole run, EUR.

    Benefits: taxes and contributions on the extra declared earnings (the scenario's
    ``impact.public_revenue_share_of_formal_earnings``) and social assistance no longer
    paid; costs: the extra municipal spending on levers.
    """
    reference, rows = labels[0], []
    for label in labels[1:]:
        revenue = paired(metrics, "public_revenue_eur", label, reference)
        assistance_saved = -paired(metrics, "social_assistance_eur", label, reference)
        costs = paired(metrics, "lever_spending_eur", label, reference)
        net = revenue + assistance_saved - costs
        mean, low, high = mean_ci(net)
        cost = costs.mean() if costs.size else np.nan
        rows.append({
            "scenario": label,
            "extra_public_revenue_eur": revenue.mean() if revenue.size else np.nan,
            "social_assistance_saved_eur": assistance_saved.mean() if assistance_saved.size else np.nan,
            "extra_lever_spending_eur": cost,
            "net_benefit_eur": mean, "net_low": low, "net_high": high,
            "benefit_cost_ratio": (revenue.mean() + assistance_saved.mean()) / cost if cost and cost > 0 else np.nan,
        })
    return pd.DataFrame(rows)


def _city_cost_per_job(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The city's own net cost of each scenario per additional person in work.

    The city's net cost over the run is its share of the lever spending, minus its share of
    the social assistance saved and of the extra taxes and contributions
    (``city_net_cost_eur``, paired difference from the counterfactual); it is divided by the
    extra people in work over the final 12 months, with a paired-bootstrap 95 % interval as
    ``_cost_per_job``. Negative: the city gains more than it spends. Experiments stored
    before the split existed have no ``city_net_cost_eur``: their rows hold no data.
    """
    columns = ["scenario", "extra_people_in_work", "city_net_cost_eur", "city_net_cost_per_extra_person_eur",
               "low", "high"]
    reference, rows = labels[0], []
    for label in labels[1:]:
        rng = np.random.default_rng(zlib.crc32(label.encode()))
        jobs = paired(metrics, "employed_20_64", label, reference)
        row = {"scenario": label, "extra_people_in_work": jobs.mean() if jobs.size else np.nan,
               "city_net_cost_eur": np.nan, "city_net_cost_per_extra_person_eur": np.nan, "low": np.nan, "high": np.nan}
        if "city_net_cost_eur" in metrics.columns:
            cost = paired(metrics, "city_net_cost_eur", label, reference)
            if cost.size == jobs.size:  # the same pairs (a run stores both or neither)
                row["city_net_cost_eur"] = cost.mean() if cost.size else np.nan
                row["city_net_cost_per_extra_person_eur"], row["low"], row["high"] = _per_extra_person(cost, jobs, rng)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _impact_by_level(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Who pays, who gains: the monetised cost-benefit against the counterfactual, over the
    run, EUR, for each level of government (``public_finances_by_level.LEVEL.*``) and their
    total. Net benefit: extra revenue plus assistance saved minus extra lever spending, with
    its 95 % confidence interval (paired, Student t); for the city, minus its net cost."""
    columns = ["scenario", "level", "extra_lever_spending_eur", "social_assistance_saved_eur", "extra_revenue_eur",
               "net_benefit_eur", "net_low", "net_high"]
    reference, rows = labels[0], []
    for label in labels[1:]:
        for level in LEVELS:
            prefix = f"public_finances_by_level.{level}."
            names = [prefix + name for name in ("lever_spending_eur", "social_assistance_eur", "revenue_eur", "net_cost_eur")]
            if not all(name in metrics.columns for name in names):
                continue
            spend, assistance, revenue, net_cost = (paired(metrics, name, label, reference) for name in names)
            mean, low, high = mean_ci(-net_cost)
            rows.append({"scenario": label, "level": level,
                         "extra_lever_spending_eur": spend.mean() if spend.size else np.nan,
                         "social_assistance_saved_eur": -assistance.mean() if assistance.size else np.nan,
                         "extra_revenue_eur": revenue.mean() if revenue.size else np.nan,
                         "net_benefit_eur": mean, "net_low": low, "net_high": high})
    return pd.DataFrame(rows, columns=columns)


PLACEMENT_COLUMNS = ("participants", "placements", "displaced", "in_declared_work_at_end")


def _placements(metrics: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Gross and net, per scenario after the first: what its levers' participants got, and
    what the city got.

    Per lever (``programme_outcomes.LEVER.*``, means over replications): entries,
    placements through the lever's own channel (partner employers' openings, lasting
    cooperatives, self-employment), the job seekers a partner-priority placement passed
    over at the opening (``displaced``: the accepted applicant who would have been taken
    had the graduate not applied to it, each time), and participants aged 20-64 in
    declared work in the last month (a person in two levers counts in both rows). Per scenario, all levers together,
    each person once (``participants_in_declared_work_at_end``), against the net change in
    people aged 20-64 in declared work in the same last month (``declared_employed_20_64_at_end``),
    both paired against the counterfactual (whose own participants, if any, are taken off):
    what the gross figure has beyond the net change would have worked anyway, or took the
    opening of another job seeker (partner employers open no extra positions). Levers
    without participants (reserved orders, clauses) have no gross figure.
    """
    columns = ["scenario", "lever", "participants", "placements", "displaced", "in_declared_work_at_end",
               "net_extra_in_declared_work", "net_low", "net_high", "not_additional"]
    reference, rows = labels[0], []
    for label in labels[1:]:
        runs = metrics[metrics["label"] == label]
        levers = sorted({c.split(".")[1] for c in metrics.columns
                         if c.startswith("programme_outcomes.") and c.endswith(".participants")
                         and runs[c].notna().any()})
        both = {"declared_employed_20_64_at_end", "participants_in_declared_work_at_end"} <= set(metrics.columns)
        net, low, high = (mean_ci(paired(metrics, "declared_employed_20_64_at_end", label, reference))
                          if both else (np.nan,) * 3)
        for lever in levers:
            means = {name: runs.get(f"programme_outcomes.{lever}.{name}", pd.Series(dtype=float)).fillna(0).mean()
                     for name in PLACEMENT_COLUMNS}
            rows.append({"scenario": label, "lever": lever, **means, "net_extra_in_declared_work": np.nan,
                         "net_low": np.nan, "net_high": np.nan, "not_additional": np.nan})
        gross = np.nan  # levers without participants (orders, clauses) have no gross figure
        if levers and both:
            gross = paired(metrics, "participants_in_declared_work_at_end", label, reference).mean()
        displaced = sum(row["displaced"] for row in rows if row["scenario"] == label) if levers else np.nan
        rows.append({"scenario": label, "lever": N_("all levers"), "participants": np.nan, "placements": np.nan,
                     "displaced": displaced, "in_declared_work_at_end": gross, "net_extra_in_declared_work": net,
                     "net_low": low, "net_high": high, "not_additional": gross - net})
    return pd.DataFrame(rows, columns=columns)


def series_bands(series: pd.DataFrame, name: str) -> pd.DataFrame:
    """One monthly series across replications: per (label, month), mean and 90 % band."""
    rows = series[series["name"] == name].dropna(subset=["value"])
    grouped = rows.groupby(["label", "month"])["value"]
    return pd.DataFrame({
        "mean": grouped.mean(), "p5": grouped.quantile(0.05), "p95": grouped.quantile(0.95), "runs": grouped.size(),
    }).reset_index()
