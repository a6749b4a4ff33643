"""The speed-to-lead section of the SLA compliance page (AppTest), on the hand-built
February of tests/speed_history.py: the figures drawn are the plain computations'."""

from __future__ import annotations

from datetime import date

from leaddash.ui.speed import NO_SPEED, duration, percent
from tests.apptest import app_as, one_user_per_role, texts, use_database
from tests.event_history import activate_sla
from tests.speed_history import CONNECTED, LEADS, add_february, minutes, nearest_rank

PAGE = "pages/sla_compliance.py"
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _february(engine, monkeypatch):
    use_database(engine, monkeypatch)
    users = one_user_per_role(engine)
    activate_sla(engine)
    add_february(engine, {"ann": users["rep"], "bob": users["sales_manager"]})
    at = app_as("sales_leader", PAGE)
    at.date_input(key="sla_compliance_dates").set_value(FEBRUARY).run()
    return at


def test_the_section_shows_the_months_figures(engine, monkeypatch):
    at = _february(engine, monkeypatch)

    assert not at.exception, at.exception
    counted = [lead for lead in LEADS.values() if not lead.get("history")]
    response = [minutes(x["mql"], x["touches"][0][0]) for x in counted if x["touches"]]
    contacts = [
        minutes(x["mql"], next(t for t, o in x["touches"] if o == CONNECTED))
        for x in counted
        if any(o == CONNECTED for _, o in x["touches"])
    ]
    assert _metric(at, "Response p50") == duration(nearest_rank(response, 50))
    assert _metric(at, "Response p95") == duration(nearest_rank(response, 95))
    assert _metric(at, "Within 5 min") == percent(sum(r <= 5 for r in response) / len(counted))
    assert _metric(at, "First contact p50") == duration(nearest_rank(contacts, 50))
    assert _metric(at, "Never touched") == (
        f"{sum(not x['touches'] for x in counted)} of {len(counted)}"
    )


def test_the_band_table_and_the_rep_table_are_drawn(engine, monkeypatch):
    at = _february(engine, monkeypatch)

    bands = next(d.value for d in at.dataframe if d.value.columns[0] == "First touch")
    assert bands["MQLs"].str.replace(",", "").astype(int).sum() == sum(
        not x.get("history") for x in LEADS.values()
    )
    assert bands["First touch"].iloc[-1] == "Never touched"
    reps = next(d.value for d in at.dataframe if list(d.value.columns[:2]) == ["Rep", "MQLs"])
    per_rep = [
        sum(x["rep"] == rep and not x.get("history") for x in LEADS.values())
        for rep in ("ann", "bob")
    ]
    assert sorted(reps["MQLs"]) == sorted(f"{n:,}" for n in per_rep)


def test_no_mqls_say_so(engine, monkeypatch):
    use_database(engine, monkeypatch)
    one_user_per_role(engine)

    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert NO_SPEED in texts(at)
