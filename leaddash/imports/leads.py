"""Importing leads: check every row, then create new leads and update changed ones in bulk.

A lead is matched on its external id, else on its email (case-insensitive); rows that
collide on one lead or one email are refused (see conflicts). An empty cell keeps the
stored value. Only rows whose values differ from the stored lead are updated, so
importing the same file twice writes nothing. New leads start at `inquiry`: our definition qualifies them, not the
file's stage, which is checked and kept as custom["crm_stage"]. Post-sales stages come in
through the outcomes import, where they get their stage events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.core.actor import Actor
from leaddash.core.bulk import records
from leaddash.facts.refresh import add_new_facts, refresh_facts
from leaddash.imports.checks import (
    Checker,
    flag_missing_keys,
    lead_keys,
)
from leaddash.imports.conflicts import flag_conflicts
from leaddash.imports.custom import (
    check_custom_attributes,
    custom_attributes,
    flag_merged_custom,
)
from leaddash.imports.history import lead_values
from leaddash.imports.lead_history import history_events, history_values, write_history
from leaddash.imports.lookup import calendar_zone, matched_ids, stored_leads
from leaddash.imports.mapping import Mapping, is_history, mapping_for
from leaddash.imports.qualifying import qualify
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult, write_batch
from leaddash.imports.values import NAMED_FIELDS, definition_rules, stored_names
from leaddash.imports.writing import (
    deferred_indexes,
    insert_frame,
    insert_frame_with_ids,
)
from leaddash.models import Lead, Stage, StageEvent, User, table_of, utcnow
from leaddash.scoring_io import LEADS

TEXT_FIELDS = (
    "external_id",
    "phone",
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "industry",
    "source",
    "campaign",
    "segment",
)
# The indexes a large history import sets aside while it writes (writing.deferred_indexes):
# all of the new leads' and their facts'; of the stage events, the one their order
# scatters (events arrive lead by lead, which the others follow).
BULK_INDEXES: dict[str, tuple[str, ...] | None] = {
    "lead": None,
    "stageevent": ("ix_stageevent_to_time",),
    "leadpass": None,
}


@dataclass(frozen=True)
class LeadPlan:
    """The good rows split into leads to create and stored leads to update (by id); for a
    history import, the new stage events of the good rows and the stored leads they
    extend (`extended`, besides the changed ones) with the stored stage of every lead."""

    new: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int
    columns: list[str]
    inquiries: list[int]
    events: pd.DataFrame | None = None
    extended: list[int] = field(default_factory=list)
    stored_stage: pd.Series | None = None

    @property
    def updated(self) -> int:
        """Return how many stored leads the import changes."""
        return len(self.changed) + len(self.extended)

    @property
    def writes_nothing(self) -> bool:
        """Return True when the plan leaves every table as it is."""
        return self.new.empty and self.changed.empty and not self.extended


def import_leads(
    session: Session,
    *,
    actor: Actor,
    table: Table,
    mapping: Mapping | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    at: datetime | None = None,
) -> ImportResult:
    """Return what importing the leads of `table` did: nothing when any row is bad (unless
    `skip_bad_rows`) or on a dry run; else new and changed leads, qualified and routed, or
    (a file with stage dates) loaded at the stages and dates it gives."""
    authorize(session, actor, "import_leads", "import leads")
    at = at or utcnow()
    mapping = mapping_for(table.columns, mapping, "leads")
    values, check, dates = checked_leads(session, table, mapping)
    ids, stored = matched_leads(session, values, check, mapping)
    events = (
        None
        if dates is None
        else history_events(session, check, dates.join(values["created_at"]), ids, stored, at)
    )
    for name in NAMED_FIELDS:
        values[name] = check.names(name, stored_names(session, name))
    bad = check.bad_index()
    plan = plan_leads(
        values.drop(index=bad),
        ids.drop(index=bad),
        stored,
        mapping,
        None if events is None else events[~events["row"].isin(bad)],
    )
    result = ImportResult.checked(
        "leads",
        table.filename,
        len(values),
        check.problems,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        created=len(plan.new),
        updated=plan.updated,
        unchanged=plan.unchanged,
        warnings=check.warnings,
        history_events=0 if plan.events is None else len(plan.events),
    )
    if dry_run or result.refused or plan.writes_nothing:
        return result
    return write_leads(session, actor=actor, plan=plan, result=result, at=at)


def checked_leads(
    session: Session, table: Table, mapping: Mapping
) -> tuple[pd.DataFrame, Checker, pd.DataFrame | None]:
    """Return the rows as lead values (one column per mapped field, plus email_key and
    custom), the checker holding every problem found, and for a history import the rows'
    history columns (stage dates, stage, stage_at, reason; None otherwise)."""
    check = Checker(table, mapping, calendar_zone(session))
    values = pd.DataFrame({f: check.text(f) for f in TEXT_FIELDS}, index=table.frame.index)
    values["country"] = check.countries("country", definition_rules(session))
    values["email"] = check.emails()
    values["email_key"] = values["email"].str.lower()
    values["employees"] = check.integers("employees")
    values["amount"] = check.amounts("amount")
    values["created_at"] = check.dates("created_at")
    stages = {s.value: s.value for s in Stage} | mapping.stage_values
    stage = check.choices("stage", stages, "stage")
    history = is_history(mapping)
    values[["owner_id", "team_id"]] = _owners(session, check, inactive=history)
    custom = custom_attributes(table.frame, mapping, check.raw("stage"))
    check_custom_attributes(table, mapping, custom)
    values["custom"] = custom
    flag_missing_keys(check, lead_keys(values["external_id"], values["email"]))
    return values, check, history_values(check, stage) if history else None


def matched_leads(
    session: Session, values: pd.DataFrame, check: Checker, mapping: Mapping
) -> tuple[pd.Series, pd.DataFrame]:
    """Return the stored lead id each row updates (Int64, missing for a new lead) and
    those leads, noting rows that collide with another row or another lead."""
    read = {*written_columns(mapping), "stage", "owner_id", "team_id"}
    stored = stored_leads(
        session, values["external_id"], values["email_key"], [LEADS[c] for c in read]
    )
    ids = matched_ids(values["external_id"], values["email_key"], stored)
    flag_conflicts(check, values, ids, stored)
    flag_merged_custom(check, values["custom"], ids, stored)
    return ids, stored


def _owners(session: Session, check: Checker, *, inactive: bool) -> pd.DataFrame:
    """Return owner_id and team_id per row from the owner column: a user's username, email
    or name, ignoring case (past owners too, with `inactive`: a history import's deals may
    belong to reps who have left); a name two users share is a row problem."""
    columns: list[Any] = [User.id, User.username, User.email, User.name, User.team_id]
    query = select(*columns)
    if not inactive:
        query = query.where(col(User.is_active).is_(True))
    known: dict[str, tuple[int, int | None] | None] = {}
    for uid, username, email, name, team in session.exec(query).all():
        for key in {k.casefold() for k in (username, email, name) if k}:
            known[key] = (uid, team) if known.get(key, (uid, team)) == (uid, team) else None
    raw = check.raw("owner")
    found = raw.str.casefold().map(lambda k: known.get(k, False))
    who = "user" if inactive else "active user"
    check.flag(
        (raw != "") & found.eq(False),
        "owner",
        lambda v: f"There is no {who} {v!r}.",
        "Use the username, email or name of a user (page Users and teams; create "
        "the user first), or leave the cell empty to let routing choose.",
    )
    check.flag(
        found.isna(),
        "owner",
        lambda v: f"More than one user is called {v!r}.",
        "Use the username or email instead, which are unique.",
    )
    pairs = [(p if isinstance(p, tuple) else (None, None)) for p in found]
    return pd.DataFrame(pairs, index=raw.index, columns=["owner_id", "team_id"], dtype="Int64")


def written_columns(mapping: Mapping) -> list[str]:
    """Return the lead columns an import with `mapping` writes (what the file holds)."""
    fields = mapping.given
    columns = [f for f in (*TEXT_FIELDS, "employees", "amount", "created_at") if f in fields]
    columns += ["email", "email_key"] if "email" in fields else []
    return columns + (["owner_id", "team_id"] if "owner" in fields else []) + ["custom"]


def plan_leads(
    values: pd.DataFrame,
    ids: pd.Series,
    stored: pd.DataFrame,
    mapping: Mapping,
    events: pd.DataFrame | None = None,
) -> LeadPlan:
    """Return which rows create leads and which change the stored leads `ids` name
    (unchanged ones left out), and which stored leads a history's `events` extend;
    conflicting rows were flagged, so each lead has one row."""
    columns = written_columns(mapping)
    new = values[ids.isna()]
    old = values[ids.notna()].set_axis(ids[ids.notna()].astype(int).to_numpy())
    before = stored.loc[old.index]
    old = _kept_from_store(old, before, columns)
    changed = old[_differs(before, old, columns)]
    if events is not None:
        grown = events["lead_id"].dropna().astype(int).unique()
        extended = sorted(set(grown.tolist()) - set(changed.index))
        return LeadPlan(
            new,
            changed,
            len(old) - len(changed) - len(extended),
            columns,
            [],
            events,
            extended,
            stored["stage"],
        )
    inquiries = changed.index[before.loc[changed.index, "stage"] == Stage.INQUIRY].tolist()
    return LeadPlan(new, changed, len(old) - len(changed), columns, inquiries)


def _kept_from_store(old: pd.DataFrame, before: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return the incoming rows with the stored value wherever their cell is empty (an
    import never clears a value), custom merged into the stored one, and the stored owner
    kept: an import never takes a lead away from the rep who has it."""
    filled = {
        c: old[c].where(old[c].notna(), before[c])
        for c in columns
        if c not in ("custom", "owner_id", "team_id")
    }
    custom = [{**b, **n} for b, n in zip(before["custom"], old["custom"], strict=True)]
    kept = before["owner_id"].notna() | old["owner_id"].isna()
    return old.assign(
        **filled,
        custom=custom,
        owner_id=old["owner_id"].mask(kept, before["owner_id"]).astype("Int64"),
        team_id=old["team_id"].mask(kept, before["team_id"]).astype("Int64"),
    )


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
        elif column in ("employees", "amount", "owner_id", "team_id"):
            old, new = pd.to_numeric(old).astype(float), pd.to_numeric(new).astype(float)
        both_missing = old.isna().to_numpy() & new.isna().to_numpy()
        equal = old.astype(object).to_numpy() == new.astype(object).to_numpy()
        changed |= ~(both_missing | equal)
    return pd.Series(changed, index=after.index)


def write_leads(
    session: Session, *, actor: Actor, plan: LeadPlan, result: ImportResult, at: datetime
) -> ImportResult:
    """Return `result` after writing the plan: new leads with their inquiry events, changed
    leads, then either the history's events or qualification and routing of the leads
    still at inquiry; one batch row."""
    verify_actor(session, actor)
    if plan.events is not None:
        with deferred_indexes(session, BULK_INDEXES, len(plan.new)):
            _write_history(session, actor=actor, plan=plan, result=result, at=at)
        return write_batch(session, actor=actor, at=at, result=result)
    new_ids = _insert(session, actor, plan.new, result.filename, at)
    _update(session, plan.changed, plan.columns, at)
    new_mqls, routed = qualify(session, lead_ids=new_ids + plan.inquiries, at=at, actor=actor)
    # Qualifying and routing refreshed the facts of the leads they moved: refresh them all.
    refresh_facts(session, lead_ids=new_ids + plan.changed.index.tolist())
    return write_batch(
        session, actor=actor, at=at, result=replace(result, new_mqls=new_mqls, routed=routed)
    )


def _write_history(
    session: Session, *, actor: Actor, plan: LeadPlan, result: ImportResult, at: datetime
) -> None:
    """Write a history import's new leads at their stages, changed leads, every stage
    event and the facts of the leads they touch."""
    assert plan.events is not None and plan.stored_stage is not None
    history = lead_values(session, plan.events)
    rows = _new_rows(plan.new, at, history)
    new_ids = insert_frame_with_ids(session, Lead, rows)
    inquiries = _inquiry_events(session, actor, rows, new_ids, result.filename)
    _update(session, plan.changed, plan.columns, at)
    written = write_history(
        session,
        events=plan.events,
        values=history,
        new_ids=pd.Series(new_ids, index=plan.new.index, dtype="Int64"),
        stored=plan.stored_stage.to_frame(),
        actor_id=actor.id,
        at=at,
        filename=result.filename,
    )
    stored = plan.changed.index.tolist() + plan.extended
    if new_ids and max(new_ids) - min(new_ids) + 1 == len(new_ids):
        # New leads' facts come from the rows just written, in memory: read back, a
        # million leads' seven million events would cost a quarter of the import.
        events = pd.concat(
            [inquiries, written[written["lead_id"].isin(new_ids)]], ignore_index=True
        )
        add_new_facts(
            session,
            low=min(new_ids),
            high=max(new_ids),
            written=(rows.assign(id=new_ids), events.assign(id=events.index)),
        )
        new_ids = []
    refresh_facts(session, lead_ids=new_ids + stored)


def _insert(
    session: Session, actor: Actor, new: pd.DataFrame, filename: str, at: datetime
) -> list[int]:
    """Return the ids of the new leads, written at inquiry with their inquiry events."""
    if new.empty:
        return []
    rows = _new_rows(new, at, None)
    ids = insert_frame_with_ids(session, Lead, rows)
    _inquiry_events(session, actor, rows, ids, filename)
    return ids


def _new_rows(new: pd.DataFrame, at: datetime, history: pd.DataFrame | None) -> pd.DataFrame:
    """Return the lead rows to insert for the new leads: at inquiry since their creation,
    or (a history import) with what their history leaves on them."""
    created = new["created_at"].dt.as_unit("us").fillna(pd.Timestamp(at).as_unit("us"))
    rows = new.drop(columns=[c for c in new.columns if c not in LEADS]).assign(
        created_at=created,
        stage=Stage.INQUIRY.value,
        stage_changed_at=created,
        updated_at=at,
        score=0.0,
        attempts=0,
        is_sample=False,
        version=1,
    )
    if history is None:
        return rows
    created = _history_created(new, history, at)
    return _with_history(rows.assign(created_at=created, stage_changed_at=created), history)


def _inquiry_events(
    session: Session, actor: Actor, rows: pd.DataFrame, ids: list[int], filename: str
) -> pd.DataFrame:
    """Return the inquiry events of the new leads (`rows`, given `ids`), once written."""
    if not ids:
        return pd.DataFrame()
    events = pd.DataFrame(
        {
            "lead_id": ids,
            "from_stage": None,
            "to_stage": Stage.INQUIRY.value,
            "occurred_at": rows["created_at"].reset_index(drop=True),
            "actor_id": actor.id,
            "reason_code": None,
            "note": f"Imported from {filename}"[:500],
            "definition_version_id": None,
        }
    )
    insert_frame(session, StageEvent, events)
    return events.assign(time_known=True)


def _history_created(new: pd.DataFrame, history: pd.DataFrame, at: datetime) -> pd.Series:
    """Return when each new history lead was created: the file's created_at, else its
    earliest stage date, else the import."""
    first = history["first_at"].reindex(new.index)
    return new["created_at"].fillna(first).fillna(pd.Timestamp(at)).astype("datetime64[us, UTC]")


def _with_history(rows: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Return new lead rows with what their history leaves on them, flagged as history."""
    mine = history.reindex(rows.index)
    moved = mine["stage"].notna()
    return rows.assign(
        stage=mine["stage"].where(moved, rows["stage"]),
        stage_changed_at=mine["stage_changed_at"].where(moved, rows["stage_changed_at"]),
        mql_at=mine["mql_at"],
        accepted_at=mine["accepted_at"],
        decided_at=mine["decided_at"],
        definition_version_id=mine["definition_version_id"],
        is_history=True,
    )


def _update(session: Session, changed: pd.DataFrame, columns: list[str], at: datetime) -> None:
    """Write the changed leads; their optimistic-lock version moves on, so a rep's form
    opened before the import cannot silently undo it."""
    if changed.empty:
        return
    statement = (
        update(table_of(Lead))
        .where(LEADS.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}", type_=LEADS[c].type) for c in columns})
        .values(updated_at=at, version=LEADS.version + 1)
    )
    rows = records(changed[columns].assign(id=changed.index))
    session.connection().execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])
    for obj in [o for o in session.identity_map.values() if isinstance(o, Lead)]:
        session.expire(obj)
