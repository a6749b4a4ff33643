"""Login state every app instance shares through the database: the login tokens given up
at logout. The throttle on failed logins is leaddash.throttle (`attempt_login` is re-exported
here for its callers).

Rows here are written with plain SQL, outside the unit of work: logins and logouts are not
data changes, so they leave no row-by-row audit trail and do not refresh every cache.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from leaddash.models import RevokedLogin
from leaddash.throttle import attempt_login

__all__ = ["attempt_login", "is_revoked", "revoke_token", "token_digest"]

REVOKED = RevokedLogin.__table__


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest that stands for a login token (the token is never kept)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_token(session: Session, *, digest: str, expires_at: datetime, now: datetime) -> None:
    """Revoke the token with `digest` until `expires_at`, dropping revocations already past."""
    connection = session.connection()
    connection.execute(delete(REVOKED).where(REVOKED.c.expires_at < now))
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    # Two instances may revoke the same token at once (two tabs logging out).
    connection.execute(dialect.insert(REVOKED).values(token_sha256=digest, expires_at=expires_at)
                       .on_conflict_do_nothing())


def is_revoked(session: Session, digest: str) -> bool:
    """Return True when the token with `digest` was given up at a logout."""
    found = session.connection().execute(
        select(REVOKED.c.token_sha256).where(REVOKED.c.token_sha256 == digest)).first()
    return found is not None
