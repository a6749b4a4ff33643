"""How people are named in messages and tables."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from leaddash.models import User


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Return the display name of each user id given."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}
