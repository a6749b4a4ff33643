"""Leaders in the load run: they edit the same definition draft with the version they read
(so concurrent saves must end in Conflict, never a lost update), propose it, sign it, and
start the next draft once one becomes active."""

from __future__ import annotations

import copy
from typing import Any

from leaddash.agreements import (
    active_version,
    create_draft,
    get_version,
    list_versions,
    propose,
    save_draft,
    sign,
)
from leaddash.db import read_session, write_session
from leaddash.definitions import summarize, validate_definition
from leaddash.load.outcomes import AgreementDone
from leaddash.load.workers import Worker
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion
from leaddash.rescoring import rescore_open_leads

KIND = AgreementKind.DEFINITION
EDITABLE = (AgreementStatus.DRAFT, AgreementStatus.PROPOSED)
LEADER_PAUSE = (0.0, 0.03)
SAVE_SHARE: dict[str, float] = {AgreementStatus.DRAFT: 0.8, AgreementStatus.PROPOSED: 0.1}
PROPOSE_SHARE = 0.15
EMPLOYEE_FLOORS = (50, 100, 500, 1000)  # the seeded leads have 60, 250 or 1200 employees


def _open_draft(w: Worker) -> tuple[AgreementVersion | None, int | None]:
    """Return the newest editable version (None when none is) and the active one's id."""
    with read_session(w.engine) as session:
        rows = list_versions(session, actor=w.actor, kind=KIND)
        active = active_version(session, KIND)
        editable = next((r for r in rows if r.status in EDITABLE), None)
        version = get_version(session, actor=w.actor, version_id=editable.id) if editable else None
    return version, active.id if active else None


def _start(w: Worker, base_id: int | None) -> None:
    def write() -> AgreementVersion:
        with write_session(w.engine) as session:
            return create_draft(
                session,
                actor=w.actor,
                kind=KIND,
                title="Load draft",
                based_on_id=base_id,
                summarize=summarize,
            )

    made = w.log.attempt("create_draft", write)
    if made is not None:
        w.log.agreements.append(AgreementDone("create_draft", made.id or 0, 0, made.version))


def _edited(w: Worker, content: dict[str, Any]) -> dict[str, Any]:
    """Return the terms with a new threshold and company size: once such a version takes
    effect, rescoring rewrites the fit of open leads while reps hold their rows."""
    terms = copy.deepcopy(content)
    terms["threshold"] = w.rng.randint(50, 70)
    for rule in terms["fit_rules"]:
        if rule["field"] == "employees":
            rule["value"] = w.rng.choice(EMPLOYEE_FLOORS)
    return terms


def _save(w: Worker, version: AgreementVersion) -> None:
    title = f"Load draft, edit {w.rng.getrandbits(40):010x} by {w.actor.username}"
    content = _edited(w, version.content)

    def write() -> AgreementVersion:
        with write_session(w.engine) as session:
            return save_draft(
                session,
                actor=w.actor,
                version_id=version.id or 0,
                expected_version=version.version,
                title=title,
                content=content,
                validate=validate_definition,
                summarize=summarize,
            ).version

    saved = w.log.attempt("save_draft", write)
    if saved is not None:
        w.log.agreements.append(
            AgreementDone(
                "save_draft",
                saved.id or 0,
                version.version,
                saved.version,
                saved.title,
                copy.deepcopy(saved.content),
            )
        )


def _propose(w: Worker, version: AgreementVersion) -> None:
    def write() -> AgreementVersion:
        with write_session(w.engine) as session:
            return propose(
                session, actor=w.actor, version_id=version.id or 0, expected_version=version.version
            )

    done = w.log.attempt("propose", write)
    if done is not None:
        w.log.agreements.append(
            AgreementDone("propose", done.id or 0, version.version, done.version)
        )


def _sign(w: Worker, version: AgreementVersion) -> None:
    def write() -> Any:
        with write_session(w.engine) as session:
            return sign(
                session,
                actor=w.actor,
                version_id=version.id or 0,
                expected_version=version.version,
                on_activate=rescore_open_leads,
            )

    done = w.log.attempt("sign", write)
    if done is not None:
        retired = done.retired.id if done.retired is not None else None
        w.log.agreements.append(
            AgreementDone(
                "sign",
                done.version.id or 0,
                version.version,
                done.version.version,
                activated=done.activated,
                retired_id=retired,
            )
        )


def leader_step(w: Worker) -> None:
    """Read the definition draft, think, then save an edit, propose or sign it (starting a
    new draft from the active version when none is open)."""
    found = w.log.read(lambda: _open_draft(w))
    if found is None:
        return
    version, active_id = found
    w.pause(LEADER_PAUSE)
    if version is None:
        _start(w, active_id)
        return
    dice = w.rng.random()
    if dice < SAVE_SHARE[version.status]:
        _save(w, version)
    elif dice < SAVE_SHARE[version.status] + PROPOSE_SHARE:
        _propose(w, version)
    else:
        _sign(w, version)
