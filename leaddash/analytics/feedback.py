"""Feedback to marketing: why sales turns leads down, by source, campaign, clause, month.

Counted over the decided MQL passes (validated, disqualified or rejected) whose MQL month
is in the filters' range, below-threshold sample leads left out (sums of the rollups); `share` is the group's
no's for that reason ÷ the group's decisions. A reason points at the definition clause its
version's content names (`reasons: [{code, clause}]`); the few versions are read once and
joined in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import case
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from leaddash.access import verify_actor
from leaddash.analytics.filters import Filters
from leaddash.analytics.outcomes import NO_STAGES, month_label
from leaddash.analytics.rollups import source, total
from leaddash.analytics.stats import share
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import AgreementVersion, utcnow

FeedbackBy = Literal["source", "campaign", "clause", "month"]
FEEDBACK_COLUMNS = ["key", "label", "stage", "reason", "leads", "decisions", "share"]
NO_CLAUSE = "No clause"
_KEYS = {
    "source": "source",
    "campaign": "campaign",
    "month": "mql_month",
    "clause": "definition_version_id",
}
_MISSING = {"source": "Unknown source", "campaign": "No campaign"}


def reasons_by(
    session: Session, *, actor: Actor, filters: Filters, by: FeedbackBy, now: datetime | None = None
) -> pd.DataFrame:
    """Return per value of `by` each rejection and disqualification reason: leads, the
    group's decisions and the share of them turned down for that reason."""
    verify_actor(session, actor)
    if by not in _KEYS:
        raise InvalidInput(
            "Break the reasons down by source, campaign, clause or month.", field="by"
        )
    query = _outcomes(actor, filters, _KEYS[by], now)
    frame = pd.DataFrame(session.exec(query).all(), columns=["key", "stage", "reason", "leads"])
    frame = frame.astype({"leads": "int64"})
    if by == "clause":
        frame = _by_clause(session, frame)
    else:
        frame["decisions"] = frame.groupby("key", dropna=False)["leads"].transform("sum")
        frame = frame[frame["stage"] != "validated"].copy()
    frame["share"] = share(frame["leads"], frame["decisions"])
    frame["label"] = _labels(by, frame["key"])
    return frame.sort_values(["label", "leads", "reason"], ascending=[True, False, True])[
        FEEDBACK_COLUMNS
    ].reset_index(drop=True)


def _outcomes(
    actor: Actor, filters: Filters, key: str, now: datetime | None
) -> Select[Any, Any, Any, int]:
    """Return the query of the decided passes counted per key, verdict and reason, summed
    from the rollups."""
    rows = source(actor, filters, [key, "is_sample", "exit_stage", "exit_reason"], now or utcnow())
    said = rows.c.exit_stage.in_(NO_STAGES)
    stage = case((said, rows.c.exit_stage), else_="validated")
    reason = case((said, rows.c.exit_reason))
    decisions = total(rows.c.decided)
    return (
        select(rows.c[key], stage, reason, decisions)
        .where(rows.c.is_sample.is_(False))
        .group_by(rows.c[key], stage, reason)
        .having(decisions > 0)
    )


def _by_clause(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Return the no's re-keyed from definition version to the clause each reason names;
    a clause's denominator is every decision in view."""
    clause_of = _reason_clauses(session, frame["key"])
    said = frame[frame["stage"] != "validated"]
    said = said.assign(
        key=[
            clause_of.get((int(k), r), NO_CLAUSE) if pd.notna(k) else NO_CLAUSE
            for k, r in zip(said["key"], said["reason"], strict=True)
        ]
    )
    grouped = said.groupby(["key", "stage", "reason"], as_index=False)["leads"].sum()
    return grouped.assign(decisions=int(frame["leads"].sum()))


def _reason_clauses(session: Session, version_ids: pd.Series) -> dict[tuple[int, str], str]:
    """Return the clause (labelled) each (definition version, reason code) points at."""
    wanted = sorted({int(v) for v in version_ids if pd.notna(v)})
    versions = session.exec(
        select(AgreementVersion.id, AgreementVersion.content).where(
            col(AgreementVersion.id).in_(wanted)
        )
    ).all()
    return {
        (version_id, r["code"]): _clause_label(content, r["clause"])
        for version_id, content in versions
        if version_id is not None
        for r in (content or {}).get("reasons") or []
        if r.get("clause")
    }


def _clause_label(content: Mapping[str, Any], clause: str) -> str:
    """Return a clause as the review reads it: its id and its rule's label ("F2 Served
    country"), or the id alone when the version does not label it."""
    rules = [*content.get("fit_rules", []), *content.get("disqualifiers", [])]
    label = next((r.get("label") for r in rules if r.get("id") == clause), None)
    return f"{clause} {label}" if label else clause


def _labels(by: str, keys: pd.Series) -> pd.Series:
    if by == "month":
        return keys.map(month_label)
    return keys.fillna(_MISSING.get(by, NO_CLAUSE)).astype(str)
