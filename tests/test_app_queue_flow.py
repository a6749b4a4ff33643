"""AppTest runs of My queue as a rep works through it: words beside the control that caused
them, inputs emptied after success, the chosen lead kept in the URL and moved only by Next
lead, a lead one may not open refused without a word about it, Undo, and contact links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leaddash.db import write_session
from leaddash.models import Role, Stage
from leaddash.queue.contact import save_crm_template
from leaddash.reasons import ensure_default_reasons
from leaddash.ui.queue import NOT_YOURS
from tests.apptest import APP, TIMEOUT, log_in_as, one_user_per_role, seen, texts, use_database
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

PAGE = "pages/my_queue.py"


@pytest.fixture
def people(engine, monkeypatch):
    """Users named after their roles (rep and manager in team East) and the reasons."""
    import streamlit as st

    use_database(engine, monkeypatch)
    with write_session(engine) as session:
        ensure_default_reasons(session)
    yield one_user_per_role(engine)
    st.cache_resource.clear()


def open_queue(username: str = "rep", lead_id: int | None = None):
    """Return My queue opened as a browser would, with ?lead=… when `lead_id` is given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    log_in_as(at, username)
    at.run()
    at.switch_page(PAGE)
    if lead_id is not None:
        at.query_params["lead"] = str(lead_id)
    return at.run()


def in_order(node) -> list:
    """Return the page's elements in the order they are drawn (depth first)."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for child in children.values() for leaf in in_order(child)]


def drawn_after(at, key: str) -> list[str]:
    """Return the kinds of the elements drawn right after the widget `key` (up to 3)."""
    elements = in_order(at.main)
    [where] = [i for i, e in enumerate(elements) if getattr(e, "key", None) == key]
    return [e.type for e in elements[where + 1 : where + 4]]


def test_a_refusal_in_send_it_back_shows_below_its_button_and_the_section_stays_open(
    people, engine
):
    lead = make_lead(engine, people["rep"])
    at = open_queue()
    at.toggle(key=f"send_back_open_{lead.id}").set_value(True).run()

    at = at.button(key=f"recycle_{lead.id}").click().run()

    assert not at.exception
    assert at.toggle(key=f"send_back_open_{lead.id}").value is True
    assert drawn_after(at, f"recycle_{lead.id}")[0] == "error"  # right below its button
    assert len(at.error) == 1
    assert seen(at.error[0].value).startswith("Pick a reason for recycling this lead")
    assert lead_now(engine, lead.id).stage == Stage.MQL


def test_a_new_action_clears_the_old_refusal_and_its_words_show_beside_it(people, engine):
    lead = make_lead(engine, people["rep"])
    at = open_queue()
    at.toggle(key=f"send_back_open_{lead.id}").set_value(True).run()
    at = at.button(key=f"recycle_{lead.id}").click().run()
    assert at.error
    at.button_group(key=f"outcome_call_{lead.id}").set_value("voicemail").run()

    at = at.button(key=f"attempt_{lead.id}").click().run()

    assert not at.exception
    assert not at.error
    attempt = (
        "Attempt 1 (call, voicemail) logged for Ann Lee. 2 more before you may close it as "
        "unable to reach."
    )
    assert [seen(s.value) for s in at.success] == [attempt]
    assert "success" in drawn_after(at, f"attempt_{lead.id}")


def test_the_attempt_note_is_emptied_after_success_and_the_picker_label_is_fresh(people, engine):
    lead = make_lead(engine, people["rep"], due_in=timedelta(hours=-1))
    at = open_queue()
    assert at.selectbox(key="queue_lead").options[0].startswith("OVERDUE · Ann Lee")
    at.button_group(key=f"outcome_call_{lead.id}").set_value("no_answer").run()
    at.text_input(key=f"attempt_note_{lead.id}").input("Rang twice").run()

    at = at.button(key=f"attempt_{lead.id}").click().run()

    assert not at.exception
    assert at.text_input(key=f"attempt_note_{lead.id}").value == ""
    assert at.button_group(key=f"outcome_call_{lead.id}").value is None
    fresh = open_queue().selectbox(key="queue_lead").options
    assert at.selectbox(key="queue_lead").options == fresh
    assert not fresh[0].startswith("OVERDUE")  # touched: the decision deadline counts now


def test_the_chosen_lead_is_in_the_url_and_a_reload_keeps_it(people, engine):
    first = make_lead(engine, people["rep"], first="Urgent", due_in=timedelta(hours=-1))
    second = make_lead(engine, people["rep"], first="Later", due_in=timedelta(hours=5))
    at = open_queue()
    assert at.query_params["lead"] == str(first.id)

    reloaded = open_queue(lead_id=second.id)

    assert not reloaded.exception
    assert reloaded.subheader[0].value == "Later Lee"
    assert reloaded.selectbox(key="queue_lead").value == second.id
    assert reloaded.query_params["lead"] == str(second.id)


def test_a_decision_keeps_the_lead_chosen_until_next_lead(people, engine):
    first = make_lead(engine, people["rep"], first="Urgent", due_in=timedelta(hours=-1))
    second = make_lead(engine, people["rep"], first="Later", due_in=timedelta(hours=5))
    at = open_queue()

    at = at.button(key=f"validate_{first.id}").click().run()
    at.run()  # any rerun (a filter, a reload) keeps it

    assert at.query_params["lead"] == str(first.id)
    assert at.subheader[0].value == "Urgent Lee"
    assert "This lead is validated: nothing left to do here." in texts(at)

    at = at.button(key="next_lead").click().run()

    assert not at.exception
    assert at.query_params["lead"] == str(second.id)
    assert at.subheader[0].value == "Later Lee"
    assert "meets the definition" not in texts(at)  # the words of the last lead went


def test_a_lead_in_the_url_the_rep_may_not_open_is_refused_without_naming_it(people, engine):
    other = make_user(engine, "ola", Role.REP, team="West")
    theirs = make_lead(engine, other, first="Secret", last="Person", company="Hidden Inc")
    make_lead(engine, people["rep"])

    for lead_id in (theirs.id, 999_999):
        at = open_queue(lead_id=lead_id)
        assert not at.exception
        assert [seen(e.value) for e in at.error] == [NOT_YOURS.format(lead=lead_id)]
        shown = texts(at) + " ".join(str(o) for o in at.selectbox(key="queue_lead").options)
        assert "Secret" not in shown and "Hidden" not in shown and "ola" not in shown


def test_undo_beside_the_decision_puts_the_lead_back(people, engine):
    lead = make_lead(engine, people["rep"])
    at = open_queue()
    at.button_group(key=f"dq_reason_{lead.id}").set_value("no_fit").run()
    at = at.button(key=f"disqualify_{lead.id}").click().run()
    assert lead_now(engine, lead.id).stage == Stage.DISQUALIFIED

    at = at.button(key=f"undo_{lead.id}").click().run()

    assert not at.exception
    assert lead_now(engine, lead.id).stage == Stage.ACCEPTED
    assert "Undone: Ann Lee is back in your queue." in [seen(s.value) for s in at.success]
    assert at.button(key=f"validate_{lead.id}")  # the answer is open again
    assert at.query_params["lead"] == str(lead.id)


def test_call_email_and_crm_links_show_only_for_the_values_a_lead_has(people, engine):
    with write_session(engine) as session:
        save_crm_template(
            session, actor=people["admin"], template="https://crm.example.com/leads/{external_id}"
        )
    full = make_lead(engine, people["rep"], phone="+1 415 555 0101", external_id="CRM-7")
    bare = make_lead(engine, people["rep"], first="Bo")
    with write_session(engine) as session:
        session.get(type(bare), bare.id).email = None

    links = " ".join(m.value for m in open_queue(lead_id=full.id).markdown)
    assert "(tel:+14155550101)" in links
    assert "(mailto:ann.lee@example.com)" in links
    assert "[Open in CRM](https://crm.example.com/leads/CRM-7)" in links

    shown = " ".join(m.value for m in open_queue(lead_id=bare.id).markdown)
    assert "tel:" not in shown and "mailto:" not in shown and "Open in CRM" not in shown


def test_an_admin_sets_the_crm_link_and_a_bad_one_is_refused_by_name(people, engine):
    from streamlit.testing.v1 import AppTest

    from leaddash.db import read_session
    from leaddash.queue.contact import crm_template

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    log_in_as(at, "admin")
    at.run()
    at.switch_page("pages/admin_users.py")
    at.run()
    field = next(t for t in at.text_input if t.label == "CRM link template")
    field.input("https://crm.example.com/leads/")
    at = next(b for b in at.button if b.label == "Save CRM link").click().run()
    assert not at.exception
    assert at.error, texts(at)
    assert seen(at.error[0].value).startswith("The CRM link template must contain {external_id}")

    field = next(t for t in at.text_input if t.label == "CRM link template")
    field.input("https://crm.example.com/leads/{external_id}")
    at = next(b for b in at.button if b.label == "Save CRM link").click().run()
    assert not at.exception
    with read_session(engine) as session:
        assert crm_template(session) == "https://crm.example.com/leads/{external_id}"
