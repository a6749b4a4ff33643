"""Importing post-sales outcomes from the CRM: a lead reached sql, opportunity, won or lost.

Each new outcome moves the lead's stage and writes its stage event (from the stage the
lead had), in date order per lead. Outcomes only ever extend a lead's history (the same
checks as a history import, leaddash.imports.history): an outcome the lead already has at
that date is skipped, so a re-import changes nothing (only a changed amount is written);
one dated before the lead's last recorded stage change, a stage behind the lead's current
one, anything after the lead closed, or a date after the import is a row problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, update
from sqlmodel import Session

from leaddash.access import authorize
from leaddash.core.actor import Actor
from leaddash.facts.refresh import refresh_facts
from leaddash.imports.checks import Checker
from leaddash.imports.history import (
    lead_values,
    new_events,
    stored_events,
    update_leads,
    write_events,
)
from leaddash.imports.lookup import calendar_zone, leads_of_rows
from leaddash.imports.mapping import Mapping, mapping_for
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult, write_batch
from leaddash.imports.timeline import RANK, UTC_TIMES, day_text, flag_future
from leaddash.models import Lead, Stage, table_of, utcnow
from leaddash.scoring_io import LEADS

OUTCOMES = (Stage.SQL, Stage.OPPORTUNITY, Stage.WON, Stage.LOST)
CLOSED = (Stage.WON.value, Stage.LOST.value)


@dataclass(frozen=True)
class OutcomePlan:
    """The new outcome events (one per row, chained per lead) and the new amounts."""

    events: pd.DataFrame
    amounts: pd.Series
    unchanged: int


def import_outcomes(
    session: Session,
    *,
    actor: Actor,
    table: Table,
    mapping: Mapping | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    at: datetime | None = None,
) -> ImportResult:
    """Return what importing the outcomes of `table` did: nothing when any row is bad
    (unless `skip_bad_rows`) or on a dry run, else the new stages with their events."""
    authorize(session, actor, "import_leads", "import outcomes")
    at = at or utcnow()
    mapping = mapping_for(table.columns, mapping, "outcomes")
    rows, check, stored = checked_outcomes(session, table, mapping)
    events = outcome_events(session, check, rows, stored, at)
    bad = check.bad_index()
    plan = plan_outcomes(rows.drop(index=bad), events[~events["row"].isin(bad)], stored)
    result = ImportResult.checked(
        "outcomes",
        table.filename,
        len(rows),
        check.problems,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        created=len(plan.events),
        updated=len(plan.amounts),
        unchanged=plan.unchanged,
    )
    if dry_run or result.refused or (plan.events.empty and plan.amounts.empty):
        return result
    _write(session, plan, stored, actor, at)
    refresh_facts(session, lead_ids=sorted({*plan.events["lead_id"], *plan.amounts.index}))
    return write_batch(session, actor=actor, at=at, result=result)


def checked_outcomes(
    session: Session, table: Table, mapping: Mapping
) -> tuple[pd.DataFrame, Checker, pd.DataFrame]:
    """Return the rows as outcome values, the checker with every problem, and the leads."""
    check = Checker(table, mapping, calendar_zone(session))
    ids, stored = leads_of_rows(session, check, [LEADS.stage, LEADS.amount])
    allowed = {s.value: s.value for s in OUTCOMES} | {
        k: v for k, v in mapping.stage_values.items() if v in {s.value for s in OUTCOMES}
    }
    check.required("stage", "stage")
    rows = pd.DataFrame(
        {
            "lead_id": ids,
            "stage": check.choices("stage", allowed, "outcome"),
            "occurred_at": check.dates("occurred_at", required=True),
            "amount": check.amounts("amount") if "amount" in mapping.given else float("nan"),
        }
    )
    return rows, check, stored


def outcome_events(
    session: Session, check: Checker, rows: pd.DataFrame, stored: pd.DataFrame, at: datetime
) -> pd.DataFrame:
    """Return one event per row whose outcome the lead does not have yet (row, lead_id,
    stage, at, known, column, rank), noting rows that would not extend its history."""
    usable = rows.dropna(subset=["lead_id", "stage", "occurred_at"])
    events = pd.DataFrame(
        {
            "row": usable.index,
            "stage": usable["stage"].to_numpy(dtype=object),
            "at": pd.Series(usable["occurred_at"].to_numpy(), dtype=UTC_TIMES),
            "known": True,
            "column": check.column("occurred_at"),
        }
    )
    events = events.assign(rank=events["stage"].map(RANK).astype(int))
    flag_future(check, events, at)
    leads = usable["lead_id"].astype("int64")
    events = events.drop_duplicates(["row"]).assign(lead=events["row"].map(leads))
    events = _one_per_outcome(check, events)
    recorded = stored_events(session, sorted(set(leads)))
    found = new_events(
        check, events.drop(columns="lead"), rows["lead_id"], recorded, stored["stage"]
    )
    _flag_file_order(check, found)
    return found


def _one_per_outcome(check: Checker, events: pd.DataFrame) -> pd.DataFrame:
    """Return the events without a file's repeats of one outcome (same lead, stage and
    date), noting rows that give one lead's outcome two dates."""
    zone = check.zone
    events = events.drop_duplicates(["lead", "stage", "at"])
    twice = events[events.duplicated(["lead", "stage"], keep="first")]
    first = events.drop_duplicates(["lead", "stage"]).set_index(["lead", "stage"])["at"]
    for _, event in twice.iterrows():
        check.note(
            int(event["row"]),
            event["column"],
            f"Another row says this lead reached {event['stage']} on "
            f"{day_text(first[(event['lead'], event['stage'])], zone)}; this one says "
            f"{day_text(event['at'], zone)}.",
            "Keep the row with the right date and remove the other.",
        )
    return events.drop(index=twice.index)


def _flag_file_order(check: Checker, events: pd.DataFrame) -> None:
    """Note a file's outcomes of one lead that go backwards in the funnel by date, or
    come after the lead closed."""
    zone = check.zone
    ordered = events.sort_values(["lead_id", "at", "rank"], kind="stable")
    by_lead = ordered.groupby("lead_id")
    highest = by_lead["rank"].cummax().groupby(ordered["lead_id"]).shift()
    closed = (
        ordered["stage"]
        .isin(CLOSED)
        .groupby(ordered["lead_id"])
        .transform(lambda s: s.shift(fill_value=False).cummax())
    )
    for _, event in ordered[(ordered["rank"] < highest) | closed].iterrows():
        check.note(
            int(event["row"]),
            event["column"],
            f"This row says the lead reached {event['stage']} on "
            f"{day_text(event['at'], zone)}, after a row of this file closed it or moved "
            "it further on.",
            "Correct the date or the stage: outcomes are imported "
            "in funnel order and never move a lead backwards.",
        )


def plan_outcomes(rows: pd.DataFrame, events: pd.DataFrame, stored: pd.DataFrame) -> OutcomePlan:
    """Return the events to write (chained per lead, oldest first) and the amounts that
    change, per lead; a row that adds neither is unchanged."""
    events = events.sort_values(["lead_id", "at", "rank"], kind="stable")
    given = rows.dropna(subset=["lead_id", "amount"]).astype({"lead_id": "int64"})
    latest = given.groupby("lead_id")["amount"].last()
    before = stored["amount"].reindex(latest.index)
    amounts = latest[before.isna() | (before.astype(float) != latest)]
    moving = set(events["row"]) | set(given.index[given["lead_id"].isin(amounts.index)])
    return OutcomePlan(events, amounts, len(rows) - len(moving))


def _write(
    session: Session, plan: OutcomePlan, stored: pd.DataFrame, actor: Actor, at: datetime
) -> None:
    """Write the events with the stage each lead leaves them at, then the new amounts."""
    if not plan.events.empty:
        # One timeline per lead: the lead's id stands in for the row of a history import.
        events = plan.events.assign(row=plan.events["lead_id"].astype("int64"))
        before = events.groupby("row")["stage"].shift()
        start = events["row"].map(stored["stage"]).astype(object)
        events = events.assign(from_stage=before.astype(object).fillna(start), reason=None)
        write_events(session, events, pd.Series(dtype="Int64"), actor.id, "Imported outcome")
        update_leads(session, lead_values(session, events), at)
    if not plan.amounts.empty:
        session.connection().execute(
            update(table_of(Lead))
            .where(LEADS.id == bindparam("b_id"))
            .values(amount=bindparam("b_amount"), updated_at=at, version=LEADS.version + 1),
            [{"b_id": int(i), "b_amount": float(v)} for i, v in plan.amounts.items()],
        )
