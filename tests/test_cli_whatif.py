"""`python -m leaddash whatif`: JSON or CSV on stdout, clear errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from leaddash.cli import main
from tests.test_whatif import build_history


@pytest.fixture
def cli_history(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return build_history(engine)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["whatif", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_against_the_active_version_by_default(cli_history, capsys):
    code, out, err = run(capsys, "--version", "2", "--since", "2026-01-01", "--until", "2026-02-28")
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert {"mqls", "overlap", "precision", "recall", "by_score_band"} <= set(data)
    assert (data["candidate"]["number"], data["baseline"]["number"]) == (2, 1)
    assert data["precision"] == {"candidate": 0.75, "baseline": 0.5}
    assert data["recall"] == {"candidate": 0.75, "baseline": 0.25}
    assert data["overlap"] == {"both": 2, "only_candidate": 3, "only_baseline": 1, "neither": 4}
    assert [m["month"] for m in data["mqls"]] == ["2026-01", "2026-02"]


def test_against_names_the_baseline_by_number(cli_history, capsys):
    code, out, _ = run(capsys, "--version", "1", "--against", "2", "--until", "2026-02-28")
    data = json.loads(out)
    assert code == 0
    assert (data["candidate"]["number"], data["baseline"]["number"]) == (1, 2)
    assert data["window"]["leads"] == 11  # L11 from December included, L12 from March not


def test_csv_format(cli_history, capsys):
    code, out, _ = run(
        capsys,
        "--version",
        "2",
        "--format",
        "csv",
        "--since",
        "2026-01-01",
        "--until",
        "2026-02-28",
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert rows[0] == ["section", "key", "measure", "value"]
    assert ["recall", "", "baseline", "0.25"] in rows
    assert ["mqls", "2026-01", "candidate", "3"] in rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "9"], "error: There is no lead definition v9.\n"),
        (["--version", "2", "--against", "7"], "error: There is no lead definition v7.\n"),
        (
            ["--version", "2", "--since", "2026-13-01"],
            "error: --since must be a date like 2026-01-31, not '2026-13-01'.\n",
        ),
        (
            ["--version", "2", "--until", "yesterday"],
            "error: --until must be a date like 2026-01-31, not 'yesterday'.\n",
        ),
        (
            ["--version", "2", "--since", "2026-03-01", "--until", "2026-01-01"],
            "error: The window starts (2026-03-01) after it ends (2026-01-01).\n",
        ),
    ],
)
def test_errors_exit_2_with_the_message_on_stderr(cli_history, capsys, args, message):
    code, out, err = run(capsys, *args)
    assert (code, out, err) == (2, "", message)


def test_a_version_number_is_required(cli_history, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["whatif"])
    assert exit_info.value.code == 2
    assert "--version" in capsys.readouterr().err
