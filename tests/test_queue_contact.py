"""A lead's contact links (call, email, CRM record) and the CRM link template an admin sets."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AuditLog, Role
from leaddash.queue.contact import contact_links, crm_template, save_crm_template
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

TEMPLATE = "https://crm.example.com/leads/{external_id}"


def save(engine, actor, template):
    with write_session(engine) as session:
        return save_crm_template(session, actor=actor, template=template)


def test_an_admin_saves_the_template_and_it_is_read_back_with_an_audit_row(engine):
    admin = make_user(engine, "ada", Role.ADMIN)
    save(engine, admin, f"  {TEMPLATE} ")
    with read_session(engine) as session:
        assert crm_template(session) == TEMPLATE
        audit = session.exec(select(AuditLog).where(AuditLog.action == "setting.crm_link")).all()
    assert [a.actor_id for a in audit] == [admin.id]


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("crm.example.com/leads/{external_id}", "must be a web address starting with http"),
        ("ftp://crm.example.com/{external_id}", "must be a web address starting with http"),
        ("https:///leads/{external_id}", "must be a web address starting with http"),
        ("https://crm.example.com/leads/", "must contain {external_id}"),
    ],
)
def test_a_bad_template_is_refused_with_the_field_named(engine, template, problem):
    admin = make_user(engine, "ada", Role.ADMIN)
    with pytest.raises(InvalidInput, match=problem) as refused:
        save(engine, admin, template)
    assert refused.value.field == "crm_template"
    with read_session(engine) as session:
        assert crm_template(session) == ""


@pytest.mark.parametrize("role", [Role.SALES_LEADER, Role.REP, Role.MARKETING])
def test_only_an_admin_may_set_the_template(engine, role):
    someone = make_user(engine, "sam", role, team="East" if role == Role.REP else None)
    with pytest.raises(Forbidden):
        save(engine, someone, TEMPLATE)


def test_links_are_built_from_the_leads_values_and_missing_ones_give_none():
    links = contact_links(
        phone="+49 (30) 123-45", email="ann@acme.example", external_id="A/7 x", template=TEMPLATE
    )
    assert (links.call, links.mail, links.crm) == (
        "tel:+493012345",
        "mailto:ann@acme.example",
        "https://crm.example.com/leads/A%2F7%20x",
    )
    bare = contact_links(phone=" ", email=None, external_id="A-7", template="")
    assert (bare.phone, bare.call, bare.email, bare.mail, bare.crm) == (None,) * 5
