"""The monthly review file reads right for an executive: no raw keys (metric or column
names, reason codes, yyyymm months, None/NaN), one MQL count for the month equal to a plain
count of the month's MQLs, and footnotes that say what the counts and shares are of."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from leaddash.analytics.sla import sla_terms
from leaddash.auth import CLI_ACTOR
from leaddash.db import make_engine, read_session
from leaddash.models import Lead, Reason, StageEvent
from leaddash.reports import build_report, report_html, session_reader
from leaddash.reports.review_html import render_review_html, review_month

pytestmark = pytest.mark.postgresql

RAW_KEYS = (
    "mql_volume",
    "validation_rate",
    "first_touch",
    "feedback_rate",
    "went_past",
    "rest_rate",
    "band_label",
    "won_amount",
    "median_cycle_days",
    "median_mql_to_close_days",
    "under_5_min",
    "never_touched",
    "p50_minutes",
    "within_sla",
    "no_fit",
    "no_need",
    "unable_to_reach",
    "bad_data",
    "student_job_seeker",
    "outside_definition",
)
NOT_A_VALUE = re.compile(r"\b(None|nan|NaN|NaT|<NA>)\b")
MONTH_KEY = re.compile(r"\b20\d\d(0[1-9]|1[0-2])\b|\b20\d\d-(0[1-9]|1[0-2])\b")


def _visible_text(page: str) -> str:
    """The words a reader sees: text between tags (chart SVG text included), no styles."""
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def review(demo_url):
    engine = make_engine(demo_url)
    with read_session(engine) as session:
        report = build_report(session_reader(session, actor=CLI_ACTOR), name="review")
        codes = set(session.exec(select(Reason.code)).all())
        terms = sla_terms(session)
        month = review_month(report)
        plain_mqls = _plain_mqls(session, month, terms)
    engine.dispose()
    return report, codes, plain_mqls


def _plain_mqls(session, month: date, terms: dict) -> int:
    """Leads that met the definition (not a below-threshold sample) seen entering mql in the
    month, in the SLA calendar's time zone, counted straight from the stage events."""
    zone = ZoneInfo(terms["calendar"]["timezone"])
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    end = (start + timedelta(days=32)).replace(day=1)
    rows = session.exec(
        select(StageEvent.occurred_at)
        .join(Lead, col(Lead.id) == StageEvent.lead_id)
        .where(StageEvent.to_stage == "mql", col(Lead.is_sample).is_(False))
    ).all()
    utc = ZoneInfo("UTC")
    return sum(1 for at in rows if start <= at.replace(tzinfo=at.tzinfo or utc) < end)


def test_the_review_file_shows_no_raw_keys(review):
    report, codes, _ = review

    text = _visible_text(render_review_html(report))

    assert [k for k in RAW_KEYS if k in text] == []
    assert [c for c in codes if "_" in c and c in text] == []
    assert NOT_A_VALUE.findall(text) == []
    assert MONTH_KEY.findall(text) == []
    assert f"{review_month(report):%B %Y}" in text


def _row(page: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [html.unescape(c.strip()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row starts with {first_cell!r}")


def test_the_month_has_one_mql_count_equal_to_a_plain_count(review):
    report, _, plain_mqls = review
    month = f"{review_month(report):%B %Y}"

    page = render_review_html(report)

    assert plain_mqls > 0
    assert _row(page, "MQLs ¹")[2] == f"{plain_mqls:,}"
    volume_rows = [
        cells
        for cells in (
            [html.unescape(c.strip()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
        )
        if cells[:1] == [month] and cells[2] == "MQL volume"
    ]
    assert [cells[3] for cells in volume_rows] == [f"{plain_mqls:,}"]
    assert f"became MQLs in {month} ({plain_mqls:,})" in _visible_text(page)


def test_the_footnotes_say_what_the_routed_leads_and_the_won_share_are_of(review):
    report, _, _ = review
    funnel = report.tables["funnel"].set_index("stage")

    text = _visible_text(render_review_html(report))

    routed = int(funnel.loc["mql", "leads"])
    won, share = int(funnel.loc["won", "leads"]), float(funnel.loc["won", "conversion"])
    assert f"Leads routed to sales ({routed:,} reached the MQL stage" in text
    assert f"{won:,} deals won in" in text
    assert f"the {share:.0%} beside it is of the opportunities opened in" in text


def test_the_command_line_writes_the_same_review_page(review):
    report, _, _ = review

    assert report_html(report) == render_review_html(report)
