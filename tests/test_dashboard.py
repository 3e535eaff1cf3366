"""The dashboard, served by ``pathways app`` and driven in a real browser (Debian's Chromium).

Each page must load offline (any request leaving the machine is aborted and fails the
test) without a console error; Compare must run a comparison in the background and show
its plots and exports; typed values out of range must be refused in the page; two tabs
must keep their own state. Screenshots of every page go to ``tests/screenshots/``.
Reduced sizes (few replications, short horizons) keep the suite quick; the 20-replication
timing is ``benchmarks/dashboard.py``'s job.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from dashboards.results import safe_filename
from tests.dashboard_browser import (
    CHROMIUM_ARGS, chromium_path, new_context, open_page, run_load, screenshot, start_server, type_into, watch,
)

PAGES = [
    ("", "Explore one run"),
    ("compare", "Compare scenarios"),
    ("packages", "Find a package"),
    ("pathways", "Pathways through the city"),
    ("runs", "Stored experiments"),
    ("calibration", "Calibration: the model against published statistics"),
    ("replay", "Replay: the years the model was not fitted to"),
    ("new-city", "A new city"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("dashboard"))
    yield running
    running.stop()
    assert "Traceback" not in running.log.read_text()  # no error escaped a page, in any test


@pytest.fixture(scope="module")
def playwright():
    """One Playwright driver for the module: a second one cannot start in the same thread."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright):
    launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def context(browser):
    opened = new_context(browser)
    yield opened
    opened.close()


def test_every_page_loads_offline_without_console_errors(server, context):
    watched = watch(context)
    for path, heading in PAGES:
        open_page(watched, server, path, heading)
        watched.page.wait_for_timeout(500)  # late console errors (missing assets) arrive after the heading
        screenshot(watched, f"page-{path or 'explore'}")
    assert watched.problems() == []
    assert "Could not load URL" not in server.log.read_text()  # the server never asked the CDN either


def test_pages_show_their_content(server, context):
    watched = watch(context)
    page = watched.page
    open_page(watched, server, "", "Explore one run")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("migrants in the city after the warm-up").wait_for()
    page.get_by_role("button", name="Run 12 months").click()
    page.locator(".figure-explore-series img").wait_for()
    page.get_by_text("month 12 of 120").wait_for()
    _tab(page, "A migrant")
    page.get_by_role("button", name="A random migrant").click()
    page.get_by_text("Pathway: legal status and labour state").wait_for()
    page.get_by_text("years old, came").wait_for()  # the record told in words first
    page.get_by_text("Every field of the record").click()
    page.locator("td", has_text="months_in_city").first.wait_for()
    screenshot(watched, "explore-migrant")

    _tab(page, "Rules in force")
    page.get_by_text("BE rules in force on").wait_for()
    page.locator("td", has_text="Loi de 1980").first.wait_for()
    _tab(page, "Reproduce")  # the run so far as a command and as Python lines
    command = page.locator(".reproduce-command").inner_text()
    assert command.startswith("pathways run liege/baseline") and "--months 12 --seed 1" in command
    expect(page.locator(".reproduce-python")).to_contain_text("model = CityModel(load('liege/baseline'), rng=1")

    open_page(watched, server, "calibration", "Calibration: the model against published statistics")
    page.locator(".figure-calibration-targets img").wait_for()
    page.locator(".figure-calibration-curve img").wait_for()
    page.get_by_text("Programmes against their evaluations").wait_for()  # beside the targets
    page.locator("td", has_text="duo_for_a_job").first.wait_for()  # a stored pathways evaluate report

    open_page(watched, server, "replay", "Replay: the years the model was not fitted to")
    page.locator(".figure-replay-series img").wait_for()
    page.get_by_text("Mean absolute error").wait_for()
    page.get_by_text("where the surveys looked").wait_for()  # eu27's refugee curve at its surveys' years
    page.locator("td", has_text="T27").first.wait_for()

    open_page(watched, server, "pathways", "Pathways through the city")
    type_into(page, "Months", "24")
    page.get_by_role("button", name="Simulate").click()
    page.locator(".figure-pathways-flows img").wait_for()
    expect(page.get_by_role("button", name="Simulate")).to_be_enabled(timeout=60_000)
    screenshot(watched, "pathways-flows")
    _tab(page, "Time to a first declared job")
    page.locator(".figure-pathways-first-job img").wait_for()
    _tab(page, "Employment by years since arrival")
    page.locator(".figure-pathways-years img").wait_for()
    screenshot(watched, "pathways-years")
    assert watched.problems() == []


def test_compare_runs_two_chosen_scenarios_and_exports(server, browser, context, tmp_path):
    watched = watch(context)
    page = watched.page
    open_page(watched, server, "compare", "Compare scenarios")
    # Choose two scenarios in the multiple select: drop the default second, add mentoring.
    page.locator(".v-select", has_text="Scenarios (the first is the counterfactual)").click()
    page.get_by_role("option", name="liege/one_stop_shop").click()
    page.get_by_role("option", name="liege/mentoring").click()
    page.keyboard.press("Escape")
    type_into(page, "Replications per scenario", "4")
    type_into(page, "Months", "24")
    page.get_by_text("2 scenarios x 4 replications: liege/baseline vs liege/mentoring").wait_for()
    page.get_by_role("button", name="Run comparison").click()
    page.locator(".figure-compare-bands img").wait_for()
    page.get_by_text("Done: 8 runs").wait_for()
    expect(page.get_by_role("button", name="Run comparison")).to_be_enabled(timeout=60_000)  # the task has ended...
    assert page.get_by_text("Could not finish").count() == 0  # ...and nothing went wrong after the last run
    # The sentence a council can quote comes first, above the figures.
    quote = page.locator(".quotable", has_text="liege/mentoring: ")
    expect(quote).to_contain_text("people in work")
    expect(quote).to_contain_text("net over the run")
    assert quote.bounding_box()["y"] < page.locator(".figure-compare-bands img").bounding_box()["y"]
    screenshot(watched, "compare-over-time")
    _tab(page, "Differences")
    page.locator(".figure-compare-differences img").wait_for()
    screenshot(watched, "compare-differences")
    _tab(page, "Who gains")
    page.locator("td", has_text="all migrants").first.wait_for()
    page.locator("td", has_text="reason of arrival").first.wait_for()
    _tab(page, "Export")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    csv_path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(csv_path)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert {row["scenario"] for row in rows} == {"liege/baseline", "liege/mentoring"}
    assert any(row["indicator"] == "employment_rate" and row["diff"] for row in rows if row["scenario"] == "liege/mentoring")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download report (HTML)").click()
    report = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(report)
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and "liege/mentoring" in text and "data:image/png;base64," in text
    assert "http://" not in text and "https://" not in text  # self-contained: opens offline
    command = "pathways compare liege/baseline liege/mentoring --reps 4 --months 24 --seed 1"
    assert "<h2>Reproduce it</h2>" in text and command in text and "run_compare(" in text

    # Share: the command and Python lines that reproduce it, and a link that reopens it.
    _tab(page, "Share and reproduce")
    assert page.locator(".share-command").inner_text().strip() == command
    expect(page.locator(".share-python")).to_contain_text("run_compare(['liege/baseline', 'liege/mentoring'], "
                                                          "Settings(replications=4, months=24, seed=1))")
    link = page.locator(".share-link a").get_attribute("href")
    assert link.startswith("/compare?") and "experiment=compare-" in link
    # A fresh tab in a new browser context (nothing shared with this one) opens the link and
    # sees the same comparison: the stored runs, the same sentence, the controls set as here.
    sentence = quote.inner_text()
    fresh = new_context(browser)
    try:
        other = watch(fresh)
        other.page.goto(server.url.rstrip("/") + link, wait_until="networkidle")
        other.page.get_by_text("Opened from a link: the stored comparison").wait_for()
        expect(other.page.locator(".quotable", has_text="liege/mentoring: ")).to_have_text(sentence)
        other.page.get_by_text("2 scenarios x 4 replications: liege/baseline vs liege/mentoring").wait_for()
        screenshot(other, "compare-shared-link")
        # A link asking for more than the page sets says which control it clamped.
        assert "months=24" in link
        other.page.goto(server.url.rstrip("/") + link.replace("months=24", "months=6"), wait_until="networkidle")
        other.page.get_by_text("the link asks for Months 6, which this page sets between 12 and").wait_for()
        assert other.problems() == []
    finally:
        fresh.close()

    # The experiment is stored: the Runs page lists it and reopens it.
    open_page(watched, server, "runs", "Stored experiments")
    page.locator(".v-select", has_text="Open an experiment").click()
    page.get_by_role("option").filter(has_text="compare-").first.click()
    page.locator(".figure-compare-bands img").wait_for()
    screenshot(watched, "runs-reopened")
    assert watched.problems() == []


def test_find_a_package_from_a_budget_to_a_reopened_comparison(server, context, tmp_path):
    # A planner sets a budget, lets the search try a few packages (drawn as they come), saves
    # a front package as a scenario file, and opens it in Compare beside the baseline.
    from sim.scenario import from_text

    watched = watch(context)
    page = watched.page
    open_page(watched, server, "packages", "Find a package")
    type_into(page, "Budget, EUR a year", "1500000")
    type_into(page, "Packages to try", "3")
    type_into(page, "Replications per package", "2")
    type_into(page, "Months", "12")
    page.get_by_role("button", name="Search").click()
    page.locator(".figure-packages-front img").wait_for(timeout=120_000)
    page.get_by_text("Done: 3 packages tried").wait_for(timeout=120_000)
    screenshot(watched, "packages-front")
    opener = page.get_by_role("button", name="Open in Compare")
    assert opener.count() >= 1  # at seed 1 two of the three packages keep to this budget
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Scenario file").first.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    scenario = from_text(saved.read_text(), saved.name)
    assert scenario.policies.policy_budget_eur_per_year == 1_500_000
    opener.first.click()
    page.get_by_text("Compare scenarios").first.wait_for()
    page.get_by_text("liege/baseline vs liege/baseline (edited)").wait_for()
    page.get_by_role("button", name="Run comparison").click()
    page.get_by_text("Done: 4 runs").wait_for(timeout=120_000)
    page.locator(".quotable", has_text="liege/baseline (edited): ").wait_for()
    assert watched.problems() == []


def test_a_new_city_from_the_browser_is_fitted_and_opens_in_compare(browser, tmp_path):
    # A city office types its figures, the city is written and fitted (a tiny fit: the steps,
    # not the fit's quality, which the closing note measures), and opens in Compare. The
    # server writes into a copy of the scenarios, never the project's own.
    import shutil

    from sim.scenario import load, loader

    scenarios = tmp_path / "scenarios"
    shutil.copytree(loader.SCENARIO_DIR, scenarios)
    own = start_server(tmp_path, scenarios=scenarios)
    context = new_context(browser)
    try:
        watched = watch(context)
        page = watched.page
        open_page(watched, own, "new-city", "A new city")
        page.get_by_text("Belgium").first.wait_for()  # the country's name under its code
        type_into(page, "Name (lower-case letters, digits, underscores)", "gent")
        type_into(page, "Inhabitants", "265000")
        type_into(page, "Non-EU residents", "400000")
        type_into(page, "Simulations for the fit", "20")
        page.get_by_role("button", name="Write and fit the city").click()
        page.get_by_text("Nothing was written: non-EU residents: 400,000").wait_for()  # named, with its range
        assert not (scenarios / "gent").exists()
        type_into(page, "Non-EU residents", "30000")
        page.get_by_role("button", name="Write and fit the city").click()
        page.get_by_text("Fitting: generation").wait_for()
        page.get_by_text("Wrote ").wait_for(timeout=240_000)
        page.locator("td", has_text="C-BE-N").first.wait_for()
        screenshot(watched, "new-city")
        assert load(scenarios / "gent" / "baseline.toml").population.initial_migrants == 21_000
        assert (scenarios / "gent" / "fit" / "gent.md").is_file()
        page.get_by_role("button", name="Open in Compare").click()
        page.get_by_text("Compare scenarios").first.wait_for()
        page.get_by_text("gent/baseline").first.wait_for()
        assert watched.problems() == []
    finally:
        context.close()
        own.stop()


def test_cancel_keeps_the_stored_runs_and_running_again_finishes(server, context):
    watched = watch(context)
    page = watched.page
    open_page(watched, server, "compare", "Compare scenarios")
    type_into(page, "Replications per scenario", "30")
    type_into(page, "Months", "24")
    type_into(page, "Base seed", "11")
    page.get_by_text("2 scenarios x 30 replications").wait_for()
    page.get_by_role("button", name="Run comparison").click()
    page.get_by_text(re.compile(r"^[1-9]\d* of 60 runs done")).wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Stopped:").wait_for()
    expect(page.get_by_role("button", name="Run comparison")).to_be_enabled(timeout=60_000)
    stopped_at = int(page.get_by_text("Stopped:").inner_text().split()[1])
    assert 1 <= stopped_at < 60
    page.get_by_role("button", name="Run comparison").click()
    page.get_by_text("Done: 60 runs").wait_for(timeout=180_000)
    expect(page.get_by_role("button", name="Run comparison")).to_be_enabled(timeout=60_000)
    assert page.get_by_text("Could not finish").count() == 0
    assert watched.problems() == []


def test_bad_typed_values_are_refused_with_a_message(server, context):
    watched = watch(context)
    page = watched.page
    open_page(watched, server, "compare", "Compare scenarios")
    type_into(page, "Replications per scenario", "abc")
    page.get_by_text("'abc' is not a whole number (allowed: 2 to 200)").wait_for()
    type_into(page, "Replications per scenario", "100000")
    page.get_by_text("100000 is out of range (allowed: 2 to 200)").wait_for()
    page.get_by_text("2 scenarios x 20 replications").wait_for()  # the refused values were not taken

    open_page(watched, server, "", "Explore one run")
    page.get_by_text("One-stop shop", exact=True).click()
    type_into(page, "capacity clients per month", "-5")
    page.get_by_text("policies.one_stop_shop.capacity_clients_per_month").first.wait_for()
    page.get_by_text("greater than or equal to 0").first.wait_for()
    type_into(page, "services knowledge gain", "nan")
    page.get_by_text("must be a finite number").wait_for()
    screenshot(watched, "explore-refused-values")
    assert watched.problems() == []


def test_a_pasted_scenario_file_is_validated_before_it_is_used(server, context):
    watched = watch(context)
    page = watched.page
    open_page(watched, server, "compare", "Compare scenarios")
    area = page.locator("textarea")
    for bad, message in [
        ('extends = "../../../etc/passwd"', "field 'extends' must name a shipped scenario"),
        ('extends = "liege/baseline"\n[inflow]\nnewcomers_per_month = nan', "inflow.newcomers_per_month"),
        ('extends = "liege/baseline"\n[policies.one_stop_shop]\nopening_hours = 3', "unknown field"),
        ("[meta\nname = 'x'", "not valid TOML"),
        ('extends = "liege/baseline"\n[population]\ninitial_migrants = 5000000', "the dashboard runs at most"),
    ]:
        area.fill(bad.replace("\\n", "\n"))
        page.get_by_role("button", name="Add this scenario").click()
        page.get_by_text(message).first.wait_for()
    area.fill('extends = "liege/baseline"\n[meta]\nname = "Liège <b>plan</b> 2027"\n'
              '[policies.mentoring]\nenabled = true\n')
    page.get_by_role("button", name="Add this scenario").click()
    page.get_by_text("Added: uploaded: Liège <b>plan</b> 2027").wait_for()  # shown as text, not markup
    page.get_by_text("3 scenarios x 20 replications").wait_for()
    screenshot(watched, "compare-uploaded")
    # A file of another city cannot join a comparison of this one: said at once, and the
    # comparison cannot be run (it would be refused after clearing the page).
    area.fill('extends = "paris/baseline"\n[population]\ninitial_migrants = 20000\n')  # a size the page runs
    page.get_by_role("button", name="Add this scenario").click()
    page.get_by_text("the uploaded scenario is of paris and this page compares scenarios of liege").wait_for()
    expect(page.get_by_role("button", name="Run comparison")).to_be_disabled()
    assert watched.problems() == []


def test_two_tabs_keep_independent_state(server, context):
    first, second = watch(context), watch(context)
    open_page(first, server, "", "Explore one run")
    open_page(second, server, "", "Explore one run")
    first.page.get_by_role("button", name="Reset").click()
    first.page.get_by_text("migrants in the city after the warm-up").wait_for()
    first.page.get_by_role("button", name="Step").click()
    first.page.get_by_text("month 1 of 120").wait_for()
    # The second tab saw nothing of the first tab's model...
    assert second.page.get_by_text("then press Reset to build the city").is_visible()
    type_into(second.page, "Random seed", "2")
    second.page.get_by_role("button", name="Reset").click()
    second.page.get_by_text("seed 2: month 0 of 120").wait_for()
    # ...and building its own left the first tab's alone: seed 1, one month run.
    assert first.page.get_by_text("seed 1: month 1 of 120").is_visible()
    assert first.problems() == [] and second.problems() == []


def test_server_listens_on_loopback_only(server):
    listening = {_local_address(line) for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if _local_port(line) == server.port and line.split()[3] == "0A"}  # 0A: LISTEN
    assert listening == {"127.0.0.1"}


def test_download_names_cannot_leave_their_folder():
    for hostile in ("../../etc/passwd", "/abs/path", "a\\b", "..", "x" * 500):
        name = safe_filename(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and 0 < len(name) <= 80


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(600)  # the tab's slide animation, before any screenshot


def _local_port(line: str) -> int:
    return int(line.split()[1].split(":")[1], 16)


def _local_address(line: str) -> str:
    raw = line.split()[1].split(":")[0]
    return ".".join(str(int(raw[i:i + 2], 16)) for i in (6, 4, 2, 0))


def test_five_users_comparing_at_once_each_get_their_own_results(server, browser):
    """A bounded load test on loopback: 5 sessions start a comparison at the same moment (the
    server runs 2 at a time, the rest wait in line) while a sixth keeps loading pages."""
    load = run_load(browser, server, users=5, replications=3, months=12)
    assert all(seconds < float("inf") for seconds in load.finished_s)  # every comparison finished
    assert all(load.seeds_shown)  # each page shows its own comparison, not another user's
    assert load.problems == []
    assert len(load.page_load_s) >= 2 and max(load.page_load_s) < 15  # the server kept answering


NUMBER_IN_LOCALE = {"fr": r"\d\u202f\d{3}", "es": r"\d\.\d{3}"}
"""A thousands separator as the locale writes it (French: narrow no-break space; Spanish: point)."""


def _english_leftovers(text: str, locale: str) -> list[str]:
    """Catalogue strings still shown in English: each message whose translation differs, as the
    page shows it (without markdown marks), in its pieces between placeholders, when a piece is
    long enough (three words or more) not to be a place or scenario name the page shows as data."""
    from sim.locales import catalogue

    found = []
    for message, translated in catalogue(locale).items():
        if translated == message:
            continue
        shown = re.sub(r"\*\*|`|^## ", "", message)
        for piece in re.split(r"\{[a-z_]*\}|<[^>]+>", shown):
            piece = piece.strip(" .,:;()")
            if len(piece.split()) >= 3 and piece in text and piece not in translated:
                found.append(piece)
    return found


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_every_page_speaks_the_browsers_language(server, playwright, locale, tmp_path):
    # A browser set to French (or Spanish) gets every page in it: no catalogue string left in
    # English, numbers written the locale's way, and the report downloaded in the same language.
    # The browser is launched in the language (its Accept-Language, which the page's websocket
    # carries; Playwright's per-context locale only changes the page's own HTTP requests).
    from sim.locales import translator

    tr = translator(locale)
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                         args=[*CHROMIUM_ARGS, f"--lang={locale}", f"--accept-lang={locale}"])
    context = new_context(browser)
    try:
        watched = watch(context)
        page = watched.page
        for path, heading in PAGES:
            open_page(watched, server, path, tr.gettext(f"## {heading}").removeprefix("## "))
            page.wait_for_timeout(500)
            leftovers = _english_leftovers(page.inner_text("body"), locale)
            assert not leftovers, (path, leftovers)
            screenshot(watched, f"{locale}-page-{path or 'explore'}")
        # Numbers: the city's size after the warm-up, in the locale's way.
        open_page(watched, server, "", tr.gettext("## Explore one run").removeprefix("## "))
        page.get_by_role("button", name=tr.gettext("Reset")).click()
        built = page.get_by_text(tr.gettext("{count} migrants in the city after the warm-up").split("{count}")[1].strip())
        built.wait_for()
        assert re.search(NUMBER_IN_LOCALE[locale], built.inner_text()), built.inner_text()
        # A small comparison, and its report in the tab's language.
        open_page(watched, server, "compare", tr.gettext("## Compare scenarios").removeprefix("## "))
        type_into(page, tr.gettext("Replications per scenario"), "2")
        type_into(page, tr.gettext("Months"), "12")
        page.get_by_role("button", name=tr.gettext("Run comparison")).click()
        page.locator(".figure-compare-bands img").wait_for()
        page.locator(".quotable", has_text="liege/one_stop_shop").wait_for()
        expect(page.get_by_role("button", name=tr.gettext("Run comparison"))).to_be_enabled(timeout=120_000)
        assert not _english_leftovers(page.inner_text("body"), locale)
        _tab(page, tr.gettext("Export"))
        with page.expect_download() as download_info:
            page.get_by_role("button", name=tr.gettext("Download report (HTML)")).click()
        report = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(report)
        html = report.read_text()
        assert f'<html lang="{locale}">' in html and f"<h2>{tr.gettext('In one sentence')}</h2>" in html
        assert not _english_leftovers(re.sub(r"<[^>]+>", " ", html), locale)
        screenshot(watched, f"{locale}-compare")
        assert watched.problems() == []
    finally:
        browser.close()
