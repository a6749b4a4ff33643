"""A version signed by both sides with a later start: scheduled until its start, then
active (the previous one retired, the activation hook run) — on a clock passed in."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from leaddash.agreements import (
    active_version,
    create_draft,
    get_version,
    propose,
    save_draft,
    sign,
    start_due_versions,
    withdraw_signature,
)
from leaddash.core.times import as_utc
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.errors import InvalidInput
from leaddash.inbox import inbox_items
from leaddash.models import AgreementKind, AgreementStatus, Role
from leaddash.worker import start_scheduled_versions
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql

DEF = AgreementKind.DEFINITION
TERMS = default_definition_content()
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


@pytest.fixture
def people(engine):
    return SimpleNamespace(
        mia=make_user(engine, "mia", Role.MARKETING_LEADER),
        sam=make_user(engine, "sam", Role.SALES_LEADER),
    )


def run(engine, service, **kwargs):
    with write_session(engine) as s:
        return service(s, **kwargs)


def proposed(engine, people, title="v"):
    version = run(engine, create_draft, actor=people.mia, kind=DEF, title=title, content=TERMS)
    return run(
        engine, propose, actor=people.mia, version_id=version.id, expected_version=version.version
    )


def signed_by(engine, actor, version_id, at=NOW, **kwargs):
    with read_session(engine) as s:
        current = get_version(s, actor=actor, version_id=version_id).version
    return run(
        engine, sign, actor=actor, version_id=version_id, expected_version=current, now=at, **kwargs
    )


def in_force(engine):
    with read_session(engine) as s:
        version = active_version(s, DEF)
        return version.number if version else None


def status_of(engine, people, version_id):
    with read_session(engine) as s:
        return get_version(s, actor=people.mia, version_id=version_id).status


@pytest.fixture
def v1_active(engine, people):
    v1 = proposed(engine, people, "first")
    signed_by(engine, people.mia, v1.id)
    signed_by(engine, people.sam, v1.id)
    return v1


def test_second_signature_before_the_start_schedules_the_version(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    result = signed_by(engine, people.sam, v2.id)
    assert (result.activated, result.scheduled) == (False, True)
    assert status_of(engine, people, v2.id) == AgreementStatus.SCHEDULED
    assert in_force(engine) == 1


def test_the_version_starts_at_its_start_and_not_before(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    assert run(engine, start_due_versions, now=START - timedelta(seconds=1)) == []
    assert in_force(engine) == 1
    started = run(engine, start_due_versions, now=START)
    assert [(s.version.number, s.retired.number) for s in started] == [(2, 1)]
    assert in_force(engine) == 2
    with read_session(engine) as s:
        old = get_version(s, actor=people.mia, version_id=v1_active.id)
        new = get_version(s, actor=people.mia, version_id=v2.id)
    assert old.status == AgreementStatus.RETIRED
    assert as_utc(old.effective_to) == START
    assert as_utc(new.effective_from) == START


def test_the_activation_hook_runs_at_the_start_not_at_the_signature(engine, people):
    calls = []
    v1 = proposed(engine, people)
    signed_by(engine, people.mia, v1.id, starts_at=START)
    signed_by(engine, people.sam, v1.id, on_activate=lambda s, v: calls.append(v.number))
    assert calls == []
    assert in_force(engine) is None
    run(engine, start_due_versions, now=START, on_activate={DEF: lambda s, v: calls.append(v.id)})
    assert calls == [v1.id]


def test_the_worker_job_starts_a_due_definition(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    assert run(engine, start_scheduled_versions, now=START - timedelta(minutes=1)) == 0
    assert run(engine, start_scheduled_versions, now=START + timedelta(minutes=1)) == 1
    assert in_force(engine) == 2


def test_a_start_already_past_at_the_second_signature_activates_at_once(engine, people):
    v1 = proposed(engine, people)
    signed_by(engine, people.mia, v1.id, starts_at=START)
    result = signed_by(engine, people.sam, v1.id, at=START + timedelta(hours=1))
    assert result.activated
    assert in_force(engine) == 1


def test_a_scheduled_version_cannot_be_signed_again_or_edited(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    with pytest.raises(InvalidInput, match="only a proposed version can be signed"):
        signed_by(engine, people.sam, v2.id)
    with read_session(engine) as s:
        current = get_version(s, actor=people.mia, version_id=v2.id)
    with pytest.raises(InvalidInput, match="waits for its start"):
        run(
            engine,
            save_draft,
            actor=people.mia,
            version_id=v2.id,
            expected_version=current.version,
            title="changed",
            content=TERMS,
        )


def test_withdrawing_a_signature_cancels_the_start(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    run(engine, withdraw_signature, actor=people.sam, version_id=v2.id)
    assert status_of(engine, people, v2.id) == AgreementStatus.PROPOSED
    assert run(engine, start_due_versions, now=START) == []
    assert in_force(engine) == 1


def test_the_second_signer_signs_the_start_the_first_chose(engine, people):
    v1 = proposed(engine, people)
    signed_by(engine, people.mia, v1.id, starts_at=START)
    with pytest.raises(InvalidInput, match="to take effect on 2026-11-05 at 09:00 UTC"):
        signed_by(engine, people.sam, v1.id, starts_at=START + timedelta(days=1))


def test_a_second_version_cannot_be_scheduled_over_a_waiting_one(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    v3 = proposed(engine, people, "third")
    signed_by(engine, people.mia, v3.id)
    with pytest.raises(InvalidInput, match="v2 is already signed to take effect on 2026-11-05"):
        signed_by(engine, people.sam, v3.id)
    assert status_of(engine, people, v3.id) == AgreementStatus.PROPOSED


def test_both_leaders_inboxes_show_the_signed_version_and_its_start(engine, people, v1_active):
    v2 = proposed(engine, people, "second")
    signed_by(engine, people.mia, v2.id, starts_at=START)
    signed_by(engine, people.sam, v2.id)
    for leader in (people.mia, people.sam):
        with read_session(engine) as s:
            items = inbox_items(s, actor=leader, now=NOW)
        titles = [i.title for i in items if i.key.startswith("starting-")]
        assert titles == ["Lead definition v2, “second”, is signed, starts 2026-11-05 at 09:00 UTC"]
    run(engine, start_due_versions, now=START)
    with read_session(engine) as s:
        assert not [i for i in inbox_items(s, actor=people.mia, now=START) if "starts" in i.title]
