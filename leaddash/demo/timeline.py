"""When things happen to MQLs: first touch, follow-up attempts, the decision, and the
pipeline after validation. Times are in business hours of the SLA calendar."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leaddash.demo.people import EAST, TRAITS
from leaddash.documents.sla import DEFAULT_WARNING_SHARE
from leaddash.sla import business_days_deadline, business_deadline, warning_point

NOT_YET = pd.NaT
REP_QUEUE_SIZE = 22
REP_QUEUE_DAYS = 21
AMOUNTS = {"SMB": 12_000, "Mid-Market": 38_000, "Enterprise": 140_000}
LATER = ["accepted_at", "first_touch_at", "decided_at", "sql_at", "opportunity_at", "closed_at"]


def _days(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.round(values * 86_400), unit="s")


def _planned_attempts(rng: np.random.Generator, m: pd.DataFrame, minimum: int) -> np.ndarray:
    reached = rng.choice([1, 2, 3, 4], size=len(m), p=[0.6, 0.25, 0.1, 0.05])
    persistent = (m["reason_code"] == "unable_to_reach") | (m["outcome"] == "recycled")
    planned = np.where(persistent, np.maximum(minimum, rng.integers(3, 6, len(m))), reached)
    return np.where(m["outcome"] == "rejected", 0, planned)


def _response_hours(rng: np.random.Generator, m: pd.DataFrame) -> np.ndarray:
    median = m["owner"].map(lambda r: TRAITS[r].response_hours).to_numpy(dtype=float)
    hours = rng.lognormal(np.log(median), 0.8)
    forgotten = rng.random(len(m)) < 0.03
    # Some leads are called the moment they arrive (a rep at their desk): 1 to 20 minutes.
    at_once = rng.random(len(m)) < 0.12
    hours = np.where(at_once, rng.uniform(1, 20, len(m)) / 60, hours)
    return hours + np.where(forgotten & ~at_once, rng.uniform(12, 60, len(m)), 0.0)


def _touch_rows(
    rng: np.random.Generator,
    m: pd.DataFrame,
    planned: np.ndarray,
    first: pd.Series,
    calendar: dict[str, Any],
) -> pd.DataFrame:
    key = np.repeat(m.index.to_numpy(), planned)
    nth = pd.Series(key).groupby(key).cumcount().to_numpy()
    # Slow responders also follow up slowly, so their decisions run late too.
    pace = np.sqrt(m["owner"].map(lambda r: TRAITS[r].response_hours).to_numpy(dtype=float) / 1.2)
    gap = np.where(nth == 0, 0.0, rng.uniform(3, 14, len(key)) * np.repeat(pace, planned))
    offset = pd.Series(gap).groupby(key).cumsum().to_numpy()
    when = business_deadline(pd.Series(first.loc[key].array), offset, calendar)
    channel = np.where(rng.random(len(key)) < 0.7, "call", "email")
    # A lead decided on a call (not unreachable, recycled or rejected) was reached on the
    # last attempt: that one is a connected call, the ones before it went unanswered.
    unreached = (m["reason_code"] == "unable_to_reach") | m["outcome"].isin(
        ["recycled", "rejected"]
    )
    connected = (nth == np.repeat(planned, planned) - 1) & ~unreached.loc[key].to_numpy()
    channel = np.where(connected, "call", channel)
    missed = np.where(rng.random(len(key)) < 0.6, "no_answer", "voicemail")
    emailed = np.where(rng.random(len(key)) < 0.92, "email_sent", "bounced")
    outcome = np.where(connected, "connected", np.where(channel == "call", missed, emailed))
    return pd.DataFrame(
        {
            "lead_key": key,
            "nth": nth,
            "rep": m["owner"].loc[key].to_numpy(),
            "channel": channel,
            "outcome": outcome,
            "occurred_at": when.array,
        }
    )


def plan_touches(
    rng: np.random.Generator, m: pd.DataFrame, sla: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return `m` with accepted_at, first_touch_at, decided_at, the deadlines and warning
    points (touch_ and decision_ due_at, warn_at), and the planned touches (lead_key, nth,
    rep, channel, outcome, occurred_at)."""
    calendar, sales = sla["calendar"], sla["sales"]
    planned = _planned_attempts(rng, m, int(sales["min_attempts"]))
    response = _response_hours(rng, m)
    first = business_deadline(m["mql_at"], response, calendar)
    accepted = business_deadline(m["mql_at"], response * rng.uniform(0.2, 0.9, len(m)), calendar)
    touches = _touch_rows(rng, m, planned, first, calendar)
    last = touches.groupby("lead_key")["occurred_at"].max().reindex(m.index)
    pause = pd.to_timedelta(rng.integers(5, 40, len(m)), unit="min")
    rejected = (m["outcome"] == "rejected").to_numpy()
    reject_at = business_deadline(m["mql_at"], rng.uniform(0.1, 3, len(m)), calendar)
    touch_due = business_deadline(m["mql_at"], sales["first_touch_hours"], calendar)
    decision_due = business_days_deadline(m["mql_at"], int(sales["decision_days"]), calendar)
    share = float(sales.get("warning_share") or DEFAULT_WARNING_SHARE)
    return m.assign(
        touch_due_at=touch_due,
        decision_due_at=decision_due,
        touch_warn_at=warning_point(m["mql_at"], touch_due, share, calendar),
        decision_warn_at=warning_point(m["mql_at"], decision_due, share, calendar),
        accepted_at=accepted.where(~rejected, NOT_YET),
        first_touch_at=first.where(~rejected, NOT_YET),
        decided_at=(last + pause).where(~rejected, reject_at),
    ), touches


def plan_pipeline(rng: np.random.Generator, m: pd.DataFrame) -> pd.DataFrame:
    """Return `m` with sql_at, opportunity_at, closed_at, won and amount: about half the
    validated leads become SQLs, most of those opportunities, and a quarter of these win."""
    size = len(m)
    to_sql = (m["outcome"] == "validated").to_numpy() & (rng.random(size) < 0.5)
    to_opp = to_sql & (rng.random(size) < 0.85)
    p_won = np.clip(0.25 * m["quality"].to_numpy() / 0.7, 0.05, 0.5)
    won = to_opp & (rng.random(size) < p_won)
    sql_at = m["decided_at"] + _days(rng.uniform(2, 15, size))
    opp_at = sql_at + _days(rng.uniform(1, 10, size))
    closed_at = opp_at + _days(rng.uniform(15, 70, size))
    median = m["segment"].map(AMOUNTS).to_numpy(dtype=float)
    amount = np.round(rng.lognormal(np.log(median), 0.45) / 100) * 100
    return m.assign(
        sql_at=sql_at.where(to_sql, NOT_YET),
        opportunity_at=opp_at.where(to_opp),
        closed_at=closed_at.where(to_opp),
        won=won,
        amount=np.where(won, amount, np.nan),
    )


def hold_rep_queue(
    m: pd.DataFrame, touches: pd.DataFrame, now: pd.Timestamp, rep: str = "rep"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give `rep` the team's most recent MQLs and leave them open: the oldest and newest
    untouched (so some are overdue and some due soon), the middle touched once."""
    since = now - pd.Timedelta(days=REP_QUEUE_DAYS)
    recent = m.index[(m["team"] == EAST) & m["mql_at"].between(since, now)]
    held = m.loc[recent].sort_values("mql_at").index[-REP_QUEUE_SIZE:]
    rank = np.arange(len(held)) / max(len(held), 1)
    untouched = held[(rank < 0.4) | (rank >= 0.75)]
    m = m.copy()
    m.loc[held, "owner"] = rep
    m.loc[held, LATER[2:]] = NOT_YET
    m.loc[held, "won"] = False
    m.loc[held, "amount"] = np.nan
    m.loc[untouched, LATER[:2]] = NOT_YET
    keep = ~touches["lead_key"].isin(held) | (
        ~touches["lead_key"].isin(untouched) & (touches["nth"] == 0)
    )
    touches = touches[keep].copy()
    touches.loc[touches["lead_key"].isin(held), "rep"] = rep
    return m, touches
