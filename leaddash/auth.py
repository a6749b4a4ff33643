"""Users, passwords, roles and the permission checks every service calls."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import bcrypt
from sqlmodel import Session, select

from leaddash.core.actor import Actor
from leaddash.errors import Forbidden, InvalidInput, NotFound
from leaddash.models import Role, Team, User

MIN_PASSWORD_LENGTH = 10
BCRYPT_ROUNDS = 12
MAX_PASSWORD_BYTES = 72  # bcrypt ignores everything past 72 bytes; refuse rather than truncate.
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CLI_ACTOR = Actor(id=None, username="cli", role=Role.ADMIN, name="Command line")
# A bcrypt hash (cost 12, as BCRYPT_ROUNDS) of a random password nobody kept. A login for an
# unknown or deactivated username is checked against it, so it costs a real user's time.
DUMMY_HASH_COST_12 = "$2b$12$r1yDxqvsy6qX0dn/2WzUQuR9.ExARe7BPfKQgzf/rFvJqZ/Hc8om."

ALL_ROLES = frozenset(Role)
PERMISSIONS: dict[str, frozenset[str]] = {
    "manage_users": frozenset({Role.ADMIN}),
    # The SMTP server, the webhooks (their URLs are secrets) and the outbox of everyone's
    # messages.
    "manage_notifications": frozenset({Role.ADMIN}),
    "edit_agreement_draft": frozenset(
        {Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.MARKETING}
    ),
    "sign_for_marketing": frozenset({Role.MARKETING_LEADER}),
    "sign_for_sales": frozenset({Role.SALES_LEADER}),
    "comment_on_agreement": ALL_ROLES - {Role.REP},
    "read_agreements": ALL_ROLES,
    # Reps do not get the SLA page: their queue already shows each lead's SLA deadline.
    "view_sla_page": ALL_ROLES - {Role.REP},
    # A replay reads every past lead and every rep's decisions: beyond a rep's own queue.
    "replay_definition": ALL_ROLES - {Role.REP},
    "import_leads": frozenset({Role.ADMIN, Role.MARKETING_LEADER, Role.MARKETING}),
    "edit_routing": frozenset({Role.ADMIN}),
    "set_rep_availability": frozenset({Role.ADMIN, Role.SALES_LEADER, Role.SALES_MANAGER}),
    "view_all_dashboards": frozenset(
        {Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.MARKETING}
    ),
    "view_team_dashboards": ALL_ROLES - {Role.REP},
    "reassign_any_lead": frozenset({Role.ADMIN, Role.SALES_LEADER}),
    "reassign_team_lead": frozenset({Role.ADMIN, Role.SALES_LEADER, Role.SALES_MANAGER}),
    "work_lead": frozenset({Role.ADMIN, Role.SALES_LEADER, Role.SALES_MANAGER, Role.REP}),
    "take_waiting_lead": frozenset({Role.REP}),
    "dispute_decision": frozenset({Role.ADMIN, Role.MARKETING_LEADER, Role.MARKETING}),
    "resolve_dispute": frozenset({Role.SALES_LEADER}),
    # Every change by everyone, users' and webhooks' settings included: beyond a team's view.
    "view_audit_trail": frozenset({Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER}),
}


def can(actor: Actor, action: str) -> bool:
    """Return True when the actor's role allows `action`."""
    return actor.role in PERMISSIONS[action]


def require(actor: Actor, action: str, what: str) -> None:
    """Raise Forbidden, naming what was refused, unless the actor's role allows `action`."""
    if not can(actor, action):
        role = actor.role.replace("_", " ")
        raise Forbidden(f"A {role} may not {what}. Ask someone with the right role.")


@dataclass(frozen=True)
class TeamScope:
    """Which teams' leads one kind of read may show: a role allowed `every` sees any team, a
    role allowed only `own` its own team; `what` names the read when a role is refused.
    `needs_team`: a team-bound actor without a team is refused (there is nothing for them
    to work on) instead of being shown nothing; `nothing` says so in the refusal."""

    every: str
    own: str
    what: str
    needs_team: bool
    nothing: str = "there is nothing to show"


NO_TEAM = -1  # no team has this id: a read narrowed to NO_TEAM finds no lead
DASHBOARDS = TeamScope(
    every="view_all_dashboards",
    own="view_team_dashboards",
    what="see team dashboards",
    needs_team=False,
)
TEAM_QUEUE = TeamScope(
    every="reassign_any_lead",
    own="reassign_team_lead",
    what="see a team's lead queue",
    needs_team=True,
    nothing="there is no queue to show",
)


def team_scope(actor: Actor, scope: TeamScope, team_id: int | None = None) -> int | None:
    """Return the one team whose leads the actor may see under `scope`, or None for all.

    A role allowed `scope.every` gets the team asked for (`team_id`; None: every team). A
    role allowed only `scope.own` gets its own team, and Forbidden when it asks for another;
    without a team of its own it gets NO_TEAM, or Forbidden when the scope needs a team. Any
    other role gets Forbidden naming `scope.what`.
    """
    if can(actor, scope.every):
        return team_id
    require(actor, scope.own, scope.what)
    role = actor.role.replace("_", " ")
    if actor.team_id is None:
        if not scope.needs_team:
            return NO_TEAM
        raise Forbidden(
            f"You are a {role} without a team, so {scope.nothing}. "
            "Ask an admin to put you in your team."
        )
    if team_id not in (None, actor.team_id):
        raise Forbidden(
            f"A {role} sees only their own team's leads. Ask a sales leader about other teams."
        )
    return actor.team_id


def check_role(role: str) -> str:
    """Return `role` when it is a known role, else raise InvalidInput listing the valid ones."""
    if role not in {r.value for r in Role}:
        valid = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role {role!r}. Valid roles: {valid}.", field="role")
    return role


def check_password(password: str) -> bytes:
    """Return the password as bytes, or raise InvalidInput saying what is wrong with it."""
    if password != password.strip():
        # The login form drops spaces around what is typed: such a password could never log in.
        raise InvalidInput(
            "The password starts or ends with a space, which the login form leaves out. "
            "Remove the spaces at its start and end, or put them inside the password.",
            field="password",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise InvalidInput(
            f"The password is too long: at most {MAX_PASSWORD_BYTES} bytes "
            "(fewer characters if it uses accents or symbols).",
            field="password",
        )
    return encoded


def hash_password(password: str) -> str:
    """Return the bcrypt hash of a password that passes `check_password`."""
    return bcrypt.hashpw(check_password(password), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Return True when `password` matches `password_hash`."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode("ascii"))


def dummy_hash() -> str:
    """Return the hash an unknown or deactivated username's password is checked against (the
    answer is no whatever it says), at the cost of a new real hash (BCRYPT_ROUNDS)."""
    if BCRYPT_ROUNDS == 12:
        return DUMMY_HASH_COST_12
    return _dummy_hash_at(BCRYPT_ROUNDS)


@functools.cache
def _dummy_hash_at(rounds: int) -> str:
    return bcrypt.hashpw(b"no password is this one", bcrypt.gensalt(rounds)).decode("ascii")


def actor_for(user: User, *, login: str | None = None) -> Actor:
    """Return the plain Actor value for a user row, acting under the login `login`."""
    return Actor(
        id=user.id,
        username=user.username,
        role=user.role,
        team_id=user.team_id,
        name=user.name,
        login=login,
    )


def get_user(session: Session, username: str) -> User:
    """Return the user called `username`, or raise NotFound."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"There is no user called {username!r}.")
    return user


def find_active_actor(session: Session, username: str) -> Actor | None:
    """Return the Actor for an active user, or None when unknown or deactivated."""
    user = session.exec(select(User).where(User.username == username)).first()
    return actor_for(user) if user is not None and user.is_active else None


def authenticate(session: Session, username: str, password: str) -> Actor | None:
    """Return the Actor when the username and password match an active user.

    Spaces around the password are left out, as the login form does (no password may start
    or end with one). An unknown or deactivated username is checked against a dummy hash, so
    its answer takes as long as a real user's and cannot tell who exists.
    """
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        verify_password(password.strip(), dummy_hash())
        return None
    return actor_for(user) if verify_password(password.strip(), user.password_hash) else None


def team_by_name(session: Session, name: str | None) -> Team | None:
    """Return the team called `name` (None for no team), or raise InvalidInput."""
    if not name:
        return None
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        names = ", ".join(session.exec(select(Team.name).order_by(Team.name)).all()) or "none yet"
        raise InvalidInput(f"There is no team called {name!r}. Teams: {names}.", field="team")
    return team
