"""The sign step: before a leader signs, what the version changes against the one in force,
for a definition the what-if headline over the last six months, and when it takes effect;
the signature is given only by a second, explicit confirmation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import streamlit as st

from leaddash.agreements import VersionRow, describe_change, diff_versions
from leaddash.core.actor import Actor
from leaddash.errors import LeadDashError
from leaddash.inbox import whatif_headline
from leaddash.models import AgreementKind, AgreementStatus, Side
from leaddash.ui.agreements import actions
from leaddash.ui.agreements.base import Document, local
from leaddash.ui.resources import reading
from leaddash.ui.seam import read_cached, show_error
from leaddash.ui.text import plain

WHATIF_DAYS = 183  # six months of leads behind the headline a signer reads
AT_ONCE, ON_DATE = "As soon as both sides have signed", "On a date and time"


def confirm_key(version_id: int) -> str:
    """Return the session key that holds the sign step open for a version."""
    return f"agr_sign_confirm_{version_id}"


def show_sign_step(
    actor: Actor,
    doc: Document,
    row: VersionRow,
    expected: int,
    rows: list[VersionRow],
    side: str,
    zone: str,
) -> None:
    """Draw the impact of signing, the start, and the confirm and cancel buttons."""
    key = confirm_key(row.id)
    with st.container(border=True):
        st.markdown("**" + plain(f"Before you sign v{row.number} for {side}") + "**")
        _changes(actor, row, rows)
        if doc.kind == AgreementKind.DEFINITION:
            _headline(actor, row)
        starts_at = _start(row, side, zone)
        where = st.empty()
        confirm, cancel = st.columns(2)
        if confirm.button(f"Confirm: sign for {side}", type="primary", key=f"agr_confirm_{row.id}"):
            st.session_state.pop(key, None)
            write = actions.sign_version(actor, doc, row.id, expected, starts_at=starts_at)
            actions.run(actor, doc.kind, row.id, write, where=where)
            st.session_state[key] = True  # refused: the step stays open beside its message
        if cancel.button("Cancel", key=f"agr_cancel_{row.id}"):
            st.session_state.pop(key, None)
            st.rerun()


def _changes(actor: Actor, row: VersionRow, rows: list[VersionRow]) -> None:
    active = next((r for r in rows if r.status == AgreementStatus.ACTIVE), None)
    if active is None:
        st.caption(plain(f"Nothing is in force yet: v{row.number} would be the first version."))
        return
    lines = change_lines(actor, active, row)
    if not lines:
        st.caption(plain(f"v{row.number} says the same as v{active.number}, the version in force."))
        return
    st.caption(plain(f"What changes against v{active.number}, the version in force:"))
    st.markdown("\n".join(f"- {plain(line)}" for line in lines))


def _headline(actor: Actor, row: VersionRow) -> None:
    try:
        sentence = read_cached(whatif_headline, actor=actor, version_id=row.id, days=WHATIF_DAYS)
    except LeadDashError as exc:
        show_error(exc.message)
        return
    st.info(plain(sentence), icon=":material/query_stats:")


def _start(row: VersionRow, side: str, zone: str) -> datetime | None:
    """Return the start this signer chooses (None: as planned, or at once)."""
    other = next(s for s in Side if s != side)
    if row.starts_at:
        st.caption(plain(f"Takes effect on {local(row.starts_at, zone)}, as {other} signed for."))
        return None
    if other in row.signatures:
        st.caption(plain(f"Takes effect as soon as you sign, as {other} signed for."))
        return None
    choice = st.radio(
        "Takes effect", [AT_ONCE, ON_DATE], key=f"agr_start_{row.id}", horizontal=True
    )
    if choice == AT_ONCE:
        return None
    now = datetime.now(ZoneInfo(zone))
    on, at = st.columns(2)
    day = on.date_input("On", value=now.date(), min_value=now.date(), key=f"agr_day_{row.id}")
    hour = at.time_input(
        plain(f"At ({zone}, the SLA calendar's time zone)"),
        value=time(now.hour, 0),
        key=f"agr_hour_{row.id}",
    )
    return _utc(day, hour, zone)


def _utc(day: date, hour: time, zone: str) -> datetime:
    return datetime.combine(day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def change_lines(actor: Actor, old: VersionRow, new: VersionRow) -> list[str]:
    """Return one readable line per change from version `old` to version `new`."""
    with reading() as session:
        changes = diff_versions(session, actor=actor, a_id=old.id, b_id=new.id)
    return _field_lines(old, new) + [describe_change(c) for c in changes]


def _field_lines(old: VersionRow, new: VersionRow) -> list[str]:
    lines = []
    if old.title != new.title:
        lines.append(f"Title: {old.title} → {new.title}")
    if old.next_review_on != new.next_review_on:
        before, after = old.next_review_on or "none", new.next_review_on or "none"
        lines.append(f"Next review: {before} → {after}")
    return lines
