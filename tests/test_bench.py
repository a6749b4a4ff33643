"""The benchmark on a tiny dataset: every measurement runs and reports what it found, the
naive funnel agrees with the services, and the table says which limits were met. No timing
is asserted (benchmarks never go in unit tests)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from leaddash.analytics.filters import Filters
from leaddash.bench import page_measures
from leaddash.bench.dataset import load_or_build
from leaddash.bench.history_measures import LEADS_VARIABLE
from leaddash.bench.naive import (
    differences,
    load_everything,
    naive_numbers,
    reached_months,
    service_numbers,
)
from leaddash.bench.registry import REGISTRY, Measurement, Spec
from leaddash.bench.runner import _measure
from leaddash.bench.table import format_table
from leaddash.db import read_session
from tests.test_funnel import build_history, make_people

# Slow (each measurement of the benchmark on a tiny dataset: about half a minute in all):
# make test runs it, make check leaves it out.
pytestmark = pytest.mark.slow

# The import measurement always imports 100,000 leads, whatever the dataset's size.
FIXED_SIZE = {"import_leads_100k"}
ROW_FIELDS = {
    "name",
    "description",
    "seconds",
    "limit_seconds",
    "warm_seconds",
    "warm_limit_seconds",
    "peak_rss_mb",
    "memory_limit_mb",
    "within_limit",
    "details",
    "error",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_or_build(300, 2, root=tmp_path_factory.mktemp("bench"))


@pytest.fixture
def one_warm_run(monkeypatch, tiny):
    monkeypatch.setattr(page_measures, "WARM_RUNS", 1)
    monkeypatch.setenv("DATABASE_URL", tiny.url)
    monkeypatch.setenv("LEADDASH_DEMO", "1")


PAGES = [n for n in REGISTRY if n.endswith("_page")]


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - FIXED_SIZE - set(PAGES)))
def test_every_other_measurement_runs_and_reports_its_row(name, tiny, monkeypatch):
    monkeypatch.setenv(LEADS_VARIABLE, "300")
    row = _measure(name, tiny)

    assert row["error"] is None
    assert set(row) >= ROW_FIELDS
    assert row["seconds"] > 0 and row["peak_rss_mb"] > 0
    assert row["details"]
    assert json.loads(json.dumps(row)) == row  # the run writes every row to bench.json


@pytest.mark.parametrize("name", PAGES)
def test_each_page_is_timed_cold_and_warm_and_says_what_it_showed(name, tiny, one_warm_run):
    row = _measure(name, tiny)

    assert row["error"] is None and set(row) >= ROW_FIELDS
    assert row["seconds"] > 0 and row["warm_seconds"] > 0 and row["warm_limit_seconds"] == 0.3
    if name != "rep_queue_page":
        assert row["limit_seconds"] == 1.0
        assert row["details"]["errors"] == 0
        assert row["details"]["tables"] + row["details"]["charts"] > 0


def test_the_naive_funnel_agrees_with_the_services_and_gives_the_ratio(tiny):
    details = _measure("naive_funnel", tiny)["details"]

    assert details["same_numbers"] is True
    assert details["ratio"] > 0
    assert details["leads_loaded"] == tiny.leads


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=date(2026, 3, 1), end=date(2026, 3, 31)),
        Filters(start=date(2026, 1, 1), end=date(2026, 4, 30)),
    ],
)
def test_the_naive_way_agrees_on_recycled_skipped_and_new_york_months(engine, filters):
    people = make_people(engine)
    build_history(engine, people["rita"], people["sam"])
    with read_session(engine) as session:
        service = service_numbers(session, people["boss"], filters)
    leads, events, zone = load_everything(engine)

    naive = naive_numbers(reached_months(leads, events, zone), filters)

    assert differences(service, naive) == []
    assert naive[0]["leads"].sum() > 0


def test_a_disagreement_is_named(engine):
    people = make_people(engine)
    build_history(engine, people["rita"], people["sam"])
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    with read_session(engine) as session:
        flow, cohorts = service_numbers(session, people["boss"], march)

    found = differences((flow, cohorts), (flow.assign(leads=flow["leads"] + 1), cohorts))

    assert len(found) == 1 and found[0].startswith("waterfall")


def test_a_failing_measurement_is_reported_and_the_others_still_run(monkeypatch, tiny):
    def broken(_dataset):
        raise AssertionError("the naive and service funnels differ")

    monkeypatch.setitem(REGISTRY, "broken", Spec("broken", "fails", 1.0, broken))

    row = _measure("broken", tiny)

    assert row["within_limit"] is False
    assert "FAILED: AssertionError: the naive and service funnels differ" in format_table([row])


def test_the_table_shows_cold_and_warm_against_limits_and_the_peak_memory(monkeypatch, tiny):
    def page(_dataset):
        return Measurement(0.8, {"rows_shown": 12}, warm_seconds=0.45)

    monkeypatch.setitem(REGISTRY, "page", Spec("page", "a page", 1.0, page, 0.3, 1e-3))

    row = _measure("page", tiny)
    text = format_table([row])

    assert (row["seconds_ok"], row["warm_ok"], row["memory_ok"]) == (True, False, False)
    assert row["within_limit"] is False
    assert "rows_shown=12" in text
    assert f"Peak memory: {row['peak_rss_mb']:.0f} MiB at most (page); over the limit" in text
    assert "Limits met: 1 of 3; missed: page warm 0.45s > 0.3s, page memory" in text
