"""A real dashboard server and a real browser for the dashboard tests.

The server is ``pathways app`` in a subprocess on a free loopback port, with its own SQLite
database; the browser is Debian's Chromium driven by Playwright (``CHROMIUM`` names it;
``scripts/setup-browser.sh`` installs it). Every page the tests open records console
errors, failed responses, and any request that tries to leave the machine (which is
aborted: the dashboard must work offline).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
"""Flags that keep Chromium from calling home on a closed network (env notes)."""

SCREENSHOTS = Path(__file__).parent / "screenshots"
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-headless-shell")
    if not found:
        raise RuntimeError("the dashboard tests need Chromium: run `bash scripts/setup-browser.sh` or set CHROMIUM")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(folder: Path, workers: int = 2, scenarios: Path | None = None) -> Server:
    """``pathways app`` on a free port, waiting until it answers; ``scenarios`` replaces the
    scenarios' folder (for a test that writes a new city)."""
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "PATHWAYS_DB": "", "PYTHONUNBUFFERED": "1"}
    if scenarios is not None:
        env["PATHWAYS_SCENARIOS"] = str(scenarios)
    command = [sys.executable, "-m", "sim", "app", "--port", str(port), "--workers", str(workers),
               "--db", f"sqlite:///{folder / 'dashboard.db'}"]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return Server(url, port, process, log)
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the dashboard did not answer within 90 s: {log.read_text()[-2000:]}")


@dataclass
class Watched:
    """A browser page and what went wrong on it."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.console_errors + self.failed_responses + [f"left the machine: {u}" for u in self.external_requests]


def watch(context: BrowserContext) -> Watched:
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda message: watched.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watched.console_errors.append(str(error)))
    page.on("response", lambda response: watched.failed_responses.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(LOOPBACK):
            request_route.continue_()
        else:
            watched.external_requests.append(url)
            request_route.abort()

    page.route("**/*", route)
    return watched


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(60_000)
    return context


def open_page(watched: Watched, server: Server, path: str, heading: str) -> None:
    watched.page.goto(server.url + path, wait_until="networkidle")
    watched.page.get_by_text(heading).first.wait_for()


def type_into(page: Page, label: str, text: str) -> None:
    """Type into a text field and commit it (Enter), as a person would."""
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Enter")


def screenshot(watched: Watched, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    watched.page.screenshot(path=path, full_page=True)
    return path


@dataclass
class LoadResult:
    users: int
    finished_s: list[float]
    """Seconds from the first click to each user's finished comparison."""
    page_load_s: list[float]
    """Seconds to load the Runs page in another tab, sampled while the comparisons ran."""
    seeds_shown: list[bool]
    """Whether each user's page shows that user's own comparison (their own seed)."""
    problems: list[str]


def run_load(browser: Browser, server: Server, users: int, replications: int, months: int) -> LoadResult:
    """``users`` people, each in their own browser context, start a comparison at once on the
    Compare page; another person keeps loading the Runs page meanwhile."""
    watched = []
    for user in range(users):
        one = watch(new_context(browser))
        open_page(one, server, "compare", "Compare scenarios")
        for label, value in (("Replications per scenario", replications), ("Months", months), ("Base seed", 100 + user)):
            type_into(one.page, label, str(value))
        one.page.get_by_text(f"2 scenarios x {replications} replications").wait_for()
        watched.append(one)
    probe = watch(new_context(browser))
    total = 2 * replications
    start = time.monotonic()
    for one in watched:
        one.page.get_by_role("button", name="Run comparison").click()
    finished: dict[int, float] = {}
    page_load = []
    while len(finished) < users and time.monotonic() - start < 600:
        for user, one in enumerate(watched):
            if user not in finished and one.page.get_by_text(f"Done: {total} runs").count():
                finished[user] = time.monotonic() - start
        began = time.monotonic()
        open_page(probe, server, "runs", "Stored experiments")
        page_load.append(time.monotonic() - began)
        probe.page.wait_for_timeout(300)
    seeds = [one.page.get_by_text(f"base seed {100 + user}.").count() > 0 for user, one in enumerate(watched)]
    problems = [p for one in (*watched, probe) for p in one.problems()]
    for one in (*watched, probe):
        one.page.context.close()
    return LoadResult(users, [finished.get(u, float("inf")) for u in range(users)], page_load, seeds, problems)
