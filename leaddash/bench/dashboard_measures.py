"""The reports' measurements (build, then render as HTML and as a zip of CSVs), the win rate
service's, and the sales leader every dashboard measurement acts as (all teams, default
filters).

The dataset has reps only, so the leader is added to it once, before any clock starts.
"""

from __future__ import annotations

import time

from sqlmodel import select

from leaddash.analytics.filters import Filters
from leaddash.analytics.wins import win_rates
from leaddash.audit import act_as
from leaddash.auth import CLI_ACTOR, actor_for, hash_password
from leaddash.bench.dataset import BenchDataset
from leaddash.bench.owners import BENCH_PASSWORD
from leaddash.bench.registry import Measure, Measurement, measurement
from leaddash.core.actor import Actor
from leaddash.db import make_engine, read_session, write_session
from leaddash.models import Role, User
from leaddash.reports import build_report, csv_zip, render_html, session_reader
from leaddash.reports.model import months_before

LEADER = "bench-leader"
# Each report with the dates the command line uses when none are given.
REPORTS_TIMED = (
    ("funnel", "Funnel report over all dates"),
    ("sla", "SLA report over all dates"),
    ("calibration", "Calibration report over all dates"),
    ("review", "Monthly review of the last full month"),
)
# The Funnel page's default range is six months to today. Its cold run reads all deals, and
# picking "by rep" adds one cold read to a warm rerun: each read under this limit leaves the
# page its second.
PAGE_MONTHS = 6
WIN_RATES_LIMIT = 0.3


def bench_leader(dataset: BenchDataset) -> Actor:
    """Return the dataset's sales leader, adding the user when the file has none yet."""
    engine = make_engine(dataset.url)
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.username == LEADER)).first()
        if user is None:
            act_as(session, CLI_ACTOR, "bench.leader")
            user = User(
                username=LEADER,
                name="Bench Leader",
                role=Role.SALES_LEADER,
                password_hash=hash_password(BENCH_PASSWORD),
            )
            session.add(user)
            session.flush()
        actor = actor_for(user)
    engine.dispose()
    return actor


def _timed_report(dataset: BenchDataset, name: str) -> Measurement:
    """Return the time to build report `name` as the leader (the command line's default
    dates) and render it as HTML and as CSVs; each step's time in the details."""
    actor = bench_leader(dataset)
    engine = make_engine(dataset.url)
    began = time.perf_counter()
    with read_session(engine) as session:
        report = build_report(session_reader(session, actor=actor), name=name)
    built = time.perf_counter()
    html = render_html(report)
    rendered = time.perf_counter()
    csvs = csv_zip(report)
    done = time.perf_counter()
    engine.dispose()
    return Measurement(
        done - began,
        {
            "build_s": round(built - began, 3),
            "html_s": round(rendered - built, 3),
            "csv_s": round(done - rendered, 3),
            "tables": len(report.tables),
            "rows": sum(len(t) for t in report.tables.values()),
            "charts": len(report.charts),
            "html_kb": len(html) // 1024,
            "csv_zip_kb": len(csvs) // 1024,
        },
    )


def _report_measure(name: str) -> Measure:
    def run(dataset: BenchDataset) -> Measurement:
        return _timed_report(dataset, name)

    return run


for _name, _what in REPORTS_TIMED:
    measurement(
        f"report_{_name}",
        f"{_what} as a sales leader: build, render HTML (charts as SVG) and a zip of CSVs",
    )(_report_measure(_name))


@measurement(
    "win_rates",
    "win_rates as a sales leader over the Funnel page's default dates "
    "(six months): the slower of all deals and by rep",
    WIN_RATES_LIMIT,
)
def win_rates_measure(dataset: BenchDataset) -> Measurement:
    """Return the time of the slower of win_rates overall and by rep; each one's time and
    the deals counted in the details."""
    actor = bench_leader(dataset)
    today = dataset.now_at.date()
    filters = Filters(start=months_before(today, PAGE_MONTHS - 1), end=today)
    engine = make_engine(dataset.url)
    with read_session(engine) as session:
        began = time.perf_counter()
        overall = win_rates(session, actor=actor, filters=filters)
        middle = time.perf_counter()
        by_rep = win_rates(session, actor=actor, filters=filters, by="rep")
        done = time.perf_counter()
    engine.dispose()
    deals = overall.iloc[0]
    return Measurement(
        max(middle - began, done - middle),
        {
            "all_s": round(middle - began, 3),
            "by_rep_s": round(done - middle, 3),
            "won": int(deals["won"]),
            "lost": int(deals["lost"]),
            "open": int(deals["open"]),
            "reps": len(by_rep),
        },
    )
