"""The real server (python -m leaddash.ui.serve, in a subprocess on a free port): security
headers on every response, a policy that allows exactly the inline scripts the pages
ship, and 127.0.0.1 as the only address it listens on unless told otherwise."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from leaddash.config import DEFAULT_ADDRESS
from leaddash.errors import ConfigError
from leaddash.ui import login_routes
from leaddash.ui.security_headers import inline_scripts, page_scripts, security_headers
from leaddash.ui.serve import listen_address
from tests.apptest import APP, TIMEOUT, use_database
from tests.served import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
SERVER_ADDRESS_SETTINGS = ("LEADDASH_ADDRESS", "STREAMLIT_SERVER_ADDRESS")


def answers(host: str, port: int) -> bool:
    """Return True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def running_server(tmp_path: Path, **env: str) -> Iterator[tuple[str, int]]:
    """Start the LeadDash server as `make run` does (demo mode) with `env` added; yield the
    address it was told to listen on and its port; stop it after."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in SERVER_ADDRESS_SETTINGS}
    full_env = {
        **clean,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'headers.db'}",
        "LEADDASH_DEMO": "1",
        **env,
    }
    proc = subprocess.Popen(
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
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    host = env.get("LEADDASH_ADDRESS", DEFAULT_ADDRESS)
    try:
        wait_healthy(proc, f"http://{host}:{port}")
        yield host, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    """Return the status, headers (lower-case names) and text of a GET of `url`."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return (
                resp.status,
                {k.lower(): v for k, v in resp.headers.items()},
                resp.read().decode("utf-8", errors="replace"),
            )
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, ""


def directives(policy: str) -> dict[str, list[str]]:
    """Return a content security policy as directive -> its sources."""
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def sha256_source(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """Yield the base URL of a server started with no address setting at all."""
    with running_server(tmp_path_factory.mktemp("server")) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def home(server) -> tuple[int, dict[str, str], str]:
    return fetch(f"{server}/")


def test_the_page_and_a_static_asset_carry_every_security_header(server, home):
    asset = re.search(r'<script type="module" crossorigin src="\./(static/js/[^"]+)"', home[2])
    assert home[0] == 200 and asset is not None
    static = fetch(f"{server}/{asset.group(1)}")
    missing = fetch(f"{server}/no/such/page.txt")
    health = fetch(f"{server}/_stcore/health")

    for status, headers, _ in (home, static, missing, health):
        assert {name: headers.get(name) for name in EXPECTED} == EXPECTED, status
        policy = directives(headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'self'"]
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert static[0] == 200 and static[1]["content-type"] == "application/javascript"


def test_the_policy_runs_no_script_but_the_origin_and_the_hashed_inline_ones(home):
    policy = directives(home[1]["content-security-policy"])
    scripts = policy["script-src"]

    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert [s for s in scripts if not s.startswith("'sha256-")] == ["'self'", "'wasm-unsafe-eval'"]
    assert {sha256_source(s) for s in inline_scripts(home[2])} <= set(scripts)
    assert policy["connect-src"] == ["'self'"] and policy["frame-src"] == ["'self'"]


def second_loopback_works() -> bool:
    """Return True when 127.0.0.2 reaches a socket listening on every interface (Linux's
    loopback answers all of 127/8; some systems answer 127.0.0.1 only)."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        return answers("127.0.0.2", sock.getsockname()[1])


def test_by_default_it_listens_on_127_0_0_1_only(server):
    if not second_loopback_works():
        pytest.skip("this system's loopback does not answer on 127.0.0.2")
    port = int(server.rsplit(":", 1)[1])

    assert answers("127.0.0.1", port)
    # Another loopback address of this machine reaches any server listening on all
    # interfaces; one listening on 127.0.0.1 alone refuses it.
    assert not answers("127.0.0.2", port)


def test_leaddash_address_moves_it_to_the_address_given(tmp_path):
    if not second_loopback_works():
        pytest.skip("this system's loopback does not answer on 127.0.0.2")
    with running_server(tmp_path, LEADDASH_ADDRESS="127.0.0.2") as (_host, port):
        assert answers("127.0.0.2", port)
        assert not answers("127.0.0.1", port)


def test_a_bad_leaddash_address_stops_the_server_with_one_line(tmp_path):
    env = {
        **os.environ,
        "LEADDASH_ADDRESS": "every interface please",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }

    done = subprocess.run(
        [sys.executable, "-m", "leaddash.ui.serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == (
        "error: LEADDASH_ADDRESS must be an IP address: 127.0.0.1 for "
        "this machine only (behind a reverse proxy on it), 0.0.0.0 for "
        "every network it is on.\n"
    )


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({}, {}, DEFAULT_ADDRESS),
        ({}, {"LEADDASH_ADDRESS": " 10.0.0.11 "}, "10.0.0.11"),
        ({}, {"LEADDASH_ADDRESS": "::1"}, "::1"),
        ({"server_address": "10.0.0.12"}, {"LEADDASH_ADDRESS": "10.0.0.11"}, None),
    ],
)
def test_the_address_comes_from_the_flag_then_leaddash_address_then_127_0_0_1(flags, env, expected):
    assert listen_address(flags, env) == expected


def test_a_leaddash_address_that_is_no_ip_address_is_refused():
    with pytest.raises(ConfigError, match="LEADDASH_ADDRESS must be an IP address"):
        listen_address({}, {"LEADDASH_ADDRESS": "leads.example.com"})


# --- inline scripts the app draws itself (st.components.v1.html) ----------------------------


def unlisted_inline_scripts(at: AppTest) -> list[str]:
    """Return the inline scripts in the run's HTML components that the policy would block."""
    allowed = set(
        directives(
            security_headers(page_scripts() + login_routes.inline_scripts())[
                "Content-Security-Policy"
            ]
        )["script-src"]
    )
    drawn = [script for frame in at.get("iframe") for script in inline_scripts(frame.proto.srcdoc)]
    return [script for script in drawn if sha256_source(script) not in allowed]


def test_an_inline_script_the_policy_does_not_list_is_found():
    def script():
        import streamlit.components.v1 as components

        components.html("<script>document.title = 'not listed'</script>", height=10)

    at = AppTest.from_function(script).run()

    assert unlisted_inline_scripts(at) == ["document.title = 'not listed'"]


def test_every_inline_script_of_the_login_page_is_allowed_by_the_policy(sqlite_engine, monkeypatch):
    use_database(sqlite_engine, monkeypatch)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    assert not at.exception and {t.label for t in at.text_input} == {"Username", "Password"}
    assert unlisted_inline_scripts(at) == []
