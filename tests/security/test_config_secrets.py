"""Secrets stay secret: weak cookie keys are refused outside demo mode, saying why and how
to make a good one."""

from __future__ import annotations

import secrets

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from leaddash.config import DEMO_COOKIE_KEY, load_settings
from leaddash.errors import ConfigError
from tests.apptest import APP, TIMEOUT

MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def key_refusal(key: str) -> str:
    """Return the message refusing `key` outside demo mode (fails the test if accepted)."""
    with pytest.raises(ConfigError) as err:
        load_settings({"LEADDASH_COOKIE_KEY": key}).require_cookie_key()
    return err.value.message


@pytest.mark.parametrize(("key", "reason"), [
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
], ids=["one-char", "two-chars", "repeated-pattern", "spaces", "inner-space", "newline",
        "demo", "demo-space", "space-demo", "demo-padded", "short"])
def test_a_weak_cookie_key_is_refused_outside_demo_mode_saying_why_and_how(key, reason):
    message = key_refusal(key)

    assert message.startswith("LEADDASH_COOKIE_KEY ")
    assert reason in message
    assert MAKE_A_KEY in message
    assert "\n" not in message


@pytest.mark.parametrize("key", [secrets.token_urlsafe(32), secrets.token_urlsafe(48),
                                 secrets.token_hex(16), secrets.token_hex(32)])
def test_a_random_cookie_key_is_accepted(key):
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
    assert [e.value for e in at.error] == [key_refusal("a" * 32)]
    assert not at.text_input  # no login form
