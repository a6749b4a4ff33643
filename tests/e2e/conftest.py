"""Browser end-to-end fixtures: the real app on a free port over a temporary demo database,
driven by Playwright in Debian's Chromium. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from tests.report_demo import copy_of, template
from tests.served import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "leaddash-demo"
WAIT = 30_000
TALL = {"width": 1300, "height": 2400}
COOKIE = "leaddash_auth"

# From now on, every state the app's run goes through (window.leaddashRuns) and the page's
# heading as it was (window.leaddashHeading); one watcher per tab: a new call replaces it.
WATCH_RUNS_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  if (window.leaddashWatch) window.leaddashWatch.disconnect();
  window.leaddashRuns = [];
  window.leaddashHeading = h1 ? h1.innerText : null;
  window.leaddashWatch = new MutationObserver(
    () => window.leaddashRuns.push(app.dataset.testScriptState));
  window.leaddashWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
# A run has been seen since the watch began and none is going on now. The server sends a
# run's start before any of what it draws and its end after all of it; the browser may draw
# all of a short run at once, never showing it running, but then the page's heading is new.
RAN_JS = """
() => {
  const state = document.querySelector('[data-testid="stApp"]').dataset.testScriptState;
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  const redrawn = h1 !== null && h1.innerText !== window.leaddashHeading;
  return state === 'notRunning' && (window.leaddashRuns.includes('running') || redrawn);
}
"""
# What go_to says when no run came: the states seen, the app's state and its heading now.
RUNS_SEEN_JS = """
() => ({
  seen: window.leaddashRuns,
  state: document.querySelector('[data-testid="stApp"]').dataset.testScriptState,
  heading: (document.querySelector('[data-testid="stMain"] h1') || {}).innerText,
  before: window.leaddashHeading,
})
"""


def demo_database(tmp_path_factory, name: str) -> str:
    """Return the URL of a copy, in a new folder called `name`, of a migrated SQLite file
    seeded with the demo data (1,500 leads; built once per test run); skip the test when
    there is no Chromium to drive."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    from leaddash.models import utcnow

    # The served app reads the real clock: seed as of its day (UTC, as the app counts it).
    today = utcnow().date()
    demo = template(tmp_path_factory, f"e2e-{today}", lambda url: _migrated_demo(url, today))
    return copy_of(demo, tmp_path_factory.mktemp(name))


def _migrated_demo(url: str, today: date) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "leaddash", "migrate"], cwd=ROOT, env=env, check=True)
    from leaddash.db import make_engine
    from leaddash.demo import seed_demo

    engine = make_engine(url)
    seed_demo(engine, leads=1500, months=4, seed=11, today=today)
    engine.dispose()


@contextmanager
def served_app(database_url: str, clock: Path | None = None) -> Iterator[str]:
    """Start `streamlit run app.py` over `database_url`; yield its URL, stop it after.
    `clock`: the file the app reads the time from (LEADDASH_CLOCK_FILE), so a test can move
    time by rewriting it instead of sleeping."""
    # No notification worker: its periodic jobs would compete with the pages for the CPU.
    env = {**os.environ, "DATABASE_URL": database_url, "LEADDASH_DEMO": "1", "LEADDASH_WORKER": "0"}
    if clock is not None:
        env["LEADDASH_CLOCK_FILE"] = str(clock)
    port = free_port()
    proc = subprocess.Popen(
        # Not watching files: others editing the tree must not rerun the app mid-test.
        [
            sys.executable,
            "-m",
            "leaddash.ui.serve",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    """Return the URL of the demo database the e2e tests share."""
    return demo_database(tmp_path_factory, "e2e")


@pytest.fixture(scope="session")
def app_url(e2e_database_url):
    """Start the app over the shared e2e database; yield its URL."""
    with served_app(e2e_database_url) as url:
        yield url


@pytest.fixture(scope="module")
def db(e2e_database_url):
    """Yield an engine on the database the app under test serves."""
    from leaddash.db import make_engine

    engine = make_engine(e2e_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shot(request):
    """Return a function that saves a named full-page screenshot for this test."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the app and log in through the real login form, in one try: wait for the page's
    first run to finish before typing (a rerun landing after the click would draw the form
    anew and lose it), check the fields hold what was typed, click once, and wait for the
    answer: the reason it refused, or the form gone and then the login cookie the page
    fetches from the server (a reload before it lands would find no login)."""
    from playwright.sync_api import expect

    page.goto(url)
    button = page.get_by_role("button", name="Log in")
    button.wait_for(timeout=WAIT)
    settled(page)
    fields = {
        page.get_by_role("textbox", name="Username"): username,
        page.get_by_role("textbox", name="Password"): password,
    }
    for field, value in fields.items():
        field.fill(value, timeout=WAIT)
    for field, value in fields.items():
        expect(field).to_have_value(value)
    settled(page)
    button.click()
    said = page.get_by_text(re.compile("Wrong username or password|Too many failed logins"))
    deadline = time.monotonic() + WAIT / 1000
    while time.monotonic() < deadline:
        if said.count():
            return  # told why not
        if not button.count():
            _wait_for_login_cookie(page)
            return
        page.wait_for_timeout(100)
    raise AssertionError(
        f"The login form neither let {username} in nor said why within {WAIT / 1000:.0f} s."
    )


def _wait_for_login_cookie(page, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(c["name"] == COOKIE for c in page.context.cookies()):
            return
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def logins() -> dict[str, dict]:
    """Return the browser storage (login cookie) of each user logged in so far."""
    return {}


@pytest.fixture
def dialogs() -> list[str]:
    """Return the list the pages of this test record every JavaScript dialog in."""
    return []


@pytest.fixture
def open_as(app_url, browser, logins, dialogs):
    """Return a function that opens a page as a user in a fresh tall browser context (the
    main area scrolls inside) and waits for its title; the first time, through the form."""
    from playwright.sync_api import expect

    contexts = []

    def open_page(username: str, path: str, title: str):
        context = browser.new_context(viewport=TALL, storage_state=logins.get(username))
        contexts.append(context)
        context.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page = context.new_page()
        if username not in logins:
            log_in(page, app_url, username)
            page.get_by_role("button", name="Log out").wait_for(timeout=WAIT)
        page.goto(f"{app_url}{path}")
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=WAIT)
        settled(page)
        if any(c["name"] == COOKIE for c in context.cookies()):
            logins[username] = context.storage_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


def metric_value(page, label: str):
    """Return the value of the st.metric whose label is `label`."""
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def grid_cell(grid, row: int, column: str):
    """Return a cell of the grid's accessible table (the grid itself paints a canvas), by
    row number from 0 and column header."""
    header = grid.locator("thead th").filter(has_text=re.compile(f"^{re.escape(column)}$"))
    index = header.get_attribute("aria-colindex", timeout=WAIT)
    return grid.locator("tbody tr").nth(row).locator(f"td[aria-colindex='{index}']")


def settled(page) -> None:
    """Wait until the app's run is over (nothing drawn is stale, nothing says it is running),
    so a click lands on the widgets of the finished page."""
    from playwright.sync_api import expect

    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    # The status widget shows half a second into a run: the app's own state says at once.
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT)


def go_to(page, app_url: str, role: str, spec) -> None:
    """Open the page `spec` (a leaddash.ui.nav.PageSpec) in `page`, where `role` is logged
    in, as a user does: by its entry in the menu (the app stays loaded; only the page's run
    is new), or by its address when the menu does not list it (the lead page); return once
    the page's run is over."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    from leaddash.ui.nav import pages_for

    # The first page of a role's menu is its default: it lives at the root, not its path.
    first = pages_for(role)[0] == spec
    address = f"{app_url}/" if first else f"{app_url}/{spec.url_path}"
    # A page may add to its address what it shows, as the queue adds its lead: ?lead=12.
    here = re.compile(rf"^{re.escape(address)}(\?.*)?$")
    if spec.hidden:
        page.goto(address)
    elif not here.match(page.url):  # not there already (the first page, after logging in)
        settled(page)
        entry = menu_entry(page, spec.title)
        # A new page's run starts on an empty main area: nothing is stale and the status
        # widget shows only after half a second, so wait for the run itself to end.
        page.evaluate(WATCH_RUNS_JS)
        entry.click(timeout=WAIT)
        try:
            page.wait_for_function(RAN_JS, timeout=WAIT)
        except PlaywrightTimeout:
            seen = page.evaluate(RUNS_SEEN_JS)
            raise AssertionError(f"{spec.title}: no run after the menu click: {seen}") from None
        expect(page).to_have_url(here)
    expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=WAIT)
    settled(page)


def menu_entry(page, title: str):
    """Return the sidebar menu's link to the page called `title`; a page that counts what
    waits on it shows the count after its name ("Disputes · 3")."""
    named = re.compile(rf"^{re.escape(title)}( · [\d,]+)?$")
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=named)


def open_tab(page, name: str) -> None:
    """Click the tab called `name` until it is the selected one: a rerun that lands just
    after the click (a page still settling) can draw the tabs anew."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name)
    for _ in range(5):
        settled(page)
        tab.click(timeout=WAIT)
        if tab.get_attribute("aria-selected") == "true":
            break
        page.wait_for_timeout(500)
    expect(tab).to_have_attribute("aria-selected", "true")
    settled(page)


@pytest.fixture(scope="module")
def clock(tmp_path_factory) -> Path:
    """Return a clock file for a module's own app server (LEADDASH_CLOCK_FILE), set to the
    start of the current five-minute slot: the test moves time by rewriting it."""
    from leaddash.ui.metrics_cache import now_slot

    path = tmp_path_factory.mktemp("clock") / "clock.txt"
    path.write_text(now_slot().isoformat())
    return path


def numbered_shots(folder: Path, *, full_page: bool):
    """Return a function saving step NN's screenshot under `folder` (emptied first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    steps = iter(range(1, 100))

    def take(page, step: str) -> None:
        page.screenshot(path=str(folder / f"{next(steps):02d}-{step}.png"), full_page=full_page)

    return take
