"""Importing post-sales outcomes from the CRM: a lead reached sql, opportunity, won or lost.

Each new outcome moves the lead's stage and writes its stage event (from the stage the
lead had), in date order per lead. An outcome the lead already has a stage event for is
not written again, so a re-import changes nothing; only a changed amount is updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, update
from sqlalchemy.sql import Update
from sqlmodel import Session, select

from leaddash.analytics.facts import refresh_facts
from leaddash.audit import Actor
from leaddash.auth import require
from leaddash.imports.checks import Checker
from leaddash.imports.lookup import chunked, leads_of_rows
from leaddash.imports.mapping import Mapping, mapping_for
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult, write_batch
from leaddash.models import Lead, Stage, StageEvent, utcnow
from leaddash.scoring_io import EVENTS, LEADS

OUTCOMES = (Stage.SQL, Stage.OPPORTUNITY, Stage.WON, Stage.LOST)


@dataclass
class OutcomePlan:
    """Stage events to write and the lead rows (stage, moment, amount) they leave."""

    events: list[dict[str, Any]]
    leads: dict[int, dict[str, Any]]
    unchanged: int = 0


def import_outcomes(
    session: Session, *, actor: Actor, table: Table, mapping: Mapping | None = None,
    dry_run: bool = False, skip_bad_rows: bool = False, at: datetime | None = None,
) -> ImportResult:
    """Return what importing the outcomes of `table` did: nothing when any row is bad
    (unless `skip_bad_rows`) or on a dry run, else the new stages with their events."""
    require(actor, "import_leads", "import outcomes")
    at = at or utcnow()
    mapping = mapping_for(table.columns, mapping, "outcomes")
    rows, check, stored = checked_outcomes(session, table, mapping)
    bad = check.bad_index()
    good = rows.drop(index=bad)
    plan = plan_outcomes(session, good, stored, actor)
    result = ImportResult.checked(
        "outcomes", table.filename, len(rows), check.problems, dry_run=dry_run,
        skip_bad_rows=skip_bad_rows, created=len(plan.events),
        updated=len(good) - len(plan.events) - plan.unchanged, unchanged=plan.unchanged)
    if dry_run or result.refused or not plan.leads:
        return result
    _write(session, plan, at)
    refresh_facts(session, lead_ids=list(plan.leads))
    return write_batch(session, actor=actor, at=at, result=result)


def checked_outcomes(session: Session, table: Table,
                     mapping: Mapping) -> tuple[pd.DataFrame, Checker, pd.DataFrame]:
    """Return the rows as outcome values, the checker with every problem, and the leads."""
    check = Checker(table, mapping)
    ids, stored = leads_of_rows(session, check, [LEADS.stage, LEADS.amount])
    allowed = {s.value: s.value for s in OUTCOMES} | {
        k: v for k, v in mapping.stage_values.items() if v in {s.value for s in OUTCOMES}}
    check.required("stage", "stage")
    rows = pd.DataFrame({"lead_id": ids, "stage": check.choices("stage", allowed, "outcome"),
                         "occurred_at": check.dates("occurred_at", required=True),
                         "amount": check.amounts("amount") if "amount" in mapping.fields
                         else float("nan")})
    return rows, check, stored


def _reached(session: Session, lead_ids: list[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for chunk in chunked(lead_ids):
        found |= set(session.exec(select(EVENTS.lead_id, EVENTS.to_stage).where(
            EVENTS.lead_id.in_(chunk), EVENTS.to_stage.in_([s.value for s in OUTCOMES]))).all())
    return found


def plan_outcomes(session: Session, rows: pd.DataFrame, stored: pd.DataFrame,
                  actor: Actor) -> OutcomePlan:
    """Return the events and lead updates the rows call for, oldest outcome first."""
    rows = rows.astype({"lead_id": int}).sort_values(["lead_id", "occurred_at"], kind="stable")
    reached = _reached(session, rows["lead_id"].tolist())
    plan = OutcomePlan([], {})
    for row in rows.itertuples(index=False):
        lead = plan.leads.get(row.lead_id) or {
            "stage": stored.at[row.lead_id, "stage"], "amount": stored.at[row.lead_id, "amount"],
            "stage_changed_at": None}
        amount = None if pd.isna(row.amount) else float(row.amount)
        if (row.lead_id, row.stage) not in reached:
            plan.events.append({
                "lead_id": row.lead_id, "from_stage": lead["stage"], "to_stage": row.stage,
                "occurred_at": row.occurred_at.to_pydatetime(), "actor_id": actor.id,
                "reason_code": None, "note": "Imported outcome", "definition_version_id": None})
            reached.add((row.lead_id, row.stage))
            lead = {**lead, "stage": row.stage, "stage_changed_at": row.occurred_at}
        elif amount is None or amount == lead["amount"] or row.stage != lead["stage"]:
            plan.unchanged += 1
            continue
        plan.leads[row.lead_id] = {**lead, "amount": lead["amount"] if amount is None else amount}
    return plan


def _write(session: Session, plan: OutcomePlan, at: datetime) -> None:
    """Write the events, then the leads: a moved stage, or only a changed amount."""
    connection = session.connection()
    if plan.events:
        connection.execute(insert(StageEvent.__table__), plan.events)
    moved = [{"b_id": i, "b_amount": _plain(v["amount"]), "b_stage": v["stage"],
              "b_changed": v["stage_changed_at"].to_pydatetime()}
             for i, v in plan.leads.items() if v["stage_changed_at"] is not None]
    priced = [{"b_id": i, "b_amount": _plain(v["amount"])}
              for i, v in plan.leads.items() if v["stage_changed_at"] is None]
    if moved:
        connection.execute(_update(at, stage=bindparam("b_stage"),
                                   stage_changed_at=bindparam("b_changed")), moved)
    if priced:
        connection.execute(_update(at), priced)
    for obj in [o for o in session.identity_map.values() if isinstance(o, Lead)]:
        session.expire(obj)


def _update(at: datetime, **values: Any) -> Update:
    return (update(Lead.__table__).where(LEADS.id == bindparam("b_id"))
            .values(amount=bindparam("b_amount"), updated_at=at, version=LEADS.version + 1,
                    **values))


def _plain(amount: Any) -> float | None:
    return None if amount is None or pd.isna(amount) else float(amount)
