import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlmodel import delete, select

from leaddash.agreements import (
    Change,
    EditConflict,
    active_version,
    add_comment,
    create_draft,
    describe_change,
    diff_contents,
    diff_versions,
    drafts,
    get_version,
    list_comments,
    list_versions,
    propose,
    save_draft,
    sign,
    withdraw_signature,
)
from leaddash.db import is_sqlite, read_session, write_session
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.models import (
    AgreementKind,
    AgreementStatus,
    AgreementVersion,
    AuditLog,
    Role,
    Signature,
)
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

DEF, SLA = AgreementKind.DEFINITION, AgreementKind.SLA
TERMS = {
    DEF: {
        "threshold": 60,
        "fit_rules": [
            {"id": "F1", "field": "employees", "op": "gte", "value": 50, "label": "50+ employees"},
        ],
    },
    SLA: {"sales": {"first_touch_hours": 4, "decision_days": 5}},
}


@pytest.fixture
def people(engine):
    return SimpleNamespace(
        mia=make_user(engine, "mia", Role.MARKETING_LEADER),
        sam=make_user(engine, "sam", Role.SALES_LEADER),
        ann=make_user(engine, "ann", Role.MARKETING),
    )


def run(engine, service, **kwargs):
    with write_session(engine) as s:
        return service(s, **kwargs)


def draft(engine, actor, kind=DEF, **kwargs):
    kwargs.setdefault("content", TERMS[kind])
    return run(engine, create_draft, actor=actor, kind=kind, title=f"{kind} draft", **kwargs)


def proposed(engine, people, kind=DEF):
    version = draft(engine, people.ann, kind)
    return run(
        engine, propose, actor=people.ann, version_id=version.id, expected_version=version.version
    )


def signed_by(engine, version, *actors, **kwargs):
    for actor in actors:
        result = run(
            engine,
            sign,
            actor=actor,
            version_id=version.id,
            expected_version=version.version,
            **kwargs,
        )
        version = result.version
    return result


def activated(engine, people, kind=DEF):
    return signed_by(engine, proposed(engine, people, kind), people.mia, people.sam).version


def reload(engine, version):
    with read_session(engine) as s:
        return s.get(AgreementVersion, version.id)


def signatures(engine, version):
    with read_session(engine) as s:
        return s.exec(
            select(Signature).where(Signature.agreement_id == version.id).order_by(Signature.id)
        ).all()


# Drafting


def test_drafts_are_numbered_per_kind_and_copy_their_base(engine, people):
    first = activated(engine, people)
    sla = draft(engine, people.mia, SLA)
    second = draft(engine, people.ann, content=None, based_on_id=first.id)
    assert (first.number, second.number, sla.number) == (1, 2, 1)
    assert second.content == TERMS[DEF] and second.based_on_id == first.id
    assert second.status == AgreementStatus.DRAFT and second.author_id == people.ann.id


def test_a_draft_started_from_a_version_keeps_its_next_review_date(engine, people):
    base = draft(engine, people.ann)
    run(
        engine,
        save_draft,
        actor=people.ann,
        version_id=base.id,
        expected_version=base.version,
        next_review_on=date(2027, 3, 4),
    )
    second = draft(engine, people.mia, content=None, based_on_id=base.id)
    fresh = draft(engine, people.mia)
    assert (second.next_review_on, fresh.next_review_on) == (date(2027, 3, 4), None)


def test_two_drafts_numbered_at_once_are_refused_not_duplicated(engine, people, monkeypatch):
    draft(engine, people.ann)
    monkeypatch.setattr(drafts, "_next_number", lambda session, kind: 1)  # a racing writer
    with pytest.raises(Conflict, match="Someone else started lead definition v1 at the same"):
        draft(engine, people.mia)
    with read_session(engine) as s:
        assert len(s.exec(select(AgreementVersion)).all()) == 1


def test_failed_validation_saves_nothing(engine, people):
    def refuse(content):
        raise InvalidInput("The threshold must be between 0 and 100.", field="threshold")

    with pytest.raises(InvalidInput) as err:
        draft(engine, people.ann, validate=refuse)
    assert err.value.field == "threshold"
    with read_session(engine) as s:
        assert s.exec(select(AgreementVersion)).all() == []
        assert s.exec(select(AuditLog).where(AuditLog.entity == "agreementversion")).all() == []


def test_validate_and_summarize_shape_what_is_stored(engine, people):
    version = draft(
        engine,
        people.ann,
        validate=lambda c: {**c, "threshold": 65},
        summarize=lambda c: f"Threshold {c['threshold']}",
    )
    saved = reload(engine, version)
    assert saved.content["threshold"] == 65 and saved.summary == "Threshold 65"


def test_marketing_can_draft_edit_and_propose_but_not_sign(engine, people):
    version = draft(engine, people.ann)
    edited = run(
        engine,
        save_draft,
        actor=people.ann,
        version_id=version.id,
        expected_version=version.version,
        title="Stricter",
    ).version
    version = run(
        engine, propose, actor=people.ann, version_id=version.id, expected_version=edited.version
    )
    assert (version.title, version.status) == ("Stricter", AgreementStatus.PROPOSED)
    with pytest.raises(Forbidden, match="you are signed in as a marketing"):
        signed_by(engine, version, people.ann)


@pytest.mark.parametrize("role", [Role.REP, Role.SALES_MANAGER])
def test_reps_and_sales_managers_only_read(engine, people, role):
    reader = make_user(engine, "reader", role)
    version = draft(engine, people.ann)
    with pytest.raises(Forbidden, match="may not draft the lead definition or the SLA"):
        draft(engine, reader)
    with pytest.raises(Forbidden, match="may not edit drafts"):
        run(
            engine,
            save_draft,
            actor=reader,
            version_id=version.id,
            expected_version=1,
            title="Mine now",
        )
    with pytest.raises(Forbidden, match="may not propose"):
        run(engine, propose, actor=reader, version_id=version.id, expected_version=1)
    with read_session(engine) as s:
        assert [r.title for r in list_versions(s, actor=reader, kind=DEF)] == ["definition draft"]
        assert get_version(s, actor=reader, version_id=version.id).title == "definition draft"


def test_active_version_cannot_be_edited(engine, people):
    version = activated(engine, people)
    with pytest.raises(InvalidInput) as err:
        run(
            engine,
            save_draft,
            actor=people.mia,
            version_id=version.id,
            expected_version=version.version,
            title="Tweak",
        )
    assert err.value.message == (
        "Lead definition v1 is active and can no longer be changed. "
        "Start a new draft from it instead."
    )


# Signing


@pytest.mark.parametrize(
    "role, side", [(Role.MARKETING_LEADER, "marketing"), (Role.SALES_LEADER, "sales")]
)
def test_leaders_sign_for_their_own_side(engine, people, role, side):
    leader = make_user(engine, "leader", role)
    result = signed_by(engine, proposed(engine, people), leader)
    assert (result.side, result.activated) == (side, False)
    assert [(s.side, s.user_id) for s in signatures(engine, result.version)] == [(side, leader.id)]


@pytest.mark.parametrize(
    "role, article",
    [
        (Role.ADMIN, "an admin"),
        (Role.MARKETING, "a marketing"),
        (Role.SALES_MANAGER, "a sales manager"),
        (Role.REP, "a rep"),
    ],
)
def test_everyone_else_may_not_sign(engine, people, role, article):
    other = make_user(engine, "other", role)
    version = proposed(engine, people)
    with pytest.raises(Forbidden) as err:
        signed_by(engine, version, other)
    assert err.value.message == (
        "Only a marketing leader or a sales leader can sign a version of the lead definition "
        f"or the SLA; you are signed in as {article}."
    )
    assert signatures(engine, version) == []


def test_both_sides_signing_activates_the_version(engine, people):
    version = proposed(engine, people)
    first = signed_by(engine, version, people.mia)
    second = signed_by(engine, first.version, people.sam)
    assert (first.activated, second.activated, second.retired) == (False, True, None)
    assert second.version.status == AgreementStatus.ACTIVE
    assert second.version.effective_from is not None and second.version.effective_to is None
    with read_session(engine) as s:
        assert active_version(s, DEF).id == version.id
        row = list_versions(s, actor=people.ann, kind=DEF)[0]
    assert (row.author, row.status) == ("Ann", "active")
    assert sorted(row.signatures) == ["marketing", "sales"]
    assert row.signatures["sales"].signer == "Sam"


def test_only_proposed_versions_can_be_signed(engine, people):
    version = draft(engine, people.ann)
    with pytest.raises(InvalidInput, match="Lead definition v1 is still a draft: propose it"):
        signed_by(engine, version, people.mia)


def test_signing_twice_for_a_side_is_refused(engine, people):
    version = signed_by(engine, proposed(engine, people), people.mia).version
    with pytest.raises(InvalidInput) as again:
        signed_by(engine, version, people.mia)
    other = make_user(engine, "max", Role.MARKETING_LEADER)
    with pytest.raises(InvalidInput) as colleague:
        signed_by(engine, version, other)
    assert again.value.message == "You have already signed lead definition v1 for marketing."
    assert colleague.value.message.startswith(
        "Marketing has already signed lead definition v1: Mia signed it on "
    )
    assert len(signatures(engine, version)) == 1


def test_successive_activations_leave_one_active_and_retire_the_old_with_dates(engine, people):
    first = activated(engine, people)
    second = activated(engine, people)
    last = signed_by(engine, proposed(engine, people), people.mia, people.sam)
    rows = [reload(engine, v) for v in (first, second, last.version)]
    assert [r.status for r in rows] == ["retired", "retired", "active"]
    assert rows[0].effective_to == rows[1].effective_from
    assert rows[1].effective_to == rows[2].effective_from and rows[2].effective_to is None
    assert last.retired.id == second.id


def test_definition_and_sla_do_not_interfere(engine, people):
    definition = activated(engine, people, DEF)
    sla = activated(engine, people, SLA)
    newer = activated(engine, people, DEF)
    with read_session(engine) as s:
        assert active_version(s, SLA).id == sla.id
        assert active_version(s, DEF).id == newer.id
    assert reload(engine, definition).status == "retired"
    assert (sla.number, newer.number) == (1, 2)


def test_on_activate_runs_once_when_the_version_takes_effect(engine, people):
    calls = []

    def rescore(session, version):
        calls.append((version.number, version.status))

    version = proposed(engine, people)
    signed_by(engine, version, people.mia, people.sam, on_activate=rescore)
    assert calls == [(1, "active")]


def test_editing_a_proposed_version_withdraws_its_signatures(engine, people):
    version = signed_by(engine, proposed(engine, people), people.mia).version
    saved = run(
        engine,
        save_draft,
        actor=people.sam,
        version_id=version.id,
        expected_version=version.version,
        content={**TERMS[DEF], "threshold": 70},
    )
    assert saved.withdrawn_from == ("Mia",) and saved.version.status == AgreementStatus.PROPOSED
    [kept] = signatures(engine, version)
    assert kept.withdrawn_at is not None
    after_sam = signed_by(engine, saved.version, people.sam)
    assert not after_sam.activated
    assert signed_by(engine, after_sam.version, people.mia).activated


def test_a_leader_can_withdraw_only_their_sides_signature(engine, people):
    version = signed_by(engine, proposed(engine, people), people.mia).version
    with pytest.raises(InvalidInput, match="Sales has not signed lead definition v1"):
        run(engine, withdraw_signature, actor=people.sam, version_id=version.id)
    withdrawn = run(engine, withdraw_signature, actor=people.mia, version_id=version.id)
    assert withdrawn.withdrawn_at is not None
    assert not signed_by(engine, version, people.sam).activated


@pytest.mark.parametrize("previous", [True, False], ids=["replacing", "first"])
def test_two_last_signatures_at_once_leave_exactly_one_active(engine, people, previous):
    old = [activated(engine, people)] if previous else []
    first, second = (
        signed_by(engine, proposed(engine, people), people.mia).version for _ in range(2)
    )
    sue = make_user(engine, "sue", Role.SALES_LEADER)
    start = threading.Barrier(2)
    hold = _hold_until_the_other_signer_waits(engine)

    def last_signature(actor, version):
        start.wait()  # before the session: a SQLite writer would hold the lock while waiting
        return signed_by(engine, version, actor, on_activate=hold)

    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(last_signature, people.sam, first),
            pool.submit(last_signature, sue, second),
        ]
        results = [future.result(timeout=30) for future in futures]
    assert [r.activated for r in results] == [True, True]
    rows = [reload(engine, v) for v in [*old, first, second]]
    assert sorted(r.status for r in rows) == ["active"] + ["retired"] * (len(rows) - 1)
    winner, loser = sorted(
        (reload(engine, v) for v in (first, second)), key=lambda r: r.status != "active"
    )
    assert winner.effective_from is not None
    assert loser.effective_to == winner.effective_from


def _hold_until_the_other_signer_waits(engine):
    """Return an on_activate hook: the first activation keeps its transaction open until
    the other signer waits on a lock (PostgreSQL shows it in pg_stat_activity), so the two overlap
    for certain. SQLite lets one writer in at a time, before anything is read: the other
    cannot be part-way in, and there is nothing to wait for."""
    first = threading.Lock()

    def hold(session, _version) -> None:
        if is_sqlite(engine) or not first.acquire(blocking=False):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _someone_waits_on_a_lock(session):
            time.sleep(0.01)  # polls a condition; the lock, not this pause, decides the order

    return hold


def _someone_waits_on_a_lock(session) -> bool:
    return bool(
        session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar()
    )


# Conflicts


def test_stale_save_names_who_when_and_what_and_changes_nothing(engine, people):
    version = draft(engine, people.ann)
    seen = version.version
    run(
        engine,
        save_draft,
        actor=people.mia,
        version_id=version.id,
        expected_version=seen,
        content={**TERMS[DEF], "threshold": 70},
    )
    with pytest.raises(EditConflict) as err:
        run(
            engine,
            save_draft,
            actor=people.ann,
            version_id=version.id,
            expected_version=seen,
            title="Mine",
            content={**TERMS[DEF], "threshold": 55},
        )
    conflict = err.value
    assert conflict.changed_by == "Mia"
    assert conflict.changes == [Change("threshold", 60, 70)]
    assert abs(conflict.changed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert conflict.message == (
        f"Mia changed lead definition v1 on {conflict.changed_at:%Y-%m-%d at %H:%M} UTC, after "
        "you opened it: Threshold: 60 → 70. Nothing was saved. Reload to see their version, "
        "then make your change again."
    )
    saved = reload(engine, version)
    assert (saved.title, saved.content["threshold"], saved.version) == ("definition draft", 70, 2)


def test_conflict_lists_every_change_since_the_callers_version(engine, people):
    version = draft(engine, people.ann)
    edited = run(
        engine,
        save_draft,
        actor=people.mia,
        version_id=version.id,
        expected_version=1,
        title="Stricter",
        next_review_on=date(2026, 1, 31),
    ).version
    run(engine, propose, actor=people.sam, version_id=version.id, expected_version=edited.version)
    with pytest.raises(EditConflict) as err:
        run(engine, propose, actor=people.ann, version_id=version.id, expected_version=1)
    assert err.value.changed_by == "Mia and Sam"
    assert [describe_change(c) for c in err.value.changes] == [
        "Title: definition draft → Stricter",
        "Status: draft → proposed",
        "Next review on: none → 2026-01-31",
    ]


def test_conflict_without_audit_history_compares_with_the_callers_terms(engine, people):
    version = draft(engine, people.ann)
    run(
        engine,
        save_draft,
        actor=people.mia,
        version_id=version.id,
        expected_version=1,
        content={**TERMS[DEF], "threshold": 70},
    )
    with write_session(engine) as s:
        s.exec(delete(AuditLog))
    with pytest.raises(EditConflict) as err:
        run(
            engine,
            save_draft,
            actor=people.ann,
            version_id=version.id,
            expected_version=1,
            content=TERMS[DEF],
        )
    assert err.value.changed_by == "Mia"
    assert err.value.changes == [Change("threshold", 60, 70)]


# Comments and audit


def test_comments_form_a_thread_that_everyone_reads(engine, people):
    version = proposed(engine, people)
    manager = make_user(engine, "max", Role.SALES_MANAGER)
    for actor, body in (
        (people.mia, "Threshold 60 is too low."),
        (people.sam, "  Agreed.  "),
        (manager, "My team sees the same."),
    ):
        run(engine, add_comment, actor=actor, version_id=version.id, body=body)
    rep = make_user(engine, "rey", Role.REP)
    with read_session(engine) as s:
        thread = list_comments(s, actor=rep, version_id=version.id)
    assert [(c.author, c.body) for c in thread] == [
        ("Mia", "Threshold 60 is too low."),
        ("Sam", "Agreed."),
        ("Max", "My team sees the same."),
    ]


def test_rep_may_not_comment_and_empty_comments_are_refused(engine, people):
    version = draft(engine, people.ann)
    rep = make_user(engine, "rey", Role.REP)
    with pytest.raises(Forbidden, match="A rep may not comment on the agreements"):
        run(engine, add_comment, actor=rep, version_id=version.id, body="Too strict!")
    with pytest.raises(InvalidInput) as err:
        run(engine, add_comment, actor=people.mia, version_id=version.id, body="   ")
    assert err.value.field == "body"


def test_every_step_leaves_an_audit_row(engine, people):
    version = draft(engine, people.ann)
    run(engine, add_comment, actor=people.sam, version_id=version.id, body="Looks right.")
    version = run(engine, propose, actor=people.ann, version_id=version.id, expected_version=1)
    version = signed_by(engine, version, people.mia).version
    run(engine, withdraw_signature, actor=people.mia, version_id=version.id)
    version = signed_by(engine, version, people.mia).version
    version = run(
        engine,
        save_draft,
        actor=people.ann,
        version_id=version.id,
        expected_version=version.version,
        title="Final",
    ).version
    signed_by(engine, version, people.mia, people.sam)
    with read_session(engine) as s:
        rows = s.exec(select(AuditLog.action, AuditLog.entity, AuditLog.actor_id)).all()
    assert set(rows) >= {
        ("agreement.create_draft", "agreementversion", people.ann.id),
        ("agreement.comment", "comment", people.sam.id),
        ("agreement.propose", "agreementversion", people.ann.id),
        ("agreement.sign", "signature", people.mia.id),
        ("agreement.withdraw_signature", "signature", people.mia.id),
        ("agreement.edit", "agreementversion", people.ann.id),
        ("agreement.edit", "signature", people.ann.id),
        ("agreement.sign", "signature", people.sam.id),
        ("agreement.activate", "agreementversion", people.sam.id),
    }


# Diffs


def test_diff_matches_list_items_by_id_not_position():
    old = {"fit_rules": [{"id": "F1", "value": 50}, {"id": "F2", "value": ["US"]}]}
    new = {"fit_rules": [{"id": "F2", "value": ["US"]}, {"id": "F1", "value": 100}]}
    assert diff_contents(old, new) == [
        Change("fit_rules[F1].value", 50, 100),
        Change("fit_rules", ["F1", "F2"], ["F2", "F1"], "reordered"),
    ]


def test_diff_reports_added_and_removed_items_by_their_key():
    size = {"id": "F1", "label": "50+ employees"}
    no_fit = {"code": "no_fit", "clause": "F1"}
    old = {"fit_rules": [size, {"id": "F2", "label": "Served country"}], "reasons": [no_fit]}
    new = {
        "fit_rules": [size, {"id": "F3", "label": "Commercial industry"}],
        "reasons": [no_fit, {"code": "no_need", "clause": None}],
    }
    assert [describe_change(c) for c in diff_contents(old, new)] == [
        "Fit rule F2 removed: Served country",
        "Fit rule F3 added: Commercial industry",
        "Reason no_need added: clause: none",
    ]


def test_diff_walks_nested_dicts_to_the_changed_scalars():
    old = {
        "threshold": 60,
        "scoring": {"half_life_days": 45, "activities": {"webinar": {"points": 15}}},
    }
    new = {
        "threshold": 70,
        "scoring": {"half_life_days": None, "activities": {"webinar": {"points": 20}}, "cap": 100},
    }
    assert [describe_change(c) for c in diff_contents(old, new)] == [
        "Threshold: 60 → 70",
        "Scoring › half life days: 45 → none",
        "Scoring › activities › webinar › points: 15 → 20",
        "Scoring › cap added: 100",
    ]


def test_diff_compares_plain_lists_whole_and_keyless_dicts_by_position():
    old = {"workdays": ["Mon", "Tue", "Sun"], "bands": [{"min": 0}, {"min": 50}]}
    new = {"workdays": ["Mon", "Tue", "Wed"], "bands": [{"min": 10}]}
    assert [describe_change(c) for c in diff_contents(old, new)] == [
        "Workdays: Mon, Tue, Sun → Mon, Tue, Wed (added Wed; removed Sun)",
        "Band #1 › min: 0 → 10",
        "Band #2 removed: min: 50",
    ]


def test_identical_contents_have_no_diff():
    assert diff_contents(TERMS[DEF], {**TERMS[DEF]}) == []
    assert diff_contents({"flag": True}, {"flag": 1}) == [Change("flag", True, 1)]


def test_diff_versions_compares_two_versions_of_the_same_agreement(engine, people):
    first = draft(engine, people.ann)
    second = draft(engine, people.ann, content={**TERMS[DEF], "threshold": 75})
    sla = draft(engine, people.ann, SLA)
    with read_session(engine) as s:
        assert diff_versions(s, actor=people.ann, a_id=first.id, b_id=second.id) == [
            Change("threshold", 60, 75)
        ]
        with pytest.raises(InvalidInput, match="are different agreements"):
            diff_versions(s, actor=people.ann, a_id=first.id, b_id=sla.id)
