"""SLA compliance: the two-sided scorecard and the breaches behind each of its numbers.

Counted over the MQL passes whose MQL month is in the filters' range: sums of the rollups
(leaddash.analytics.rollups, corrected at `now`); the response median reads LeadPass.
Marketing owns MQL volume and validation rate (below-threshold sample leads
left out: they are not MQLs of the definition); sales owns first touch, decision, attempts,
response time and feedback (sample leads included: reps still owe them a call). A deadline
is "passed" at `now`, so leads still inside their window are in no denominator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import and_, or_
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session, select

from leaddash.access import verify_actor
from leaddash.agreements import active_version
from leaddash.analytics.filters import PASSES, Filters
from leaddash.analytics.outcomes import month_label, names_of
from leaddash.analytics.responses import response_medians
from leaddash.analytics.rollups import source, total
from leaddash.analytics.stats import share
from leaddash.auth import DASHBOARDS, team_scope
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import AgreementKind, Reason, Stage, Team, User, utcnow
from leaddash.reasons import DEFAULT_REASONS
from leaddash.sla import default_sla_content

Grouping = Literal["month", "team", "rep"]
SCORECARD_COLUMNS = [
    "key",
    "label",
    "side",
    "metric",
    "numerator",
    "denominator",
    "value",
    "target",
    "met",
]
VOLUME_COLUMNS = ["month", "label", "segment", "mqls", "target", "met"]
ALL_SEGMENTS = "All segments"
MARKETING, SALES = "marketing", "sales"
# (metric, side, numerator column, denominator column), in the scorecard's order.
RATIOS = (
    ("validation_rate", MARKETING, "validated", "decided"),
    ("first_touch", SALES, "touched_in_time", "touch_due"),
    ("decision", SALES, "decided_in_time", "decision_due"),
    ("attempts", SALES, "enough_attempts", "closed_unreached"),
    ("feedback_rate", SALES, "decided_of_due", "decision_due"),
)
_GROUP_KEYS = {"month": "mql_month", "team": "team_id", "rep": "owner_id"}


def sla_terms(session: Session) -> dict[str, Any]:
    """Return the active SLA's terms (the starting SLA before any is active)."""
    sla = active_version(session, AgreementKind.SLA)
    return sla.content if sla is not None else default_sla_content()


def _unreached_codes(session: Session) -> list[str]:
    codes = session.exec(select(Reason.code).where(Reason.needs_min_attempts)).all()
    return list(codes) or [r.code for r in DEFAULT_REASONS if r.needs_min_attempts]


def closed_unreached(session: Session, columns: Any = PASSES) -> ColumnElement[bool]:
    """Return "the pass was closed without reaching the lead" (recycled, or disqualified
    for a reason that needs the minimum attempts), on LeadPass or a rollup source."""
    unreached = and_(
        columns.exit_stage == Stage.DISQUALIFIED.value,
        columns.exit_reason.in_(_unreached_codes(session)),
    )
    return or_(columns.exit_stage == Stage.RECYCLED.value, unreached)


def _sla_counts(session: Session, rows: Subquery) -> dict[str, Any]:
    """Return the named counts every scorecard group needs, as sums of the source's
    measures (marketing's leave the below-threshold sample leads out)."""
    marketing, closed = rows.c.is_sample.is_(False), closed_unreached(session, rows.c)
    sums = {
        name: total(rows.c[name])
        for name in (
            "touch_due",
            "touched_in_time",
            "decision_due",
            "decided_in_time",
            "decided_of_due",
        )
    }
    return {
        "mqls": total(rows.c.mqls, marketing),
        "validated": total(rows.c.validated, marketing),
        "decided": total(rows.c.decided, marketing),
        **sums,
        "closed_unreached": total(rows.c.mqls, closed),
        "enough_attempts": total(rows.c.enough_attempts, closed),
    }


def _grouped_counts(
    session: Session, by: Grouping, actor: Actor, filters: Filters, now: datetime, min_attempts: int
) -> pd.DataFrame:
    """Return the scorecard's counts per group, summed from the rollups."""
    rows = source(
        actor,
        filters,
        [_GROUP_KEYS[by], "is_sample", "exit_stage", "exit_reason"],
        now,
        min_attempts,
    )
    key = rows.c[_GROUP_KEYS[by]]
    counts = _sla_counts(session, rows)
    query = (
        select(key.label("key"), *(c.label(n) for n, c in counts.items()))
        .group_by(key)
        .order_by(key)
    )
    frame = pd.DataFrame(session.exec(query).all(), columns=["key", *counts])
    return frame.astype(dict.fromkeys(counts, "int64"))


def _labels(session: Session, by: Grouping, keys: pd.Series) -> pd.Series:
    if by == "month":
        return keys.map(month_label)
    named = names_of(session, Team if by == "team" else User, keys)
    missing = "No team" if by == "team" else "Unassigned"
    return keys.map(lambda k: named.get(int(k), missing) if pd.notna(k) else missing)


def scorecard(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping = "month",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Return one row per group (MQL month, team or rep) and SLA metric: its side,
    numerator, denominator, value, target and whether the target was met (NA while
    nothing is due or the month is still running)."""
    verify_actor(session, actor)
    if by not in _GROUP_KEYS:
        raise InvalidInput("Group the scorecard by month, team or rep.", field="by")
    now, terms = now or utcnow(), sla_terms(session)
    counts = _grouped_counts(session, by, actor, filters, now, int(terms["sales"]["min_attempts"]))
    counts["label"] = _labels(session, by, counts["key"])
    response = response_medians(session, actor=actor, filters=filters, key=_GROUP_KEYS[by])
    counts["response"] = counts["key"].map(response["median"])
    counts["responded"] = counts["key"].map(response["n"]).fillna(0).astype("int64")
    signed = _signed(session)
    rows = [*_ratio_rows(counts, terms, signed), _response_rows(counts, terms, signed)]
    if by == "month":
        rows.insert(0, _volume_rows(session, actor, filters, now, terms))
    return _ordered(pd.concat([r for r in rows if not r.empty] or [_empty()], ignore_index=True))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SCORECARD_COLUMNS})


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(["mql_volume", *(r[0] for r in RATIOS), "response"])}
    frame = frame.assign(_order=frame["metric"].map(order))
    frame = frame.sort_values(["key", "_order"], kind="stable", na_position="last")
    frame["met"] = frame["met"].astype("boolean")
    return frame[SCORECARD_COLUMNS].reset_index(drop=True)


def _signed(session: Session) -> bool:
    """Return True when an SLA is in force: before one is signed, nobody agreed to any
    target, so no figure is judged against one."""
    return active_version(session, AgreementKind.SLA) is not None


def _ratio_rows(counts: pd.DataFrame, terms: dict[str, Any], signed: bool) -> list[pd.DataFrame]:
    targets = {"validation_rate": float(terms["marketing"]["validation_rate_target"])}
    rows = []
    for metric, side, numerator, denominator in RATIOS:
        value = share(counts[numerator], counts[denominator])
        # The SLA promises every MQL, not a share.
        target = targets.get(metric, 1.0) if signed else float("nan")
        rows.append(
            pd.DataFrame(
                {
                    "key": counts["key"],
                    "label": counts["label"],
                    "side": side,
                    "metric": metric,
                    "numerator": counts[numerator],
                    "denominator": counts[denominator],
                    "value": value,
                    "target": target,
                    "met": (value >= target - 1e-9).where(value.notna() & signed),
                }
            )
        )
    return rows


def _response_rows(counts: pd.DataFrame, terms: dict[str, Any], signed: bool) -> pd.DataFrame:
    target = float(terms["sales"]["first_touch_hours"]) if signed else float("nan")
    value = counts["response"].astype(float)
    return pd.DataFrame(
        {
            "key": counts["key"],
            "label": counts["label"],
            "side": SALES,
            "metric": "response",
            "numerator": pd.NA,
            "denominator": counts["responded"],
            "value": value,
            "target": target,
            "met": (value <= target).where(value.notna() & signed),
        }
    )


def _volume_rows(
    session: Session, actor: Actor, filters: Filters, now: datetime, terms: dict[str, Any]
) -> pd.DataFrame:
    volume = volume_vs_target(session, actor=actor, filters=filters, now=now)
    volume = volume[volume["segment"] == (filters.segment or ALL_SEGMENTS)]
    return pd.DataFrame(
        {
            "key": volume["month"],
            "label": volume["label"],
            "side": MARKETING,
            "metric": "mql_volume",
            "numerator": volume["mqls"],
            "denominator": pd.NA,
            "value": volume["mqls"].astype(float),
            "target": volume["target"],
            "met": volume["met"],
        }
    )


def volume_vs_target(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> pd.DataFrame:
    """Return the MQLs per month, all segments and each segment with a target, against the
    active SLA's targets; met is NA for the running month and where no target applies."""
    verify_actor(session, actor)
    now, terms = now or utcnow(), sla_terms(session)
    rows = source(actor, filters, ["mql_month", "segment", "is_sample"], now)
    month, segment = rows.c.mql_month, rows.c.segment
    query = (
        select(month, segment, total(rows.c.mqls))
        .where(rows.c.is_sample.is_(False))
        .group_by(month, segment)
        .having(total(rows.c.mqls) > 0)
    )
    found = pd.DataFrame(session.exec(query).all(), columns=["month", "segment", "mqls"])
    targets = _volume_targets(actor, filters, terms if _signed(session) else None)
    volumes = [_segment_volume(found, seg, target) for seg, target in targets.items()]
    frame = pd.concat(
        [v for v in volumes if not v.empty] or [pd.DataFrame(columns=VOLUME_COLUMNS)],
        ignore_index=True,
    )
    frame["label"] = frame["month"].map(month_label)
    running = frame["month"] == _month_key(now, terms)
    frame["met"] = (
        (frame["mqls"] >= frame["target"])
        .where(frame["target"].notna() & ~running)
        .astype("boolean")
    )
    return frame.sort_values(["month", "segment"]).reset_index(drop=True)[VOLUME_COLUMNS]


def _volume_targets(
    actor: Actor, filters: Filters, terms: dict[str, Any] | None
) -> dict[str, float]:
    """Return the target per segment row (ALL_SEGMENTS: the total; NaN: none). The
    targets are the whole company's, so a view narrowed to a team, rep, source, campaign
    or definition version has none; without signed `terms`, no row has one."""
    if terms is None:
        return {filters.segment or ALL_SEGMENTS: float("nan")}
    narrowed = team_scope(actor, DASHBOARDS) is not None or any(
        value is not None
        for value in (
            filters.team_id,
            filters.owner_id,
            filters.source,
            filters.campaign,
            filters.definition_version_id,
        )
    )
    marketing = terms["marketing"]
    by_segment = marketing.get("mql_target_by_segment") or {}
    if filters.segment is not None:
        wanted = {filters.segment: by_segment.get(filters.segment)}
    else:
        wanted = {ALL_SEGMENTS: marketing["mql_target_per_month"], **by_segment}
    return {
        seg: float("nan") if narrowed or target is None else float(target)
        for seg, target in wanted.items()
    }


def _segment_volume(found: pd.DataFrame, segment: str, target: float) -> pd.DataFrame:
    rows = found if segment == ALL_SEGMENTS else found[found["segment"] == segment]
    per_month = rows.groupby("month")["mqls"].sum()
    months = pd.Index(found["month"].unique(), name="month")
    mqls = per_month.reindex(months, fill_value=0).astype("int64")
    return pd.DataFrame(
        {"month": months, "segment": segment, "mqls": mqls.to_numpy(), "target": target}
    )


def _month_key(now: datetime, terms: dict[str, Any]) -> int:
    local = now.astimezone(ZoneInfo(terms.get("calendar", {}).get("timezone") or "UTC"))
    return local.year * 100 + local.month
