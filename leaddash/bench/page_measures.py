"""Page render times measured through AppTest on the benchmark database: the benchmark
drives app.py as the tests do, the one place outside leaddash/ui that imports streamlit
(its testing harness), and it imports nothing of leaddash.ui.

Each page is timed cold (its first run in this fresh process, Streamlit caches empty) and
warm (the median of WARM_RUNS reruns). Dashboards are opened by a sales leader (all teams,
the default filters); My queue by a rep with a full queue.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from streamlit import cache_resource, config
from streamlit.testing.v1 import AppTest

from leaddash.auth import get_user
from leaddash.bench.dashboard_measures import bench_leader
from leaddash.bench.dataset import BenchDataset
from leaddash.bench.history_measures import history_dataset
from leaddash.bench.registry import Measure, Measurement, measurement
from leaddash.config import PROJECT_ROOT
from leaddash.db import make_engine, write_session
from leaddash.logins import start_login
from leaddash.models import LoginSession, stored_id, utcnow

APP = str(PROJECT_ROOT / "app.py")
# The session-state key where the app looks for this session's login (leaddash.ui.login's
# LOGIN_KEY, which the runtime keeps to itself; tests/test_bench.py holds the two equal).
LOGIN_KEY = "leaddash_login"
WARM_RUNS = 5
QUEUE_WARM_LIMIT = 0.3
# The limits for funnel, SLA and calibration; feedback and review are held to the
# same (the issue names none for them), as they sit in the same menu section.
DASHBOARD_COLD_LIMIT, DASHBOARD_WARM_LIMIT = 1.0, 0.3
DASHBOARDS = (
    ("funnel_page", "pages/funnel.py", "Funnel"),
    ("sla_page", "pages/sla_compliance.py", "SLA compliance"),
    ("calibration_page", "pages/calibration.py", "Rep calibration"),
    ("feedback_page", "pages/feedback.py", "Feedback to marketing"),
    ("review_page", "pages/review.py", "Monthly review"),
)


def _logged_in(url: str, username: str) -> AppTest:
    """Return an AppTest of app.py holding a new login of `username` (as after the form)."""
    engine = make_engine(url)
    # A benchmark file built before logins were rows has no table for them yet.
    LoginSession.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    with write_session(engine) as session:
        _, digest = start_login(
            session, user_id=stored_id(get_user(session, username)), key="bench", now=utcnow()
        )
    engine.dispose()
    # As in a fresh process: the app opens its own engine for `url` on the untimed first
    # run, never one cached for an earlier file at the same path.
    cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[LOGIN_KEY] = digest
    return at


def _timed(at: AppTest, page: str) -> float:
    began = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(f"{page} failed: {at.exception[0].value}")
    return time.perf_counter() - began


def page_times(
    dataset: BenchDataset, username: str, page: str
) -> tuple[float, list[float], AppTest]:
    """Return the cold render time of `page` for `username`, the warm rerun times, and
    the AppTest as the last run left it (after logging in on Home, untimed)."""
    os.environ.update({"DATABASE_URL": dataset.url, "LEADDASH_DEMO": "1"})
    # Users see no error details; the benchmark's reader needs them to know what broke.
    config.set_option("client.showErrorDetails", "full")
    at = _logged_in(dataset.url, username)
    at.run()
    at.switch_page(page)
    cold = _timed(at, page)
    return cold, [_timed(at, page) for _ in range(WARM_RUNS)], at


def shown(at: AppTest) -> dict[str, Any]:
    """Return what a page run showed: tables and their rows, charts, notes and errors."""
    tables = at.dataframe
    return {
        "tables": len(tables),
        "rows_shown": sum(len(t.value) for t in tables),
        "charts": len(at.get("vega_lite_chart")),
        "notes": len(at.info),
        "errors": len(at.error),
    }


def _spread(warm: list[float]) -> dict[str, float]:
    return {"warm_min_s": round(min(warm), 3), "warm_max_s": round(max(warm), 3)}


@measurement(
    "rep_queue_page",
    "My queue page for a rep with a full queue: server render "
    "(AppTest), cold first run and warm median",
    warm_limit_seconds=QUEUE_WARM_LIMIT,
)
def rep_queue_page(dataset: BenchDataset) -> Measurement:
    """Return the cold and median warm render times of My queue."""
    cold, warm, at = page_times(dataset, dataset.queue_rep, "pages/my_queue.py")
    open_leads = len(at.selectbox(key="queue_lead").options) if at.selectbox else 0
    return Measurement(
        cold, {**_spread(warm), "rep_open_leads": open_leads}, warm_seconds=statistics.median(warm)
    )


def _dashboard(page: str) -> Measure:
    def run(dataset: BenchDataset) -> Measurement:
        cold, warm, at = page_times(dataset, bench_leader(dataset).username, page)
        return Measurement(
            cold, {**_spread(warm), **shown(at)}, warm_seconds=statistics.median(warm)
        )

    return run


def _on_history(page: str) -> Measure:
    def run(dataset: BenchDataset) -> Measurement:
        return _dashboard(page)(history_dataset(dataset)[0])

    return run


for _name, _page, _title in DASHBOARDS:
    measurement(
        _name,
        f"{_title} page as a sales leader (all teams, default filters): "
        "server render (AppTest), cold first run and warm median",
        DASHBOARD_COLD_LIMIT,
        warm_limit_seconds=DASHBOARD_WARM_LIMIT,
    )(_dashboard(_page))
    measurement(
        f"{_name}_on_history",
        f"{_title} page as a sales leader on the database "
        "a history import of 1,000,000 leads left (history_import_1m)",
        DASHBOARD_COLD_LIMIT,
        warm_limit_seconds=DASHBOARD_WARM_LIMIT,
    )(_on_history(_page))
