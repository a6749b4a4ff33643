"""Chart builders of the SLA compliance and rep calibration pages: a plain "no data" chart for
empty frames, and titles, axes, colours and tooltips for small ones."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from leaddash.charts import NO_DATA, STAGE_COLORS
from leaddash.charts.calibration import calibration_chart, reason_mix_chart
from leaddash.charts.sla import breach_kinds_chart, compliance_trend_chart, volume_chart
from leaddash.ui.calibration import rep_against_team
from leaddash.ui.sla_compliance import misses_by_kind


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _no_data(chart) -> bool:
    spec = chart.to_dict()
    return spec["mark"]["type"] == "text" and NO_DATA in str(spec["datasets"])


def _scorecard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [202601, 202601, 202602],
            "label": ["2026-01", "2026-01", "2026-02"],
            "side": ["marketing", "sales", "sales"],
            "metric": ["validation_rate", "first_touch", "first_touch"],
            "numerator": [6, 8, 9],
            "denominator": [10, 10, 10],
            "value": [0.6, 0.8, 0.9],
            "target": [0.6, 1.0, 1.0],
            "met": pd.array([True, False, False], dtype="boolean"),
        }
    )


def _calibration() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team_id": [2, 2],
            "team": ["West", "West"],
            "rep_id": [12, 13],
            "rep": ["Olivia Nguyen", "Ethan Brooks"],
            "decisions": [48, 47],
            "validated": [14, 33],
            "rate": [0.29, 0.70],
            "low": [0.18, 0.56],
            "high": [0.43, 0.81],
            "rest_decisions": [195, 196],
            "rest_validated": [120, 101],
            "rest_rate": [0.62, 0.52],
            "rest_low": [0.55, 0.45],
            "rest_high": [0.68, 0.58],
            "flagged": [True, False],
            "direction": ["validates less than the team", "in line"],
        }
    )


EMPTY_CASES = [
    lambda: volume_chart(pd.DataFrame(columns=["month", "label", "mqls", "target", "met"])),
    lambda: compliance_trend_chart(_scorecard().iloc[0:0]),
    lambda: breach_kinds_chart(misses_by_kind(_scorecard().iloc[0:0])),
    lambda: calibration_chart(_calibration().iloc[0:0]),
    lambda: reason_mix_chart(
        rep_against_team(
            pd.DataFrame(columns=["team_id", "rep_id", "reason", "leads", "share", "team_share"]),
            1,
            {},
        ),
        "Sam",
    ),
]


@pytest.mark.parametrize("build", EMPTY_CASES)
def test_every_chart_says_no_data_for_an_empty_frame(build):
    assert _no_data(build())


VOLUME = pd.DataFrame(
    {
        "month": [202601, 202602],
        "label": ["2026-01", "2026-02"],
        "mqls": [90, 120],
        "target": [100.0, 100.0],
        "met": pd.array([False, True], dtype="boolean"),
    }
)


def test_volume_bars_use_the_mql_colour_with_the_target_and_version_markers():
    markers = pd.DataFrame(
        {"date": [date(2026, 2, 10)], "label": ["SLA v2 took effect"], "kind": ["sla"]}
    )

    spec = volume_chart(VOLUME, markers).to_dict()

    bars, target = _layers(spec["layer"][0])
    assert spec["title"] == "MQLs per month against marketing's target"
    assert bars["mark"]["color"] == STAGE_COLORS["mql"]
    assert bars["encoding"]["y"]["title"] == "MQLs"
    assert target["encoding"]["y"]["field"] == "target"
    assert spec["layer"][1]["mark"]["type"] == "rule"
    assert "SLA v2 took effect" in str(spec["datasets"])


def test_a_version_that_took_effect_outside_the_months_shown_is_not_drawn():
    markers = pd.DataFrame(
        {"date": [date(2025, 6, 1)], "label": ["Definition v1 took effect"], "kind": ["definition"]}
    )

    spec = volume_chart(VOLUME, markers).to_dict()

    assert "Definition v1" not in str(spec)


def test_the_rate_trend_draws_one_line_per_rate_in_percent():
    spec = compliance_trend_chart(_scorecard()).to_dict()

    line, points = _layers(spec)
    assert line["mark"]["type"] == "line" and points["mark"]["type"] == "point"
    assert points["encoding"]["y"]["axis"]["format"] == ".0%"
    assert points["encoding"]["color"]["title"] == "Rate"
    assert {t["title"] for t in points["encoding"]["tooltip"]} >= {"Result", "Out of", "Target"}


def test_breach_bars_count_the_leads_behind_each_missed_number():
    spec = breach_kinds_chart(misses_by_kind(_scorecard())).to_dict()

    assert spec["encoding"]["x"]["title"] == "Leads"
    assert next(iter(spec["datasets"].values())) == [
        {"label": "First touch in time", "breaches": 3}
    ]


def test_calibration_draws_an_interval_and_a_point_for_the_rep_and_the_team():
    spec = calibration_chart(_calibration()).to_dict()

    rule, point = spec["layer"]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["x2"]["field"] == "high"
    assert point["encoding"]["x"]["field"] == "rate"
    assert spec["title"] == "Validation rate: each rep against the rest of the team"
    assert rule["encoding"]["color"]["scale"]["range"][0] == STAGE_COLORS["validated"]
    rows = next(iter(spec["datasets"].values()))
    assert "Olivia Nguyen (West) — flagged" in {r["who"] for r in rows}
    assert len(rows) == 4


def test_reason_mix_sets_the_rep_beside_the_whole_team():
    shares = pd.DataFrame(
        {
            "reason": ["No fit", "No need"],
            "leads": [4, 0],
            "share": [1.0, 0.0],
            "team_share": [0.625, 0.375],
        }
    )

    spec = reason_mix_chart(shares, "Sam Rivera").to_dict()

    assert spec["encoding"]["color"]["scale"]["domain"] == ["Sam Rivera", "Whole team"]
    assert spec["encoding"]["x"]["axis"]["format"] == ".0%"
