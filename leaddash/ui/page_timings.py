"""Page render times through streamlit's AppTest, for the benchmark.

The benchmark (`leaddash.bench.page_measures`) runs this module in a child process,
`python -m leaddash.ui.page_timings URL USERNAME PAGE WARM_RUNS [QUERY]`, and reads the JSON it
prints: the page's cold time (its first run in this fresh process, Streamlit caches empty),
its warm rerun times, and what the last run showed. QUERY ("id=12&x=y") is the page's
address query, for a page that reads it (the lead page). Timing pages needs streamlit, and only
the UI imports streamlit; the benchmark imports no UI code, it starts this program.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import urllib.parse
from typing import Any

from streamlit import config
from streamlit.testing.v1 import AppTest

from leaddash.auth import get_user
from leaddash.config import PROJECT_ROOT
from leaddash.db import make_engine, write_session
from leaddash.logins import start_login
from leaddash.models import LoginSession, stored_id, table_of, utcnow
from leaddash.ui.login import LOGIN_KEY

APP = str(PROJECT_ROOT / "app.py")


def _logged_in(url: str, username: str) -> AppTest:
    """Return an AppTest of app.py holding a new login of `username` (as after the form)."""
    engine = make_engine(url)
    # A benchmark file built before logins were rows has no table for them yet.
    table_of(LoginSession).create(engine, checkfirst=True)
    with write_session(engine) as session:
        _, digest = start_login(
            session, user_id=stored_id(get_user(session, username)), key="bench", now=utcnow()
        )
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[LOGIN_KEY] = digest
    return at


def _timed(at: AppTest, page: str) -> float:
    began = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(f"{page} failed: {at.exception[0].value}")
    return time.perf_counter() - began


def shown(at: AppTest) -> dict[str, Any]:
    """Return what a page run showed: tables and their rows, charts, notes and errors."""
    tables = at.dataframe
    return {
        "tables": len(tables),
        "rows_shown": sum(len(t.value) for t in tables),
        "charts": len(at.get("vega_lite_chart")),
        "notes": len(at.info),
        "errors": len(at.error),
        "queue_options": sum(len(box.options) for box in at.selectbox if box.key == "queue_lead"),
    }


def page_times(
    url: str, username: str, page: str, warm_runs: int, query: str = ""
) -> dict[str, Any]:
    """Return the cold render time of `page` (its address query `query`) for `username`, the
    warm rerun times, what the last run showed and this process's peak memory (after
    logging in on Home, untimed)."""
    os.environ.update({"DATABASE_URL": url, "LEADDASH_DEMO": "1"})
    # Users see no error details; the benchmark's reader needs them to know what broke.
    config.set_option("client.showErrorDetails", "full")
    at = _logged_in(url, username)
    at.run()
    at.query_params.update(urllib.parse.parse_qsl(query))
    at.switch_page(page)
    cold = _timed(at, page)
    warm = [_timed(at, page) for _ in range(warm_runs)]
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"cold": cold, "warm": warm, "shown": shown(at), "peak_rss_mb": peak_mb}


def main(argv: list[str]) -> int:
    """Print the JSON of page_times for URL USERNAME PAGE WARM_RUNS [QUERY]; 2 on a wrong
    call."""
    if len(argv) not in (4, 5):
        print("usage: python -m leaddash.ui.page_timings URL USERNAME PAGE WARM_RUNS [QUERY]")
        return 2
    url, username, page, warm_runs, *query = argv
    print(json.dumps(page_times(url, username, page, int(warm_runs), *query)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
