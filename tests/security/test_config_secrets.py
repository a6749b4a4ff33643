"""Secrets stay secret and bad settings stop the app with one line a person can act on:
weak cookie keys are refused outside demo mode, a DATABASE_URL's user and password never
appear in a message (not even with '@' or ':' inside the password), visitors who are not
logged in see no file path, and a malformed URL is one line in the app and the CLI."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from leaddash.config import DEMO_COOKIE_KEY, load_settings
from leaddash.db import check_connection, make_engine
from leaddash.db_url import describe_url, parse_url, scrubbed
from leaddash.errors import ConfigError
from tests.apptest import APP, TIMEOUT, seen, texts

ROOT = Path(__file__).resolve().parents[2]
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
INVALID = "DATABASE_URL is not a valid database URL: "


def key_refusal(key: str) -> str:
    """Return the message refusing `key` outside demo mode (fails the test if accepted)."""
    with pytest.raises(ConfigError) as err:
        load_settings({"LEADDASH_COOKIE_KEY": key}).require_cookie_key()
    return err.value.message


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 32, "not random enough"),
        ("ab" * 20, "not random enough"),
        ("abcdefghij" * 4, "not random enough"),  # ten different characters, one short pattern
        (" " * 40, "spaces or line breaks"),
        (secrets.token_urlsafe(24) + " " + secrets.token_urlsafe(24), "spaces or line breaks"),
        (secrets.token_urlsafe(32) + "\n", "spaces or line breaks"),
        (DEMO_COOKIE_KEY, "is the published demo key"),
        (DEMO_COOKIE_KEY + " ", "contains the published demo key"),
        (" " + DEMO_COOKIE_KEY, "contains the published demo key"),
        ("x" + DEMO_COOKIE_KEY.upper() + "2026", "contains the published demo key"),
        (secrets.token_urlsafe(16)[:20], "too short: use at least 32"),
    ],
    ids=[
        "one-char",
        "two-chars",
        "repeated-pattern",
        "spaces",
        "inner-space",
        "newline",
        "demo",
        "demo-space",
        "space-demo",
        "demo-padded",
        "short",
    ],
)
def test_a_weak_cookie_key_is_refused_outside_demo_mode_saying_why_and_how(key, reason):
    message = key_refusal(key)

    assert message.startswith("LEADDASH_COOKIE_KEY ")
    assert reason in message
    assert MAKE_A_KEY in message
    assert "\n" not in message


# Made inside the test: parameters must be the same in every pytest-xdist worker.
KEY_MAKERS = {
    "urlsafe-32": lambda: secrets.token_urlsafe(32),
    "urlsafe-48": lambda: secrets.token_urlsafe(48),
    "hex-16": lambda: secrets.token_hex(16),
    "hex-32": lambda: secrets.token_hex(32),
}


@pytest.mark.parametrize("maker", KEY_MAKERS.values(), ids=KEY_MAKERS.keys())
def test_a_random_cookie_key_is_accepted(maker):
    key = maker()
    assert load_settings({"LEADDASH_COOKIE_KEY": key}).require_cookie_key() == key


def test_demo_mode_keeps_its_published_key():
    settings = load_settings({"LEADDASH_DEMO": "1"})

    assert settings.require_cookie_key() == DEMO_COOKIE_KEY


def test_the_app_outside_demo_mode_refuses_a_weak_key_before_the_login(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("LEADDASH_DEMO", "0")
    monkeypatch.setenv("LEADDASH_COOKIE_KEY", "a" * 32)
    st.cache_resource.clear()

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    assert not at.exception
    assert [seen(e.value) for e in at.error] == [key_refusal("a" * 32)]
    assert not at.text_input  # no login form


# user, password and the URL; the password holds the characters that break naive parsing.
LEAKY_URLS = [
    ("leaduser", "p@ss:w0rd/x", "postgresql://leaduser:p%40ss%3Aw0rd%2Fx@db.example:5433/leads"),
    ("leaduser", "s3cr:et-pw", "postgresql://leaduser:s3cr:et-pw@db.example:5433/leads"),
    (
        "leaduser",
        "hunter2-q",
        "postgresql://db.example:5433/leads?user=leaduser&password=hunter2-q",
    ),
]


def pieces(secret: str) -> list[str]:
    """Return `secret` and its parts around '@', ':' and '/' (at least 3 characters long)."""
    parts = {secret}
    for sep in "@:/":
        parts |= {part for chunk in list(parts) for part in chunk.split(sep)}
    return [part for part in parts if len(part) >= 3]


@pytest.mark.parametrize(("user", "password", "url"), LEAKY_URLS, ids=["encoded", "colon", "query"])
def test_a_database_is_described_without_any_part_of_its_credentials(user, password, url):
    public, operator = describe_url(url), describe_url(url, public=False)

    assert public == operator == "PostgreSQL database 'leads' on db.example:5433"
    assert parse_url(url).password == password or parse_url(url).query["password"] == password
    for text in (public, operator):
        assert not any(piece in text for piece in [*pieces(password), user])


def test_a_raw_at_in_the_password_is_refused_without_echoing_any_of_it():
    url = "postgresql://leaduser:hunter@2secret@db.example:5432/leads"
    with pytest.raises(ConfigError) as err:
        make_engine(url)

    message = err.value.message
    assert message.startswith(INVALID) and "%40" in message
    assert not any(piece in message for piece in ["hunter", "2secret", "leaduser", "db.example"])


def test_an_unreachable_server_is_one_line_naming_the_host_but_no_credential():
    engine = make_engine("postgresql://leaduser:s3cr:et-pw@127.0.0.1:1/leads")
    with pytest.raises(ConfigError) as err:
        check_connection(engine)

    message, detail = err.value.message, err.value.detail
    assert detail is None  # nothing was hidden from the message: the operator needs no more
    assert message.startswith(
        "LeadDash cannot reach the PostgreSQL database 'leads' on 127.0.0.1:1: "
    )
    assert message.endswith(
        "Ask your admin to check that the database server is running and "
        "that DATABASE_URL names it."
    )
    assert "\n" not in message
    assert not any(piece in message for piece in ["s3cr", "et-pw", "leaduser"])


def test_the_server_naming_the_user_in_its_refusal_is_scrubbed(pg_database):
    url = parse_url(pg_database).set(username="ghostuser-lead", password="s3cr@t")
    engine = make_engine(url.render_as_string(hide_password=False))
    with pytest.raises(ConfigError) as err:
        check_connection(engine)
    engine.dispose()

    message, detail = err.value.message, err.value.detail or ""
    assert "does not exist" in message or "authentication failed" in message
    for text in (message, detail):
        assert "ghostuser" not in text and "s3cr" not in text


def test_a_sqlite_file_path_is_told_to_the_operator_but_never_to_a_visitor(tmp_path):
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()  # a folder where the file should be: SQLite cannot open it
    with pytest.raises(ConfigError) as err:
        check_connection(make_engine(f"sqlite:///{folder}"))

    assert err.value.message == (
        "LeadDash cannot reach the SQLite database: unable to open "
        "database file. Ask your admin to check that the database "
        "server is running and that DATABASE_URL names it."
    )
    assert str(folder) in (err.value.detail or "")
    assert describe_url(f"sqlite:///{folder}") == "SQLite database"


def test_a_server_message_loses_credentials_and_paths_for_visitors():
    url = parse_url("postgresql://leaduser:hunter2x@db.example/leads")
    said = (
        'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
        'FATAL: password authentication failed for user "leaduser" (hunter2x)'
    )

    public, operator = scrubbed(said, url), scrubbed(said, url, public=False)

    assert public == (
        "connection to server on socket … failed: FATAL: password "
        'authentication failed for user "…" (…)'
    )
    assert "/var/run/postgresql" in operator and "leaduser" not in operator


MALFORMED = [
    (
        "postgresql://leaduser:pw-secret@db.example:54x2/leads",
        "the port after the host must be a number, like :5432",
    ),
    (
        "mysql://leaduser:pw-secret@db.example/leads",
        "LeadDash works with PostgreSQL (postgresql://…) and SQLite (sqlite:///…), not mysql://",
    ),
    (
        "leaduser:pw-secret@db.example/leads",
        "write it like postgresql://USER:PASSWORD@HOST:5432/DATABASE or sqlite:///data/leaddash.db",
    ),
    ("postgresql://leaduser:pw@secret@db.example/leads", "it holds more than one @"),
]


@pytest.mark.parametrize(("url", "fix"), MALFORMED, ids=["port", "scheme", "garbage", "two-at"])
def test_a_malformed_url_is_one_line_saying_what_to_fix(url, fix):
    with pytest.raises(ConfigError) as err:
        make_engine(url)

    message = err.value.message
    assert message.startswith(INVALID + fix)
    assert "\n" not in message
    assert not any(piece in message for piece in ["leaduser", "secret", "db.example"])


@pytest.mark.parametrize(
    ("url", "fix"), MALFORMED[:2] + MALFORMED[3:], ids=["port", "scheme", "two-at"]
)
def test_the_cli_says_the_same_line_and_no_traceback(url, fix):
    env = {**os.environ, "DATABASE_URL": url}

    done = subprocess.run(
        [sys.executable, "-m", "leaddash", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {INVALID}{fix}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "secret" not in done.stderr and "leaduser" not in done.stderr


def test_the_cli_also_tells_the_operator_the_path_a_visitor_is_not_shown(tmp_path):
    socket_dir = tmp_path / "no-server-here"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://leaduser:s3cr:et-pw@/leads?host={socket_dir}",
    }

    done = subprocess.run(
        [sys.executable, "-m", "leaddash", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    error, detail = done.stderr.splitlines()
    assert done.returncode == 2
    assert (
        error.startswith(
            "error: LeadDash cannot reach the PostgreSQL database 'leads' on this machine: "
        )
        and str(socket_dir) not in error
    )
    assert detail.startswith("detail: PostgreSQL database 'leads' on this machine: ")
    assert str(socket_dir) in detail
    assert "s3cr" not in done.stderr and "leaduser" not in done.stderr


@pytest.mark.parametrize(("url", "fix"), MALFORMED[:1] + MALFORMED[3:], ids=["port", "two-at"])
def test_the_app_shows_a_malformed_url_as_its_one_line(url, fix, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADDASH_DEMO", "1")
    st.cache_resource.clear()

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    assert not at.exception
    assert len(at.error) == 1 and seen(at.error[0].value).startswith(INVALID + fix)
    assert "secret" not in texts(at) and "leaduser" not in texts(at)
