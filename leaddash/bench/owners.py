"""Teams, reps and owners for the benchmark's leads, so queue pages have realistic queues.

TEAMS × REPS_PER_TEAM reps share the qualified leads round-robin: every decided lead has
an owner (a year of history each), and each rep holds QUEUE_SIZE open leads (mql or
accepted); open leads beyond that wait unassigned in their team's queue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session

from leaddash.auth import hash_password
from leaddash.core.bulk import insert_returning_ids
from leaddash.models import Role, Team, User

TEAMS = 10
REPS_PER_TEAM = 40
QUEUE_SIZE = 30
BENCH_PASSWORD = "leaddash-bench"


def queue_rep_username(number: int = 0) -> str:
    """Return the username of bench rep `number` (rep 0 holds a full queue)."""
    return f"bench-rep-{number}"


def write_reps(session: Session, created: pd.Timestamp) -> pd.DataFrame:
    """Insert the teams and reps; return the reps' ids and team ids, rep 0 first."""
    team_ids = insert_returning_ids(
        session,
        Team,
        [
            {"name": f"Bench team {t + 1}", "created_at": created, "version": 1}
            for t in range(TEAMS)
        ],
    )
    secret = hash_password(BENCH_PASSWORD)
    rows = [
        {
            "username": queue_rep_username(n),
            "name": f"Bench Rep {n}",
            "role": Role.REP,
            "team_id": team_ids[n % TEAMS],
            "password_hash": secret,
            "created_at": created,
            "is_active": True,
            "is_away": False,
            "daily_cap": 25,
            "version": 1,
        }
        for n in range(TEAMS * REPS_PER_TEAM)
    ]
    rep_ids = insert_returning_ids(session, User, rows)
    return pd.DataFrame({"id": rep_ids, "team_id": [r["team_id"] for r in rows]})


def with_owners(frame: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Return the leads with owner, team, SLA deadlines and warning points (75% of each
    window, on the wall clock) and (accepted leads) a first touch."""
    qualified = frame["mql_at"].notna().to_numpy()
    opened = frame["stage"].isin(["mql", "accepted"]).to_numpy()
    rank = np.where(opened, np.cumsum(opened) - 1, np.arange(len(frame)))
    rep = rank % len(reps)
    owned = qualified & (~opened | (rank < QUEUE_SIZE * len(reps)))
    mql = frame["mql_at"]
    accepted = (frame["stage"] == "accepted").to_numpy()
    touched = mql + pd.Timedelta(hours=1)
    return frame.assign(
        owner_id=pd.array(np.where(owned, reps["id"].to_numpy()[rep], None), dtype="Int64"),
        team_id=pd.array(np.where(qualified, reps["team_id"].to_numpy()[rep], None), dtype="Int64"),
        assigned_at=mql.where(owned),
        touch_due_at=mql + pd.Timedelta(hours=4),
        decision_due_at=mql + pd.Timedelta(days=5),
        touch_warn_at=mql + pd.Timedelta(hours=3),
        decision_warn_at=mql + pd.Timedelta(days=3.75),
        accepted_at=touched.where(accepted),
        first_touch_at=touched.where(accepted),
        attempts=accepted.astype(int),
    )
