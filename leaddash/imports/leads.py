"""Importing leads: check every row, then create new leads and update changed ones in bulk.

A lead is matched on its external id, else on its email (case-insensitive); rows that
collide on one lead or one email are refused (see conflicts). An empty cell keeps the
stored value. Only rows whose values differ from the stored lead are updated, so
importing the same file twice writes nothing. New leads start at `inquiry`: our definition qualifies them, not the
file's stage, which is checked and kept as custom["crm_stage"]. Post-sales stages come in
through the outcomes import, where they get their stage events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from leaddash.analytics.facts import refresh_facts
from leaddash.audit import Actor
from leaddash.auth import require
from leaddash.demo.writer import records
from leaddash.imports.checks import (
    Checker,
    flag_missing_keys,
    lead_keys,
)
from leaddash.imports.conflicts import flag_conflicts
from leaddash.imports.lookup import matched_ids, stored_leads
from leaddash.imports.mapping import Mapping, mapping_for
from leaddash.imports.qualifying import qualify
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult, write_batch
from leaddash.imports.writing import insert_frame, insert_frame_with_ids
from leaddash.models import Lead, Stage, StageEvent, User, utcnow
from leaddash.scoring_io import LEADS

TEXT_FIELDS = ("external_id", "first_name", "last_name", "company", "title", "country",
               "industry", "source", "campaign", "segment")
CRM_STAGE = "crm_stage"


@dataclass(frozen=True)
class LeadPlan:
    """The good rows split into leads to create and stored leads to update (by id)."""

    new: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int
    columns: list[str]
    inquiries: list[int]


def import_leads(
    session: Session, *, actor: Actor, table: Table, mapping: Mapping | None = None,
    dry_run: bool = False, skip_bad_rows: bool = False, at: datetime | None = None,
) -> ImportResult:
    """Return what importing the leads of `table` did: nothing when any row is bad (unless
    `skip_bad_rows`) or on a dry run, else new and changed leads, qualified and routed."""
    require(actor, "import_leads", "import leads")
    at = at or utcnow()
    mapping = mapping_for(table.columns, mapping, "leads")
    values, check = checked_leads(session, table, mapping)
    ids, stored = matched_leads(session, values, check, mapping)
    bad = check.bad_index()
    plan = plan_leads(values.drop(index=bad), ids.drop(index=bad), stored, mapping)
    result = ImportResult.checked(
        "leads", table.filename, len(values), check.problems, dry_run=dry_run,
        skip_bad_rows=skip_bad_rows, created=len(plan.new), updated=len(plan.changed),
        unchanged=plan.unchanged)
    if dry_run or result.refused or (plan.new.empty and plan.changed.empty):
        return result
    return write_leads(session, actor=actor, plan=plan, result=result, at=at)


def checked_leads(session: Session, table: Table,
                  mapping: Mapping) -> tuple[pd.DataFrame, Checker]:
    """Return the rows as lead values (one column per mapped field, plus email_key and
    custom) and the checker holding every problem found."""
    check = Checker(table, mapping)
    values = pd.DataFrame({f: check.text(f) for f in TEXT_FIELDS}, index=table.frame.index)
    values["email"] = check.emails()
    values["email_key"] = values["email"].str.lower()
    values["employees"] = check.integers("employees")
    values["created_at"] = check.dates("created_at")
    stages = {s.value: s.value for s in Stage} | mapping.stage_values
    check.choices("stage", stages, "stage")
    values[["owner_id", "team_id"]] = _owners(session, check)
    values["custom"] = _custom(table.frame, mapping)
    flag_missing_keys(check, lead_keys(values["external_id"], values["email"]))
    return values, check


def matched_leads(session: Session, values: pd.DataFrame, check: Checker,
                  mapping: Mapping) -> tuple[pd.Series, pd.DataFrame]:
    """Return the stored lead id each row updates (Int64, missing for a new lead) and
    those leads, noting rows that collide with another row or another lead."""
    read = {*written_columns(mapping), "stage", "owner_id", "team_id"}
    stored = stored_leads(session, values["external_id"], values["email_key"],
                          [LEADS[c] for c in read])
    ids = matched_ids(values["external_id"], values["email_key"], stored)
    flag_conflicts(check, values, ids, stored)
    return ids, stored


def _owners(session: Session, check: Checker) -> pd.DataFrame:
    """Return owner_id and team_id per row from the owner column (username or email)."""
    users = session.exec(select(User.id, User.username, User.email, User.team_id)
                         .where(User.is_active.is_(True))).all()
    known = {name.casefold(): (uid, team) for uid, username, email, team in users
             for name in (username, email) if name}
    raw = check.raw("owner")
    found = raw.str.casefold().map(known)
    check.flag((raw != "") & found.isna(), "owner", lambda v: f"There is no active user {v!r}.",
               "Use the username or email of an active user (page Users and teams), or "
               "leave the cell empty to let routing choose.")
    pairs = [(p if isinstance(p, tuple) else (None, None)) for p in found]
    return pd.DataFrame(pairs, index=raw.index, columns=["owner_id", "team_id"],
                        dtype="Int64")


def _custom(frame: pd.DataFrame, mapping: Mapping) -> list[dict]:
    """Return per row the unmapped columns' non-empty values (and the file's stage)."""
    kept = [c for c in frame.columns if c not in mapping.fields.values()]
    extra = frame[kept].to_dict("records") if kept else [{} for _ in range(len(frame))]
    custom = [{k: v.strip() for k, v in row.items() if v.strip()} for row in extra]
    if "stage" in mapping.fields:
        for row, stage in zip(custom, frame[mapping.fields["stage"]].str.strip(), strict=True):
            if stage:
                row[CRM_STAGE] = stage
    return custom


def written_columns(mapping: Mapping) -> list[str]:
    """Return the lead columns an import with `mapping` writes (what the file holds)."""
    fields = mapping.fields
    columns = [f for f in (*TEXT_FIELDS, "employees", "created_at") if f in fields]
    columns += ["email", "email_key"] if "email" in fields else []
    return columns + (["owner_id", "team_id"] if "owner" in fields else []) + ["custom"]


def plan_leads(values: pd.DataFrame, ids: pd.Series, stored: pd.DataFrame,
               mapping: Mapping) -> LeadPlan:
    """Return which rows create leads and which change the stored leads `ids` name
    (unchanged ones left out); conflicting rows were flagged, so each lead has one row."""
    columns = written_columns(mapping)
    new = values[ids.isna()]
    old = values[ids.notna()].set_axis(ids[ids.notna()].astype(int).to_numpy())
    before = stored.loc[old.index]
    old = _kept_from_store(old, before, columns)
    changed = old[_differs(before, old, columns)]
    inquiries = changed.index[before.loc[changed.index, "stage"] == Stage.INQUIRY].tolist()
    return LeadPlan(new, changed, len(old) - len(changed), columns, inquiries)


def _kept_from_store(old: pd.DataFrame, before: pd.DataFrame,
                     columns: list[str]) -> pd.DataFrame:
    """Return the incoming rows with the stored value wherever their cell is empty (an
    import never clears a value), custom merged into the stored one, and the stored owner
    kept: an import never takes a lead away from the rep who has it."""
    filled = {c: old[c].where(old[c].notna(), before[c]) for c in columns
              if c not in ("custom", "owner_id", "team_id")}
    custom = [{**b, **n} for b, n in zip(before["custom"], old["custom"], strict=True)]
    kept = before["owner_id"].notna() | old["owner_id"].isna()
    return old.assign(**filled, custom=custom,
                      owner_id=old["owner_id"].mask(kept, before["owner_id"]).astype("Int64"),
                      team_id=old["team_id"].mask(kept, before["team_id"]).astype("Int64"))


def _differs(before: pd.DataFrame, after: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Return True per lead where any of `columns` holds a new value."""
    changed = np.zeros(len(after), dtype=bool)
    for column in columns:
        old, new = before[column], after[column]
        if column == "custom":
            changed |= np.array([a != b for a, b in zip(old, new, strict=True)], dtype=bool)
            continue
        if column == "created_at":
            old, new = pd.to_datetime(old, utc=True), pd.to_datetime(new, utc=True)
        elif column in ("employees", "owner_id", "team_id"):
            old, new = pd.to_numeric(old).astype(float), pd.to_numeric(new).astype(float)
        both_missing = old.isna().to_numpy() & new.isna().to_numpy()
        equal = (old.astype(object).to_numpy() == new.astype(object).to_numpy())
        changed |= ~(both_missing | equal)
    return pd.Series(changed, index=after.index)


def write_leads(session: Session, *, actor: Actor, plan: LeadPlan, result: ImportResult,
                at: datetime) -> ImportResult:
    """Return `result` after writing the plan: new leads with their inquiry events, changed
    leads, then qualification and routing of the ones still at inquiry; one batch row."""
    new_ids = _insert(session, actor, plan.new, result.filename, at)
    _update(session, plan.changed, plan.columns, at)
    new_mqls, routed = qualify(session, lead_ids=new_ids + plan.inquiries, at=at, actor=actor)
    refresh_facts(session, lead_ids=new_ids + plan.changed.index.tolist())
    return write_batch(session, actor=actor, at=at,
                       result=replace(result, new_mqls=new_mqls, routed=routed))


def _insert(session: Session, actor: Actor, new: pd.DataFrame, filename: str,
            at: datetime) -> list[int]:
    if new.empty:
        return []
    created = new["created_at"].dt.as_unit("us").fillna(pd.Timestamp(at).as_unit("us"))
    rows = new.drop(columns=[c for c in new.columns if c not in LEADS]).assign(
        created_at=created, stage=Stage.INQUIRY.value, stage_changed_at=created,
        updated_at=at, score=0.0, attempts=0, is_sample=False, version=1)
    ids = insert_frame_with_ids(session, Lead, rows)
    insert_frame(session, StageEvent, pd.DataFrame({
        "lead_id": ids, "from_stage": None, "to_stage": Stage.INQUIRY.value,
        "occurred_at": created.reset_index(drop=True), "actor_id": actor.id, "reason_code": None,
        "note": f"Imported from {filename}"[:500], "definition_version_id": None}))
    return ids


def _update(session: Session, changed: pd.DataFrame, columns: list[str], at: datetime) -> None:
    """Write the changed leads; their optimistic-lock version moves on, so a rep's form
    opened before the import cannot silently undo it."""
    if changed.empty:
        return
    statement = (update(Lead.__table__).where(LEADS.id == bindparam("b_id"))
                 .values({c: bindparam(f"b_{c}", type_=LEADS[c].type) for c in columns})
                 .values(updated_at=at, version=LEADS.version + 1))
    rows = records(changed[columns].assign(id=changed.index))
    session.connection().execute(statement, [
        {f"b_{k}": v for k, v in row.items()} for row in rows])
    for obj in [o for o in session.identity_map.values() if isinstance(o, Lead)]:
        session.expire(obj)
