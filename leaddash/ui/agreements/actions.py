"""Writes from the agreement pages: one transaction each, then a rerun with a message.

The browser remembers, per version id, the row version it started from and hands it to
every write. When someone else changed the version meanwhile the service refuses the
write; the page keeps the refusal (who, when, what changed), moves this browser on to the
other person's version and draws the editor afresh from it. Nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from leaddash.agreements import (
    EditConflict,
    add_comment,
    calendar_zone,
    create_draft,
    describe_change,
    get_version,
    propose,
    save_draft,
    sign,
    withdraw_signature,
)
from leaddash.core.actor import Actor
from leaddash.core.times import format_utc
from leaddash.errors import Conflict, InvalidInput, LeadDashError
from leaddash.models import utcnow
from leaddash.notify import notify_proposal
from leaddash.ui.agreements.base import Content, Document, local
from leaddash.ui.resources import reading, writing
from leaddash.ui.seam import STALE_ICON, show_error, show_invalid
from leaddash.ui.text import plain

TOP, EDITOR, THREAD = "top", "editor", "thread"
RELOADED = " The page now shows their version: check it, then make your change again."


@dataclass(frozen=True)
class Done:
    """What a write leaves: the message to show, and the version to show next."""

    message: str
    version_id: int
    row_version: int


Write = Callable[[Session], Done]


def expected_key(version_id: int) -> str:
    """Return the session key holding the row version this browser started from."""
    return f"agr_expected_{version_id}"


def select_key(kind: str) -> str:
    """Return the session key of a version to select on the next run."""
    return f"agr_{kind}_select"


def open_key(kind: str) -> str:
    """Return the session key of the version id whose edits this browser tracks."""
    return f"agr_{kind}_open"


def note_key(kind: str) -> str:
    """Return the session key of the message the last write left, shown once."""
    return f"agr_{kind}_note"


@dataclass(frozen=True)
class Note:
    """A write's outcome to show after the rerun: `refused` or not, and where: beside the
    button that caused it (TOP, EDITOR or THREAD), so it is seen without scrolling."""

    text: str
    refused: bool
    place: str

    def show(self, where: DeltaGenerator | None = None) -> None:
        """Draw the note (as text: it may quote what people typed)."""
        if self.refused:
            show_error(self.text, where=where, icon=STALE_ICON)
        else:
            (where or st).success(plain(self.text), icon=":material/check_circle:")


def pop_note(kind: str) -> Note | None:
    """Return (once) the note the last write left for this agreement."""
    return st.session_state.pop(note_key(kind), None)


def started_from(kind: str, version_id: int, current: int, fresh: bool) -> int:
    """Return the row version this browser started editing from (now, on a fresh view)."""
    key = expected_key(version_id)
    if fresh or st.session_state.get(open_key(kind)) != version_id or key not in st.session_state:
        st.session_state[key] = current
        st.session_state[open_key(kind)] = version_id
    return int(st.session_state[key])


def run(
    actor: Actor,
    kind: str,
    version_id: int | None,
    write: Write,
    *,
    where: DeltaGenerator,
    slots: dict[str, DeltaGenerator] | None = None,
    place: str = TOP,
) -> None:
    """Run `write` in one transaction; rerun on success or conflict, else show the error."""
    try:
        with writing() as session:
            done = write(session)
    except Conflict as exc:
        refusal = _reload(actor, version_id, exc)
        st.session_state[note_key(kind)] = Note(refusal, refused=True, place=place)
        st.rerun()
    except InvalidInput as exc:
        show_invalid(exc, where=where, slots=slots or {})
        return
    except LeadDashError as exc:
        show_error(exc.message, where=where, icon=":material/block:")
        return
    st.session_state[expected_key(done.version_id)] = done.row_version
    st.session_state[open_key(kind)] = done.version_id
    st.session_state[select_key(kind)] = done.version_id
    st.session_state[note_key(kind)] = Note(done.message, refused=False, place=place)
    st.rerun()


def _reload(actor: Actor, version_id: int | None, exc: Conflict) -> str:
    """Move this browser on to the version as it is now; return the refusal to show."""
    if version_id is None:
        return exc.message
    with reading() as session:
        current = get_version(session, actor=actor, version_id=version_id)
    st.session_state[expected_key(version_id)] = current.version
    if isinstance(exc, EditConflict):
        return _refusal(exc, current.number)
    return exc.message + RELOADED


def _refusal(exc: EditConflict, number: int) -> str:
    changes = "; ".join(describe_change(c) for c in exc.changes)
    what = f": {changes}" if changes else ""
    return (
        f"{exc.changed_by} changed v{number} on {format_utc(exc.changed_at)}, after you "
        f"opened it{what}. Nothing was saved." + RELOADED
    )


def show_problems(
    problems: dict[str, str], where: DeltaGenerator, slots: dict[str, DeltaGenerator]
) -> None:
    """Show problems an editor found before the terms reach the service."""
    for field, message in problems.items():
        show_invalid(InvalidInput(message, field=field), where=where, slots=slots)


# --- the writes ------------------------------------------------------------------------


def first_draft(actor: Actor, doc: Document) -> Write:
    """Return the write that starts v1 from the suggested terms."""

    def write(session: Session) -> Done:
        version = create_draft(
            session,
            actor=actor,
            kind=doc.kind,
            title=f"First {doc.name}",
            content=doc.default_content(),
            validate=doc.validate,
            summarize=doc.summarize,
        )
        return Done(
            f"Started draft v{version.number} from the suggested terms. Edit them, "
            "then propose the draft for signature.",
            version.id or 0,
            version.version,
        )

    return write


def new_draft(actor: Actor, doc: Document, base_id: int, base_number: int) -> Write:
    """Return the write that starts a new draft with a copy of version `base_id`'s terms."""

    def write(session: Session) -> Done:
        version = create_draft(
            session,
            actor=actor,
            kind=doc.kind,
            title=f"New draft from v{base_number}",
            based_on_id=base_id,
            summarize=doc.summarize,
        )
        return Done(
            f"Started draft v{version.number} from v{base_number}. Edit it, then "
            "propose it for signature.",
            version.id or 0,
            version.version,
        )

    return write


def save_terms(
    actor: Actor,
    doc: Document,
    version_id: int,
    expected: int,
    *,
    title: str,
    content: Content,
    next_review_on: date | None,
) -> Write:
    """Return the write that saves an edited draft (or proposed version)."""

    def write(session: Session) -> Done:
        result = save_draft(
            session,
            actor=actor,
            version_id=version_id,
            expected_version=expected,
            title=title,
            content=content,
            next_review_on=next_review_on,
            validate=doc.validate,
            summarize=doc.summarize,
        )
        version = result.version
        said = (
            f"Saved v{version.number}."
            if version.version != expected
            else f"Nothing to save: v{version.number} already says this."
        )
        if result.withdrawn_from:
            names = " and ".join(result.withdrawn_from)
            said += f" The signature of {names} was withdrawn: both sides sign again."
        return Done(said, version_id, version.version)

    return write


def propose_version(actor: Actor, version_id: int, expected: int) -> Write:
    """Return the write that proposes a draft for signature."""

    def write(session: Session) -> Done:
        version = propose(session, actor=actor, version_id=version_id, expected_version=expected)
        notify_proposal(session, version=version)
        return Done(
            f"v{version.number} is proposed. It becomes active once a marketing "
            "leader and a sales leader have signed it.",
            version_id,
            version.version,
        )

    return write


def sign_version(
    actor: Actor, doc: Document, version_id: int, expected: int, *, starts_at: datetime | None
) -> Write:
    """Return the write that signs a proposed version for the actor's side (to take effect
    at `starts_at` when this signer chooses the start)."""

    def write(session: Session) -> Done:
        result = sign(
            session,
            actor=actor,
            version_id=version_id,
            expected_version=expected,
            on_activate=doc.on_activate,
            starts_at=starts_at,
        )
        number = result.version.number
        if result.scheduled:
            start = local(result.version.starts_at or utcnow(), calendar_zone(session))
            said = (
                f"Signed for {result.side}. v{number} is signed by both sides and takes "
                f"effect on {start}; the version in force stays until then."
            )
        elif not result.activated:
            other = "sales" if result.side == "marketing" else "marketing"
            said = f"Signed for {result.side}. v{number} becomes active once {other} signs."
        else:
            said = f"Signed for {result.side}. v{number} is now the active {doc.name}."
            if result.retired is not None:
                said += f" v{result.retired.number} is retired."
        return Done(said, version_id, result.version.version)

    return write


def withdraw(actor: Actor, version_id: int, number: int, expected: int) -> Write:
    """Return the write that withdraws the actor's side's signature."""

    def write(session: Session) -> Done:
        signature = withdraw_signature(session, actor=actor, version_id=version_id)
        return Done(
            f"The {signature.side} signature on v{number} is withdrawn.", version_id, expected
        )

    return write


def post_comment(actor: Actor, version_id: int, expected: int, body: str) -> Write:
    """Return the write that adds a comment to a version's thread."""

    def write(session: Session) -> Done:
        add_comment(session, actor=actor, version_id=version_id, body=body)
        return Done("Comment posted.", version_id, expected)

    return write
