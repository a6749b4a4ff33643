"""The audit trail as admins and leaders read it: filters and pages checked against a plain
filter of the rows the test wrote, the refusal of the other roles, secrets masked, and the
CSV defused."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leaddash.audit_trail import (
    NOBODY,
    AuditFilter,
    action_words,
    audit_csv,
    audit_page,
    audit_people,
    change_words,
)
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AuditLog, Role, User
from tests.conftest import make_user

START = datetime(2026, 3, 1, 8, tzinfo=UTC)
ACTIONS = ("lead.validate", "user.update", "agreement.sign")
ENTITIES = ("lead", "app_user", "agreementversion")
SECRET = "$2b$12$not-a-real-hash-but-secret"
# The days filter compares stored times with UTC bounds, and the JSON comes back per backend.
pytestmark = pytest.mark.postgresql


@pytest.fixture
def trail(engine):
    """Write a leader, an admin with a formula for a name, and 60 audit rows seven hours
    apart (actors, actions and kinds in turn, a password hash in some); return the people."""
    leader = make_user(engine, "mia", Role.MARKETING_LEADER)
    admin = make_user(engine, "cmd", Role.ADMIN)
    actors = (leader.id, admin.id, None)
    with write_session(engine) as session:
        session.get(User, admin.id).name = "=cmd"
        for i in range(60):
            before = {"stage": "mql", "password_hash": SECRET} if i % 4 == 0 else {"stage": "mql"}
            session.add(
                AuditLog(
                    occurred_at=START + timedelta(hours=7 * i),
                    actor_id=actors[i % 3],
                    action=ACTIONS[i % 3] if i % 5 else "lead.update",
                    entity=ENTITIES[(i // 2) % 3],
                    entity_id=i,
                    before=before,
                    after={"stage": "=SUM(A1)", "note": f"row {i}"},
                )
            )
    return {"leader": leader, "admin": admin}


def _plain(engine, keep) -> list[int]:
    """Return the ids of every audit row `keep` accepts, newest first, by a plain filter."""
    with read_session(engine) as session:
        rows = session.exec(select(AuditLog)).all()
    return sorted((r.id for r in rows if keep(r)), reverse=True)


def _walk(engine, actor, where: AuditFilter, limit: int = 7) -> list[int]:
    """Return the ids of every page the service gives, following its next-page pointer."""
    ids: list[int] = []
    older_than = None
    while True:
        with read_session(engine) as session:
            page = audit_page(session, actor=actor, where=where, older_than=older_than, limit=limit)
        ids += [int(i) for i in page.rows["id"]]
        if page.next_older_than is None:
            return ids
        older_than = page.next_older_than


def _day(row) -> date:
    moment = row.occurred_at
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


FILTERS = {
    "everything": (AuditFilter(), lambda r, p: True),
    "one person": (AuditFilter(person_id=-2), lambda r, p: r.actor_id == p["leader"].id),
    "nobody": (AuditFilter(person_id=NOBODY), lambda r, p: r.actor_id is None),
    "two actions": (
        AuditFilter(actions=("lead.validate", "lead.update")),
        lambda r, p: r.action in ("lead.validate", "lead.update"),
    ),
    "a kind of record": (AuditFilter(entities=("lead",)), lambda r, p: r.entity == "lead"),
    "days and a person": (
        AuditFilter(person_id=-3, since=date(2026, 3, 4), until=date(2026, 3, 9)),
        lambda r, p: (
            r.actor_id == p["admin"].id and date(2026, 3, 4) <= _day(r) <= date(2026, 3, 9)
        ),
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter_pages_through_exactly_the_rows_a_plain_filter_keeps(engine, trail, name):
    where, keep = FILTERS[name]
    people = {-2: trail["leader"].id, -3: trail["admin"].id}
    where = AuditFilter(
        person_id=people.get(where.person_id, where.person_id),
        actions=where.actions,
        entities=where.entities,
        since=where.since,
        until=where.until,
    )

    shown = _walk(engine, trail["leader"], where)

    expected = _plain(engine, lambda r: keep(r, trail))
    assert expected, "the filter keeps no row: the test would prove nothing"
    assert shown == expected


def test_a_page_says_who_did_what_in_words_with_the_change_and_secrets_masked(engine, trail):
    with read_session(engine) as session:
        page = audit_page(session, actor=trail["leader"], where=AuditFilter(entities=("lead",)))
    newest = page.rows.iloc[0]
    with read_session(engine) as session:
        row = session.get(AuditLog, int(newest["id"]))
    assert newest["what"] == action_words(row.action)
    assert newest["record"] == f"Lead #{row.entity_id}"
    assert (
        newest["who"]
        == {trail["leader"].id: "Mia", trail["admin"].id: "=cmd", None: "System"}[row.actor_id]
    )
    assert "stage: mql → =SUM(A1)" in newest["change"]
    assert SECRET not in "".join(page.rows["change"])


def test_the_words_for_an_action_and_a_change():
    assert action_words("lead.validate") == "Validated a lead"
    assert action_words("stageevent.create") == "Stage change created"
    assert action_words("something.new_thing") == "Something new thing"
    assert change_words(
        {"stage": "mql", "password_hash": "x"}, {"stage": "sql", "password_hash": "y"}
    ) == ("stage: mql → sql\npassword hash: *** → ***")
    assert change_words(None, {"name": "Ann", "email": None, "url": "https://hook"}) == (
        "name: Ann\nurl: ***"
    )


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_and_the_two_leaders_may_read_the_trail(engine, role):
    actor = make_user(engine, "someone", role)
    allowed = role in (Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER)
    reads = (
        lambda s: audit_page(s, actor=actor),
        lambda s: audit_csv(s, actor=actor),
        lambda s: audit_people(s, actor=actor),
    )
    for read in reads:
        with read_session(engine) as session:
            if allowed:
                read(session)
                continue
            with pytest.raises(Forbidden, match="may not read the audit trail"):
                read(session)


def test_the_csv_is_defused_and_keeps_no_secret(engine, trail):
    with read_session(engine) as session:
        data = audit_csv(
            session, actor=trail["admin"], where=AuditFilter(person_id=trail["admin"].id)
        )

    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = _plain(engine, lambda r: r.actor_id == trail["admin"].id)
    assert [int(r["id"]) for r in rows] == expected
    assert {r["who"] for r in rows} == {"'=cmd"}
    assert {r["username"] for r in rows} == {"cmd"}
    assert SECRET not in text
    masked = [json.loads(r["before"]) for r in rows if "password_hash" in r["before"]]
    assert masked and all(b["password_hash"] == "***" for b in masked)
    assert all(not r["change"].startswith(("=", "+", "-", "@")) for r in rows)


def test_days_the_wrong_way_round_are_refused(engine, trail):
    where = AuditFilter(since=date(2026, 3, 9), until=date(2026, 3, 4))
    with read_session(engine) as session, pytest.raises(InvalidInput, match="wrong way round"):
        audit_page(session, actor=trail["leader"], where=where)
