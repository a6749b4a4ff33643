"""`python -m leaddash report`: each report in each format, to stdout or a file, and clear
refusals (exit code 2) for bad dates, fields and file names."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from leaddash.cli import main


@pytest.fixture
def demo(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_review_json_on_stdout_covers_the_last_full_month(demo, capsys):
    code, out, err = run(capsys, "review", "--format", "json")
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert data["title"].startswith("Monthly lead review: ")
    assert data["tables"]["key_numbers"][0]["name"] == "MQLs"
    assert data["tables"]["key_numbers"][0]["this_month"] > 0


def test_funnel_csv_on_stdout_with_a_breakdown(demo, capsys):
    code, out, _ = run(capsys, "funnel", "--by", "source", "--from", "2026-01-01")
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("# ")] == [
        "# waterfall",
        "# leakage",
        "# velocity",
        "# monthly_trend",
        "# by_source",
        "# win_rate",
    ]
    assert "inquiry," in out


@pytest.mark.parametrize("by", ["month", "team", "rep"])
def test_sla_json_by_each_grouping(demo, capsys, by):
    code, out, _ = run(capsys, "sla", "--by", by, "--format", "json")
    assert code == 0
    assert f"scorecard_by_{by}" in json.loads(out)["tables"]


def test_html_and_zip_files(demo, capsys, tmp_path):
    page, archive = tmp_path / "review.html", tmp_path / "calibration.zip"
    code, out, _ = run(capsys, "review", "--format", "html", "--output", str(page))
    assert code == 0 and out.startswith("Wrote Monthly lead review")
    assert page.read_text(encoding="utf-8").count("<svg") == 5
    code, _, _ = run(capsys, "calibration", "--format", "csv", "--output", str(archive))
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as opened:
        assert opened.namelist() == [
            "calibration_calibration.csv",
            "calibration_reason_mix.csv",
            "calibration_high_score_disqualified.csv",
        ]
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sla", "--from", "2026-13-01"], "--from must be a date like 2026-01-31"),
        (["funnel", "--by", "colour"], "cannot be broken down by 'colour'; use one of source"),
        (["review", "--by", "team"], "leave --by out"),
        (["sla", "--from", "2026-05-01", "--to", "2026-04-01"], "wrong way round"),
        (["review", "--from", "2026-05-01", "--to", "2026-06-01"], "covers one month"),
        (["funnel", "--output", "funnel.csv"], "written as a zip"),
    ],
)
def test_refusals_say_what_to_do(demo, capsys, args, message):
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and message in err
