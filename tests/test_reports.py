"""Reports: the review's tables from known frames, the refusals, and the files (HTML that
loads nothing from outside and escapes every text, zipped CSVs, JSON)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from leaddash.analytics.filters import Filters
from leaddash.auth import CLI_ACTOR, find_active_actor
from leaddash.charts import NO_DATA
from leaddash.charts.review import reasons_by_source_chart
from leaddash.db import make_engine, read_session
from leaddash.errors import InvalidInput
from leaddash.reports import (
    Report,
    build_report,
    csv_text,
    csv_zip,
    render_html,
    report_json,
    session_reader,
)
from leaddash.reports.model import last_full_month, markers_between, month_end
from leaddash.reports.review import (
    NO_DECISIONS,
    NO_FLAGGED,
    key_numbers,
    review_notes,
    top_leakage,
    top_reasons,
)

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*"""
    r"""(?:https?:)?//|@import|<script|<link|<iframe""",
    re.IGNORECASE,
)
HOSTILE = "<script>alert('x')</script>"


def _review(url: str, actor=CLI_ACTOR) -> Report:
    eng = make_engine(url)
    with read_session(eng) as session:
        report = build_report(session_reader(session, actor=actor), name="review")
    eng.dispose()
    return report


def _card(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["key", "metric", "numerator", "denominator", "value", "target", "met"]
    )


def test_months_last_full_month_and_month_end():
    assert last_full_month(datetime(2026, 1, 15, tzinfo=UTC)) == date(2025, 12, 1)
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)


def test_key_numbers_put_this_month_beside_last_month():
    card = _card(
        [
            (202609, "mql_volume", 164, pd.NA, 164.0, 160.0, True),
            (202610, "mql_volume", 157, pd.NA, 157.0, 160.0, False),
            (202610, "validation_rate", 85, 152, 85 / 152, 0.6, False),
        ]
    )
    key = key_numbers(card, date(2026, 10, 1)).set_index("metric")
    assert key.loc["mql_volume", ["this_month", "last_month", "target"]].tolist() == [157, 164, 160]
    assert not key.loc["mql_volume", "met"]
    assert key.loc["validation_rate", "numerator"] == 85
    assert pd.isna(key.loc["validation_rate", "last_month"])  # no September row
    assert pd.isna(key.loc["first_touch", "this_month"])
    assert list(key.index) == [
        "mql_volume",
        "validation_rate",
        "first_touch",
        "decision",
        "feedback_rate",
        "response",
    ]


def test_top_leakage_leaves_in_progress_out_and_names_reasons():
    def leaks(rows):
        return pd.DataFrame(rows, columns=["pair", "cause", "reason", "leads"])

    this = leaks(
        [
            ("inquiry → mql", "in progress", None, 300),
            ("mql → accepted", "rejected", "bad_data", 12),
            ("accepted → validated", "disqualified", "no_fit", 21),
            ("opportunity → won", "lost", None, 5),
        ]
    )
    before = leaks([("accepted → validated", "disqualified", "no_fit", 15)])
    top = top_leakage(this, before, {"no_fit": "No fit"})
    assert top[["label", "leads", "last_month"]].values.tolist() == [
        ["disqualified: No fit", 21, 15],
        ["rejected: bad_data", 12, 0],
        ["lost", 5, 0],
    ]


def test_top_reasons_keep_three_per_source():
    feedback = pd.DataFrame(
        {
            "label": ["Web"] * 4,
            "stage": "rejected",
            "reason": ["a", "b", "c", "d"],
            "leads": [1, 5, 3, 2],
            "decisions": 20,
            "share": [0.05, 0.25, 0.15, 0.1],
        }
    )
    top = top_reasons(feedback, {"b": "Bee"})
    assert top[["reason", "label", "leads"]].values.tolist() == [
        ["b", "Bee", 5],
        ["c", "c", 3],
        ["d", "d", 2],
    ]


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("funnel", {"by": "colour"}, "by"),
        ("sla", {"by": "source"}, "by"),
        ("calibration", {"by": "team"}, "by"),
        ("sla", {"start": date(2026, 3, 1), "end": date(2026, 2, 1)}, "from"),
        ("review", {"start": date(2026, 2, 1), "end": date(2026, 3, 5)}, "from"),
        ("pipeline", {}, "report"),
    ],
)
def test_refusals_name_the_field(engine, name, options, field):
    with read_session(engine) as session, pytest.raises(InvalidInput) as refused:
        build_report(session_reader(session, actor=CLI_ACTOR), name=name, **options)
    assert refused.value.field == field


def test_review_of_an_empty_database_draws_no_data_charts(engine):
    with read_session(engine) as session:
        report = build_report(
            session_reader(session, actor=CLI_ACTOR), name="review", start=date(2026, 3, 15)
        )
    assert report.period == "2026-03-01 to 2026-03-31"
    assert report.notes == (NO_DECISIONS,)
    assert report.tables["key_numbers"]["this_month"].isna().all()
    assert all(c.to_dict()["mark"]["type"] == "text" for c in report.charts)
    assert NO_DATA in render_html(report)


def test_review_html_is_self_contained(demo_url):
    page = render_html(_review(demo_url))
    assert EXTERNAL.search(page) is None
    assert page.count("<svg") == 5
    assert "Key numbers, against last month" in page and "Median response (business h)" in page


def test_untrusted_text_is_escaped_in_html_and_defused_in_csv():
    frame = pd.DataFrame(
        {
            "source": [HOSTILE, "=HYPERLINK(1)"],
            "stage": "rejected",
            "label": "x",
            "leads": [3, 2],
            "share": [0.1, 0.2],
        }
    )
    report = Report(
        name="t",
        title=HOSTILE,
        period="p",
        tables={"reasons": frame},
        charts=(reasons_by_source_chart(frame),),
    )
    page = render_html(report)
    assert "<script" not in page and "&lt;script&gt;" in page
    with zipfile.ZipFile(io.BytesIO(csv_zip(report))) as archive:
        text = archive.read("t_reasons.csv").decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_csv_zip_and_text_hold_every_table(demo_url):
    report = _review(demo_url)
    with zipfile.ZipFile(io.BytesIO(csv_zip(report))) as archive:
        names = archive.namelist()
        key = pd.read_csv(io.BytesIO(archive.read("review_key_numbers.csv")), encoding="utf-8-sig")
    assert names == [f"review_{name}.csv" for name in report.tables]
    assert key["metric"].tolist()[0] == "mql_volume"
    assert csv_text(report).count("\n# ") == len(report.tables) - 1


def test_json_matches_the_tables(demo_url):
    report = _review(demo_url)
    data = json.loads(report_json(report))
    assert data["report"] == "review" and set(data["tables"]) == set(report.tables)
    mqls = report.tables["key_numbers"].set_index("metric").loc["mql_volume", "this_month"]
    assert data["tables"]["key_numbers"][0]["this_month"] == mqls > 0


def test_a_managers_review_counts_only_their_team(demo_url):
    eng = make_engine(demo_url)
    with read_session(eng) as session:
        manager = find_active_actor(session, "sales_manager")
    eng.dispose()
    mine, everyone = _review(demo_url, manager), _review(demo_url)
    assert (
        mine.tables["key_numbers"]["this_month"].iloc[0]
        < everyone.tables["key_numbers"]["this_month"].iloc[0]
    )
    assert set(mine.tables["funnel"]["stage"]) == set(everyone.tables["funnel"]["stage"])


def test_markers_between_keeps_the_months_asked(demo_url):
    eng = make_engine(demo_url)
    with read_session(eng) as session:
        every = markers_between(session, actor=CLI_ACTOR, filters=Filters())
        last = every["date"].max()
        later = markers_between(
            session, actor=CLI_ACTOR, filters=Filters(start=date(last.year + 1, 1, 1))
        )
    eng.dispose()
    assert not every.empty and later.empty


@pytest.mark.parametrize(("rate", "note"), [(0.6, NO_FLAGGED), (float("nan"), NO_DECISIONS)])
def test_the_review_says_why_no_rep_is_flagged(rate, note):
    tables = {
        "flagged_reps": pd.DataFrame(columns=["rep"]),
        "key_numbers": pd.DataFrame({"metric": ["validation_rate"], "this_month": [rate]}),
    }

    assert review_notes(tables) == (note,)
