"""The record of an agreement: every version with its dates, a diff between any two, and
each version's discussion thread."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.agreements import CommentRow, VersionRow
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.models import Side
from leaddash.ui.agreements import actions
from leaddash.ui.agreements.base import status_text
from leaddash.ui.agreements.confirm import change_lines
from leaddash.ui.agreements.workflow import label
from leaddash.ui.text import plain, when


def _signer(row: VersionRow, side: str) -> str:
    signed = row.signatures.get(side)
    return f"{signed.signer}, {when(signed.signed_at)}" if signed else ""


def show_versions(rows: list[VersionRow], zone: str) -> None:
    """Draw every version with its status, author, dates and signatures."""
    frame = pd.DataFrame(
        [
            {
                "version": f"v{r.number}",
                "title": r.title,
                "status": status_text(r, zone),
                "author": r.author,
                "proposed": when(r.proposed_at),
                "from": when(r.effective_from),
                "until": when(r.effective_to),
                "marketing": _signer(r, Side.MARKETING),
                "sales": _signer(r, Side.SALES),
                "review": r.next_review_on,
            }
            for r in rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "version": "Version",
            "title": "Title",
            "status": "Status",
            "author": "Drafted by",
            "proposed": "Proposed",
            "from": "In force from",
            "until": "In force until",
            "marketing": "Signed for marketing",
            "sales": "Signed for sales",
            "review": st.column_config.DateColumn("Next review", format="YYYY-MM-DD"),
        },
    )


def show_diff(actor: Actor, rows: list[VersionRow], row: VersionRow) -> None:
    """Draw the changes between any two versions, one readable line per change."""
    if len(rows) < 2:
        st.caption("There is only one version so far: nothing to compare yet.")
        return
    ids = [r.id for r in rows]
    names = {r.id: label(r) for r in rows}
    at = ids.index(row.id)
    left, right = st.columns(2)
    old_id = left.selectbox(
        "From",
        ids,
        index=min(at + 1, len(ids) - 1),
        format_func=names.__getitem__,
        key=f"agr_diff_from_{row.id}",
    )
    new_id = right.selectbox(
        "To", ids, index=at, format_func=names.__getitem__, key=f"agr_diff_to_{row.id}"
    )
    if old_id == new_id:
        st.info("Pick two different versions to see what changed.")
        return
    by_id = {r.id: r for r in rows}
    lines = change_lines(actor, by_id[old_id], by_id[new_id])
    if not lines:
        st.success("The two versions say the same thing.")
        return
    st.caption(f"{len(lines)} change(s) from v{by_id[old_id].number} to v{by_id[new_id].number}:")
    st.markdown("\n".join(f"- {plain(line)}" for line in lines))


def show_thread(
    actor: Actor,
    row: VersionRow,
    comments: list[CommentRow],
    expected: int,
    note: actions.Note | None,
) -> None:
    """Draw the version's comments, oldest first, and the box to add one."""
    count = f"{len(comments)} comment{'s' if len(comments) != 1 else ''}"
    st.caption(f"{count} on v{row.number}." if comments else f"No comments on v{row.number} yet.")
    for comment in comments:
        with st.container(border=True):
            st.caption(f"{plain(comment.author)} · {when(comment.created_at)}")
            st.text(comment.body)
    if not can(actor, "comment_on_agreement"):
        st.caption("Reps read the discussion; raise a point with your manager.")
        return
    with st.form(f"agr_comment_{row.id}", clear_on_submit=True):
        body = st.text_area(
            f"Comment on v{row.number}", max_chars=4000, key=f"agr_comment_body_{row.id}"
        )
        posted = st.form_submit_button("Post comment")
        where = st.empty()
    if note and note.place == actions.THREAD:
        note.show(where)
    if posted:
        actions.run(
            actor,
            row.kind,
            row.id,
            actions.post_comment(actor, row.id, expected, body),
            where=where,
            place=actions.THREAD,
        )
