"""Each version's discussion thread: everyone but reps may comment; everyone may read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.agreements.store import find_version, flush
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Comment, User

MAX_COMMENT_LENGTH = 4000


@dataclass(frozen=True)
class CommentRow:
    """One comment as the thread shows it."""

    id: int
    author: str
    body: str
    created_at: datetime


def add_comment(session: Session, *, actor: Actor, version_id: int, body: str) -> Comment:
    """Return the new comment on a version's thread; empty or overlong comments are refused."""
    authorize(session, actor, "comment_on_agreement", "comment on the agreements")
    body = body.strip()
    if not body:
        raise InvalidInput("Write something before posting the comment.", field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"Keep a comment under {MAX_COMMENT_LENGTH} characters.", field="body")
    if actor.id is None:
        raise InvalidInput("Comments belong to people: sign in as yourself to comment.")
    find_version(session, version_id)
    act_as(session, actor, "agreement.comment")
    comment = Comment(agreement_id=version_id, author_id=actor.id, body=body)
    session.add(comment)
    flush(session)
    return comment


def list_comments(session: Session, *, actor: Actor, version_id: int) -> list[CommentRow]:
    """Return a version's comments, oldest first, with their authors' names."""
    authorize(session, actor, "read_agreements", "read the agreements")
    find_version(session, version_id)
    rows = session.exec(
        select(Comment, User.name)
        .join(User, col(Comment.author_id) == User.id)
        .where(Comment.agreement_id == version_id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    return [CommentRow(c.id or 0, name, c.body, c.created_at) for c, name in rows]
