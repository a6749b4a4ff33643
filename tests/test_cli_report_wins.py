"""`python -m leaddash report`: the funnel report's `win_rate` table and the review's win
rate by team, on the hand-built deals of tests/deal_history.py (both databases); figures
counted from the raw steps."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine

from leaddash.analytics.filters import Filters
from leaddash.cli import main
from tests.deal_history import (
    DEALS,
    FIGURES,
    SPRING,
    database,
    make_people,
    only,
    plain,
    store,
)

APRIL = Filters(start=date(2026, 4, 1), end=date(2026, 4, 30))
SPRING_ARGS = ("--from", "2026-03-01", "--to", "2026-05-31")
COLUMNS = [
    "label",
    "won",
    "lost",
    "open",
    "win_rate",
    "won_amount",
    "median_cycle_days",
    "median_mql_to_close_days",
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stored(request, tmp_path_factory) -> Iterator[Engine]:
    """A database holding the people and the deals, once per backend."""
    with database(request.param, tmp_path_factory.mktemp("report_wins")) as engine:
        store(engine, DEALS, make_people(engine))
        yield engine


@pytest.fixture
def deals(stored, monkeypatch) -> Engine:
    """The stored deals, as the command line's database."""
    monkeypatch.setenv("DATABASE_URL", stored.url.render_as_string(hide_password=False))
    return stored


def run(capsys, *args: str) -> str:
    """Return what `report …` printed, having checked it succeeded."""
    code = main(["report", *args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def row(label: str, figures: dict[str, object]) -> dict[str, object]:
    """Return a table row as JSON holds it (null for no value)."""
    return {"label": label, **figures}


def csv_table(out: str, name: str) -> pd.DataFrame:
    """Return one table of a CSV report printed on stdout."""
    section = out.split(f"# {name}\n", 1)[1].split("\n# ", 1)[0]
    return pd.read_csv(io.StringIO(section.lstrip("\ufeff")), keep_default_na=False)


def test_the_funnel_report_has_one_win_rate_row_all_without_by(deals, capsys):
    data = json.loads(run(capsys, "funnel", *SPRING_ARGS, "--format", "json"))

    table = data["tables"]["win_rate"]
    assert list(table[0]) == COLUMNS
    assert table == [pytest.approx(row("all", plain(DEALS, SPRING)), abs=1e-4)]


def test_the_funnel_report_by_rep_counts_each_reps_closes(deals, capsys):
    data = json.loads(run(capsys, "funnel", *SPRING_ARGS, "--by", "rep", "--format", "json"))

    assert data["tables"]["win_rate"] == [
        pytest.approx(row("Rita", plain(only("rita"), SPRING)), abs=1e-4),
        pytest.approx(row("Sam", plain(only("sam"), SPRING)), abs=1e-4),
        pytest.approx(row("(none)", plain(only(None), SPRING)), abs=1e-4),
    ]
    assert data["tables"]["win_rate"][0]["win_rate"] == 0.25


def test_the_csv_win_rate_table_has_the_columns_and_defused_cells(deals, capsys):
    out = run(capsys, "funnel", *SPRING_ARGS, "--by", "source")

    table = csv_table(out, "win_rate")
    assert list(table.columns) == COLUMNS
    assert table["label"].tolist() == ["'=HYPERLINK(1)", "Paid Search", "Webinar", "(none)"]
    webinar = {name: DEALS[name] for name in ("R1", "R2", "R4", "X1")}
    assert table.set_index("label").loc["Webinar", list(FIGURES)].tolist() == pytest.approx(
        list(plain(webinar, SPRING).values()), abs=1e-4
    )


def test_the_html_report_shows_the_win_rate_in_words_and_per_cent(deals, capsys):
    page = run(capsys, "funnel", *SPRING_ARGS, "--by", "rep", "--format", "html")

    cells = re.sub(r">\s+<", "><", page)
    assert "<h2>Win rate and sales cycle</h2>" in cells
    assert "<th>Median days opportunity → close</th>" in cells
    assert "<td>Rita</td><td>1</td><td>3</td><td>0</td><td>25%</td><td>12,000</td>" in cells


def test_the_review_has_the_months_win_rate_for_all_teams_then_each(deals, capsys):
    data = json.loads(run(capsys, "review", "--from", "2026-04-01", "--format", "json"))

    expected = [
        ("All teams", DEALS),
        ("North", only("rita")),
        ("South", only("sam")),
        ("(none)", only(None)),
    ]
    assert data["tables"]["win_rate_by_team"] == [
        pytest.approx({"team": team, **plain(kept, APRIL)}, abs=1e-4) for team, kept in expected
    ]
