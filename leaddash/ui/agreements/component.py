"""One agreement page, shared by the lead definition and the SLA: the document's own
editor is plugged into the same versioning, sign-off, diff and discussion."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from leaddash.agreements import (
    VersionRow,
    calendar_zone,
    get_version,
    list_comments,
    list_versions,
)
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.models import AgreementStatus, AgreementVersion
from leaddash.ui.agreements import actions, history, unsaved, workflow
from leaddash.ui.agreements.base import Document
from leaddash.ui.agreements.unsaved import Terms
from leaddash.ui.resources import reading
from leaddash.ui.text import plain, when


def show_agreement(actor: Actor, doc: Document) -> None:
    """Draw one agreement: version picker, sign-off, terms (editable while open), the
    changes between versions, the discussion, and every version's dates."""
    with reading() as session:
        rows = list_versions(session, actor=actor, kind=doc.kind)
        zone = calendar_zone(session)
    if not rows:
        _first_draft(actor, doc)
        return
    row, fresh = workflow.pick_version(doc.kind, rows, workflow.default_version(actor, rows), zone)
    with reading() as session:
        version = get_version(session, actor=actor, version_id=row.id)
        comments = list_comments(session, actor=actor, version_id=row.id)
    expected = actions.started_from(doc.kind, row.id, version.version, fresh)
    note = actions.pop_note(doc.kind)
    if note and note.place == actions.EDITOR and not workflow.may_edit(actor, row):
        note = actions.Note(note.text, note.refused, actions.TOP)
    if note and note.place == actions.TOP:
        note.show()
    if version.version != expected:
        _show_stale(row)
    workflow.show_header(row, zone)
    workflow.show_signatures(row)
    workflow.show_actions(actor, doc, row, expected, rows, zone)
    terms, compare, thread, every = st.tabs(
        ["Terms", "Compare versions", "Discussion", "All versions"], key=f"agr_{doc.kind}_tab"
    )
    with terms:
        _show_terms(actor, doc, row, version, expected, note)
    with compare:
        history.show_diff(actor, rows, row)
    with thread:
        history.show_thread(actor, row, comments, expected, note)
    with every:
        history.show_versions(rows, zone)


def _first_draft(actor: Actor, doc: Document) -> None:
    st.info(f"There is no {doc.name} yet.", icon=":material/info:")
    if not can(actor, workflow.EDIT):
        st.caption("Marketing and sales leaders start it; it appears here once they do.")
        return
    where = st.empty()
    if st.button("Start the first draft", type="primary"):
        actions.run(actor, doc.kind, None, actions.first_draft(actor, doc), where=where)
    st.caption(
        f"Starts v1 of the {doc.name} from LeadDash's suggested terms: edit them, "
        "then propose the draft for signature."
    )


def _show_stale(row: VersionRow) -> None:
    st.warning(
        f"v{row.number} was changed on {when(row.updated_at)}, after you opened it "
        "here. Saving or signing now would be refused: load the new version first "
        "(edits you have not saved are dropped).",
        icon=":material/sync_problem:",
    )
    if st.button("Load the new version", key=f"agr_reload_{row.id}"):
        st.session_state.pop(actions.expected_key(row.id), None)
        st.rerun()


def _show_terms(
    actor: Actor,
    doc: Document,
    row: VersionRow,
    version: AgreementVersion,
    expected: int,
    note: actions.Note | None,
) -> None:
    editor, summary = st.columns([5, 2], gap="medium")
    with summary:
        st.markdown("**In plain words**")
        st.info(
            plain(version.summary or doc.summarize(version.content)), icon=":material/description:"
        )
        if workflow.may_edit(actor, row):
            st.caption("Generated from the saved terms; it changes when you save.")
    with editor:
        if workflow.may_edit(actor, row):
            _edit_terms(actor, doc, version, expected, note)
        else:
            doc.show(version.content)


def _edit_terms(
    actor: Actor, doc: Document, version: AgreementVersion, expected: int, note: actions.Note | None
) -> None:
    key = f"agr-{doc.kind}-{version.id}-{expected}-"
    if version.status == AgreementStatus.PROPOSED:
        st.warning(
            "This version is proposed: saving a change withdraws the signatures "
            "given so far, and both sides sign again.",
            icon=":material/draw:",
        )
    with st.form(key + "form", border=False, enter_to_submit=False):
        title = st.text_input("Title", value=version.title, max_chars=200, key=key + "title")
        title_slot = st.empty()
        edited = doc.edit(version.content, key)
        review = st.date_input(
            "Next review",
            value=version.next_review_on,
            key=key + "review",
            help="When both sides meet to ask whether this still holds.",
        )
        edited.slot("next_review_on")
        left, right = st.columns(2)
        submitted = left.form_submit_button("Save draft", type="primary")
        proposing = version.status == AgreementStatus.DRAFT and right.form_submit_button(
            "Propose for signature"
        )
        where = st.empty()
    if note and note.place == actions.EDITOR:
        note.show(where)
    if version.status == AgreementStatus.DRAFT:
        st.caption(
            plain(
                f"Propose sends v{version.number} to a marketing leader and a sales leader for "
                "signature. It stays editable; an edit after that withdraws the signatures given."
            )
        )
    terms = Terms(title, edited, review)

    def save() -> None:
        _save(actor, doc, version, expected, terms, title_slot, where)

    if proposing:
        unsaved.propose(actor, doc, version, expected, terms, where, save)
    elif submitted:
        st.session_state.pop(unsaved.block_key(version.id or 0), None)
        save()
    else:
        unsaved.show_block(doc, version, save)


def _save(
    actor: Actor,
    doc: Document,
    version: AgreementVersion,
    expected: int,
    terms: Terms,
    title_slot: DeltaGenerator,
    where: DeltaGenerator,
) -> None:
    title, edited, review = terms
    slots = {**edited.slots, "title": title_slot}
    if edited.problems:
        actions.show_problems(edited.problems, where, slots)
        return
    write = actions.save_terms(
        actor,
        doc,
        version.id or 0,
        expected,
        title=title,
        content=edited.content,
        next_review_on=review,
    )
    actions.run(actor, doc.kind, version.id, write, where=where, slots=slots, place=actions.EDITOR)
