"""A hand-built February of MQLs for the speed-to-lead tests (the table is in
tests/test_speed_to_lead.py's docstring), and the plain computations they compare with."""

from __future__ import annotations

import math

from sqlalchemy import Engine

from leaddash.core.actor import Actor
from leaddash.models import Stage
from tests.event_history import TOUCH, Step, add_history, at

NOW = at("2026-03-01 12:00")
CONNECTED, NO_ANSWER, VOICEMAIL = "connected", "no_answer", "voicemail"

# Per lead: rep, MQL, assignment, touches (time, outcome), deadline, business hours to
# the first touch (read off the calendar by hand), later stages, history or not.
LEADS = {
    "L1": {
        "rep": "ann",
        "mql": "2026-02-02 15:00",
        "assigned": "2026-02-02 15:00",
        "touches": [("2026-02-02 15:05", CONNECTED)],
        "due": "2026-02-02 19:00",
        "business_hours": 5 / 60,
        "after": [
            ("2026-02-02 15:30", Stage.VALIDATED),
            ("2026-02-05 15:00", Stage.SQL),
            ("2026-02-06 15:00", Stage.OPPORTUNITY),
            ("2026-02-20 15:00", Stage.WON),
        ],
    },
    "L2": {
        "rep": "ann",
        "mql": "2026-02-03 15:00",
        "assigned": "2026-02-03 15:04",
        "touches": [
            ("2026-02-03 15:12", NO_ANSWER),
            ("2026-02-03 17:00", VOICEMAIL),
            ("2026-02-04 15:00", CONNECTED),
        ],
        "due": "2026-02-03 19:00",
        "business_hours": 12 / 60,
        "after": [("2026-02-04 15:10", Stage.DISQUALIFIED)],
    },
    "L3": {
        "rep": "bob",
        "mql": "2026-02-06 21:55",
        "assigned": "2026-02-06 21:55",
        "touches": [("2026-02-09 14:05", CONNECTED)],
        "due": "2026-02-09 17:55",
        "business_hours": 10 / 60,
        "after": [
            ("2026-02-09 14:30", Stage.VALIDATED),
            ("2026-02-12 15:00", Stage.SQL),
            ("2026-02-13 15:00", Stage.LOST),
        ],
    },
    "L4": {
        "rep": "bob",
        "mql": "2026-02-10 15:00",
        "assigned": "2026-02-10 16:00",
        "touches": [("2026-02-10 16:30", NO_ANSWER)],
        "due": "2026-02-10 19:00",
        "business_hours": 90 / 60,
        "after": [("2026-02-11 15:00", Stage.RECYCLED)],
    },
    "L5": {
        "rep": "ann",
        "mql": "2026-02-11 15:00",
        "assigned": "2026-02-11 15:00",
        "touches": [],
        "due": "2026-02-11 19:00",
        "business_hours": None,
        "after": [],
    },
    "H1": {
        "rep": "ann",
        "mql": "2026-02-12 15:00",
        "assigned": "2026-02-12 15:00",
        "touches": [],
        "due": None,
        "business_hours": None,
        "after": [],
        "history": True,
    },
}
REASONS = {Stage.DISQUALIFIED: "no_fit", Stage.RECYCLED: "not_now"}


def minutes(earlier: str, later: str) -> float:
    return (at(later) - at(earlier)).total_seconds() / 60


def nearest_rank(values: list[float], percent: int) -> float:
    """The value at rank ceil(p·n/100) of the sorted values (NaN without values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[math.ceil(percent * len(ordered) / 100) - 1]


def _steps(lead: dict, rep_id: int) -> list[Step]:
    steps = [Step(lead["mql"], Stage.INQUIRY), Step(lead["mql"], Stage.MQL)]
    steps += [Step(t, TOUCH, by=rep_id, outcome=o) for t, o in lead["touches"]]
    if lead["touches"]:
        steps.append(Step(lead["touches"][0][0], Stage.ACCEPTED, by=rep_id))
    steps += [Step(t, s, reason=REASONS.get(s), by=rep_id) for t, s in lead["after"]]
    return sorted(steps, key=lambda s: at(s.when))


def add_february(engine: Engine, reps: dict[str, Actor]) -> dict[str, int]:
    """Store every lead of LEADS (owned by `reps[lead["rep"]]`) with its facts; return
    their ids by name."""
    ids = {}
    for name, lead in LEADS.items():
        rep = reps[lead["rep"]]
        ids[name] = add_history(
            engine,
            _steps(lead, rep.id),
            owner_id=rep.id,
            team_id=rep.team_id,
            assigned_at=at(lead["assigned"]),
            touch_due_at=at(lead["due"]) if lead["due"] else None,
            is_history=lead.get("history", False),
        )
    return ids
