"""`python -m leaddash report sla` carries a `speed_to_lead` table (one row per group of
--by) and the rates by response band, in JSON and CSV, on the hand-built February of
tests/speed_history.py."""

from __future__ import annotations

import csv
import io
import json

import pytest

from leaddash.cli import main
from leaddash.models import Role
from tests.conftest import make_user
from tests.event_history import activate_sla
from tests.speed_history import LEADS, add_february, minutes, nearest_rank

FEBRUARY = ("--from", "2026-02-01", "--to", "2026-02-28")
NAMES = {"ann": "Ann", "bob": "Bob"}


@pytest.fixture
def february(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reps = {n: make_user(engine, n, Role.REP, team="East") for n in NAMES}
    activate_sla(engine)
    add_february(engine, reps)


def _run(capsys, *args: str) -> str:
    assert main(["report", "sla", *FEBRUARY, *args]) == 0
    return capsys.readouterr().out


def _response(rep: str) -> list[float]:
    return [
        minutes(x["mql"], x["touches"][0][0])
        for x in LEADS.values()
        if x["rep"] == rep and x["touches"] and not x.get("history")
    ]


def _routing(rep: str) -> list[float]:
    return [
        minutes(x["mql"], x["assigned"])
        for x in LEADS.values()
        if x["rep"] == rep and x["touches"] and not x.get("history")
    ]


def test_json_has_one_speed_row_per_rep(february, capsys):
    tables = json.loads(_run(capsys, "--by", "rep", "--format", "json"))["tables"]

    rows = {row["label"]: row for row in tables["speed_to_lead"]}
    assert set(rows) == set(NAMES.values())
    for rep, name in NAMES.items():
        for p in (50, 90, 95):
            assert rows[name][f"p{p}_minutes"] == pytest.approx(nearest_rank(_response(rep), p))
        assert rows[name]["routing_delay_p50_minutes"] == pytest.approx(
            nearest_rank(_routing(rep), 50)
        )
        mqls = sum(x["rep"] == rep and not x.get("history") for x in LEADS.values())
        within = sum(r <= 15 for r in _response(rep)) / mqls
        assert rows[name]["within_15_min"] == pytest.approx(within)
    assert "speed_by_response_band" in tables


def test_csv_has_the_speed_table_with_its_named_columns(february, capsys):
    out = _run(capsys, "--format", "csv")

    section = out.split("# speed_to_lead\n", 1)[1].split("\n# ", 1)[0]
    rows = list(csv.DictReader(io.StringIO(section.lstrip("\ufeff"))))
    assert [row["label"] for row in rows] == ["2026-02"]
    for column in (
        "p50_minutes",
        "p90_minutes",
        "p95_minutes",
        "within_5_min",
        "within_15_min",
        "within_60_min",
        "routing_delay_p50_minutes",
        "rep_delay_p50_minutes",
    ):
        assert column in rows[0]
    everyone = _response("ann") + _response("bob")
    assert float(rows[0]["p50_minutes"]) == pytest.approx(nearest_rank(everyone, 50))


def test_the_monthly_review_carries_the_months_speed(february, capsys):
    assert main(["report", "review", "--from", "2026-02-01", "--format", "json"]) == 0
    tables = json.loads(capsys.readouterr().out)["tables"]

    (row,) = tables["speed_to_lead"]
    everyone = _response("ann") + _response("bob")
    assert row["p90_minutes"] == pytest.approx(nearest_rank(everyone, 90))
    bands = tables["speed_by_response_band"]
    assert sum(b["mqls"] for b in bands) == row["mqls"]
