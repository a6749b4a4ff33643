import argparse
import re
from pathlib import Path

import pytest

from leaddash.cli import build_parser
from leaddash.config import DEMO_COOKIE_KEY, SETTINGS_HELP, load_settings
from leaddash.db import check_connection, make_engine
from leaddash.db_url import describe_url
from leaddash.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_outside_demo_mode_a_missing_cookie_key_stops_the_app():
    with pytest.raises(ConfigError, match="LEADDASH_COOKIE_KEY is not set"):
        load_settings({}).require_cookie_key()


def test_outside_demo_mode_the_demo_key_is_refused():
    settings = load_settings({"LEADDASH_COOKIE_KEY": DEMO_COOKIE_KEY})
    with pytest.raises(ConfigError, match="published demo key"):
        settings.require_cookie_key()


def test_short_cookie_key_is_refused_and_demo_mode_has_a_key():
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"LEADDASH_COOKIE_KEY": "abc"}).require_cookie_key()
    assert load_settings({"LEADDASH_DEMO": "1"}).require_cookie_key() == DEMO_COOKIE_KEY


def test_unreachable_database_names_the_host_but_never_the_password():
    engine = make_engine("postgresql://lead:s3cr3t-pw@127.0.0.1:1/leads")
    with pytest.raises(ConfigError) as err:
        check_connection(engine)
    message = err.value.message
    assert "127.0.0.1" in message and "s3cr3t-pw" not in message
    assert "\n" not in message


def test_postgres_urls_are_described_without_password():
    text = describe_url("postgres://u:pw@db.example:5433/leads")
    assert text == "PostgreSQL database 'leads' on db.example:5433"


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert set(SETTINGS_HELP) <= documented


def test_every_command_is_in_the_readme_command_table():
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z-]+)[ `]", readme, flags=re.MULTILINE))
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) <= listed
