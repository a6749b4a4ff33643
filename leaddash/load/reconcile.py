"""After the run: does the database say exactly what the workers were told happened?

Each check returns the problems it found, as sentences (none when it holds): every
successful queue action is in the stage-event log exactly once and nothing else is; each
lead's stage, owner and attempts agree with its events, audit rows and touches; every
successful draft write moved the version counter by one and no two won from the same
version; the facts equal a rebuild; every successful write left its audit row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from leaddash.analytics.funnel_rollups import LEAK_ROLLUP, STAGE_ROLLUP, STEP_ROLLUP
from leaddash.analytics.rollups import RESPONSES, ROLLUPS
from leaddash.db import read_session, write_session
from leaddash.fact_tables import LeadPass
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.load.outcomes import AgreementDone, LeadDone, WorkerLog
from leaddash.models import (
    AgreementKind,
    AgreementStatus,
    AgreementVersion,
    AuditLog,
    Lead,
    Signature,
    Stage,
    StageEvent,
    Touch,
    stored_id,
)

DECIDING = ("validate", "disqualify")
TO_STAGE = {
    "accept": Stage.ACCEPTED,
    "take_next": Stage.ACCEPTED,
    "validate": Stage.VALIDATED,
    "disqualify": Stage.DISQUALIFIED,
    "reject": Stage.REJECTED,
    "recycle": Stage.RECYCLED,
}
BUMPING = ("save_draft", "propose")
LEAD, VERSION = Lead.__tablename__, AgreementVersion.__tablename__
SIGNATURE = Signature.__tablename__
AGREEMENT_ACTIONS = {
    "save_draft": "agreement.edit",
    "propose": "agreement.propose",
    "create_draft": "agreement.create_draft",
}
AUDITED = frozenset(
    [
        (LEAD, f"lead.{kind}")
        for kind in (
            "accept",
            "log_attempt",
            "validate",
            "disqualify",
            "reject",
            "recycle",
            "reassign",
        )
    ]
    + [(VERSION, action) for action in (*AGREEMENT_ACTIONS.values(), "agreement.activate")]
    + [(SIGNATURE, "agreement.sign")]
)


@dataclass(frozen=True)
class Baseline:
    """Where the log tables stood when the workers started, and each version's counter."""

    event_id: int
    touch_id: int
    audit_id: int
    versions: dict[int, int]


def _max_id(session: Session, model: type[StageEvent | Touch | AuditLog]) -> int:
    return int(session.exec(select(func.max(col(model.id)))).one() or 0)


def baseline(engine: Engine) -> Baseline:
    """Return the baseline the reconciliation counts the run's writes from."""
    with read_session(engine) as session:
        versions = {stored_id(v): v.version for v in session.exec(select(AgreementVersion))}
        return Baseline(
            _max_id(session, StageEvent),
            _max_id(session, Touch),
            _max_id(session, AuditLog),
            versions,
        )


def _expected_events(done: LeadDone) -> list[str]:
    opens = done.from_stage == Stage.MQL and done.kind in ("log_attempt", *DECIDING)
    closing = [] if done.kind == "log_attempt" else [TO_STAGE[done.kind]]
    return [str(stage) for stage in ([Stage.ACCEPTED] if opens else []) + closing]


def _expected_touches(done: LeadDone) -> int:
    return int(done.kind == "log_attempt" or (done.kind in DECIDING and not done.had_touch))


def _differences(what: str, expected: Counter, found: Counter) -> list[str]:
    missing, extra = expected - found, found - expected
    problems = [f"{what}: expected but missing {key}, {n} time(s)" for key, n in missing.items()]
    return problems + [
        f"{what}: written without a success {key}, {n} time(s)" for key, n in extra.items()
    ]


def check_events(session: Session, log: WorkerLog, base: Baseline) -> list[str]:
    """Return the differences between the successes and the run's stage events and
    touches (per lead and stage, and per lead)."""
    expected = Counter((d.lead_id, stage) for d in log.leads for stage in _expected_events(d))
    found = Counter(
        session.exec(
            select(StageEvent.lead_id, StageEvent.to_stage).where(
                col(StageEvent.id) > base.event_id
            )
        ).all()
    )
    touches = Counter({d.lead_id: 0 for d in log.leads})
    for done in log.leads:
        touches[done.lead_id] += _expected_touches(done)
    written = Counter(
        dict(
            session.exec(
                select(Touch.lead_id, func.count())
                .where(col(Touch.id) > base.touch_id)
                .group_by(col(Touch.lead_id))
            ).all()
        )
    )
    return _differences("stage event", expected, found) + _differences("touch", +touches, written)


def _last_owner(session: Session) -> dict[int, int | None]:
    """Return each lead's owner as its audit rows last set it."""
    owners: dict[int, int | None] = {}
    rows = session.exec(
        select(AuditLog.entity_id, AuditLog.after)
        .where(AuditLog.entity == Lead.__tablename__)
        .order_by(col(AuditLog.id))
    )
    for lead_id, after in rows.all():
        if lead_id is not None and after and "owner_id" in after:
            owners[lead_id] = after["owner_id"]
    return owners


def check_leads(session: Session) -> list[str]:
    """Return every lead whose stage, owner or attempts disagree with its last event, its
    audit rows or its touches."""
    last = dict(
        session.exec(
            select(StageEvent.lead_id, StageEvent.to_stage).order_by(col(StageEvent.id))
        ).all()
    )
    touches = dict(
        session.exec(select(Touch.lead_id, func.count()).group_by(col(Touch.lead_id))).all()
    )
    owners = _last_owner(session)
    problems = []
    for lead in session.exec(select(Lead)):
        lead_id = stored_id(lead)
        told = (last.get(lead_id), owners.get(lead_id), touches.get(lead_id, 0))
        held = (lead.stage, lead.owner_id, lead.attempts)
        if told != held:
            problems.append(
                f"lead {lead.id} holds (stage, owner, attempts) {held}, its "
                f"events, audit and touches say {told}"
            )
    return problems


def _bumps(records: list[AgreementDone]) -> list[AgreementDone]:
    return [r for r in records if r.kind in BUMPING or (r.kind == "sign" and r.activated)]


def _final_content(version: AgreementVersion, saves: list[AgreementDone]) -> list[str]:
    if not saves:
        return []
    last = max(saves, key=lambda r: r.new_version)
    if (version.title, version.content) == (last.title, last.content):
        return []
    held = f"definition v{version.number} holds {version.title!r}"
    return [f"{held}, not the last successful save {last.title!r}"]


def check_drafts(session: Session, log: WorkerLog, base: Baseline) -> list[str]:
    """Return every version whose counter moved other than by one per successful write,
    that two writes won from the same version, or whose terms are not the last save's."""
    problems = []
    for version in session.exec(select(AgreementVersion)):
        mine = [r for r in log.agreements if r.version_id == version.id]
        bumps = _bumps(mine)
        retired = sum(r.retired_id == version.id for r in log.agreements)
        start = base.versions.get(version.id or 0, 1)
        if version.version != start + len(bumps) + retired:
            problems.append(
                f"definition v{version.number} moved from version {start} to "
                f"{version.version} with {len(bumps) + retired} successful writes"
            )
        won_from = Counter(r.expected for r in bumps)
        problems += [
            f"definition v{version.number}: {n} writes won from version {e} (a lost update)"
            for e, n in won_from.items()
            if n > 1
        ]
        problems += [
            f"definition v{version.number}: a {r.kind} left version {r.new_version} "
            f"from {r.expected}"
            for r in bumps
            if r.new_version != r.expected + 1
        ]
        problems += _final_content(version, [r for r in mine if r.kind == "save_draft"])
    for kind in AgreementKind:
        active = session.exec(
            select(func.count()).where(
                AgreementVersion.kind == kind, AgreementVersion.status == AgreementStatus.ACTIVE
            )
        ).one()
        if active != 1:
            problems.append(f"{active} active versions of the {kind}")
    return problems


def _audit_expected(log: WorkerLog) -> Counter:
    expected = Counter(dict.fromkeys(AUDITED, 0))
    expected.update((LEAD, d.audit_action) for d in log.leads)
    expected[(LEAD, "lead.reassign")] += sum(log.reassigned.values())
    for record in log.agreements:
        if record.kind in AGREEMENT_ACTIONS:
            expected[(VERSION, AGREEMENT_ACTIONS[record.kind])] += 1
        if record.kind == "sign":
            expected[(SIGNATURE, "agreement.sign")] += 1
            expected[(VERSION, "agreement.activate")] += record.activated + bool(record.retired_id)
    return expected


def check_audit(session: Session, log: WorkerLog, base: Baseline) -> list[str]:
    """Return the successful writes without exactly one audit row of their action (and
    the audit rows of those actions that no success explains)."""
    rows = session.exec(
        select(AuditLog.entity, AuditLog.action).where(col(AuditLog.id) > base.audit_id)
    )
    found = Counter(row for row in map(tuple, rows) if row in AUDITED)
    return _differences("audit row", +_audit_expected(log), found)


class _Undo(Exception):
    """Raised to roll back the rebuild once its rows are read."""


def _facts(session: Session) -> dict[str, list[tuple]]:
    connection = session.connection()
    passes = LeadPass.__table__  # type: ignore[attr-defined]
    tables = [
        passes,
        *(r.table for r in ROLLUPS),
        RESPONSES,
        STAGE_ROLLUP,
        STEP_ROLLUP,
        LEAK_ROLLUP,
    ]
    facts = {}
    for table in tables:
        columns = [c for c in table.c if c.name != "id"]
        facts[table.name] = sorted(tuple(row) for row in connection.execute(select(*columns)))
    return facts


def check_facts(engine: Engine) -> list[str]:
    """Return the fact and rollup tables whose rows differ from a rebuild (which is rolled
    back: the database keeps the facts the actions left)."""
    with read_session(engine) as session:
        kept = _facts(session)
    try:
        with write_session(engine) as session:
            rebuild_all_facts(session)
            rebuilt = _facts(session)
            raise _Undo
    except _Undo:
        pass
    return [
        f"{name}: {len(set(kept[name]) ^ set(rows))} rows differ from a rebuild"
        for name, rows in rebuilt.items()
        if rows != kept[name]
    ]
