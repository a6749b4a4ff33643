"""Writes a DemoPlan with Core bulk inserts, in chunks, inside the caller's transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from leaddash.core.bulk import insert_returning_ids, insert_rows, records
from leaddash.demo.agreements import AgreementPlan
from leaddash.demo.people import TEAMS, all_users, routing_rules
from leaddash.demo.plan import DemoPlan
from leaddash.models import (
    Activity,
    AgreementKind,
    AgreementVersion,
    Comment,
    Lead,
    RoutingRule,
    Signature,
    StageEvent,
    Team,
    Touch,
    User,
)
from leaddash.reasons import ensure_default_reasons


def write_people(session: Session, plan: DemoPlan, password_hash: str) -> dict[str, dict]:
    """Write teams, users (all sharing one password hash) and routing rules; return
    {"team": name → id, "user": username → id}."""
    since = plan.start.to_pydatetime()
    team_ids = insert_returning_ids(
        session, Team, [{"name": t, "created_at": since, "version": 1} for t in TEAMS]
    )
    teams: dict[str | None, int] = dict(zip(TEAMS, team_ids, strict=True))
    users = [
        {
            "username": u.username,
            "name": u.name,
            "email": u.email,
            "role": str(u.role),
            "team_id": teams.get(u.team),
            "password_hash": password_hash,
            "is_active": True,
            "is_away": False,
            "daily_cap": 25,
            "created_at": since,
            "version": 1,
        }
        for u in all_users()
    ]
    user_ids = insert_returning_ids(session, User, users)
    rules = [
        {
            "priority": r["priority"],
            "segment": r["segment"],
            "country": r["country"],
            "team_id": teams[str(r["team"])],
            "is_active": True,
            "version": 1,
        }
        for r in routing_rules()
    ]
    insert_rows(session, RoutingRule, rules)
    return {
        "team": teams,
        "user": dict(zip((u.username for u in all_users()), user_ids, strict=True)),
    }


def _agreement_row(
    a: AgreementPlan, users: dict[str, int], based_on: int | None, plan: DemoPlan
) -> dict[str, Any]:
    proposed = a.effective_from - timedelta(days=7)
    review_days = 90 if a.kind == AgreementKind.DEFINITION else 30
    review = max(a.effective_from, plan.now.to_pydatetime()) + timedelta(days=review_days)
    return {
        "kind": str(a.kind),
        "number": a.number,
        "title": a.title,
        "status": str(a.status),
        "content": a.content,
        "summary": a.summary,
        "based_on_id": based_on,
        "author_id": users[a.author],
        "created_at": a.effective_from - timedelta(days=14),
        "updated_by_id": users[a.author],
        "updated_at": proposed,
        "proposed_at": proposed,
        "effective_from": a.effective_from,
        "effective_to": a.effective_to,
        "next_review_on": (review if a.effective_to is None else a.effective_to).date(),
        "version": 1,
    }


def write_agreements(session: Session, plan: DemoPlan, users: dict[str, int]) -> dict[int, int]:
    """Write the agreement versions with signatures and comments; return definition
    version number → id."""
    ids: dict[tuple[str, int], int] = {}
    signatures, comments = [], []
    for a in plan.agreements:
        previous = ids.get((str(a.kind), a.number - 1))
        row = _agreement_row(a, users, previous, plan)
        ids[(str(a.kind), a.number)] = new_id = insert_returning_ids(
            session, AgreementVersion, [row]
        )[0]
        signatures += [
            {
                "agreement_id": new_id,
                "side": str(side),
                "user_id": users[who],
                "signed_at": at,
                "withdrawn_at": None,
            }
            for side, who, at in a.signatures()
        ]
        comments += [
            {
                "agreement_id": new_id,
                "author_id": users[who],
                "body": body,
                "created_at": a.effective_from - timedelta(days=10 - 2 * i),
            }
            for i, (who, body) in enumerate(a.comments)
        ]
    insert_rows(session, Signature, signatures)
    insert_rows(session, Comment, comments)
    return {n: i for (kind, n), i in ids.items() if kind == AgreementKind.DEFINITION}


def _assigned_at(leads: pd.DataFrame) -> pd.Series:
    """Return when each owned lead got its rep: routed at its MQL time, except every third
    one, which waited in the team queue until a rep took it (when accepted)."""
    waited = (leads.index.to_series() % 3 == 0) & leads["accepted_at"].notna()
    routed = leads["accepted_at"].where(waited, leads["mql_at"])
    return routed.where(leads["owner"].notna())


def _lead_frame(plan: DemoPlan, ids: dict[str, dict]) -> pd.DataFrame:
    leads = plan.leads.assign(
        owner_id=plan.leads["owner"].map(ids["user"]),
        team_id=plan.leads["team"].map(ids["team"]),
        definition_version_id=plan.leads["definition_version"].map(ids["definition"]),
        updated_at=plan.leads["stage_changed_at"],
        version=1,
        assigned_at=_assigned_at(plan.leads),
    )
    leads["owner_id"] = leads["owner_id"].astype("Int64")
    leads["team_id"] = leads["team_id"].astype("Int64")
    return leads.drop(columns=["owner", "team", "definition_version"])


def write_leads(session: Session, plan: DemoPlan, ids: dict[str, dict]) -> None:
    """Write leads, then their activities, touches and stage events (by new lead id)."""
    lead_ids = pd.Series(
        insert_returning_ids(session, Lead, records(_lead_frame(plan, ids))), index=plan.leads.index
    )
    activities = plan.activities.assign(lead_id=plan.activities["lead_key"].map(lead_ids))
    insert_rows(
        session, Activity, records(activities[["lead_id", "type", "occurred_at", "detail"]])
    )
    touches = plan.touches.assign(
        lead_id=plan.touches["lead_key"].map(lead_ids),
        rep_id=plan.touches["rep"].map(ids["user"]),
        note=None,
    )
    insert_rows(
        session,
        Touch,
        records(touches[["lead_id", "rep_id", "channel", "outcome", "occurred_at", "note"]]),
    )
    events = plan.events.assign(
        lead_id=plan.events["lead_key"].map(lead_ids),
        actor_id=plan.events["actor"].map(ids["user"]).astype("Int64"),
        definition_version_id=plan.events["lead_key"].map(
            plan.leads["definition_version"].map(ids["definition"])
        ),
    )
    columns = [
        "lead_id",
        "from_stage",
        "to_stage",
        "occurred_at",
        "actor_id",
        "reason_code",
        "note",
        "definition_version_id",
    ]
    insert_rows(session, StageEvent, records(events[columns]))


def write_plan(session: Session, plan: DemoPlan, password_hash: str) -> None:
    """Write the whole plan: reasons, people, agreements, leads and their history."""
    ensure_default_reasons(session)
    ids = write_people(session, plan, password_hash)
    ids["definition"] = write_agreements(session, plan, ids["user"])
    write_leads(session, plan, ids)
