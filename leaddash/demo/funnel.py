"""The demo funnel: which leads qualify under the definition in force, who gets them,
and what sales decides (with the biases the dashboards should reveal)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leaddash.definitions import (
    engagement_points,
    evaluate_fit,
    sample_below_threshold,
    score_leads,
)
from leaddash.demo.leads import REJECTING_SOURCE
from leaddash.demo.people import (
    EAST,
    EAST_COUNTRIES,
    ENTERPRISE,
    TRAITS,
    WEST,
    reps_by_team,
)

REJECT_REASONS = {"misrouted": 0.35, "bad_data": 0.35, "outside_definition": 0.30}
SYNDICATED_REJECT_REASONS = {"bad_data": 0.5, "outside_definition": 0.4, "misrouted": 0.1}
DISQUALIFY_REASONS = {
    "no_need": 0.30,
    "unable_to_reach": 0.24,
    "no_fit": 0.22,
    "existing_customer": 0.08,
    "student_job_seeker": 0.06,
    "competitor": 0.10,
}
SYNDICATED_DISQUALIFY_REASONS = {
    "no_fit": 0.42,
    "student_job_seeker": 0.33,
    "no_need": 0.10,
    "unable_to_reach": 0.15,
}
MISFIT_DISQUALIFY_REASONS = {"no_fit": 0.7, "no_need": 0.15, "unable_to_reach": 0.15}
RECYCLE_REASONS = {"not_now": 0.6, "nurture": 0.4}


def definition_version(created_at: pd.Series, boundaries: list[pd.Timestamp]) -> np.ndarray:
    """Return the number (1, 2, 3 …) of the definition in force when each lead arrived."""
    starts = pd.DatetimeIndex(boundaries[1:]).as_unit("ns").asi8
    arrived = pd.DatetimeIndex(created_at).as_unit("ns").asi8
    return np.searchsorted(starts, arrived, side="right") + 1


def _first_crossing(acts: pd.DataFrame, candidates: pd.Index, content: dict[str, Any]) -> pd.Series:
    """Return, per lead that ever qualifies, the time of the activity that first lifts its
    score to the threshold (scores only fall between activities, so checking at each
    activity is exact). One vectorized pass per activity rank, not per lead."""
    acts = acts[acts["lead_id"].isin(candidates)].sort_values(["lead_id", "occurred_at"])
    rank = acts.groupby("lead_id").cumcount()
    crossed: list[pd.Series] = []
    for nth in range(int(rank.max()) + 1 if len(acts) else 0):
        at = acts.loc[rank == nth].set_index("lead_id")["occurred_at"]
        at = at[at.index.isin(candidates)]
        if at.empty:
            break
        mine = acts[acts["lead_id"].isin(at.index)]
        points = engagement_points(mine, content, at, at.index).sum(axis=1)
        hit = points.index[points >= float(content["threshold"])]
        crossed.append(at.loc[hit])
        candidates = candidates.difference(hit)
    return pd.concat(crossed) if crossed else pd.Series(dtype="datetime64[ns, UTC]")


def score_by_version(
    rng: np.random.Generator,
    leads: pd.DataFrame,
    activities: pd.DataFrame,
    contents: list[dict[str, Any]],
    version: np.ndarray,
) -> pd.DataFrame:
    """Return score, fit_ok, failed_clause, is_mql, is_sample, scored_at and threshold per
    lead under its own definition version: MQLs scored when they first qualified, the
    rest at their last activity."""
    acts = activities.rename(columns={"lead_key": "lead_id"})
    last = acts.groupby("lead_id")["occurred_at"].max().reindex(leads.index)
    last = last.fillna(leads["created_at"])
    parts = []
    for number, content in enumerate(contents, start=1):
        keys = leads.index[version == number]
        mine = acts[acts["lead_id"].isin(keys)]
        fits = evaluate_fit(leads.loc[keys], content)
        crossed = _first_crossing(mine, fits.index[fits["fit_ok"]], content)
        scored_at = last.loc[keys].where(~keys.isin(crossed.index), crossed.reindex(keys))
        scored = score_leads(leads.loc[keys], mine, content, scored_at)
        scored["is_sample"] = sample_below_threshold(scored, content, rng)
        parts.append(scored.assign(threshold=float(content["threshold"]), scored_at=scored_at))
    columns = ["score", "fit_ok", "failed_clause", "is_mql", "is_sample", "threshold", "scored_at"]
    return pd.concat(parts)[columns].reindex(leads.index).assign(version=version)


def route(leads: pd.DataFrame) -> pd.Series:
    """Return the team each lead goes to (the same answer as the demo's routing rules)."""
    east = leads["country"].isin(EAST_COUNTRIES)
    team = np.where(leads["segment"] == "Enterprise", ENTERPRISE, np.where(east, EAST, WEST))
    return pd.Series(team, index=leads.index, dtype=object)


def assign_owners(rng: np.random.Generator, team: pd.Series) -> pd.Series:
    """Return a rep per lead, drawn within the lead's team by each rep's share."""
    owner = pd.Series(None, index=team.index, dtype=object)
    for name, reps in reps_by_team().items():
        mask = (team == name).to_numpy()
        share = np.array([TRAITS[r].share for r in reps])
        owner[mask] = np.array(reps, dtype=object)[
            rng.choice(len(reps), size=mask.sum(), p=share / share.sum())
        ]
    return owner


def _draw(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()))
    return names[rng.choice(len(names), size=size, p=p / p.sum())]


def _validation_odds(m: pd.DataFrame) -> np.ndarray:
    leniency = m["owner"].map(lambda r: TRAITS[r].leniency).to_numpy(dtype=float)
    over = (m["score"] - m["threshold"]).to_numpy()
    score_factor = 0.8 + 0.4 / (1 + np.exp(-over / 12))
    odds = m["quality"].to_numpy() * leniency * score_factor
    odds *= np.where(m["is_sample"], 0.8, 1.0) * np.where(m["fits_now"], 1.0, 0.45)
    odds *= np.where(m["customer"], 0.1, 1.0)
    return np.clip(odds, 0.02, 0.97)


def _reasons(rng: np.random.Generator, m: pd.DataFrame, outcome: np.ndarray) -> np.ndarray:
    syndicated = (m["source"] == REJECTING_SOURCE).to_numpy()
    misfit = ~m["fits_now"].to_numpy()
    size = len(m)
    disq = np.where(
        syndicated,
        _draw(rng, SYNDICATED_DISQUALIFY_REASONS, size),
        _draw(rng, DISQUALIFY_REASONS, size),
    )
    disq = np.where(misfit, _draw(rng, MISFIT_DISQUALIFY_REASONS, size), disq)
    disq = np.where(m["customer"].to_numpy(), "existing_customer", disq)
    reject = np.where(
        syndicated, _draw(rng, SYNDICATED_REJECT_REASONS, size), _draw(rng, REJECT_REASONS, size)
    )
    # numpy's stubs refuse None as a choice; at run time it makes an object array.
    reason = np.where(outcome == "rejected", reject, None)  # type: ignore[call-overload]
    reason = np.where(outcome == "disqualified", disq, reason)
    return np.where(outcome == "recycled", _draw(rng, RECYCLE_REASONS, size), reason)


def decide(rng: np.random.Generator, m: pd.DataFrame, current: dict[str, Any]) -> pd.DataFrame:
    """Return `m` with fits_now (fit under the `current` definition), outcome (rejected,
    validated, disqualified or recycled) and reason_code for each MQL."""
    m = m.assign(
        fits_now=evaluate_fit(m, current)["fit_ok"].to_numpy(),
        customer=m["custom"].map(lambda c: bool(c.get("customer"))),
    )
    syndicated = (m["source"] == REJECTING_SOURCE).to_numpy()
    p_reject = np.where(~m["fits_now"], 0.15, np.where(syndicated, 0.14, 0.05))
    rejected = rng.random(len(m)) < p_reject
    validated = ~rejected & (rng.random(len(m)) < _validation_odds(m))
    recycled = ~rejected & ~validated & (rng.random(len(m)) < 0.15)
    outcome = np.select(
        [rejected, validated, recycled], ["rejected", "validated", "recycled"], "disqualified"
    ).astype(object)
    return m.assign(outcome=outcome, reason_code=_reasons(rng, m, outcome))
