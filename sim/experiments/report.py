"""A scenario comparison as files a planner can send: a CSV table and a one-page HTML report.

The HTML report is self-contained (figures embedded as PNG, no external style or script),
so it opens offline and can be attached to an e-mail or printed to PDF from a browser.
"""

import base64
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from sim import rules as legal_rules
from sim.experiments import share, store
from sim.experiments.compare import HEADLINE, SERIES, Comparison, compare, series_bands
from sim.locales import N_, Translator, translator
from sim.scenario import ScenarioError, content_hash, load, with_overrides

ENGLISH = translator("en")

_KIND = {name: kind for name, _, kind in HEADLINE}
_TITLE = {name: title for name, title, _ in HEADLINE}


@dataclass
class ComparisonView:
    """A stored comparison, read back with everything its pages and reports show."""

    experiment: store.Experiment
    labels: list[str]
    comparison: Comparison
    bands: dict[str, pd.DataFrame]
    """Monthly series name -> ``series_bands`` table."""
    runs_done: int

    @property
    def spec(self) -> dict:
        return json.loads(self.experiment.spec_json)

    @property
    def runs_expected(self) -> int:
        return len(self.labels) * self.spec["replications"]

    @property
    def complete(self) -> bool:
        return self.runs_done >= self.runs_expected


def open_comparison(engine, name: str) -> ComparisonView:
    """Read a stored comparison experiment (complete or not) and its monthly bands; its
    tables are computed when first read (``compare.Comparison``)."""
    experiment = store.load_experiment(engine, name)
    if experiment.kind != "compare":
        raise ValueError(f"experiment '{name}' is a {experiment.kind}, not a comparison")
    labels = [entry["label"] for entry in json.loads(experiment.spec_json)["scenarios"]]
    metrics = store.load_metrics(engine, experiment.id)
    if metrics.empty:
        raise ValueError(f"experiment '{name}' has no finished run yet")
    series = store.load_series(engine, experiment.id, [name for name, _, _ in SERIES])
    bands = {name: series_bands(series, name) for name, _, _ in SERIES}
    return ComparisonView(experiment, labels, compare(metrics, labels), bands, len(metrics))


def summary_table(view: ComparisonView, tr: Translator = ENGLISH) -> pd.DataFrame:
    """The comparison in readable units: percentages in points, counts and euros as they are."""
    table = view.comparison.summary.copy()
    factor = table["indicator"].map(lambda name: 100.0 if _KIND.get(name) == "pct" else 1.0)
    for column in ("mean", "p5", "p95", "diff", "diff_low", "diff_high"):
        if column in table:
            table[column] = table[column] * factor
    units = {"pct": N_("% (difference: percentage points)"), "eur": N_("EUR")}
    table.insert(1, "label", table["indicator"].map(lambda n: tr.gettext(_TITLE[n]) if n in _TITLE else n))
    table.insert(2, "unit", table["indicator"].map(lambda n: tr.gettext(units.get(_KIND.get(n), N_("people")))))
    return table


def quotable(comparison: Comparison, labels: list[str], months: int, replications: int,
             tr: Translator = ENGLISH) -> list[str]:
    """One sentence per scenario that a council can quote: the change in people in work
    against the counterfactual (``labels[0]``) with its 95 % interval, and what it costs the
    city itself (its net cost over the run, and per additional person in work when the
    change is clear). A change whose interval holds zero is said to be unclear, not a gain."""
    _ = tr.gettext
    reference = labels[0]
    jobs = comparison.summary
    jobs = jobs[jobs["indicator"] == "employed_20_64"].set_index("scenario")
    city = comparison.city_cost_per_job.set_index("scenario")
    sentences = []
    for label in labels[1:]:
        if label not in jobs.index or pd.isna(jobs.loc[label, "diff"]):
            sentences.append(_("{label}: no finished pair of runs yet.").format(label=label))
            continue
        diff, low, high = (jobs.loc[label, c] for c in ("diff", "diff_low", "diff_high"))
        interval = (_("one pair: no interval") if pd.isna(low) else
                    _("95 % interval {low} to {high}").format(low=_number(low, "count", True, tr),
                                                             high=_number(high, "count", True, tr)))
        clear = not pd.isna(low) and (low > 0 or high < 0)
        if clear:
            change = (_("{count} more people in work than {reference}") if diff > 0
                      else _("{count} fewer people in work than {reference}")).format(
                count=_number(abs(diff), "count", False, tr), reference=reference)
        else:
            change = _("no clear change in the number of people in work against {reference} ({diff})").format(
                reference=reference, diff=_number(diff, "count", True, tr))
        sentence = _("{label}: {change} after {months} months ({interval}, {replications} paired runs)").format(
            label=label, change=change, months=months, interval=interval, replications=replications)
        cost = city.loc[label, "city_net_cost_eur"] if label in city.index else float("nan")
        if not pd.isna(cost):
            sentence += (_("; it costs the city {amount} net over the run") if cost >= 0
                         else _("; the city gains {amount} net over the run")).format(
                amount=_number(abs(cost), "eur", False, tr))
            per = city.loc[label, "city_net_cost_per_extra_person_eur"]
            if clear and diff > 0 and not pd.isna(per):
                sentence += _(", {amount} per additional person in work (95 % interval {low} to {high})").format(
                    amount=_number(per, "eur", False, tr), low=_number(city.loc[label, "low"], "eur", False, tr),
                    high=_number(city.loc[label, "high"], "eur", False, tr))
        sentences.append(sentence + ".")
    return sentences


def comparison_csv(view: ComparisonView) -> str:
    return summary_table(view).to_csv(index=False)


def rules_html(spec: dict, tr: Translator = ENGLISH) -> str:
    """Each compared scenario's national rules at its start, with their legal sources, and
    the reform it assumes; read from the scenario files, so a file changed since the runs
    is named as such."""
    _ = tr.gettext
    parts = []
    for entry in spec["scenarios"]:
        label = html.escape(entry["label"])
        try:
            scenario = with_overrides(load(entry.get("scenario") or entry["label"]), entry["overrides"])
        except ScenarioError:
            parts.append(_("<p><b>{label}</b>: the scenario file is not available here.</p>").format(label=label))
            continue
        law = scenario.law
        if law.rules is None:
            parts.append(_("<p><b>{label}</b>: no national rule set; the scenario's own values hold.</p>").format(
                label=label))
            continue
        changed = "" if content_hash(scenario) == entry["sha256"] else _(" <b>(the file has changed since the runs)</b>")
        reform = (_("<br><b>Assumed national reform:</b> {reform}").format(reform=html.escape(law.assumed_reform))
                  if law.assumed_reform else "")
        rows = "".join(f"<tr><td>{html.escape(r['topic'])}</td><td>{html.escape(r['rule'])}</td>"
                       f"<td>{html.escape(r['in the model'])}</td><td>{html.escape(r['in force'])}</td>"
                       f"<td><small>{html.escape(r['source'])}</small></td></tr>"
                       for r in legal_rules.table(law.rules, legal_rules.month_end(law.start, 0)))
        head = "".join(f"<th>{_(column)}</th>" for column in (N_("topic"), N_("rule"), N_("in the model"),
                                                              N_("in force"), N_("source")))
        parts.append(_("<p><b>{label}</b>: rules <b>{rules}</b> from {start}, switching on each rule's dates during the "
                       "run{changed}.{reform}</p>").format(label=label, rules=html.escape(law.rules),
                                                           start=html.escape(law.start), changed=changed, reform=reform)
                     + f"<table><tr>{head}</tr>{rows}</table>")
    return "".join(parts)


def comparison_html(view: ComparisonView, tr: Translator = ENGLISH) -> str:
    """The one-page report: what was compared, the headline differences, costs, figures, method;
    in ``tr``'s language."""
    _ = tr.gettext

    def number(value, kind: str, sign: bool = False) -> str:
        return _number(value, kind, sign, tr)

    def ci(low, high, kind: str, sign: bool = True) -> str:
        return _("95 % CI {low} to {high}").format(low=number(low, kind, sign), high=number(high, kind, sign))

    def header(*columns: str) -> str:
        return "<tr>" + "".join(f"<th>{html.escape(_(column))}</th>" for column in columns) + "</tr>"

    spec = view.spec
    table = summary_table(view, tr)
    reference = view.labels[0]
    rows = []
    for name, title, kind in HEADLINE:
        cells = [f"<th>{html.escape(_(title))}</th>"]
        for label in view.labels:
            row = table[(table["indicator"] == name) & (table["scenario"] == label)]
            if row.empty:
                cells.append(f"<td>{_('no data')}</td>")
                continue
            r = row.iloc[0]
            text = number(r["mean"], kind) + "<br><small>" + _("90 % band {low} to {high}").format(
                low=number(r["p5"], kind), high=number(r["p95"], kind)) + "</small>"
            if label != reference:
                text += f"<br><b>{number(r['diff'], kind, sign=True)}</b> <small>{ci(r['diff_low'], r['diff_high'], kind)}</small>"
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = f"<tr><th>{_('indicator')}</th>" + "".join(f"<th>{html.escape(label)}</th>" for label in view.labels) + "</tr>"
    cost_rows = "".join(
        f"<tr><td>{html.escape(str(r.scenario))}</td><td>{number(r.extra_people_in_work, 'count', sign=True)}</td>"
        f"<td>{number(r.extra_spending_eur, 'eur', sign=True)}</td><td>{number(r.cost_per_extra_person_eur, 'eur')}"
        f"<br><small>{ci(r.low, r.high, 'eur', sign=False)}</small></td></tr>"
        for r in view.comparison.cost_per_job.itertuples()
    )
    city_rows = "".join(
        f"<tr><td>{html.escape(str(r.scenario))}</td><td>{number(r.extra_people_in_work, 'count', sign=True)}</td>"
        f"<td>{number(r.city_net_cost_eur, 'eur', sign=True)}</td><td><b>{number(r.city_net_cost_per_extra_person_eur, 'eur')}</b>"
        f"<br><small>{ci(r.low, r.high, 'eur', sign=False)}</small></td></tr>"
        for r in view.comparison.city_cost_per_job.itertuples()
    )
    placement_rows = "".join(_placement_row(r, tr) for r in view.comparison.placements.itertuples())
    who_rows = "".join(
        f"<tr><td>{html.escape(str(r.scenario))}</td><td>{html.escape(_(str(r.dimension)))}</td>"
        f"<td>{html.escape(str(r.group).replace('_', ' '))}</td><td>{number(r.people, 'count')}</td>"
        f"<td><b>{number(r.extra_in_work, 'count', sign=True)}</b><br><small>{ci(r.low, r.high, 'count')}</small></td>"
        f"<td>{number(r.extra_in_declared_work, 'count', sign=True)}<br><small>{ci(r.declared_low, r.declared_high, 'count')}"
        f"</small></td><td>{number(r.extra_below_skills, 'count', sign=True)}</td>"
        f"<td>{number(r.extra_exploited, 'count', sign=True)}</td><td>{number(r.extra_working_poor, 'count', sign=True)}"
        f"</td><td>{number(r.displaced, 'count')}</td></tr>"
        for r in view.comparison.who_gains.itertuples()
    )
    decile_rows = "".join(
        f"<tr><td>{html.escape(str(r.scenario))}</td><td>{html.escape(str(r.decile))}</td>"
        f"<td>{number(r.counterfactual_eur, 'eur')}</td><td><b>{number(r.change_eur, 'eur', sign=True)}</b>"
        f"<br><small>{ci(r.low, r.high, 'eur')}</small></td></tr>"
        for r in view.comparison.income_deciles.itertuples()
    )
    level_rows = "".join(
        f"<tr><td>{html.escape(str(r.scenario))}</td><td>{html.escape(_(str(r.level)))}</td>"
        f"<td>{number(r.extra_lever_spending_eur, 'eur', sign=True)}</td>"
        f"<td>{number(r.social_assistance_saved_eur, 'eur', sign=True)}</td>"
        f"<td>{number(r.extra_revenue_eur, 'eur', sign=True)}</td><td>{number(r.net_benefit_eur, 'eur', sign=True)}"
        f"<br><small>{ci(r.net_low, r.net_high, 'eur')}</small></td></tr>"
        for r in view.comparison.impact_by_level.itertuples()
    )
    from sim import figures  # here: matplotlib is for the report, not for every command that quotes a comparison

    bands_png = figures.png(figures.bands_figure(view.bands, SERIES[:4], view.labels, tr))
    diffs_png = figures.png(figures.differences_figure(view.comparison.summary, HEADLINE[:8], view.labels, tr))
    title = _("Scenario comparison: {labels}").format(labels=" vs ".join(view.labels))
    incomplete = "" if view.complete else _(
        "<p><b>Incomplete: {done} of {expected} runs are finished</b>; the figures below use those only.</p>").format(
        done=view.runs_done, expected=view.runs_expected)
    sentences = quotable(view.comparison, view.labels, spec["months"], spec["replications"], tr)
    return f"""<!DOCTYPE html>
<html lang="{tr.locale}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 1em auto; font-size: 11pt; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 9.5pt; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }}
small {{ color: #555; }} img {{ width: 100%; }} h1 {{ font-size: 16pt; }} h2 {{ font-size: 12pt; margin-top: 1em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{incomplete}<p>{_("Inclusion-pathways simulator, {date}. Each scenario was run {replications} times over {months} months "
                  "with the same random seeds (common random numbers, base seed {seed}), so that differences come from "
                  "the policies, not from chance. The first scenario, <b>{reference}</b>, is the counterfactual. Rates "
                  "are for people aged 20-64, averaged over the final 12 months.").format(
        date=f"{datetime.now(UTC):%Y-%m-%d}", replications=spec["replications"], months=spec["months"],
        seed=spec["seed"], reference=html.escape(reference))}</p>
<h2>{_("In one sentence")}</h2>
<ul>{"".join(f"<li>{html.escape(sentence)}</li>" for sentence in sentences)}</ul>
<h2>{_("The city's own net cost per additional person in work")}</h2>
<table>{header(N_("scenario"), N_("extra people in work (final 12 months)"), N_("the city's net cost over the run"),
               N_("the city's net cost per extra person in work"))}{city_rows}</table>
<p><small>{_("What the city itself pays: its share of the spending on the levers, minus its share of the social "
             "assistance saved and of the extra taxes and contributions (who pays what is set per country in the "
             "scenario's <code>public_finances</code> section). A negative cost is a net gain for the city. \"No "
             "data\": runs stored before this split existed.")}</small></p>
<h2>{_("Gross and net: who got the jobs")}</h2>
<table>{header(N_("scenario"), N_("lever"), N_("participants"), N_("placements through the lever"),
               N_("other job seekers displaced"), N_("participants in declared work at the end"), N_("net change in people in declared work"),
               N_("not additional"))}{placement_rows}</table>
<p><small>{_("Placements go through employers' existing openings or an enterprise's own accounts: a participant "
             "placed may take an opening another job seeker would have had. \"Not additional\" is the gross figure "
             "beyond the net change: participants who would have worked anyway, or whose job another person lost. "
             "Both are counted among people aged 20-64 in the run's last month; the total counts each participant "
             "once, the levers' rows each in every lever they entered. \"Displaced\" counts, each time over the run, "
             "the accepted job seeker who would have been taken at an opening that a graduate with a partner "
             "employer's priority took, had no graduate applied to it.")}</small></p>
<h2>{_("Who gains")}</h2>
<table>{header(N_("scenario"), N_("by"), N_("group"), N_("people aged 20-64 in it"), N_("change in people in work"),
               N_("change in people in declared work"), N_("in declared jobs below their skills"), N_("exploited"),
               N_("working poor"), N_("lost an opening to a programme graduate"))}{who_rows}</table>
<p><small>{_("Changes against the counterfactual, final 12 months, paired replication by replication; each "
             "dimension's groups add up to all migrants. People count in the legal status they held each month: a "
             "lever that gives papers moves people from one group to another. A lever's participants take openings "
             "that other migrants would have had, which shows as losses in other groups. Nationals are not in the "
             "table: their comparison population has its own openings, so the model cannot say whether a lever "
             "displaces them. Working poor: in work with a net income below the at-risk-of-poverty line of a person "
             "living alone. No rows: runs stored before this breakdown existed.")}</small></p>
<h3>{_("By income")}</h3>
<table>{header(N_("scenario"), N_("decile of net monthly income"), N_("counterfactual, EUR"), N_("change, EUR"))}
{decile_rows}</table>
<p><small>{_("Net monthly income of migrants aged 20-64 in the run's last month: pay net of employees' deductions, "
             "or their benefit; 0 for people with neither (most people without papers and without work).")}</small></p>
<h2>{_("Headline indicators")}</h2>
<table>{head}{''.join(rows)}</table>
<p><small>{_("90 % band: where 90 % of the simulated runs fall (what one run of the city could look like). 95 % CI: "
             "the uncertainty of the average difference from the counterfactual, paired replication by replication. "
             "A CI that includes zero means the model cannot tell the scenario from the counterfactual at this number "
             "of replications.")}</small></p>
<h2>{_("Spending and cost per additional person in work")}</h2>
<table>{header(N_("scenario"), N_("extra people in work (final 12 months)"),
               N_("extra spending on the levers over the run"), N_("cost per extra person in work"))}{cost_rows}</table>
<h2>{_("Who pays, who gains")}</h2>
<table>{header(N_("scenario"), N_("level"), N_("extra lever spending"), N_("social assistance saved"),
               N_("extra taxes and contributions"), N_("net benefit"))}{level_rows}</table>
<p><small>{_("Against the counterfactual, over the run. City: the municipality and its social-welfare centre; "
             "region: regions, départements, Länder; national: the state and social security; eu: EU funds "
             "co-financing a lever.")}</small></p>
<h2>{_("The law the scenarios run under")}</h2>
{rules_html(spec, tr)}
<p><small>{_("Rules \"not encoded\" document what the model leaves out. Every rule, its source and its dates: "
             "docs/rules.md.")}</small></p>
<h2>{_("Over time")}</h2>
<img alt="{html.escape(_("indicators over time"))}" src="data:image/png;base64,{base64.b64encode(bands_png).decode()}">
<h2>{_("Differences from the counterfactual")}</h2>
<img alt="{html.escape(_("differences with confidence intervals"))}" src="data:image/png;base64,{base64.b64encode(diffs_png).decode()}">
<h2>{_("Reproduce it")}</h2>
{reproduce_html(view, tr)}
<p><small>{_("Experiment <code>{name}</code>, code version <code>{code}</code>, {runs} runs. The model, its sources and "
             "its limits are described in the project's documentation (docs/ODD.md, docs/policies.md); lever "
             "parameters marked as assumptions there are not calibrated.").format(
        name=html.escape(view.experiment.name), code=html.escape(view.experiment.code_version), runs=view.runs_done)}</small></p>
</body></html>
"""


def reproduce_html(view: ComparisonView, tr: Translator = ENGLISH) -> str:
    """The comparison's command, Python lines and dashboard link (``sim.experiments.share``),
    or why it has none (an uploaded scenario file)."""
    _ = tr.gettext
    recipe = share.recipe(view.spec, view.experiment.name)
    if recipe is None:
        return "<p>" + _("One of the scenarios was an uploaded file: share that file with the comparison's settings "
                         "({replications} replications, {months} months, base seed {seed}).").format(
            replications=view.spec["replications"], months=view.spec["months"], seed=view.spec["seed"]) + "</p>"
    return (f"<p>{_('In a shell, with the project installed:')}</p><pre>{html.escape(share.command(recipe))}</pre>"
            f"<p>{_('In Python:')}</p><pre>{html.escape(share.python(recipe))}</pre>"
            + "<p>" + _("In the dashboard (<code>pathways app</code>), this address after the server's:") + " "
            f"<code>/compare?{html.escape(share.query(recipe))}</code></p>"
            f"<p><small>{_('The same scenarios, seed and code give the same numbers; another code version may differ.')}"
            "</small></p>")


def _placement_row(r, tr: Translator) -> str:
    """One lever's gross figures, or a scenario's total beside its net change."""
    cells = [html.escape(str(r.scenario)), html.escape(tr.gettext(str(r.lever)))]
    if r.lever == "all levers":
        cells += ["", "", _number(r.displaced, "count", False, tr), _number(r.in_declared_work_at_end, "count", False, tr),
                  f"<b>{_number(r.net_extra_in_declared_work, 'count', True, tr)}</b><br><small>"
                  + tr.gettext("95 % CI {low} to {high}").format(low=_number(r.net_low, "count", True, tr),
                                                                 high=_number(r.net_high, "count", True, tr))
                  + "</small>", _number(r.not_additional, "count", True, tr)]
    else:
        cells += [_number(r.participants, "count", False, tr), _number(r.placements, "count", False, tr),
                  _number(r.displaced, "count", False, tr), _number(r.in_declared_work_at_end, "count", False, tr), "", ""]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _number(value, kind: str, sign: bool = False, tr: Translator = ENGLISH) -> str:
    """A figure for reading in ``tr``'s locale: percentages (points when ``sign``: a difference),
    euros, counts (one decimal below 100)."""
    if value is None or pd.isna(value):
        return tr.gettext("no data")
    if value in (float("inf"), float("-inf")):
        return tr.gettext("unbounded")
    prefix = "+" if sign and value > 0 else ""
    if kind == "pct":
        return prefix + tr.number(value, 1) + (tr.gettext(" points") if sign else " %")
    if kind == "eur":
        return prefix + tr.eur(value)
    return prefix + (tr.number(value, 1) if abs(value) < 100 else tr.number(value))
