"""AppTest runs of the accounts features: confirming a change of your own role, choosing
where a deactivated user's open leads go, and the Team queue's flag on inactive owners."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from leaddash.auth import find_active_actor
from leaddash.db import read_session, write_session
from leaddash.models import Lead, Role, Stage, User
from leaddash.ui.admin import CONFIRM_LABEL
from leaddash.ui.team_queue import INACTIVE_ONLY, OWNER_INACTIVE
from tests.apptest import app_as, link_names, seen, texts
from tests.conftest import make_user
from tests.queue_factory import make_lead

ADMIN_PAGE = "pages/admin_users.py"
TEAM_PAGE = "pages/team_queue.py"


def _role(engine, username: str) -> tuple[str, bool]:
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return user.role, user.is_active


def _owners(engine, leads: list[Lead]) -> list[int | None]:
    with read_session(engine) as session:
        return [session.get(Lead, lead.id).owner_id for lead in leads]


def _pick_user(at, username: str):
    at.selectbox(key="edit_user_pick").select(username)
    return at.run()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _change_own_role(at, role: str):
    """Pick the admin's own row, choose `role` and press Save (the first step)."""
    at = _pick_user(at, "admin")
    [s for s in at.selectbox if s.label == "Role"][-1].select(role)
    _button(at, "Save role and team").click()
    return at.run()


def test_changing_your_own_role_waits_for_a_second_explicit_step(app_db):
    make_user(app_db, "second", Role.ADMIN)

    at = _change_own_role(app_as("admin", ADMIN_PAGE), "sales_leader")

    assert not at.exception, at.exception
    warning = " ".join(seen(w.value) for w in at.warning)
    assert "You are changing your own role from admin to sales leader" in warning
    assert "You lose this page (Users and teams)" in warning
    assert "log in again" in warning
    assert _role(app_db, "admin") == ("admin", True)

    _button(at, CONFIRM_LABEL).click()
    at = at.run()

    assert not at.exception, at.exception
    assert _role(app_db, "admin") == ("sales_leader", True)
    assert "Users and teams" not in [t.value for t in at.title]
    # A role change ends the user's logins, this one too: the form says why.
    assert "Your login has ended (your role changed to sales leader): log in again." in seen(
        texts(at)
    )


def test_cancelling_your_own_role_change_keeps_the_role(app_db):
    make_user(app_db, "second", Role.ADMIN)
    at = _change_own_role(app_as("admin", ADMIN_PAGE), "rep")

    _button(at, "Cancel").click()
    at = at.run()

    assert not at.exception, at.exception
    assert not at.warning
    assert _role(app_db, "admin") == ("admin", True)


def test_changing_another_users_role_needs_no_confirmation(app_db):
    at = _pick_user(app_as("admin", ADMIN_PAGE), "marketing")
    [s for s in at.selectbox if s.label == "Role"][-1].select("sales_leader")
    _button(at, "Save role and team").click()
    at = at.run()

    assert not at.exception, at.exception
    assert "Saved 'marketing': sales leader" in texts(at)
    assert _role(app_db, "marketing") == ("sales_leader", True)


def test_the_last_admin_confirming_their_own_demotion_is_told_what_to_do(app_db):
    at = _change_own_role(app_as("admin", ADMIN_PAGE), "rep")
    _button(at, CONFIRM_LABEL).click()
    at = at.run()

    assert not at.exception, at.exception
    assert (
        "'admin' is the last active admin. As a rep, they could no longer manage users, "
        "and nobody else could either. Make another user an admin first."
        in [seen(e.value) for e in at.error]
    )
    assert _role(app_db, "admin") == ("admin", True)


def _rep_with_leads(engine) -> tuple[list[Lead], Lead]:
    """Give the rep "rep" (team East) two open leads and a decided one."""
    with read_session(engine) as session:
        owner = find_active_actor(session, "rep")
    leads = [
        make_lead(engine, owner, first="One"),
        make_lead(engine, owner, first="Two", stage=Stage.ACCEPTED),
    ]
    return leads, make_lead(engine, owner, first="Done", stage=Stage.VALIDATED)


def test_deactivating_asks_where_open_leads_go_and_defaults_to_the_team_queue(app_db):
    leads, decided = _rep_with_leads(app_db)
    at = _pick_user(app_as("admin", ADMIN_PAGE), "rep")

    where = at.selectbox(key="leads_to_rep")
    assert where.label == "rep owns 2 open leads. Where do they go?"
    assert where.value == "queue"
    assert where.options[0] == "East team queue, unassigned"
    _button(at, "Deactivate rep").click()
    at = at.run()

    assert not at.exception, at.exception
    assert (
        "'rep' is now inactive: they can no longer log in. 2 open leads moved to the "
        "East team queue." in texts(at)
    )
    assert _role(app_db, "rep") == ("rep", False)
    assert _owners(app_db, leads) == [None, None]
    assert _owners(app_db, [decided]) != [None]


def test_deactivating_can_send_open_leads_to_a_chosen_rep(app_db):
    leads, _ = _rep_with_leads(app_db)
    ben = make_user(app_db, "ben", Role.REP, team="East")
    at = _pick_user(app_as("admin", ADMIN_PAGE), "rep")

    at.selectbox(key="leads_to_rep").select("ben")
    _button(at, "Deactivate rep").click()
    at = at.run()

    assert not at.exception, at.exception
    assert "2 open leads moved to Ben (East)." in texts(at)
    assert _owners(app_db, leads) == [ben.id, ben.id]


def test_a_user_in_no_team_cannot_be_deactivated_until_a_rep_is_chosen(app_db):
    loner = make_user(app_db, "lou", Role.REP)
    lead = make_lead(app_db, loner, team_id=None, first="Lone")
    make_user(app_db, "ben", Role.REP, team="East")

    at = _pick_user(app_as("admin", ADMIN_PAGE), "lou")

    assert _button(at, "Deactivate lou").disabled
    assert "lou is in no team, so there is no team queue for the leads" in texts(at)
    at.selectbox(key="leads_to_lou").select("ben")
    at = at.run()
    assert not _button(at, "Deactivate lou").disabled
    _button(at, "Deactivate lou").click()
    at = at.run()

    assert not at.exception, at.exception
    assert _role(app_db, "lou") == ("rep", False)
    assert _owners(app_db, [lead]) != [loner.id]


def test_a_user_without_open_leads_is_deactivated_at_once(app_db):
    at = _pick_user(app_as("admin", ADMIN_PAGE), "marketing")

    assert "marketing owns no open leads." in texts(at)
    _button(at, "Deactivate marketing").click()
    at = at.run()

    assert not at.exception, at.exception
    assert _role(app_db, "marketing") == ("marketing", False)


def test_the_team_queue_flags_leads_of_inactive_owners_and_says_what_to_do(app_db):
    leads, _ = _rep_with_leads(app_db)
    ben = make_user(app_db, "ben", Role.REP, team="East")
    make_lead(app_db, ben, first="Bens")
    with write_session(app_db) as session:  # left behind, as a history import can leave them
        session.connection().execute(
            update(User.__table__).values(is_active=False).where(User.__table__.c.username == "rep")
        )

    at = app_as("sales_manager", TEAM_PAGE)

    assert not at.exception, at.exception
    table = at.dataframe[0].value
    flagged = set(link_names(table.loc[table[OWNER_INACTIVE] != "", "Lead"]))
    orphaned = sorted(f"{lead.first_name} {lead.last_name}" for lead in leads)
    assert sorted(flagged) == orphaned == ["One Lee", "Two Lee"]
    assert (
        "2 open leads belong to a deactivated user, so nobody is working them. Tick "
        f"'{INACTIVE_ONLY}' above, select them in the table and reassign them"
        in " ".join(seen(w.value) for w in at.warning)
    )

    at.checkbox(key="tq_inactive_owner").check()
    at = at.run()

    assert not at.exception, at.exception
    assert sorted(link_names(at.dataframe[0].value["Lead"])) == orphaned


def test_the_team_queue_shows_no_flag_when_every_owner_is_active(app_db):
    _rep_with_leads(app_db)

    at = app_as("sales_manager", TEAM_PAGE)

    assert not at.exception, at.exception
    assert set(at.dataframe[0].value[OWNER_INACTIVE]) == {""}
    assert "deactivated user" not in " ".join(w.value for w in at.warning)
