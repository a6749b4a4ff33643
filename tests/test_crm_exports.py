"""CRM exports loaded the way a new team loads them (the command line, in process) and every
figure the reports show for them checked against a plain pandas computation from the raw
CSV (docs/metrics.md), on SQLite and PostgreSQL.

This module holds what the three exports share (a database per export, the command line,
the independent computation of each figure) and checks that the committed fixtures are
what their generator (tests/fixtures/crm/make_fixtures.py) writes; each export's tests are
in tests/test_crm_exports_olist.py, _xeducation.py and _maven.py.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import SQLModel

from leaddash.cli import main
from leaddash.db import make_engine
from tests.conftest import TEST_PASSWORD, throwaway_pg_database

CRM = Path(__file__).parent / "fixtures" / "crm"
FUNNEL = ["inquiry", "mql", "accepted", "validated", "sql", "opportunity", "won"]
# The month of an undated stage placed at the import (today): inside no range used here.
IMPORT_MONTH = 999912
NONE_LABEL = "(none)"
Rows = list[dict[str, object]]


# --- loading ----------------------------------------------------------------------------


@dataclass
class Cli:
    """`python -m leaddash …` run in process against one database."""

    url: str
    outputs: dict[str, tuple[int, str, str]] = field(default_factory=dict)

    def run(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        """Return the exit code, stdout and stderr of one command."""
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", self.url)
            patch.setattr("leaddash.auth.BCRYPT_ROUNDS", 4)
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def load(self, name: str, export: str, mapping: str, *options: str) -> None:
        """Import a fixture with its mapping file, keeping what the command said as `name`."""
        self.outputs[name] = self.run(
            "import", "leads", str(CRM / export), "--mapping", str(CRM / mapping), *options
        )

    def report(self, name: str, *options: str) -> dict[str, Rows]:
        """Return the tables of a report as its JSON holds them."""
        code, out, err = self.run("report", name, "--format", "json", *options)
        assert (code, err) == (0, ""), err
        return json.loads(out)["tables"]


@contextmanager
def crm_database(backend: str, folder: Path, purpose: str) -> Iterator[Cli]:
    """Yield the command line over a new database with every table (SQLite in `folder`, or
    a throwaway PostgreSQL database)."""
    if backend == "sqlite":
        yield _with_tables(f"sqlite:///{folder / f'{purpose}.db'}")
        return
    with throwaway_pg_database(purpose) as url:
        yield _with_tables(url)


def _with_tables(url: str) -> Cli:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return Cli(url)


def read_export(name: str, encoding: str = "utf-8") -> pd.DataFrame:
    """Return a fixture's cells as the file writes them (text, "" when empty)."""
    return pd.read_csv(CRM / name, dtype=str, keep_default_na=False, encoding=encoding)


def password() -> str:
    """Return what a person types for a new user's password (read from stdin)."""
    return TEST_PASSWORD + "\n"


# --- the independent computation --------------------------------------------------------


def months_of(times: pd.Series) -> pd.Series:
    """Return yyyymm of UTC times (the month of a database with no SLA yet)."""
    return (times.dt.year * 100 + times.dt.month).astype("Int64")


def events(
    lead: pd.Series, stage: str, at: pd.Series, month: pd.Series | None = None
) -> pd.DataFrame:
    """Return stage events (lead, stage, at, month): dated at `at`, or (NaT) undated in
    `month`."""
    month = months_of(at) if month is None else month
    return pd.DataFrame(
        {
            "lead": lead.to_numpy(),
            "stage": stage,
            "at": at.array,
            "month": month.astype("Int64").array,
        }
    )


def passes(history: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Return `leads` (indexed by lead) with, per funnel stage: an event into it
    (`_event`), when it was seen entering it (`_at`, NaT when undated), whether it reached
    it (it or a later one has an event), its month (its event's, else the next reached
    stage's) and whether it went past it (reached a later stage, no event for this one);
    and `lost_event`, `lost_at`, `lost_month`."""
    out = leads.copy()
    for stage in [*FUNNEL, "lost"]:
        mine = history[history["stage"] == stage].set_index("lead")
        out[f"{stage}_event"] = out.index.isin(mine.index)
        out[f"{stage}_at"] = mine["at"].reindex(out.index)
        out[f"{stage}_month"] = mine["month"].reindex(out.index).astype("Int64")
    later = pd.Series(pd.NA, index=out.index, dtype="Int64")
    for stage in reversed(FUNNEL):
        out[f"{stage}_month"] = out[f"{stage}_month"].fillna(later)
        out[f"{stage}_reached"] = out[f"{stage}_month"].notna()
        out[f"{stage}_past"] = out[f"{stage}_reached"] & ~out[f"{stage}_event"]
        later = out[f"{stage}_month"]
    return out


def inside(months: pd.Series, span: tuple[int, int] | None) -> pd.Series:
    """Return which months (yyyymm, NA for none) fall within `span` (None: every month)."""
    found = months.notna()
    if span is not None:
        found &= months.fillna(0).between(*span)
    return found.astype(bool)


def ratio(part: int, whole: int) -> float | None:
    """Return part ÷ whole, None when whole is 0 (a rate with nothing to count)."""
    return part / whole if whole else None


def waterfall(p: pd.DataFrame, span: tuple[int, int] | None = None) -> Rows:
    """Return the waterfall: passes at each stage in the span, the share of the previous
    stage's cohort that reached it, and how many of them went past it."""
    rows = []
    for number, stage in enumerate(FUNNEL):
        here = inside(p[f"{stage}_month"], span)
        cohort = inside(p[f"{FUNNEL[number - 1]}_month"], span) if number else None
        rows.append(
            {
                "stage": stage,
                "leads": int(here.sum()),
                "conversion": None
                if cohort is None
                else ratio(int((cohort & p[f"{stage}_reached"]).sum()), int(cohort.sum())),
                "went_past": int((here & p[f"{stage}_past"]).sum()),
            }
        )
    return rows if any(row["leads"] for row in rows) else []


def last_stages(p: pd.DataFrame) -> pd.Series:
    """Return the last funnel stage each pass reached."""
    last = pd.Series(FUNNEL[0], index=p.index)
    for stage in FUNNEL[1:]:
        last = last.mask(p[f"{stage}_reached"], stage)
    return last


def leakage(p: pd.DataFrame, span: tuple[int, int] | None = None) -> Rows:
    """Return the passes not won by the pair after the last stage they reached (in its
    month) and cause: lost, or in progress (history leads have no deadline, so none is
    untouched)."""
    stopped = p[~p["won_reached"]]
    last = last_stages(stopped)
    month = pd.Series(
        [stopped.at[lead, f"{stage}_month"] for lead, stage in last.items()],
        index=last.index,
        dtype="Int64",
    )
    frame = pd.DataFrame(
        {
            "pair": last.map(lambda s: f"{s} → {FUNNEL[FUNNEL.index(s) + 1]}"),
            "cause": stopped["lost_event"].map({True: "lost", False: "in progress"}),
        }
    )
    counts = frame[inside(month, span)].groupby(["pair", "cause"]).size()
    return [
        {"pair": pair, "cause": cause, "reason": None, "leads": int(n)}
        for (pair, cause), n in counts.items()
    ]


def days_between(earlier: pd.Series, later: pd.Series) -> pd.Series:
    """Return the days (fractional) from each `earlier` time to its `later` one."""
    return (later - earlier).dt.total_seconds() / 86_400


def velocity(p: pd.DataFrame, span: tuple[int, int] | None = None) -> Rows:
    """Return per pair of stages the median days over the passes seen entering both."""
    rows = []
    for earlier, later in pairwise(FUNNEL):
        made = p[
            p[f"{earlier}_at"].notna()
            & p[f"{later}_at"].notna()
            & inside(p[f"{earlier}_month"], span)
        ]
        if len(made):
            rows.append(
                {
                    "pair": f"{earlier} → {later}",
                    "leads": len(made),
                    "median_days": float(
                        days_between(made[f"{earlier}_at"], made[f"{later}_at"]).median()
                    ),
                }
            )
    return rows


def monthly_trend(p: pd.DataFrame, span: tuple[int, int]) -> Rows:
    """Return per month and stage the passes that reached the stage that month."""
    rows = []
    for stage in FUNNEL:
        months = p.loc[inside(p[f"{stage}_month"], span), f"{stage}_month"]
        rows += [
            {"month": f"{key // 100:04d}-{key % 100:02d}-01", "stage": stage, "leads": int(n)}
            for key, n in months.value_counts().items()
        ]
    return rows


def breakdown(p: pd.DataFrame, label: str, span: tuple[int, int] | None = None) -> Rows:
    """Return the waterfall of each value of the column `label` (passes with no lead in
    the span left out)."""
    return [
        {"label": name, **row}
        for name, group in p.groupby(p[label].fillna(NONE_LABEL))
        for row in waterfall(group, span)
    ]


def win_rates(p: pd.DataFrame, label: str, span: tuple[int, int] | None = None) -> Rows:
    """Return per value of the column `label` the deals won, lost (each in the month it
    closed) and open (reached sql, not closed, in the month it reached sql), the win rate,
    the won amount and the median days to close from opportunity (and from MQL) of the
    closed deals seen entering it."""
    rows = []
    for name, group in p.groupby(p[label].fillna(NONE_LABEL)):
        won = group[group["won_event"] & inside(group["won_month"], span)]
        lost = group[group["lost_event"] & inside(group["lost_month"], span)]
        still = group[
            group["sql_reached"]
            & ~group["won_reached"]
            & ~group["lost_event"]
            & inside(group["sql_month"], span)
        ]
        closed = pd.concat([won, lost])
        cycles = {}
        for column, start in (
            ("median_cycle_days", "opportunity_at"),
            ("median_mql_to_close_days", "mql_at"),
        ):
            seen = closed[closed[start].notna()]
            days = days_between(seen[start], seen["won_at"].fillna(seen["lost_at"]))
            cycles[column] = float(days.median()) if len(days) else None
        rows.append(
            {
                "label": name,
                "won": len(won),
                "lost": len(lost),
                "open": len(still),
                "win_rate": ratio(len(won), len(won) + len(lost)),
                "won_amount": float(won["amount"].sum()),
                **cycles,
            }
        )
    return rows


def top_leakage(p: pd.DataFrame, month: int, before: int) -> Rows:
    """Return the month's leaks that left the funnel (not in progress) by cause, with the
    month before's count."""

    def left(key: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in leakage(p, (key, key)):
            if row["cause"] != "in progress":
                found[row["cause"]] = found.get(row["cause"], 0) + row["leads"]
        return found

    then = left(before)
    return [
        {
            "cause": cause,
            "reason": "",
            "reason_label": "",  # an export's leaks carry no reason
            "label": cause,
            "leads": n,
            "last_month": then.get(cause, 0),
        }
        for cause, n in left(month).items()
    ]


def month_before(key: int) -> int:
    """Return the yyyymm of the month before the month `key`."""
    return key - 1 if key % 100 > 1 else key - 89


def month_span(first: str, last: str) -> tuple[int, int]:
    """Return the yyyymm span of two days written YYYY-MM-DD."""
    return (int(first[:4] + first[5:7]), int(last[:4] + last[5:7]))


# --- comparing ----------------------------------------------------------------------------


def plain(value: object) -> object:
    """Return a figure as compared: floats to 6 places (JSON holds 10), NaN as None, months
    as days."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, str) and len(value) == 23 and value.endswith("T00:00:00.000"):
        return value[:10]
    return value


def table(rows: Rows, keys: tuple[str, ...], drop: tuple[str, ...] = ()) -> list[dict]:
    """Return the rows with their figures made plain, in a stable order (by `keys`)."""
    order = {stage: number for number, stage in enumerate(FUNNEL)}
    shown = [{k: plain(v) for k, v in row.items() if k not in drop} for row in rows]
    return sorted(
        shown,
        key=lambda row: tuple(
            order.get(row[k], row[k]) if isinstance(row[k], str) else str(row[k]) for k in keys
        ),
    )


FUNNEL_TABLES = {
    "waterfall": (waterfall, ("stage",)),
    "leakage": (leakage, ("pair", "cause")),
    "velocity": (velocity, ("pair",)),
}


def funnel_tables(
    shown: dict[str, Rows], p: pd.DataFrame, span: tuple[int, int] | None
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Return the waterfall, leakage and velocity as the report shows them and as the
    passes `p` give them, each comparable."""
    return (
        {name: table(shown[name], keys) for name, (_, keys) in FUNNEL_TABLES.items()},
        {name: table(figure(p, span), keys) for name, (figure, keys) in FUNNEL_TABLES.items()},
    )


def test_the_committed_fixtures_are_what_their_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixtures", CRM / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    generator.write_fixtures(tmp_path)

    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(path.name for path in CRM.glob("*.csv"))
    assert all((tmp_path / name).read_bytes() == (CRM / name).read_bytes() for name in written)
