"""The sign-off part of an agreement page: version picker, status, signatures, and the
buttons each person may press, each with a caption saying what happens next."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from leaddash.agreements import VersionRow
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.models import AgreementStatus, Side
from leaddash.ui.agreements import actions, confirm
from leaddash.ui.agreements.base import Document, local, status_text
from leaddash.ui.text import bare_title, plain, when

EDIT = "edit_agreement_draft"
SIGN = {Side.MARKETING: "sign_for_marketing", Side.SALES: "sign_for_sales"}
BADGES: dict[str, tuple[str, str | None]] = {
    AgreementStatus.DRAFT: ("gray", ":material/edit_note:"),
    AgreementStatus.PROPOSED: ("orange", ":material/draw:"),
    AgreementStatus.SCHEDULED: ("blue", ":material/event:"),
    AgreementStatus.ACTIVE: ("green", ":material/verified:"),
    AgreementStatus.RETIRED: ("violet", ":material/history:"),
}
OPEN = (AgreementStatus.DRAFT, AgreementStatus.PROPOSED)


def label(row: VersionRow, zone: str = "UTC") -> str:
    """Return how pickers name a version: "v3 · active · Decay and customer exclusion"."""
    return f"v{row.number} · {status_text(row, zone)} · {bare_title(row.number, row.title)}"


def may_edit(actor: Actor, row: VersionRow) -> bool:
    """Return True when the actor may change this version's terms."""
    return row.status in OPEN and can(actor, EDIT)


def _signer_side(actor: Actor) -> str | None:
    return next((side for side, action in SIGN.items() if can(actor, action)), None)


def default_version(actor: Actor, rows: list[VersionRow]) -> int:
    """Return the version to open first: work in progress for those who edit or sign,
    else the version in force."""
    open_rows = [r for r in rows if r.status in OPEN]
    if open_rows and (can(actor, EDIT) or _signer_side(actor)):
        return open_rows[0].id
    active = next((r for r in rows if r.status == AgreementStatus.ACTIVE), None)
    return (active or rows[0]).id


def pick_version(
    kind: str, rows: list[VersionRow], default_id: int, zone: str
) -> tuple[VersionRow, bool]:
    """Draw the version picker; return the picked version and whether the view is fresh
    (first drawn since the page was opened)."""
    key = f"agr_{kind}_picked"
    fresh = key not in st.session_state
    ids = [r.id for r in rows]
    pending = st.session_state.pop(actions.select_key(kind), None)
    if pending in ids:
        st.session_state[key] = pending
    elif st.session_state.get(key) not in ids:
        st.session_state[key] = default_id
    names = {r.id: label(r, zone) for r in rows}
    picked = st.selectbox("Version", ids, format_func=names.__getitem__, key=key)
    return next(r for r in rows if r.id == picked), fresh


def _history_line(row: VersionRow, zone: str) -> str:
    parts = [f"Drafted by {row.author or 'someone'} on {when(row.created_at)}"]
    if row.proposed_at:
        parts.append(f"proposed {when(row.proposed_at)}")
    if row.starts_at and row.status in (AgreementStatus.PROPOSED, AgreementStatus.SCHEDULED):
        parts.append(f"to take effect {local(row.starts_at, zone)}")
    if row.effective_from:
        parts.append(f"in force from {when(row.effective_from)}")
    if row.effective_to:
        parts.append(f"until {when(row.effective_to)}")
    if row.next_review_on:
        parts.append(f"next review {row.next_review_on:%Y-%m-%d}")
    return " · ".join(parts)


def show_header(row: VersionRow, zone: str) -> None:
    """Draw the version's number, title, status badge and dates."""
    st.subheader(f"v{row.number} — {plain(bare_title(row.number, row.title))}", anchor=False)
    color, icon = BADGES.get(row.status, ("gray", None))
    st.badge(plain(status_text(row, zone).capitalize()), color=color, icon=icon)  # type: ignore[arg-type]
    st.caption(plain(_history_line(row, zone)))


def show_signatures(row: VersionRow) -> None:
    """Draw who signed the version for each side (a draft has nothing to sign yet)."""
    if row.status == AgreementStatus.DRAFT:
        st.caption("Not proposed yet: nobody signs a draft.")
        return
    for column, side in zip(st.columns(2), Side, strict=True):
        signed = row.signatures.get(side)
        if signed:
            column.success(
                f"{side.capitalize()}: signed by {plain(signed.signer)}, {when(signed.signed_at)}",
                icon=":material/check_circle:",
            )
        else:
            column.warning(f"{side.capitalize()}: not signed yet", icon=":material/pending:")


def show_actions(
    actor: Actor, doc: Document, row: VersionRow, expected: int, rows: list[VersionRow], zone: str
) -> None:
    """Draw the workflow buttons this actor may press on this version (a draft is proposed
    from its editor, where unsaved edits can be seen)."""
    where = st.empty()
    if row.status == AgreementStatus.DRAFT and can(actor, EDIT):
        st.caption(
            f"When v{row.number}'s terms are right, propose it for signature with the button "
            "under its terms (Terms tab)."
        )
    if row.status == AgreementStatus.PROPOSED:
        _sign_or_wait(actor, doc, row, expected, rows, where, zone)
    if row.status == AgreementStatus.SCHEDULED:
        _scheduled(actor, doc, row, expected, where, zone)
    if can(actor, EDIT):
        _new_draft(actor, doc, row, where)
    elif not _signer_side(actor):
        st.caption(
            "You can read every version, its changes and its discussion; marketing "
            "and sales leaders edit and sign them."
        )


def _sign_or_wait(
    actor: Actor,
    doc: Document,
    row: VersionRow,
    expected: int,
    rows: list[VersionRow],
    where: DeltaGenerator,
    zone: str,
) -> None:
    side = _signer_side(actor)
    missing = [s for s in Side if s not in row.signatures]
    if side is None:
        st.caption(
            f"Waiting for {' and '.join(missing)} to sign. Only a marketing leader and "
            "a sales leader can sign."
        )
        return
    if side in row.signatures:
        _withdraw(actor, doc, row, expected, side, where)
        return
    if st.session_state.get(confirm.confirm_key(row.id)):
        confirm.show_sign_step(actor, doc, row, expected, rows, side, zone)
        return
    if st.button(f"Sign for {side}", type="primary", key=f"agr_sign_{row.id}"):
        st.session_state[confirm.confirm_key(row.id)] = True
        st.rerun()
    st.caption(
        _after_signing(doc, row, side, rows) + " You see what it changes before you confirm."
    )


def _after_signing(doc: Document, row: VersionRow, side: str, rows: list[VersionRow]) -> str:
    other = next(s for s in Side if s != side)
    if other not in row.signatures:
        return f"Then v{row.number} waits for {other} to sign; both signatures make it active."
    active = next((r for r in rows if r.status == AgreementStatus.ACTIVE), None)
    retires = f" and v{active.number} is retired" if active else ""
    return f"Your signature makes v{row.number} the active {doc.name}{retires}."


def _scheduled(
    actor: Actor, doc: Document, row: VersionRow, expected: int, where: DeltaGenerator, zone: str
) -> None:
    start = local(row.starts_at, zone) if row.starts_at else "soon"
    st.info(
        plain(
            f"Signed by both sides: v{row.number} takes effect on {start}. Until then the "
            "version in force stays in force."
        ),
        icon=":material/event:",
    )
    side = _signer_side(actor)
    if side is not None and side in row.signatures:
        _withdraw(actor, doc, row, expected, side, where, waiting=False)


def _withdraw(
    actor: Actor,
    doc: Document,
    row: VersionRow,
    expected: int,
    side: str,
    where: DeltaGenerator,
    *,
    waiting: bool = True,
) -> None:
    signer = plain(row.signatures[side].signer)
    if waiting:
        st.caption(f"{signer} signed for {side}; waiting for the other side.")
    else:
        st.caption(f"{signer} signed for {side}. Withdrawing it cancels the start.")
    if st.button(f"Withdraw the {side} signature", key=f"agr_withdraw_{row.id}"):
        actions.run(
            actor,
            doc.kind,
            row.id,
            actions.withdraw(actor, row.id, row.number, expected),
            where=where,
        )


def _new_draft(actor: Actor, doc: Document, row: VersionRow, where: DeltaGenerator) -> None:
    if st.button("Start a new draft from this version", key=f"agr_new_{row.id}"):
        actions.run(
            actor, doc.kind, None, actions.new_draft(actor, doc, row.id, row.number), where=where
        )
    st.caption(f"Copies v{row.number}'s terms into a new draft; v{row.number} stays as it is.")
