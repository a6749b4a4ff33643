"""Speed-to-lead (docs/metrics.md "Speed-to-lead") on a hand-built February, each figure
against a plain computation from the table below.

SLA: the default (4 business hours to first touch, New York Mon–Fri 9–17; February is
EST, UTC−5). Times are UTC. Now is 1 March: every window has passed.
  L1 ann  MQL Mon 15:00, routed at once, connected call 5 min later, validated, won
  L2 ann  MQL Tue 15:00, routed 4 min later; no answer, voicemail, then connected the
          next day; disqualified
  L3 bob  MQL Fri 16:55 New York, routed at once, connected Monday 09:05 New York:
          3,850 raw minutes but 10 business minutes; validated, lost
  L4 bob  MQL Tue 15:00, waited 60 min in the team queue, no answer 30 min later; recycled
  L5 ann  MQL Wed 15:00, routed at once, never touched (its deadline passed)
  H1 ann  a history lead (from a CRM file), never touched: left out of every figure
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from leaddash.analytics.filters import Filters
from leaddash.analytics.speed import BANDS, SPEED_COLUMNS, speed_by_band, speed_to_lead
from leaddash.db import read_session
from leaddash.errors import InvalidInput
from leaddash.models import Role, Stage
from tests.conftest import make_user
from tests.event_history import activate_sla, at, passes_of
from tests.speed_history import CONNECTED, LEADS, NOW, add_february, minutes, nearest_rank

ALL = Filters()

pytestmark = pytest.mark.postgresql  # SQL percentiles and minutes differ by backend


@pytest.fixture
def people(engine):
    return {
        "ann": make_user(engine, "ann", Role.REP, team="East"),
        "bob": make_user(engine, "bob", Role.REP, team="East"),
        "leader": make_user(engine, "lea", Role.SALES_LEADER),
    }


@pytest.fixture
def history(engine, people):
    activate_sla(engine)
    return add_february(engine, people)


def _counted(names=None) -> dict[str, dict]:
    return {
        n: lead
        for n, lead in LEADS.items()
        if not lead.get("history") and (names is None or n in names)
    }


def _expected(leads: dict[str, dict]) -> dict[str, float]:
    """Every figure of one group, computed plainly from the table."""
    touched = {n: lead for n, lead in leads.items() if lead["touches"]}
    response = [minutes(lead["mql"], lead["touches"][0][0]) for lead in touched.values()]
    hours = [lead["business_hours"] for lead in touched.values()]
    contacts = [
        minutes(lead["mql"], next(t for t, o in lead["touches"] if o == CONNECTED))
        for lead in leads.values()
        if any(o == CONNECTED for _, o in lead["touches"])
    ]
    routing = [minutes(lead["mql"], lead["assigned"]) for lead in touched.values()]
    rep = [minutes(lead["assigned"], lead["touches"][0][0]) for lead in touched.values()]
    n = len(leads)
    expected = {
        "mqls": n,
        "touched": len(touched),
        "untouched": n - len(touched),
        "contacted": len(contacts),
        "ever_contacted": len(contacts) / n,
        "routing_delay_p50_minutes": nearest_rank(routing, 50),
        "rep_delay_p50_minutes": nearest_rank(rep, 50),
        "first_contact_p50_minutes": nearest_rank(contacts, 50),
    }
    for p in (50, 90, 95):
        expected[f"p{p}_minutes"] = nearest_rank(response, p)
        expected[f"p{p}_business_hours"] = nearest_rank(hours, p)
    for m in (5, 15, 60):
        expected[f"within_{m}_min"] = sum(r <= m for r in response) / n
    in_time = [
        lead for lead in leads.values() if lead["touches"] and lead["touches"][0][0] <= lead["due"]
    ]
    expected["within_sla"] = len(in_time) / n
    return expected


def _check(row, expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, nan_ok=True), name


def _read(engine, people, metric, **options):
    with read_session(engine) as session:
        return metric(session, actor=people["leader"], filters=ALL, **options)


def _by_rep(engine, people, now=NOW):
    """Return the figures per rep, indexed by the rep's username."""
    frame = _read(engine, people, speed_to_lead, by="rep", now=now)
    names = {people[n].id: n for n in ("ann", "bob")}
    return frame.set_index(frame["key"].map(names))


def test_every_figure_of_the_team_matches_a_plain_computation(engine, people, history):
    frame = _read(engine, people, speed_to_lead, now=NOW)

    assert list(frame.columns) == SPEED_COLUMNS
    assert frame["label"].tolist() == ["All"]
    _check(frame.iloc[0], _expected(_counted()))


def test_grouped_by_rep_each_rep_gets_their_own_figures(engine, people, history):
    frame = _by_rep(engine, people)

    assert sorted(frame.index) == ["ann", "bob"]
    assert frame.loc["ann", "label"] == "Ann"
    for rep in ("ann", "bob"):
        mine = [n for n, lead in _counted().items() if lead["rep"] == rep]
        _check(frame.loc[rep], _expected(_counted(mine)))


def test_friday_evening_to_monday_morning_is_ten_business_minutes(engine, people, history):
    (fact,) = passes_of(engine, history["L3"])
    lead = LEADS["L3"]

    assert fact.response_hours == pytest.approx(10 / 60)
    assert minutes(lead["mql"], lead["touches"][0][0]) == 3_850
    frame = _by_rep(engine, people)
    bob = [minutes(LEADS[n]["mql"], LEADS[n]["touches"][0][0]) for n in ("L3", "L4")]
    assert frame.loc["bob", "p95_minutes"] == pytest.approx(max(bob))
    assert frame.loc["bob", "p95_business_hours"] == pytest.approx(90 / 60)


def test_first_contact_comes_after_two_unanswered_attempts(engine, people, history):
    (fact,) = passes_of(engine, history["L2"])
    touches = LEADS["L2"]["touches"]

    assert fact.first_touch_at == at(touches[0][0])
    assert fact.first_contact_at == at(touches[2][0])
    assert fact.attempts == 3


def test_a_lead_never_touched_has_no_response_but_counts_as_not_in_time(engine, people, history):
    (fact,) = passes_of(engine, history["L5"])
    ann = _by_rep(engine, people).loc["ann"]

    assert fact.first_touch_at is None and fact.response_hours is None
    assert ann["untouched"] == 1 and ann["mqls"] == 3
    assert ann["within_60_min"] == pytest.approx(2 / 3)


def test_a_window_still_open_keeps_the_mql_out_of_that_share(engine, people, history):
    now = at(LEADS["L5"]["mql"]) + timedelta(minutes=10)  # L5 is 10 minutes old
    row = _read(engine, people, speed_to_lead, now=now).iloc[0]

    for m in (5, 15):
        old_enough = [
            n for n, lead in _counted().items() if minutes(lead["mql"], str(now)[:16]) >= m
        ]
        in_time = [
            n
            for n in old_enough
            if LEADS[n]["touches"] and minutes(LEADS[n]["mql"], LEADS[n]["touches"][0][0]) <= m
        ]
        assert row[f"within_{m}_min"] == pytest.approx(len(in_time) / len(old_enough))
    assert "L5" not in [n for n in _counted() if minutes(LEADS[n]["mql"], str(now)[:16]) >= 15]


def test_rates_by_response_band_come_from_the_teams_own_outcomes(engine, people, history):
    frame = _read(engine, people, speed_by_band)

    bounds = [0, *(upper for _, _, upper in BANDS[:-1])]
    expected = {band: [] for band, _, _ in BANDS} | {"never_touched": []}
    for lead in _counted().values():
        if not lead["touches"]:
            expected["never_touched"].append(lead)
            continue
        taken = minutes(lead["mql"], lead["touches"][0][0])
        band = next(
            (b for (b, _, upper) in BANDS if upper is not None and taken <= upper), BANDS[-1][0]
        )
        assert taken >= bounds[0]
        expected[band].append(lead)
    assert frame["band"].tolist() == list(expected)
    for row in frame.itertuples():
        leads = expected[row.band]
        stages = [{s for _, s in lead["after"]} for lead in leads]
        validated = sum(Stage.VALIDATED in s for s in stages)
        decided = sum(
            bool(s & {Stage.VALIDATED, Stage.DISQUALIFIED, Stage.REJECTED}) for s in stages
        )
        won, lost = sum(Stage.WON in s for s in stages), sum(Stage.LOST in s for s in stages)
        assert (row.mqls, row.validated, row.decided, row.won, row.lost) == (
            len(leads),
            validated,
            decided,
            won,
            lost,
        ), row.band
        assert row.validation_rate == pytest.approx(
            validated / decided if decided else math.nan, nan_ok=True
        )
        assert row.win_rate == pytest.approx(
            won / (won + lost) if won + lost else math.nan, nan_ok=True
        )


def test_a_grouping_it_does_not_know_is_refused(engine, people, history):
    with pytest.raises(InvalidInput, match="Group speed-to-lead by month, team or rep"):
        _read(engine, people, speed_to_lead, by="source", now=NOW)


def test_no_mqls_give_an_empty_table_with_every_column(engine, people):
    frame = _read(engine, people, speed_to_lead, now=NOW)

    assert frame.empty and list(frame.columns) == SPEED_COLUMNS


def test_the_fact_keeps_the_assignment_of_the_lead(engine, people, history):
    (fact,) = passes_of(engine, history["L4"])

    assert fact.assigned_at == at(LEADS["L4"]["assigned"])
