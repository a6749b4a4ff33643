"""Page render times measured through AppTest on the benchmark database (here, under ui/,
because only leaddash/ui may import streamlit)."""

from __future__ import annotations

import os
import time

from streamlit.testing.v1 import AppTest

from leaddash.bench.dataset import BenchDataset
from leaddash.bench.registry import Measurement, measurement
from leaddash.config import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PAGE = "pages/my_queue.py"
LIMIT_SECONDS = 0.3
WARM_RUNS = 5


def _logged_in(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["logout"] = None
    return at


def _timed(at: AppTest) -> float:
    began = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(f"The queue page failed: {at.exception[0].value}")
    return time.perf_counter() - began


@measurement("rep_queue_page", "My queue page, server render time of a warm rerun (AppTest) "
             "for a rep with a full queue", LIMIT_SECONDS)
def rep_queue_page(dataset: BenchDataset) -> Measurement:
    """Return the median warm render time of My queue; the cold first render in details."""
    os.environ.update({"DATABASE_URL": dataset.url, "LEADDASH_DEMO": "1"})
    at = _logged_in(dataset.queue_rep)
    at.run()
    at.switch_page(PAGE)
    cold = _timed(at)
    warm = sorted(_timed(at) for _ in range(WARM_RUNS))
    open_leads = len(at.selectbox(key="queue_lead").options) if at.selectbox else 0
    return Measurement(warm[len(warm) // 2], {
        "cold_s": round(cold, 3), "warm_min_s": round(warm[0], 3),
        "warm_max_s": round(warm[-1], 3), "rep_open_leads": open_leads})
