"""Routing MQLs: the first matching rule picks the team, a fair rotation picks the rep.

A batch is routed in Python (rules as column masks, the rotation as a heap per team) and
written back with one UPDATE per (team, rep) pair and chunk of ids. The rotation gives the
next lead to the free rep with the fewest leads assigned today, then the one whose last
assignment is oldest, then the lowest id; away reps and reps at their daily cap are skipped.
A lead whose team has no free rep waits in the team queue (team set, no owner).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import and_, false, func, true, update
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.audit import record
from leaddash.core.actor import Actor
from leaddash.core.times import as_utc
from leaddash.facts.refresh import refresh_facts
from leaddash.id_sets import among, id_chunks
from leaddash.models import Lead, Role, RoutingRule, Stage, User, table_of, utcnow
from leaddash.routing.promotion import (
    LEAD_COLUMNS,
    forget_loaded_leads,
    sla_calendar,
)
from leaddash.scoring_io import read_frame

NEVER = float("-inf")


@dataclass(frozen=True)
class RouteSummary:
    """What routing did: leads given a rep, left in a team queue (no rep free), and left
    unrouted (no rule matched)."""

    routed: int = 0
    unassigned: int = 0
    unmatched: int = 0


@dataclass(frozen=True)
class RepLoad:
    """A rep who may take leads: cap, leads assigned today, last assignment (timestamp)."""

    id: int
    team_id: int
    daily_cap: int
    today: int
    last: float


def route_leads(
    session: Session,
    *,
    lead_ids: Sequence[int],
    at: datetime | None = None,
    actor: Actor | None = None,
) -> RouteSummary:
    """Return what routing the MQLs among `lead_ids` that have no owner did (one audit row)."""
    verify_actor(session, actor)
    at = at or utcnow()
    summary = assign_leads(session, lead_ids, at)
    record(
        session,
        actor=actor,
        action="lead.route",
        entity="lead",
        after={"at": at.isoformat(), "leads": len(set(lead_ids)), **summary.__dict__},
    )
    return summary


def assign_leads(session: Session, lead_ids: Sequence[int], at: datetime) -> RouteSummary:
    """Return what routing did to the unowned MQLs among `lead_ids` (no audit row: the
    caller writes one for the whole operation); their facts are refreshed, which also
    covers their promotion just before."""
    summary = _assign(session, lead_ids, at)
    refresh_facts(session, lead_ids=lead_ids)
    return summary


def _assign(session: Session, lead_ids: Sequence[int], at: datetime) -> RouteSummary:
    leads = _unowned_mqls(session, lead_ids)
    if leads.empty:
        return RouteSummary()
    matched = match_teams(leads, active_rules(session))
    teams = leads["team_id"].where(leads["team_id"].notna(), matched)
    reps = rep_loads(session, [int(t) for t in teams.dropna().unique()], at)
    owners = rotate(teams.dropna().astype(int), reps, at)
    write_owners(session, leads, teams, owners, at)
    forget_loaded_leads(session)
    return RouteSummary(
        routed=len(owners),
        unassigned=int(teams.notna().sum()) - len(owners),
        unmatched=int(teams.isna().sum()),
    )


def active_rules(session: Session) -> list[RoutingRule]:
    """Return the active routing rules, the one that wins first."""
    return list(
        session.exec(
            select(RoutingRule)
            .where(col(RoutingRule.is_active) == true())
            .order_by(col(RoutingRule.priority), col(RoutingRule.id))
        ).all()
    )


def _plain_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.casefold()


def match_teams(leads: pd.DataFrame, rules: Iterable[RoutingRule]) -> pd.Series:
    """Return the team id (NaN: no rule matched) of each lead (segment, country, employees;
    indexed like `leads`) under `rules` taken in priority order."""
    teams = pd.Series(float("nan"), index=leads.index)
    segment, country = _plain_text(leads["segment"]), _plain_text(leads["country"])
    employees = pd.to_numeric(leads["employees"], errors="coerce")
    for rule in rules:
        mask = teams.isna()
        if rule.segment:
            mask &= segment.eq(rule.segment.strip().casefold()).fillna(False)
        if rule.country:
            mask &= country.eq(rule.country.strip().casefold()).fillna(False)
        if rule.min_employees is not None:
            mask &= employees.ge(rule.min_employees).fillna(False)
        if rule.max_employees is not None:
            mask &= employees.le(rule.max_employees).fillna(False)
        teams[mask] = rule.team_id
    return teams


def day_bounds(session: Session, at: datetime) -> tuple[datetime, datetime]:
    """Return the UTC start and end of `at`'s calendar day in the active SLA's time zone
    (UTC when no SLA is active): the day a daily cap counts."""
    zone = ZoneInfo(sla_calendar(session).get("timezone") or "UTC")
    day = as_utc(at).astimezone(zone).date()
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return as_utc(start), as_utc(end)


def assigned_today(
    session: Session, rep_ids: Sequence[int], at: datetime
) -> dict[int, tuple[int, datetime | None]]:
    """Return per rep id the leads assigned on `at`'s day and the last assignment ever."""
    if not rep_ids:
        return {}
    start, end = day_bounds(session, at)
    today = and_(LEAD_COLUMNS.assigned_at >= start, LEAD_COLUMNS.assigned_at < end)
    statement = (
        select(
            LEAD_COLUMNS.owner_id, func.count().filter(today), func.max(LEAD_COLUMNS.assigned_at)
        )
        .where(LEAD_COLUMNS.owner_id.in_(list(rep_ids)))
        .group_by(LEAD_COLUMNS.owner_id)
    )
    return {owner: (count, last) for owner, count, last in session.exec(statement).all()}


def rep_loads(session: Session, team_ids: Sequence[int], at: datetime) -> list[RepLoad]:
    """Return the active, present reps of `team_ids` with what they got today."""
    if not team_ids:
        return []
    rows = session.exec(
        select(User.id, User.team_id, User.daily_cap).where(
            col(User.team_id).in_(list(team_ids)),
            User.role == Role.REP,
            col(User.is_active) == true(),
            col(User.is_away) == false(),
        )
    ).all()
    reps = [
        (rep_id, team_id, cap)
        for rep_id, team_id, cap in rows
        if rep_id is not None and team_id is not None
    ]  # always, by the where clause
    loads = assigned_today(session, [rep_id for rep_id, _, _ in reps], at)
    return [
        RepLoad(rep_id, team_id, cap, *_load(loads.get(rep_id))) for rep_id, team_id, cap in reps
    ]


def _load(found: tuple[int, datetime | None] | None) -> tuple[int, float]:
    count, last = found or (0, None)
    return count, as_utc(last).timestamp() if last is not None else NEVER


def rotate(teams: pd.Series, reps: Sequence[RepLoad], at: datetime) -> dict[int, int]:
    """Return lead id → rep id for the leads (`teams`: lead id → team id, routed in the
    order given) that a free rep of their team can take."""
    heaps: dict[int, list[tuple[int, float, int, int]]] = {}
    for rep in reps:
        if rep.today < rep.daily_cap:
            heaps.setdefault(rep.team_id, []).append((rep.today, rep.last, rep.id, rep.daily_cap))
    for heap in heaps.values():
        heapq.heapify(heap)
    owners: dict[int, int] = {}
    stamp = as_utc(at).timestamp()
    for lead_id, team_id in teams.items():
        free = heaps.get(team_id)
        if not free:
            continue
        today, _, rep_id, cap = heapq.heappop(free)
        owners[int(lead_id)] = rep_id
        if today + 1 < cap:
            heapq.heappush(free, (today + 1, stamp, rep_id, cap))
    return owners


def _unowned_mqls(session: Session, lead_ids: Sequence[int]) -> pd.DataFrame:
    columns = [
        LEAD_COLUMNS.id,
        LEAD_COLUMNS.segment,
        LEAD_COLUMNS.country,
        LEAD_COLUMNS.employees,
        LEAD_COLUMNS.team_id,
    ]
    frames = [
        read_frame(
            session,
            select(*columns).where(
                among(session, LEAD_COLUMNS.id, chunk),
                LEAD_COLUMNS.stage == Stage.MQL,
                LEAD_COLUMNS.owner_id.is_(None),
            ),
        )
        for chunk in id_chunks(lead_ids)
    ]
    if not frames:
        return pd.DataFrame(columns=[c.key for c in columns]).set_index("id")
    return pd.concat(frames).set_index("id").sort_index()


def write_owners(
    session: Session, leads: pd.DataFrame, teams: pd.Series, owners: dict[int, int], at: datetime
) -> None:
    """Write each lead's team and owner: one UPDATE per (team, owner) and chunk of ids."""
    plan = pd.DataFrame({"team": teams, "owner": pd.Series(owners, dtype="Int64")})
    moved = plan["owner"].notna() | plan["team"].ne(leads["team_id"])
    plan = plan[moved & plan["team"].notna()]
    for (team, owner), group in plan.groupby(["team", "owner"], dropna=False):
        values = {"team_id": int(team), "updated_at": at, "version": LEAD_COLUMNS.version + 1}
        if not pd.isna(owner):
            values |= {"owner_id": int(owner), "assigned_at": at}
        for chunk in id_chunks(group.index.tolist()):
            session.connection().execute(
                update(table_of(Lead))
                .values(**values)
                .where(among(session, LEAD_COLUMNS.id, chunk), LEAD_COLUMNS.owner_id.is_(None))
            )
