"""Browser end-to-end fixtures: the real app on a free port over a temporary demo database,
driven by Playwright in Debian's Chromium. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DEMO_PASSWORD = "leaddash-demo"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    """Return the URL of a migrated SQLite file seeded with the demo data (1,500 leads)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "leaddash", "migrate"], cwd=ROOT, env=env, check=True)
    from leaddash.db import make_engine
    from leaddash.demo import seed_demo

    engine = make_engine(url)
    seed_demo(engine, leads=1500, months=4, seed=11, today=date.today())
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app_url(e2e_database_url):
    """Start `streamlit run app.py` over the e2e database; yield its URL."""
    env = {**os.environ, "DATABASE_URL": e2e_database_url, "LEADDASH_DEMO": "1"}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "leaddash.ui.serve", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
    """Open the app and log in through the real login form."""
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(username, timeout=30_000)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
