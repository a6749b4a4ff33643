"""The test clock: LEADDASH_CLOCK_FILE names a file holding the time utcnow() returns,
read on every call, so a test moves time by rewriting the file instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leaddash.errors import ConfigError
from leaddash.models import CLOCK_FILE, utcnow

MOMENT = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)


@pytest.fixture
def clock_file(tmp_path, monkeypatch):
    path = tmp_path / "clock.txt"
    monkeypatch.setenv(CLOCK_FILE, str(path))
    return path


def test_utcnow_returns_the_time_in_the_clock_file_and_follows_it(clock_file):
    clock_file.write_text(MOMENT.isoformat())
    assert utcnow() == MOMENT

    clock_file.write_text((MOMENT + timedelta(hours=3)).isoformat())
    assert utcnow() == MOMENT + timedelta(hours=3)


@pytest.mark.parametrize(
    ("written", "meaning"),
    [
        ("2026-06-15T12:30:00", MOMENT),  # no zone: UTC
        ("2026-06-15T12:30:00Z", MOMENT),
        ("2026-06-15T14:30:00+02:00\n", MOMENT),
    ],
)
def test_the_clock_file_is_read_as_utc(clock_file, written, meaning):
    clock_file.write_text(written)
    assert (utcnow(), utcnow().tzinfo) == (meaning, UTC)


@pytest.mark.parametrize("written", [None, "", "next Tuesday"])
def test_a_missing_or_unreadable_clock_file_stops_with_a_message(clock_file, written):
    if written is not None:
        clock_file.write_text(written)
    with pytest.raises(ConfigError, match="LEADDASH_CLOCK_FILE is set but") as refused:
        utcnow()
    assert str(clock_file) in (refused.value.detail or "")


def test_without_the_variable_utcnow_is_the_machines_clock(monkeypatch):
    monkeypatch.delenv(CLOCK_FILE, raising=False)
    before = datetime.now(UTC)
    assert before <= utcnow() <= datetime.now(UTC)
