"""AppTest runs of the sign step (the impact shown, then an explicit confirmation, an
optional later start) and of the guard that stops a draft being proposed with unsaved edits."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from leaddash.db import read_session
from leaddash.inbox import whatif_headline
from leaddash.models import AgreementStatus, utcnow
from leaddash.sla import default_sla_content
from leaddash.ui.agreements.confirm import ON_DATE, WHATIF_DAYS
from tests.apptest import app_as, one_user_per_role, use_database
from tests.test_app_agreements import (
    DEF,
    PAGE,
    SLA,
    active,
    click,
    draft,
    number,
    proposed,
    shown,
    stored,
    with_threshold,
)


@pytest.fixture
def app_db(engine, monkeypatch):
    """Like the shared `app_db`, but also hands out each role's Actor by name."""
    import streamlit as st

    use_database(engine, monkeypatch)
    yield SimpleNamespace(engine=engine, **one_user_per_role(engine))
    st.cache_resource.clear()


def open_sign_step(side: str):
    return click(app_as(f"{side}_leader", PAGE[DEF]), f"Sign for {side}")


def test_the_sign_step_shows_the_changes_and_the_whatif_headline_before_any_signature(app_db):
    active(app_db, DEF, with_threshold(60))
    new = proposed(app_db, DEF, with_threshold(70))
    at = open_sign_step("sales")
    assert not at.exception
    assert "What changes against v1, the version in force:" in shown(at)
    assert "Threshold: 60 → 70" in shown(at)
    with read_session(app_db.engine) as session:
        headline = whatif_headline(
            session, actor=app_db.sales_leader, version_id=new.id, now=utcnow(), days=WHATIF_DAYS
        )
    assert headline.replace("\\", "") in shown(at)
    assert "Confirm: sign for sales" in {b.label for b in at.button}
    assert stored(app_db, new.id).status == AgreementStatus.PROPOSED
    assert "Sales: not signed yet" in shown(at)


def test_cancel_closes_the_sign_step_without_signing(app_db):
    new = proposed(app_db, DEF)
    at = click(open_sign_step("sales"), "Cancel")
    assert not at.exception
    assert "Confirm: sign for sales" not in {b.label for b in at.button}
    assert "Sign for sales" in {b.label for b in at.button}
    assert "Sales: not signed yet" in shown(at)
    assert stored(app_db, new.id).status == AgreementStatus.PROPOSED


def test_a_later_start_keeps_the_version_in_force_until_then(app_db):
    active(app_db, SLA, default_sla_content())  # its calendar gives the zone people choose in
    zone = default_sla_content()["calendar"]["timezone"]
    active(app_db, DEF, with_threshold(60))
    new = proposed(app_db, DEF, with_threshold(70))
    day = (utcnow() + timedelta(days=30)).astimezone(ZoneInfo(zone)).date()
    at = open_sign_step("marketing")
    at.radio(key=f"agr_start_{new.id}").set_value(ON_DATE)
    at.run()
    at.date_input(key=f"agr_day_{new.id}").set_value(day)
    at = click(at, "Confirm: sign for marketing")
    assert not at.exception
    assert "Signed for marketing." in shown(at)
    at = open_sign_step("sales")
    assert not at.time_input  # the second signer signs the start the first chose
    assert f"Takes effect on {day:%Y-%m-%d}" in shown(at) and zone in shown(at)
    at = click(at, "Confirm: sign for sales")
    assert not at.exception
    assert f"takes effect on {day:%Y-%m-%d}" in shown(at)
    assert f"signed, starts {day:%Y-%m-%d}" in at.selectbox(
        key="agr_definition_picked"
    ).format_func(new.id)
    assert stored(app_db, new.id).status == AgreementStatus.SCHEDULED
    assert stored(app_db, new.id - 1).status == AgreementStatus.ACTIVE


def test_propose_is_stopped_while_the_editor_holds_unsaved_changes(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    number(at, "MQL threshold (points)").set_value(70)
    at = click(at, "Propose for signature")
    assert not at.exception
    assert "v1 was not proposed: the editor holds changes you have not saved." in shown(at)
    assert "Threshold: 60 → 70" in shown(at)
    assert {"Save my changes", "Discard my changes"} <= {b.label for b in at.button}
    assert stored(app_db, version.id).status == AgreementStatus.DRAFT


def test_discarding_unsaved_changes_restores_the_saved_terms_and_then_proposes(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    number(at, "MQL threshold (points)").set_value(70)
    at = click(click(at, "Propose for signature"), "Discard my changes")
    assert not at.exception
    assert "Your unsaved changes to v1 were discarded." in shown(at)
    assert number(at, "MQL threshold (points)").value == 60
    at = click(at, "Propose for signature")
    assert "v1 is proposed" in shown(at)
    saved = stored(app_db, version.id)
    assert (saved.status, saved.content["threshold"]) == (AgreementStatus.PROPOSED, 60)


def test_saving_unsaved_changes_keeps_them_and_then_proposes(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    number(at, "MQL threshold (points)").set_value(70)
    at = click(click(at, "Propose for signature"), "Save my changes")
    assert not at.exception
    assert "Saved v1." in shown(at)
    assert stored(app_db, version.id).content["threshold"] == 70
    at = click(at, "Propose for signature")
    assert "v1 is proposed" in shown(at)
    assert stored(app_db, version.id).status == AgreementStatus.PROPOSED
