"""Finding the stored leads a file's rows mean: by external id, else by email.

Keys are looked up KEY_CHUNK at a time, bound as one parameter, so a file of a million
leads costs a few dozen indexed queries rather than one per row or a scan of every lead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from leaddash.analytics.passes import sla_terms
from leaddash.id_sets import among
from leaddash.imports.checks import Checker, flag_missing_keys, lead_keys
from leaddash.scoring_io import LEADS, read_frame, readable

ID_CHUNK = 5_000
# Keys bound as one parameter (leaddash.id_sets.among): a file's keys in a few queries.
KEY_CHUNK = 50_000


def chunked(values: Sequence, size: int = ID_CHUNK) -> Iterator[list]:
    """Yield the distinct `values`, sorted, `size` at a time (for IN lists)."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _read(
    session: Session, columns: Sequence[ColumnElement], column: ColumnElement, values: pd.Series
) -> pd.DataFrame:
    wanted = [
        LEADS.id,
        LEADS.external_id,
        LEADS.email_key,
        *[c for c in columns if c.key not in ("id", "external_id", "email_key")],
    ]
    parts = [
        read_frame(session, select(*readable(wanted)).where(among(session, column, chunk)))
        for chunk in chunked(values.dropna().tolist(), KEY_CHUNK)
    ]
    if not parts:
        return read_frame(session, select(*readable(wanted)).where(LEADS.id.is_(None)))
    return pd.concat(parts, ignore_index=True)


def stored_leads(
    session: Session,
    external_ids: pd.Series,
    email_keys: pd.Series,
    columns: Sequence[ColumnElement] = (),
) -> pd.DataFrame:
    """Return the leads whose external id or email key is among the given ones (`columns`
    besides id, external_id and email_key), indexed by id."""
    if session.connection().execute(select(LEADS.id).limit(1)).first() is None:
        # A first import: no lead to find, so none of the lookups.
        external_ids, email_keys = external_ids.iloc[:0], email_keys.iloc[:0]
    found = pd.concat(
        [
            _read(session, columns, LEADS.external_id, external_ids),
            _read(session, columns, LEADS.email_key, email_keys),
        ],
        ignore_index=True,
    )
    found = found.drop_duplicates("id").astype({"id": "int64"})
    return found.set_index("id", drop=False).sort_index()


def matched_ids(external_ids: pd.Series, email_keys: pd.Series, stored: pd.DataFrame) -> pd.Series:
    """Return the stored lead id each row means (Int64, missing when none): the lead with
    its external id; else, by email, the oldest lead that has no other external id."""
    by_id = pd.Series(stored.index, index=stored["external_id"]).dropna()
    by_id = by_id[by_id.index.notna()]
    ids = pd.to_numeric(external_ids.map(by_id)).astype(float)
    free = stored[stored["email_key"].notna()]
    by_email = free.groupby("email_key")["id"].min()
    unclaimed = free[free["external_id"].isna()].groupby("email_key")["id"].min()
    fallback = email_keys.map(by_email).where(external_ids.isna(), email_keys.map(unclaimed))
    return ids.where(ids.notna(), pd.to_numeric(fallback).astype(float)).astype("Int64")


def leads_of_rows(
    session: Session, check: Checker, columns: Sequence[ColumnElement] = ()
) -> tuple[pd.Series, pd.DataFrame]:
    """Return the stored lead id per row (Int64) and those leads (with `columns`), noting
    rows without a key and rows whose lead is not stored."""
    external_ids, emails = check.text("external_id"), check.text("email")
    keys = lead_keys(external_ids, emails)
    flag_missing_keys(check, keys)
    email_keys = emails.str.lower()
    stored = stored_leads(session, external_ids, email_keys, columns)
    ids = matched_ids(external_ids, email_keys, stored)
    field = "external_id" if "external_id" in check.mapping.fields else "email"
    check.flag(
        keys.notna() & ids.isna(),
        field,
        lambda v: f"No lead has {v or 'this key'!r}.",
        "Import the lead first (import leads), or correct the id or email.",
    )
    return ids, stored


def calendar_zone(session: Session) -> str:
    """Return the time zone of the active SLA's calendar (UTC while none is active): the
    team's own, in which a file's dates and times without a zone were written."""
    return sla_terms(session).timezone
