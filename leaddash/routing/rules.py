"""Routing rules an admin edits: list, add, change, delete, and where a lead would go.

A stale change is refused with who changed the rule, when, and what they changed (from the
audit rows the ORM writes for every change), like a stale save of an agreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.core.times import format_utc
from leaddash.errors import Conflict, InvalidInput, NotFound
from leaddash.models import AuditLog, RoutingRule, Team
from leaddash.routing.assign import active_rules, match_teams

PERMISSION = "edit_routing"
MAX_PRIORITY = 100_000
PLAIN_TEXT = re.compile(r"^[^\W\d_][\w .'&/-]*$")
FIELD_LABELS = {
    "priority": "priority",
    "team_id": "team",
    "segment": "segment",
    "country": "country",
    "min_employees": "minimum employees",
    "max_employees": "maximum employees",
    "is_active": "active",
}


@dataclass(frozen=True)
class RuleInput:
    """What an admin sets on a rule; None means "any" for the conditions."""

    priority: int
    team_id: int
    segment: str | None = None
    country: str | None = None
    min_employees: int | None = None
    max_employees: int | None = None
    is_active: bool = True


@dataclass(frozen=True)
class RuleRow:
    """One rule as the routing page lists it, with its plain-language description."""

    id: int
    priority: int
    team_id: int
    team: str
    segment: str | None
    country: str | None
    min_employees: int | None
    max_employees: int | None
    is_active: bool
    version: int
    description: str


def _employees_phrase(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low:,}–{high:,} employees"
    return f"{low:,}+ employees" if low is not None else f"up to {high:,} employees"


def describe_rule(rule: RoutingRule | RuleInput, team: str) -> str:
    """Return the rule in plain words, e.g. "Enterprise leads from DE → Enterprise team"."""
    subject = f"{rule.segment} leads" if rule.segment else "Leads"
    if rule.country:
        subject += f" from {rule.country}"
    if rule.min_employees is not None or rule.max_employees is not None:
        subject += f" with {_employees_phrase(rule.min_employees, rule.max_employees)}"
    if subject == "Leads":
        subject = "Every lead"
    return f"{subject} → {team} team"


def list_rules(session: Session, *, actor: Actor) -> list[RuleRow]:
    """Return every routing rule, the one that wins first (inactive ones included)."""
    authorize(session, actor, PERMISSION, "see the routing rules")
    rows = session.exec(
        select(RoutingRule, Team.name)
        .join(Team)
        .order_by(col(RoutingRule.priority), col(RoutingRule.id))
    ).all()
    return [
        RuleRow(
            r.id or 0,
            r.priority,
            r.team_id,
            name,
            r.segment,
            r.country,
            r.min_employees,
            r.max_employees,
            r.is_active,
            r.version,
            describe_rule(r, name),
        )
        for r, name in rows
    ]


def create_rule(session: Session, *, actor: Actor, rule: RuleInput) -> RoutingRule:
    """Add a routing rule and return it."""
    authorize(session, actor, PERMISSION, "change the routing rules")
    checked = check_rule(session, rule)
    act_as(session, actor, "routing_rule.create")
    row = RoutingRule(**checked.__dict__)
    session.add(row)
    session.flush()
    return row


def update_rule(
    session: Session, *, actor: Actor, rule_id: int, expected_version: int, rule: RuleInput
) -> RoutingRule:
    """Change a routing rule and return it; a change made since `expected_version` is
    refused with a Conflict naming who changed what."""
    authorize(session, actor, PERMISSION, "change the routing rules")
    row = _current(session, rule_id, expected_version)
    checked = check_rule(session, rule)
    act_as(session, actor, "routing_rule.update")
    for key, value in checked.__dict__.items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_rule(session: Session, *, actor: Actor, rule_id: int, expected_version: int) -> None:
    """Delete a routing rule (leads it routed keep their team)."""
    authorize(session, actor, PERMISSION, "change the routing rules")
    row = _current(session, rule_id, expected_version)
    act_as(session, actor, "routing_rule.delete")
    session.delete(row)
    session.flush()


def preview_team(
    session: Session,
    *,
    actor: Actor,
    segment: str | None,
    country: str | None,
    employees: int | None,
) -> str:
    """Return, in words, which team a lead with these facts would go to, and by which rule."""
    authorize(session, actor, PERMISSION, "preview routing")
    lead = pd.DataFrame(
        {"segment": [segment or None], "country": [country or None], "employees": [employees]}
    )
    rule = next((r for r in active_rules(session) if match_teams(lead, [r]).notna().iloc[0]), None)
    if rule is None:
        return (
            "No active rule matches this lead: it would stay unrouted. Add a rule that "
            "covers it, for example one with no conditions at the lowest priority."
        )
    team = session.get(Team, rule.team_id)
    name = team.name if team else "?"
    return (
        f"Goes to the {name} team, by the rule “{describe_rule(rule, name)}” "
        f"(priority {rule.priority})."
    )


# --- checks -------------------------------------------------------------------------------


def _text(value: str | None, field: str, limit: int) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit or not PLAIN_TEXT.match(text):
        raise InvalidInput(
            f"The {field} must be plain text of at most {limit} characters, "
            f"starting with a letter (for example DE or United States); "
            f"leave it empty to match any {field}.",
            field=field,
        )
    return text


def _size(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            f"The {FIELD_LABELS[field]} must be a whole number of 0 or more; "
            "leave it empty for no limit.",
            field=field,
        )
    return value


def check_rule(session: Session, rule: RuleInput) -> RuleInput:
    """Return the rule with its text trimmed, or raise InvalidInput naming the field."""
    if (
        isinstance(rule.priority, bool)
        or not isinstance(rule.priority, int)
        or not 0 <= rule.priority <= MAX_PRIORITY
    ):
        raise InvalidInput(
            f"The priority must be a whole number from 0 to {MAX_PRIORITY:,}; "
            "the matching rule with the lowest number wins.",
            field="priority",
        )
    if session.get(Team, rule.team_id) is None:
        raise InvalidInput(
            "Choose a team that exists (add teams on the Users and teams page).", field="team_id"
        )
    low = _size(rule.min_employees, "min_employees")
    high = _size(rule.max_employees, "max_employees")
    if low is not None and high is not None and low > high:
        raise InvalidInput(
            f"The minimum employees ({low:,}) is above the maximum "
            f"({high:,}): swap them or clear one.",
            field="max_employees",
        )
    return replace(
        rule,
        segment=_text(rule.segment, "segment", 40),
        country=_text(rule.country, "country", 80),
        min_employees=low,
        max_employees=high,
        is_active=bool(rule.is_active),
    )


# --- stale edits --------------------------------------------------------------------------


def _current(session: Session, rule_id: int, expected_version: int) -> RoutingRule:
    row = session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound(
            "This routing rule no longer exists: someone deleted it. Reload the "
            "page to see the current rules."
        )
    if row.version != expected_version:
        raise Conflict(_stale_message(session, row, expected_version))
    return row


def _stale_message(session: Session, row: RoutingRule, expected_version: int) -> str:
    latest = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == RoutingRule.__tablename__, AuditLog.entity_id == row.id)
        .order_by(col(AuditLog.id).desc())
        .limit(max(row.version - expected_version, 1))
    ).all()
    missed = [entry for entry in latest if entry.before]
    names = user_names(session, [a.actor_id for a in missed])
    who = sorted({names.get(a.actor_id or 0, "Someone") for a in missed}) or ["Someone"]
    when = f" on {format_utc(missed[0].occurred_at)}" if missed else ""
    changes = "; ".join(_change(session, a) for a in reversed(missed))
    what = f" ({changes})" if changes else ""
    return (
        f"{' and '.join(who)} changed this routing rule{when}, after you opened it"
        f"{what}. Nothing was saved. Reload the page to see the rule as it is now, then "
        "make your change again."
    )


def _change(session: Session, entry: AuditLog) -> str:
    before, after = entry.before or {}, entry.after or {}
    return ", ".join(
        f"{FIELD_LABELS[k]}: {_shown(session, k, before.get(k))} → {_shown(session, k, after[k])}"
        for k in FIELD_LABELS
        if k in after
    )


def _shown(session: Session, field: str, value: Any) -> str:
    if value is None:
        return "any"
    if field == "team_id":
        team = session.get(Team, value)
        return team.name if team else str(value)
    return str(value)


def team_ids(session: Session) -> dict[str, int]:
    """Return team name → id, by name (the choices of a rule's team)."""
    return {
        name: team_id
        for team_id, name in session.exec(select(Team.id, Team.name).order_by(Team.name)).all()
        if team_id is not None
    }
