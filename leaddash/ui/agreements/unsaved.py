"""The guard on "Propose": a draft whose editor holds changes not yet saved is not proposed;
the person is told what is unsaved and chooses to save or to discard it first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from leaddash.agreements import pending_edits
from leaddash.core.actor import Actor
from leaddash.models import AgreementVersion
from leaddash.ui.agreements import actions
from leaddash.ui.agreements.base import Document, Edited
from leaddash.ui.text import plain


class Terms(NamedTuple):
    """What the editor holds on this run."""

    title: str
    edited: Edited
    review: date | None


def block_key(version_id: int) -> str:
    """Return the session key holding the unsaved changes that stopped a proposal."""
    return f"agr_unsaved_{version_id}"


def unsaved_lines(doc: Document, version: AgreementVersion, terms: Terms) -> list[str]:
    """Return one line per change in the editor that is not saved (none: all saved)."""
    if terms.edited.problems:
        return [f"{plain(m)} (not valid yet)" for m in terms.edited.problems.values()]
    return pending_edits(
        version,
        title=terms.title,
        content=terms.edited.content,
        next_review_on=terms.review,
        validate=doc.validate,
    )


def propose(
    actor: Actor,
    doc: Document,
    version: AgreementVersion,
    expected: int,
    terms: Terms,
    where: DeltaGenerator,
    save: Callable[[], None],
) -> None:
    """Propose the draft, or, when the editor holds unsaved changes, stop and say so."""
    version_id = version.id or 0
    lines = unsaved_lines(doc, version, terms)
    if lines:
        st.session_state[block_key(version_id)] = lines
        show_block(doc, version, save)
        return
    write = actions.propose_version(actor, version_id, expected)
    actions.run(actor, doc.kind, version_id, write, where=where, place=actions.EDITOR)


def show_block(doc: Document, version: AgreementVersion, save: Callable[[], None]) -> None:
    """Draw why the draft was not proposed, with Save and Discard, while that holds."""
    version_id = version.id or 0
    lines = st.session_state.get(block_key(version_id))
    if not lines:
        return
    listed = "\n".join(f"- {plain(line)}" for line in lines)
    said = plain(
        f"v{version.number} was not proposed: the editor holds changes you have not saved."
    )
    st.warning(
        f"{said}\n\n{listed}\n\nSave them or discard them, then propose.",
        icon=":material/edit_note:",
    )
    keep, drop = st.columns(2)
    if keep.button("Save my changes", type="primary", key=f"agr_unsaved_save_{version_id}"):
        st.session_state.pop(block_key(version_id), None)
        save()
    if drop.button("Discard my changes", key=f"agr_unsaved_drop_{version_id}"):
        _discard(doc, version)


def _discard(doc: Document, version: AgreementVersion) -> None:
    """Forget every widget value of this version's editor, so it shows the saved terms."""
    version_id = version.id or 0
    prefix = f"agr-{doc.kind}-{version_id}-"
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]
    st.session_state.pop(block_key(version_id), None)
    said = f"Your unsaved changes to v{version.number} were discarded."
    st.session_state[actions.note_key(doc.kind)] = actions.Note(said, False, actions.EDITOR)
    st.rerun()
