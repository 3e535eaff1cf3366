"""The ``pathways`` command line. It parses, runs and prints; the rules live in ``sim``.

Bad input (an unknown scenario, a malformed file, a value out of range) ends with a
one-line message on stderr and exit code 2, never a traceback.
"""

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from sim.scenario import ScenarioError, available, load

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate migrants' labour-market inclusion pathways in a European city.",
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True)

MAX_MONTHS = 1200
MAX_MIGRANTS = 5_000_000


def fail(message: str) -> None:
    errors.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario name (liege/baseline) or path to a .toml file.")],
    months: Annotated[int, typer.Option(min=1, max=MAX_MONTHS, help="Months to simulate.")] = 120,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the random generators.")] = 1,
    migrants: Annotated[
        int | None, typer.Option(min=0, max=MAX_MIGRANTS, help="Initial migrants (default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the indicators as JSON to this file.")] = None,
) -> None:
    """Run one scenario and print its end-of-run indicators."""
    from sim.model import CityModel

    try:
        params = load(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    if out is not None and not out.parent.resolve().is_dir():
        fail(f"--out: folder {out.parent} does not exist")
    model = CityModel(params, rng=seed, migrants=migrants)
    for _ in track(range(months), description="Simulating months", console=errors, disable=not errors.is_terminal):
        model.step()
    results = model.results()
    console.print(indicator_table(results))
    if out is not None:
        write_json(results, out)
        console.print(f"Wrote {out}")


@app.command()
def scenarios() -> None:
    """List the shipped scenarios."""
    for name in available():
        console.print(name)


@app.command()
def check(scenario: Annotated[str, typer.Argument(help="Scenario name or path.")]) -> None:
    """Validate a scenario file (with what it extends) and print its identity."""
    from sim.scenario import content_hash

    try:
        params = load(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    console.print(f"{scenario}: valid ({params.meta.name}); sha256 {content_hash(params)}")


def indicator_table(results: dict[str, Any]) -> Table:
    table = Table(title=f"{results['scenario']}: {results['months']} months, seed {results['provenance']['seed']}")
    table.add_column("indicator")
    table.add_column("value", justify="right")
    rows = [
        ("migrants in the city (18-64)", results["migrants"]),
        ("employment rate, 20-64", _pct(results["employment_rate"])),
        ("  non-EU citizens (not naturalised)", _pct(results["employment_rate_non_eu_citizens"])),
        ("  women", _pct(results["employment_rate_by_sex"]["female"])),
        ("  men", _pct(results["employment_rate_by_sex"]["male"])),
        *(
            (f"  {status.replace('_', ' ')}", _pct(rate))
            for status, rate in results["employment_rate_by_status"].items()
        ),
        ("declared employment rate", _pct(results["formal_employment_rate"])),
        ("unemployment rate", _pct(results["unemployment_rate"])),
        ("over-qualification rate (tertiary)", _pct(results["overqualification_rate"])),
        ("undeclared share of work", _pct(results["undeclared_work_share"])),
        ("undocumented people", results["undocumented_count"]),
        ("exploited workers", results["exploited_count"]),
        ("median months to first declared job", _num(results["median_months_to_first_formal_job"])),
        ("median monthly income, EUR", _num(results["median_monthly_income_eur"])),
        ("refugees in work after 5 years", _pct(results["employment_rate_by_years_since_arrival"]["asylum"]["5"])),
        ("regularisations through work", results["regularisations_total"]),
        ("SSE jobs / enterprises alive", f"{results['sse_jobs']} / {results['sse_enterprises_alive']}"),
        ("SSE self-financing ratio", _pct(results["sse_self_financing_ratio"])),
        ("municipal spending, million EUR", _num(results["municipal_spending_eur"]["total"] / 1e6, 2)),
        *(
            (f"  {item.replace('_', ' ')}", _num(amount / 1e6, 2))
            for item, amount in results["municipal_spending_eur"].items()
            if item != "total"
        ),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    table.caption = "Rates averaged over the final 12 months; 'no data' where nobody is in the group."
    return table


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 0) -> str:
    return "not reached" if value is None else f"{value:,.{digits}f}"


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write atomically: a crash never leaves a half-written file in place of a good one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"--out: cannot write {path}: {exc.strerror}")


def main() -> None:
    """Console entry point: usage errors too become one line on stderr with exit code 2."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        errors.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    sys.exit(code or 0)
