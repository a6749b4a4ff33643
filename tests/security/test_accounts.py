"""Accounts: the last active admin stays, `set-role`, deactivation hands open leads over,
and leads of deactivated owners are flagged in the team queue; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text, update
from sqlmodel import select

from leaddash.auth import CLI_ACTOR, find_active_actor
from leaddash.cli import main
from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, InvalidInput, LeadDashError, LoginEnded, NotFound
from leaddash.models import AuditLog, Lead, Role, Stage, User
from leaddash.queue.handover import handover_options
from leaddash.queue.team import QueueFilter, count_inactive_owner_leads, team_queue
from leaddash.queue.waiting import assign_waiting_leads
from leaddash.users import deactivate_user, set_active, set_role, update_user
from tests.conftest import make_user
from tests.queue_factory import make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

LAST_ADMIN = "is the last active admin"
MAKE_ANOTHER = "Make another user an admin first."


def _cli(engine: Engine, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return main(list(argv))


def _users(engine: Engine) -> dict[str, tuple[str, bool]]:
    """Return username → (role, active) as the database holds them."""
    with read_session(engine) as session:
        return {u.username: (u.role, u.is_active) for u in session.exec(select(User))}


def _owners(engine: Engine, leads: list[Lead]) -> list[tuple[int | None, int | None]]:
    """Return (owner id, team id) of each lead as the database holds it now."""
    with read_session(engine) as session:
        return [
            (row.owner_id, row.team_id) for row in (session.get(Lead, lead.id) for lead in leads)
        ]


def _actions(engine: Engine, action: str) -> list[AuditLog]:
    with read_session(engine) as session:
        return list(
            session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


# The last active admin --------------------------------------------------------------------


def test_the_last_admin_cannot_be_demoted_and_keeps_the_role(engine):
    dana = make_user(engine, "dana", Role.ADMIN)

    with pytest.raises(Conflict) as refused, write_session(engine) as session:
        update_user(session, actor=dana, username="dana", expected_version=1, role="rep")

    assert refused.value.message == (
        "'dana' is the last active admin. As a rep, they could no longer manage users, and "
        "nobody else could either. Make another user an admin first."
    )
    assert _users(engine)["dana"] == ("admin", True)
    assert _actions(engine, "user.update") == []


def test_the_last_admin_cannot_be_deactivated(engine):
    make_user(engine, "dana", Role.ADMIN)

    with (
        pytest.raises(Conflict, match=f"{LAST_ADMIN}. Deactivated, .* {MAKE_ANOTHER}"),
        write_session(engine) as session,
    ):
        set_active(session, actor=CLI_ACTOR, username="dana", active=False)

    assert _users(engine)["dana"] == ("admin", True)


def test_with_two_admins_one_may_step_down_and_then_the_other_may_not(engine):
    dana = make_user(engine, "dana", Role.ADMIN)
    make_user(engine, "omar", Role.ADMIN)

    with write_session(engine) as session:
        update_user(session, actor=dana, username="dana", expected_version=1, role="sales_leader")
    with pytest.raises(Conflict, match=f"'omar' {LAST_ADMIN}"), write_session(engine) as session:
        update_user(session, actor=CLI_ACTOR, username="omar", expected_version=1, role="rep")

    assert _users(engine) == {"dana": ("sales_leader", True), "omar": ("admin", True)}


def test_a_deactivated_admin_does_not_count_as_the_admin_left(engine):
    make_user(engine, "dana", Role.ADMIN)
    make_user(engine, "omar", Role.ADMIN)
    with write_session(engine) as session:
        set_active(session, actor=CLI_ACTOR, username="omar", active=False)

    with pytest.raises(Conflict, match=f"'dana' {LAST_ADMIN}"), write_session(engine) as session:
        set_role(session, actor=CLI_ACTOR, username="dana", role="marketing")

    assert _users(engine)["dana"] == ("admin", True)


def test_changing_the_last_admins_team_or_name_is_allowed(engine):
    make_user(engine, "dana", Role.ADMIN)

    with write_session(engine) as session:
        update_user(
            session,
            actor=CLI_ACTOR,
            username="dana",
            expected_version=1,
            role="admin",
            name="Dana Ruiz",
        )

    with read_session(engine) as session:
        assert find_active_actor(session, "dana").name == "Dana Ruiz"


def _lock_waiters(engine: Engine) -> int:
    """Return how many connections to this database wait for a row lock (PostgreSQL)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def _wait_until_waiting_or_done(engine: Engine, worker: threading.Thread) -> None:
    """Return once `worker` waits for a lock held by this thread's open transaction, or has
    finished (as it would if nothing made it wait). On SQLite a write session takes the
    database's write lock before it reads anything, so there is nothing to wait for."""
    if engine.dialect.name == "sqlite":
        return
    for _ in range(3000):  # a bound, never reached when the code is right
        if not worker.is_alive() or _lock_waiters(engine):
            return
        time.sleep(0.01)
    pytest.fail("The second demotion neither waited for the first nor finished.")


def test_two_admins_demoting_each_other_at_once_leave_one_admin(engine):
    ann = make_user(engine, "ann", Role.ADMIN)
    bob = make_user(engine, "bob", Role.ADMIN)
    outcome: dict[str, Exception | None] = {}

    def bob_demotes_ann() -> None:
        try:
            with write_session(engine) as session:
                update_user(session, actor=bob, username="ann", expected_version=1, role="rep")
            outcome["error"] = None
        except LeadDashError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=bob_demotes_ann)
    with write_session(engine) as session:
        update_user(session, actor=ann, username="bob", expected_version=1, role="rep")
        session.flush()
        worker.start()
        _wait_until_waiting_or_done(engine, worker)
    worker.join(60)

    # Bob's change waited for Ann's, then was refused: Bob is no longer an admin (his
    # login ended with the role change), and Ann is the last admin either way.
    assert isinstance(outcome["error"], (Conflict, LoginEnded))
    if isinstance(outcome["error"], Conflict):
        assert f"'ann' {LAST_ADMIN}" in outcome["error"].message
    assert _users(engine) == {"ann": ("admin", True), "bob": ("rep", True)}


# set-role and deactivate-user from the command line -----------------------------------------


def test_set_role_prints_the_change_and_audits_it(engine, monkeypatch, capsys):
    make_user(engine, "dana", Role.ADMIN)
    make_user(engine, "rita", Role.REP, team="East")

    assert _cli(engine, monkeypatch, "set-role", "rita", "admin") == 0

    assert capsys.readouterr().out == "Changed the role of 'rita' from rep to admin.\n"
    assert _users(engine)["rita"] == ("admin", True)
    (row,) = _actions(engine, "user.update")
    assert (row.before, row.after) == ({"role": "rep"}, {"role": "admin"})


def test_set_role_gives_the_admin_role_back_after_a_lockout(engine, monkeypatch, capsys):
    """The way back when nobody can log in as an admin: promote someone from the server."""
    make_user(engine, "dana", Role.ADMIN)
    make_user(engine, "rita", Role.SALES_LEADER)
    with write_session(engine) as session:  # a lockout from before the guard existed
        session.connection().execute(
            update(User.__table__)
            .values(role="marketing")
            .where(User.__table__.c.username == "dana")
        )

    assert _cli(engine, monkeypatch, "set-role", "dana", "admin") == 0

    assert capsys.readouterr().out == "Changed the role of 'dana' from marketing to admin.\n"
    assert _users(engine)["dana"] == ("admin", True)


def test_set_role_names_the_valid_roles_for_a_wrong_one(engine, monkeypatch, capsys):
    make_user(engine, "rita", Role.REP)

    assert _cli(engine, monkeypatch, "set-role", "rita", "boss") == 2

    assert capsys.readouterr().err == (
        "error: Unknown role 'boss'. Valid roles: admin, marketing_leader, sales_leader, "
        "sales_manager, rep, marketing.\n"
    )
    assert _users(engine)["rita"] == ("rep", True)


def test_set_role_refuses_the_last_admin_and_says_what_to_do(engine, monkeypatch, capsys):
    make_user(engine, "dana", Role.ADMIN)

    assert _cli(engine, monkeypatch, "set-role", "dana", "rep") == 2

    err = capsys.readouterr().err
    assert err.startswith(f"error: 'dana' {LAST_ADMIN}.") and err.endswith(MAKE_ANOTHER + "\n")
    assert _users(engine)["dana"] == ("admin", True)


def test_set_role_to_the_same_role_changes_nothing(engine, monkeypatch, capsys):
    make_user(engine, "rita", Role.REP)

    assert _cli(engine, monkeypatch, "set-role", "rita", "rep") == 0

    assert capsys.readouterr().out == "'rita' already has the role rep; nothing changed.\n"
    assert _actions(engine, "user.update") == []


def test_set_role_of_a_deactivated_user_says_how_to_let_them_back_in(engine, monkeypatch, capsys):
    make_user(engine, "rita", Role.REP)
    with write_session(engine) as session:
        set_active(session, actor=CLI_ACTOR, username="rita", active=False)

    assert _cli(engine, monkeypatch, "set-role", "rita", "admin") == 0
    assert "python -m leaddash reactivate-user rita" in capsys.readouterr().out
    assert _cli(engine, monkeypatch, "reactivate-user", "rita") == 0

    assert _users(engine)["rita"] == ("admin", True)


def test_deactivate_user_refuses_the_last_admin(engine, monkeypatch, capsys):
    make_user(engine, "dana", Role.ADMIN)

    assert _cli(engine, monkeypatch, "deactivate-user", "dana") == 2

    assert MAKE_ANOTHER in capsys.readouterr().err
    assert _users(engine)["dana"] == ("admin", True)


# Deactivation hands the open leads over ------------------------------------------------------


@pytest.fixture
def east(engine):
    """Team East: rep Ana with two open leads and a decided one, rep Ben, a sales manager."""
    ana = make_user(engine, "ana", Role.REP, team="East")
    leads = [
        make_lead(engine, ana, first="Mql"),
        make_lead(engine, ana, first="Accepted", stage=Stage.ACCEPTED),
    ]
    return {
        "ana": ana,
        "ben": make_user(engine, "ben", Role.REP, team="East"),
        "eve": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "admin": make_user(engine, "boss", Role.ADMIN),
        "open": leads,
        "decided": make_lead(engine, ana, first="Done", stage=Stage.VALIDATED),
    }


def test_deactivating_sends_open_leads_to_the_team_queue_in_one_go(engine, east):
    ana = east["ana"]

    with write_session(engine) as session:
        moved = deactivate_user(session, actor=east["admin"], username="ana")

    assert moved == len(east["open"]) == 2
    assert _owners(engine, east["open"]) == [(None, ana.team_id)] * 2
    assert _owners(engine, [east["decided"]]) == [(ana.id, ana.team_id)]
    assert _users(engine)["ana"] == ("rep", False)
    reassigned = _actions(engine, "lead.reassign")
    assert sorted(row.entity_id for row in reassigned) == sorted(x.id for x in east["open"])
    assert all(
        row.before["owner_id"] == ana.id
        and row.after["owner_id"] is None
        and row.actor_id == east["admin"].id
        for row in reassigned
    )
    assert len(_actions(engine, "user.deactivate")) == 1


def test_the_moved_leads_wait_in_the_team_queue_for_a_free_rep(engine, east):
    with write_session(engine) as session:
        deactivate_user(session, actor=east["admin"], username="ana")

    with write_session(engine) as session:
        summary = assign_waiting_leads(session, actor=east["admin"], team_id=east["ana"].team_id)

    mql_leads = [lead for lead in east["open"] if lead.stage == Stage.MQL]
    assert summary.routed == len(mql_leads) == 1
    assert _owners(engine, mql_leads) == [(east["ben"].id, east["ana"].team_id)]


def test_deactivating_can_give_the_open_leads_to_a_named_rep(engine, east):
    with write_session(engine) as session:
        moved = deactivate_user(session, actor=east["admin"], username="ana", leads_to="ben")

    assert moved == 2
    assert _owners(engine, east["open"]) == [(east["ben"].id, east["ben"].team_id)] * 2


def test_set_active_alone_never_leaves_open_leads_with_an_inactive_owner(engine, east):
    with write_session(engine) as session:
        set_active(session, actor=east["admin"], username="ana", active=False)

    assert _owners(engine, east["open"]) == [(None, east["ana"].team_id)] * 2


@pytest.mark.parametrize(
    ("leads_to", "why"),
    [
        ("nobody", "There is no user called 'nobody'."),
        ("eve", "'eve' is a sales manager, and only reps take leads."),
        ("ana", "'ana' is the user being deactivated."),
        ("gone", "'gone' is deactivated too."),
    ],
)
def test_a_refused_destination_leaves_the_user_active_and_the_leads_untouched(
    engine, east, leads_to, why
):
    make_user(engine, "gone", Role.REP, team="East")
    with write_session(engine) as session:
        set_active(session, actor=east["admin"], username="gone", active=False)
    before = _owners(engine, east["open"])

    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        deactivate_user(session, actor=east["admin"], username="ana", leads_to=leads_to)

    assert refused.value.message == (
        f"{why} Choose an active rep in a team to take the 2 open leads of 'ana', or send "
        "them to the team queue. Nothing was changed."
    )
    assert _users(engine)["ana"] == ("rep", True)
    assert _owners(engine, east["open"]) == before == [(east["ana"].id, east["ana"].team_id)] * 2
    assert _actions(engine, "lead.reassign") == []


def test_a_user_in_no_team_needs_a_named_rep_for_their_leads(engine, east, monkeypatch, capsys):
    loner = make_user(engine, "lou", Role.REP)
    lead = make_lead(engine, loner, team_id=east["ana"].team_id, first="Lone")

    assert _cli(engine, monkeypatch, "deactivate-user", "lou") == 2
    assert capsys.readouterr().err == (
        "error: 'lou' has 1 open lead and is in no team, so there is no team queue to put "
        "them in. Choose an active rep to take them.\n"
    )
    assert _users(engine)["lou"] == ("rep", True)

    assert _cli(engine, monkeypatch, "deactivate-user", "lou", "--leads-to", "ben") == 0
    assert capsys.readouterr().out == (
        "Deactivated 'lou'; they can no longer log in. 1 open lead moved to 'ben'.\n"
    )
    assert _owners(engine, [lead]) == [(east["ben"].id, east["ben"].team_id)]


def test_deactivate_user_cli_defaults_to_the_team_queue_and_counts(
    engine, east, monkeypatch, capsys
):
    assert _cli(engine, monkeypatch, "deactivate-user", "ana") == 0

    assert capsys.readouterr().out == (
        "Deactivated 'ana'; they can no longer log in. 2 open "
        "leads moved to their team's queue, unassigned.\n"
    )
    assert _owners(engine, east["open"]) == [(None, east["ana"].team_id)] * 2
    assert _cli(engine, monkeypatch, "deactivate-user", "ben", "--leads-to", "queue") == 0
    assert capsys.readouterr().out.endswith("They had no open leads.\n")


def test_the_handover_options_count_open_leads_and_offer_active_reps(engine, east):
    make_user(engine, "cy", Role.REP, team="West")

    with read_session(engine) as session:
        options = handover_options(session, actor=east["admin"], username="ana")

    assert options.open_leads == len(east["open"])
    assert options.team == "East"
    assert options.reps == {"ben": "Ben (East)", "cy": "Cy (West)"}
    with pytest.raises(NotFound), read_session(engine) as session:
        handover_options(session, actor=east["admin"], username="nobody")


def test_an_inactive_rep_gets_no_lead_from_the_team_queue(engine, east):
    with write_session(engine) as session:
        deactivate_user(session, actor=east["admin"], username="ben")
    waiting = make_lead(engine, None, team_id=east["ana"].team_id, first="Waiting")
    with write_session(engine) as session:
        deactivate_user(session, actor=east["admin"], username="ana")

    with write_session(engine) as session:
        summary = assign_waiting_leads(session, actor=east["admin"], team_id=east["ana"].team_id)

    assert summary.routed == 0
    assert _owners(engine, [waiting]) == [(None, east["ana"].team_id)]


# The team queue flags leads of inactive owners -----------------------------------------------


def _orphan(engine: Engine, username: str) -> None:
    """Deactivate a user without handing their leads over (as a history import, or a
    deactivation made before the hand-over existed, leaves them)."""
    with write_session(engine) as session:
        session.connection().execute(
            update(User.__table__)
            .values(is_active=False)
            .where(User.__table__.c.username == username)
        )


def test_leads_of_an_inactive_owner_are_flagged_counted_and_filtered(engine, east):
    ben_lead = make_lead(engine, east["ben"], first="Bens", due_in=timedelta(hours=1))
    _orphan(engine, "ana")

    with read_session(engine) as session:
        queue = team_queue(session, actor=east["eve"])
        flagged = team_queue(
            session, actor=east["eve"], where=QueueFilter(inactive_owner_only=True)
        )
        count = count_inactive_owner_leads(session, actor=east["eve"])

    expected = {lead.id for lead in east["open"]}
    assert set(queue.loc[queue["owner_inactive"], "id"]) == expected
    assert not queue.loc[queue["id"] == ben_lead.id, "owner_inactive"].item()
    assert set(flagged["id"]) == expected
    assert count == len(expected)


def test_the_inactive_owner_count_keeps_to_the_managers_team(engine, east):
    cy = make_user(engine, "cy", Role.REP, team="West")
    make_lead(engine, cy, first="West")
    _orphan(engine, "cy")

    with read_session(engine) as session:
        east_count = count_inactive_owner_leads(session, actor=east["eve"])
        all_count = count_inactive_owner_leads(session, actor=east["admin"])

    assert (east_count, all_count) == (0, 1)
