"""The small office the authorization matrix acts in: built once, copied fresh for each cell.

Two teams (East, West); one user per role named after it (the sales manager and the rep in
East), a teammate of the rep and a rep in West; open leads of each of them, leads waiting
in each team's queue, overdue ones, decisions and open disputes in both teams; every state
an agreement action starts from; one routing rule. Ids are the same in every copy.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import SQLModel

from leaddash.agreements import create_draft, propose, sign
from leaddash.auth import CLI_ACTOR
from leaddash.core.actor import Actor
from leaddash.db import make_engine, write_session
from leaddash.definitions import (
    default_definition_content,
    summarize,
    validate_definition,
)
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import AgreementKind, Role
from leaddash.queue.actions import disqualify_lead
from leaddash.queue.disputes import raise_dispute
from leaddash.reasons import ensure_default_reasons
from leaddash.routing import RuleInput, create_rule
from leaddash.sla import default_sla_content, summarize_sla, validate_sla
from tests.conftest import make_user
from tests.pass_factory import activate
from tests.queue_factory import make_lead

KINDS = (AgreementKind.DEFINITION, AgreementKind.SLA)
TERMS = {
    AgreementKind.DEFINITION: (default_definition_content, validate_definition, summarize),
    AgreementKind.SLA: (default_sla_content, validate_sla, summarize_sla),
}
LATE = timedelta(hours=-2)
EAST_SEGMENT, WEST_SEGMENT = "SMB", "Mid-market"


@dataclass(frozen=True)
class World:
    """The template database and the ids every cell refers to."""

    path: Path
    people: dict[str, Actor]  # the six roles by name, plus "mate" and "west_rep"
    teams: dict[str, int]
    leads: dict[str, int]
    versions: dict[str, int]  # "<kind>:<state>"
    disputes: dict[str, int]
    rule_id: int

    def copy_to(self, folder: Path) -> Engine:
        """Return an engine over a fresh copy of the template in `folder`."""
        target = folder / "cell.db"
        shutil.copyfile(self.path, target)
        return make_engine(f"sqlite:///{target}")


def build_world(folder: Path) -> World:
    """Return the world, written to a SQLite file in `folder` (WAL folded into the file)."""
    path = folder / "world.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with write_session(engine) as session:
        ensure_default_reasons(session)
    people = _people(engine)
    teams = {"East": people["rep"].team_id, "West": people["west_rep"].team_id}
    leads = _leads(engine, people, teams)
    disputes = _disputes(engine, people, leads)
    versions = {
        f"{kind}:{state}": vid
        for kind in KINDS
        for state, vid in _versions(engine, people, kind).items()
    }
    with write_session(engine) as session:
        rule = create_rule(
            session, actor=CLI_ACTOR, rule=RuleInput(priority=10, team_id=teams["East"])
        )
        rebuild_all_facts(session)  # the factories write leads, not their facts
    engine.dispose()
    return World(path, people, teams, leads, versions, disputes, rule.id)


def _people(engine: Engine) -> dict[str, Actor]:
    teams = {Role.SALES_MANAGER: "East", Role.REP: "East"}
    people = {
        role.value: make_user(engine, role.value, role.value, team=teams.get(role)) for role in Role
    }
    people["mate"] = make_user(engine, "maria", Role.REP, team="East")
    people["west_rep"] = make_user(engine, "olivia", Role.REP, team="West")
    return people


def _leads(engine: Engine, people: dict[str, Actor], teams: dict[str, int]) -> dict[str, int]:
    rep, mate, west = people["rep"], people["mate"], people["west_rep"]
    east_lead, west_lead = _maker(engine, EAST_SEGMENT), _maker(engine, WEST_SEGMENT)
    made = {
        "own": east_lead(rep, first="Owen"),
        "mate": east_lead(mate, first="Mads"),
        "west": west_lead(west, first="Wes"),
        "waiting_east": east_lead(None, team_id=teams["East"], first="Wendy"),
        "waiting_west": west_lead(None, team_id=teams["West"], first="Walt"),
        "late_east": east_lead(mate, first="Lara", due_in=LATE),
        "late_west": west_lead(west, first="Lionel", due_in=LATE),
        "decided_east": east_lead(rep, first="Dora"),
        "decided_west": west_lead(west, first="Dirk"),
        "disputed_east": east_lead(rep, first="Dina"),
        "disputed_west": west_lead(west, first="Dana"),
    }
    ids = {name: lead.id for name, lead in made.items()}
    for name, owner in (
        ("decided_east", rep),
        ("decided_west", west),
        ("disputed_east", rep),
        ("disputed_west", west),
    ):
        with write_session(engine) as session:
            disqualify_lead(
                session, actor=owner, lead_id=ids[name], expected_version=None, reason_code="no_fit"
            )
    return ids


def _maker(engine: Engine, segment: str):
    """Return a make_lead for one team's segment (it tells the teams apart in every read),
    with an external id an import can name: crm-<first name>."""
    return lambda owner, **fields: make_lead(
        engine, owner, segment=segment, external_id=f"crm-{fields['first'].lower()}", **fields
    )


def _disputes(engine: Engine, people: dict[str, Actor], leads: dict[str, int]) -> dict[str, int]:
    found = {}
    for team in ("east", "west"):
        with write_session(engine) as session:
            dispute = raise_dispute(
                session,
                actor=people["marketing"],
                lead_id=leads[f"disputed_{team}"],
                expected_version=None,
                note="They fit: 500 staff and a VP title.",
            )
            found[team] = dispute.id
    return found


def _versions(engine: Engine, people: dict[str, Actor], kind: str) -> dict[str, int]:
    """Return the id of a version of `kind` in each state an agreement action starts from."""
    ids = {"active": activate(engine, kind, TERMS[kind][0](), number=1)}
    states = {
        "draft": (),
        "proposed": (),
        "by_marketing": ("marketing_leader",),
        "by_sales": ("sales_leader",),
    }
    for state, signers in states.items():
        version = _draft(engine, kind, state)
        if state != "draft":
            version = _run(
                engine,
                propose,
                actor=CLI_ACTOR,
                version_id=version.id,
                expected_version=version.version,
            )
        for signer in signers:
            _run(
                engine,
                sign,
                actor=people[signer],
                version_id=version.id,
                expected_version=version.version,
            )
        ids[state] = version.id
    return ids


def _draft(engine: Engine, kind: str, state: str):
    content, validate, summary = TERMS[kind]
    return _run(
        engine,
        create_draft,
        actor=CLI_ACTOR,
        kind=kind,
        title=f"{kind} {state}",
        content=content(),
        validate=validate,
        summarize=summary,
    )


def _run(engine: Engine, service, **kwargs):
    with write_session(engine) as session:
        return service(session, **kwargs)


def snapshot(engine: Engine) -> dict[str, str]:
    """Return a digest of every table's rows as stored (the driver's values, unconverted),
    to show that nothing was written."""
    digests = {}
    with engine.connect() as connection:
        for name, query in _EVERY_ROW.items():
            rows = connection.exec_driver_sql(query).fetchall()
            digests[name] = hashlib.sha1(repr(rows).encode()).hexdigest()
    return digests


_EVERY_ROW = {
    table.name: f'SELECT * FROM "{table.name}" ORDER BY '
    + ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
    for table in SQLModel.metadata.sorted_tables
}
