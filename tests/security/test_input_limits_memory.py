"""Refusing the issue-12 probe's inputs costs little memory: each goes through the command
line's import and the Import page (AppTest) in a process of its own, and its peak resident
set (ru_maxrss) stays under 300 MB above what the warmed-up process held, with the right
message on both paths.

Before the bounds, the probe saw a 348-byte mapping file take the server from 385 MiB to
3 GiB, a 200,000-column CSV 1.5 GB, a million columns 5.8 GB (tests/security/
input_limits_probe.py caps each process's address space, so a regression fails with
MemoryError rather than taking the machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leaddash.models import Role
from tests.conftest import make_user
from tests.security.input_limits_probe import alias_bomb, big_cell_csv, wide_csv

# A process per case, each importing Streamlit: about a minute, so with the slow files
# (still run by `make test`).
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("input_limits_probe.py")
LIMIT_KIB = 300 * 1024
SMALL = b"Email,Company\na@b.example,Acme\n"
ANCHOR = "The mapping file uses a YAML anchor or alias"
COLUMNS = "columns; at most 500 can be imported."
LONG_CELL = (
    "Row 2, column 'Notes' of upload.csv holds 10,485,760 characters; a cell may "
    "hold at most 10,000."
)
# Each case: its CSV file, its mapping file (or None) and what the refusal says.
CASES = {
    "alias-bomb-9": (lambda: SMALL, lambda: alias_bomb(9), ANCHOR),
    "alias-bomb-10": (lambda: SMALL, lambda: alias_bomb(10), ANCHOR),
    "200000-columns": (lambda: wide_csv(200_000), lambda: None, COLUMNS),
    "1000000-columns": (lambda: wide_csv(1_000_000), lambda: None, COLUMNS),
    "10-mb-cell": (lambda: big_cell_csv(10 * 1024 * 1024), lambda: None, LONG_CELL),
    "20000-columns-500-rows": (lambda: wide_csv(20_000, rows=500), lambda: None, COLUMNS),
}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    """Return the URL of a SQLite database with every table and a `marketing` user."""
    from sqlmodel import SQLModel

    from leaddash.db import make_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('memory') / 'probe.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    make_user(engine, "marketing", Role.MARKETING)
    engine.dispose()
    return url


def probe(database: str, folder: Path, data: bytes, mapping: str | None, *options: str) -> dict:
    """Return the probe's report for `data` (and `mapping`), run in a process of its own."""
    csv = folder / "upload.csv"
    csv.write_bytes(data)
    argv = [sys.executable, str(PROBE), str(csv), *options]
    if mapping is not None:
        (folder / "upload.yaml").write_text(mapping)
        argv.insert(3, str(folder / "upload.yaml"))
    env = {**os.environ, "DATABASE_URL": database, "LEADDASH_DEMO": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_probe_input_stays_under_300_mb_on_both_paths(database, tmp_path, case):
    data, mapping, message = CASES[case]

    report = probe(database, tmp_path, data(), mapping())

    assert "error" not in report, report
    assert report["cli"].startswith("exit 2: error: ") and message in report["cli"], report
    assert message in report["page"], report
    grown = max(report["cli_peak_kib"], report["page_peak_kib"]) - report["baseline_kib"]
    assert grown < LIMIT_KIB, f"{case}: {grown / 1024:.0f} MiB above the baseline: {report}"


def test_the_measure_sees_a_350_mb_allocation(database, tmp_path):
    report = probe(database, tmp_path, SMALL, None, "--paths", "cli", "--allocate", "350")

    grown = report["cli_peak_kib"] - report["baseline_kib"]
    assert grown > 350 * 1024 * 0.95, report
