"""Chart builders: the no-data chart for empty frames, titles, colours and tooltips otherwise."""

from __future__ import annotations

import pandas as pd
import pytest

from leaddash.charts import (
    NO_DATA,
    WHATIF_COLORS,
    no_data_chart,
    score_band_chart,
    whatif_mqls_chart,
)

MQLS = pd.DataFrame(
    {
        "month": ["2026-01", "2026-02"],
        "leads": [50, 40],
        "candidate": [12, 9],
        "baseline": [10, 11],
        "actual": [11, 10],
    }
)
BANDS = pd.DataFrame(
    {
        "band": ["0-20", "20-40", "40-60"],
        "low": [0, 20, 40],
        "high": [20, 40, 60],
        "leads": [30, 20, 10],
        "mqls": [0, 4, 10],
        "decided": [0, 5, 8],
        "validated": [0, 2, 6],
        "validation_rate": [None, 0.4, 0.75],
    }
)


def _says_no_data(chart) -> bool:
    spec = chart.to_dict()
    return spec["mark"]["type"] == "text" and NO_DATA in str(spec)


@pytest.mark.parametrize(
    ("build", "frame"),
    [
        (whatif_mqls_chart, MQLS.iloc[0:0]),
        (whatif_mqls_chart, MQLS.assign(candidate=0, baseline=0)),
        (score_band_chart, BANDS.iloc[0:0]),
        (score_band_chart, BANDS.assign(decided=0, validated=0, validation_rate=None)),
    ],
)
def test_empty_or_all_zero_frames_give_the_no_data_chart(build, frame):
    assert _says_no_data(build(frame))


def test_the_no_data_chart_keeps_its_title():
    assert no_data_chart("MQLs per month").to_dict()["title"] == "MQLs per month"


def test_mqls_chart_names_both_versions_in_distinct_colours():
    spec = whatif_mqls_chart(MQLS, {"candidate": "v4", "baseline": "v3"}, "MQLs").to_dict()
    color = spec["encoding"]["color"]

    assert spec["title"] == "MQLs"
    assert color["scale"] == {"domain": ["v4", "v3"], "range": list(WHATIF_COLORS)}
    assert len(set(WHATIF_COLORS)) == 2
    assert spec["encoding"]["y"]["title"] == "MQLs"
    assert {t["title"] for t in spec["encoding"]["tooltip"]} == {
        "Month",
        "Version",
        "MQLs",
        "Leads created",
    }
    rows = next(iter(spec["datasets"].values()))
    assert {(r["month"], r["version"], r["mqls"]) for r in rows} == {
        ("2026-01", "v4", 12),
        ("2026-02", "v4", 9),
        ("2026-01", "v3", 10),
        ("2026-02", "v3", 11),
    }


def test_score_band_chart_shows_rates_as_percentages_in_band_order():
    spec = score_band_chart(BANDS.iloc[::-1], "By band").to_dict()
    bars = spec["layer"][0]["encoding"]

    assert spec["title"] == "By band"
    assert bars["x"]["scale"]["domain"] == ["0-20", "20-40", "40-60"]
    assert bars["y"]["axis"]["format"] == ".0%"
    assert "Validation rate" in {t["title"] for t in bars["tooltip"]}
