"""AppTest runs of the lead definition and SLA pages: every role, the sign-off workflow,
stale saves, bad input next to its field, read-only roles and refused actions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Error

from leaddash.agreements import create_draft, get_version, propose, save_draft, sign
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content, summarize
from leaddash.models import AgreementKind, AgreementStatus, Role
from leaddash.sla import default_sla_content, summarize_sla
from leaddash.ui.nav import pages_for
from tests.apptest import app_as, one_user_per_role, texts, use_database

DEF, SLA = AgreementKind.DEFINITION, AgreementKind.SLA
PAGE = {DEF: "pages/definition.py", SLA: "pages/sla.py"}
CONTENT = {DEF: default_definition_content, SLA: default_sla_content}
SUMMARY = {DEF: summarize, SLA: summarize_sla}
ROLES = [r.value for r in Role]
EDIT_BUTTONS = (
    "Save draft",
    "Propose for signature",
    "Sign for marketing",
    "Sign for sales",
    "Start a new draft from this version",
    "Start the first draft",
)


@pytest.fixture
def app_db(engine, monkeypatch):
    """Like the shared `app_db`, but also hands out each role's Actor by name."""
    import streamlit as st

    use_database(engine, monkeypatch)
    yield SimpleNamespace(engine=engine, **one_user_per_role(engine))
    st.cache_resource.clear()


# --- arrange helpers -------------------------------------------------------------------


def _write(db, service, **kwargs):
    with write_session(db.engine) as session:
        return service(session, **kwargs)


def draft(db, kind=DEF, content=None, title="Working draft"):
    """Return a new draft of `kind` written by the marketing leader."""
    terms = content if content is not None else CONTENT[kind]()
    return _write(
        db,
        create_draft,
        actor=db.marketing_leader,
        kind=kind,
        title=title,
        content=terms,
        summarize=SUMMARY[kind],
    )


def proposed(db, kind=DEF, content=None):
    version = draft(db, kind, content)
    return _write(
        db,
        propose,
        actor=db.marketing_leader,
        version_id=version.id,
        expected_version=version.version,
    )


def signed(db, version, *signers):
    for signer in signers:
        version = _write(
            db, sign, actor=signer, version_id=version.id, expected_version=version.version
        ).version
    return version


def active(db, kind=DEF, content=None):
    return signed(db, proposed(db, kind, content), db.marketing_leader, db.sales_leader)


def stored(db, version_id):
    with read_session(db.engine) as session:
        return get_version(session, actor=db.admin, version_id=version_id)


def with_threshold(value):
    content = default_definition_content()
    content["threshold"] = value
    return content


# --- act helpers -----------------------------------------------------------------------


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def sign_on_page(at: AppTest, side: str) -> AppTest:
    """Sign through the sign step: open it, then confirm."""
    return click(click(at, f"Sign for {side}"), f"Confirm: sign for {side}")


def shown(at: AppTest) -> str:
    """Return the visible text with markdown escapes removed."""
    return texts(at).replace("\\", "")


def buttons(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def number(at: AppTest, label: str):
    return next(n for n in at.number_input if n.label == label)


def editor_key(at: AppTest, name: str) -> str:
    return next(d.key for d in at.data_editor if d.key and d.key.endswith(f"-{name}"))


def edit_table(at: AppTest, name: str, **state) -> None:
    """Seed a data editor's edit state (AppTest cannot type into its cells)."""
    at.session_state[editor_key(at, name)] = {
        "edited_rows": {},
        "added_rows": [],
        "deleted_rows": [],
        **state,
    }


def in_order(at: AppTest) -> list:
    """Return every element of the main area in the order it is drawn."""
    found = []

    def walk(node):
        children = getattr(node, "children", None)
        if children is None:
            found.append(node)
            return
        for child in children.values():
            walk(child)

    walk(at.main)
    return found


def error_after(at: AppTest, element_key: str) -> str:
    """Return the error drawn right under the widget or table whose key ends so."""
    elements = in_order(at)
    at_widget = next(
        i for i, e in enumerate(elements) if (getattr(e, "key", None) or "").endswith(element_key)
    )
    follower = elements[at_widget + 1]
    assert isinstance(follower, Error), f"no error right under {element_key}: {follower}"
    return str(follower.value).replace("\\", "")


# --- every page, every role ------------------------------------------------------------

PAGE_CASES = [
    (role, spec.script)
    for role in ROLES
    for spec in pages_for(role)
    if spec.script in ("definition.py", "sla.py")
]


@pytest.mark.parametrize(("role", "script"), PAGE_CASES)
def test_each_role_opens_each_agreement_page_with_versions(app_db, role, script):
    kind = DEF if script == "definition.py" else SLA
    active(app_db, kind)
    draft(app_db, kind)
    at = app_as(role, f"pages/{script}")
    assert not at.exception, at.exception
    assert at.title
    assert "In plain words" in shown(at)


@pytest.mark.parametrize(("role", "script"), PAGE_CASES)
def test_each_role_opens_each_agreement_page_before_any_version(app_db, role, script):
    at = app_as(role, f"pages/{script}")
    assert not at.exception, at.exception
    assert "yet" in shown(at)
    may_start = role in ("admin", "marketing_leader", "sales_leader", "marketing")
    assert ("Start the first draft" in buttons(at)) is may_start


def test_reps_get_the_definition_but_not_the_sla(app_db):
    scripts = {spec.script for spec in pages_for("rep")}
    assert "definition.py" in scripts and "sla.py" not in scripts
    at = app_as("rep")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE[SLA])


# --- the workflow, end to end ----------------------------------------------------------


def test_marketing_leader_starts_edits_and_proposes_a_draft(app_db):
    at = app_as("marketing_leader", PAGE[DEF])
    at = click(at, "Start the first draft")
    assert not at.exception
    assert "Started draft v1" in shown(at)
    number(at, "MQL threshold (points)").set_value(70)
    at = click(at, "Save draft")
    assert not at.exception
    assert "Saved v1." in shown(at)
    assert "its engagement score reaches 70" in shown(at)
    at = click(at, "Propose for signature")
    assert "v1 is proposed" in shown(at)
    assert {"Sign for marketing", "Save draft"} <= buttons(at)
    version = stored(app_db, at.session_state["agr_definition_open"])
    assert (version.status, version.content["threshold"]) == (AgreementStatus.PROPOSED, 70)


def test_both_leaders_sign_and_the_version_becomes_active_retiring_the_old_one(app_db):
    old = active(app_db, DEF)
    new = proposed(app_db, DEF, with_threshold(70))
    at = sign_on_page(app_as("sales_leader", PAGE[DEF]), "sales")
    assert not at.exception
    assert "Signed for sales. v2 becomes active once marketing signs." in shown(at)
    at = app_as("marketing_leader", PAGE[DEF])
    assert "Your signature makes v2 the active lead definition and v1 is retired." in shown(at)
    at = sign_on_page(at, "marketing")
    assert "v2 is now the active lead definition. v1 is retired." in shown(at)
    assert "Active" in [b.proto.label for b in at.get("badge")] or "active" in shown(at)
    assert stored(app_db, new.id).status == AgreementStatus.ACTIVE
    assert stored(app_db, old.id).status == AgreementStatus.RETIRED


def test_marketing_ops_edits_and_proposes_but_cannot_sign(app_db):
    proposed(app_db, DEF)
    at = app_as("marketing", PAGE[DEF])
    assert "Save draft" in buttons(at)
    assert not {"Sign for marketing", "Sign for sales"} & buttons(at)
    assert "Only a marketing leader and a sales leader can sign" in shown(at)


def test_editing_a_proposed_version_withdraws_its_signatures(app_db):
    version = signed(app_db, proposed(app_db, DEF), app_db.sales_leader)
    at = app_as("marketing_leader", PAGE[DEF])
    number(at, "MQL threshold (points)").set_value(65)
    at = click(at, "Save draft")
    assert "The signature of Sales_Leader was withdrawn" in shown(at)
    assert "Sales: not signed yet" in shown(at)
    assert stored(app_db, version.id).content["threshold"] == 65


def test_start_a_new_draft_from_the_active_version(app_db):
    active(app_db, DEF, with_threshold(55))
    at = click(app_as("sales_leader", PAGE[DEF]), "Start a new draft from this version")
    assert "Started draft v2 from v1" in shown(at)
    assert number(at, "MQL threshold (points)").value == 55


def test_diff_shows_each_change_as_a_readable_line(app_db):
    active(app_db, DEF, with_threshold(60))
    changed = with_threshold(70)
    changed["fit_rules"][0]["value"] = 100
    draft(app_db, DEF, changed, title="Tighter")
    at = app_as("sales_manager", PAGE[DEF])
    at.selectbox(key="agr_definition_picked").select_index(0).run()
    lines = shown(at)
    assert "3 change(s) from v1 to v2:" in lines
    assert "Title: Working draft → Tighter" in lines
    assert "Threshold: 60 → 70" in lines
    assert "Fit rule F1 › value: 50 → 100" in lines


# --- no lost edits ---------------------------------------------------------------------


def _refused_save(app_db):
    """Return the draft and the marketing leader's page after her save to 70 was refused:
    the sales leader saved 65 while her page still showed 60."""
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    _write(
        app_db,
        save_draft,
        actor=app_db.sales_leader,
        version_id=version.id,
        expected_version=version.version,
        content=with_threshold(65),
    )
    number(at, "MQL threshold (points)").set_value(70)
    return version, click(at, "Save draft")


def test_a_stale_save_is_refused_naming_who_changed_what_and_loads_their_version(app_db):
    version, at = _refused_save(app_db)
    assert not at.exception
    refusal = at.error[0].value.replace("\\", "")
    assert refusal.startswith("Sales_Leader changed v1 on ")
    assert "Threshold: 60 → 65" in refusal and "Nothing was saved" in refusal
    assert number(at, "MQL threshold (points)").value == 65
    assert stored(app_db, version.id).content["threshold"] == 65


def test_after_a_refused_save_the_next_save_goes_through(app_db):
    version, at = _refused_save(app_db)
    number(at, "MQL threshold (points)").set_value(72)
    at = click(at, "Save draft")
    assert "Saved v1." in shown(at)
    assert stored(app_db, version.id).content["threshold"] == 72


def test_a_change_made_elsewhere_is_announced_before_saving_and_can_be_loaded(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    _write(
        app_db,
        save_draft,
        actor=app_db.sales_leader,
        version_id=version.id,
        expected_version=version.version,
        content=with_threshold(66),
    )
    at.run()
    assert "was changed on" in shown(at) and "after you opened it here" in shown(at)
    assert number(at, "MQL threshold (points)").value == 60
    at = click(at, "Load the new version")
    assert "after you opened it here" not in shown(at)
    assert number(at, "MQL threshold (points)").value == 66


def test_signing_a_version_edited_meanwhile_is_refused(app_db):
    version = proposed(app_db, DEF)
    at = app_as("sales_leader", PAGE[DEF])
    _write(
        app_db,
        save_draft,
        actor=app_db.marketing_leader,
        version_id=version.id,
        expected_version=version.version,
        content=with_threshold(75),
    )
    at = sign_on_page(at, "sales")
    assert "Marketing_Leader changed v1 on" in shown(at)
    assert "Threshold: 60 → 75" in shown(at)
    assert "Sales: not signed yet" in shown(at)
    at = sign_on_page(at, "sales")
    assert "Signed for sales." in shown(at)


# --- bad input: a specific message next to the field, nothing saved --------------------


def test_a_rule_on_an_unknown_field_is_refused_under_the_rules(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    edit_table(at, "fit_rules", edited_rows={0: {"field": "shoe_size"}})
    at = click(at, "Save draft")
    assert not at.exception
    assert error_after(at, "-fit_rules") == "Rule F1: unknown field 'shoe_size'."
    assert "Nothing was saved" in shown(at)
    assert stored(app_db, version.id).version == version.version


def test_a_cleared_threshold_is_refused_under_the_threshold(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    number(at, "MQL threshold (points)").set_value(None)
    at = click(at, "Save draft")
    assert error_after(at, "-threshold") == "The MQL threshold must be a number."
    assert stored(app_db, version.id).version == version.version


def test_an_empty_reason_list_is_refused_under_the_reasons(app_db):
    version = draft(app_db, DEF)
    at = app_as("marketing_leader", PAGE[DEF])
    count = len(default_definition_content()["reasons"])
    edit_table(at, "reasons", deleted_rows=list(range(count)))
    at = click(at, "Save draft")
    assert "Keep at least one rejection or disqualification reason" in error_after(at, "-reasons")
    assert stored(app_db, version.id).version == version.version


def test_a_holiday_outside_the_calendars_years_is_refused_under_the_holidays(app_db):
    version = draft(app_db, SLA)
    at = app_as("sales_leader", PAGE[SLA])
    edit_table(at, "holidays", added_rows=[{"day": "2031-01-01"}])
    at = click(at, "Save draft")
    assert not at.exception
    message = error_after(at, "-holidays")
    assert message.startswith("Holiday 2031-01-01 is outside the calendar's years 2025–2026")
    assert stored(app_db, version.id).version == version.version


def test_an_sla_draft_saves_its_terms_and_updates_the_summary(app_db):
    version = draft(app_db, SLA)
    at = app_as("sales_leader", PAGE[SLA])
    number(at, "First touch within (business hours)").set_value(2.0)
    number(at, "…to year").set_value(2027)
    at = click(at, "Save draft")
    assert "Saved v1." in shown(at)
    assert "within 2 business hours" in shown(at)
    saved = stored(app_db, version.id).content
    assert saved["sales"]["first_touch_hours"] == 2
    assert saved["calendar"]["years"] == [2025, 2027]


def test_an_sla_draft_saves_its_warning_share_and_escalation_ladder(app_db):
    version = draft(app_db, SLA)
    at = app_as("sales_leader", PAGE[SLA])
    number(at, "Warn when this much of a deadline is gone (%)").set_value(80.0)
    next(t for t in at.text_input if t.key.endswith("escalation")).set_value("2, 8")
    next(c for c in at.checkbox if c.key.endswith("return_to_team")).check()
    at = click(at, "Save draft")
    assert "Saved v1." in shown(at)
    assert "escalated to its manager 2 and 8 business hours after the breach" in shown(at)
    saved = stored(app_db, version.id).content["sales"]
    assert (saved["warning_share"], saved["escalation"]) == (
        0.8,
        {"after_breach_hours": [2, 8], "return_to_team_queue": True},
    )


def test_an_escalation_step_that_is_no_number_is_refused_under_its_field(app_db):
    version = draft(app_db, SLA)
    at = app_as("sales_leader", PAGE[SLA])
    next(t for t in at.text_input if t.key.endswith("escalation")).set_value("4, soon")
    at = click(at, "Save draft")
    assert error_after(at, "escalation") == (
        "The escalation steps are numbers of business hours, like 4, 24; 'soon' is not a number."
    )
    assert stored(app_db, version.id).version == version.version


# --- read-only roles and refusals ------------------------------------------------------


def test_a_rep_reads_the_definition_without_any_edit_control(app_db):
    active(app_db, DEF)
    draft(app_db, DEF)
    at = app_as("rep", PAGE[DEF])
    assert not at.exception
    assert not set(EDIT_BUTTONS) & buttons(at)
    assert not at.data_editor and not at.text_area
    assert "A lead is marketing-qualified when" in shown(at)
    assert "Reps read the discussion" in shown(at)


def test_a_sales_manager_reads_the_sla_and_may_only_comment(app_db):
    proposed(app_db, SLA)
    at = app_as("sales_manager", PAGE[SLA])
    assert not set(EDIT_BUTTONS) & buttons(at)
    assert not at.data_editor
    assert "Post comment" in buttons(at)


def test_a_refused_action_shows_the_services_message(app_db):
    version = draft(app_db, DEF)

    def script(version_id: int) -> None:
        import streamlit as st

        from leaddash.auth import find_active_actor
        from leaddash.ui.agreements import actions
        from leaddash.ui.resources import reading

        with reading() as session:
            rep = find_active_actor(session, "rep")
        actions.run(
            rep,
            "definition",
            version_id,
            actions.propose_version(rep, version_id, 1),
            where=st.empty(),
        )

    at = AppTest.from_function(script, args=(version.id,)).run()
    assert not at.exception
    assert at.error[0].value == (
        "A rep may not propose a version for signature\\. Ask someone with the right role\\."
    )
    assert stored(app_db, version.id).status == AgreementStatus.DRAFT


# --- the discussion --------------------------------------------------------------------


def test_a_comment_is_posted_and_shown_as_plain_text(app_db):
    draft(app_db, DEF)
    at = app_as("sales_manager", PAGE[DEF])
    body = "**Bold** [click](http://example.com) <b>x</b> :red[alarm]"
    at.text_area[0].input(body)
    at = click(at, "Post comment")
    assert not at.exception
    assert "Comment posted." in shown(at)
    assert body in [t.value for t in at.text]
    assert "1 comment on v1." in shown(at)


def test_user_titles_are_shown_literally(app_db):
    draft(app_db, DEF, title="[Click me](http://example.com) **now**")
    at = app_as("rep", PAGE[DEF])
    subheader = at.subheader[0].value
    assert "\\[Click me\\]\\(http\\:" in subheader and "\\*\\*now\\*\\*" in subheader


@pytest.mark.parametrize("kind", [DEF, SLA])
def test_saving_an_untouched_draft_changes_nothing(app_db, kind):
    version = draft(app_db, kind)
    at = click(app_as("marketing_leader", PAGE[kind]), "Save draft")
    assert not at.exception
    assert "Nothing to save: v1 already says this." in shown(at)
    assert stored(app_db, version.id).version == version.version


# --- the pure pieces behind the editors ------------------------------------------------


def test_new_rule_rows_get_fresh_ids_and_custom_attributes_become_custom_fields():
    import pandas as pd

    from leaddash.ui.agreements.definition_rows import rule_rows, rules_from_rows

    stored_rules = default_definition_content()["fit_rules"]
    frame = pd.concat(
        [
            rule_rows(stored_rules),
            pd.DataFrame(
                [
                    {
                        "id": None,
                        "field": "custom attribute",
                        "attribute": "plan",
                        "operator": "in",
                        "value": "pro, enterprise",
                        "label": "",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    rules = rules_from_rows(frame, stored_rules, "F", {"F1", "F2", "F3", "D1"})
    assert rules[:3] == stored_rules
    assert rules[3] == {
        "id": "F4",
        "field": "custom.plan",
        "op": "in",
        "value": ["pro", "enterprise"],
    }


@pytest.mark.parametrize(
    ("op", "text", "value"),
    [
        ("between", "50 – 200", [50, 200]),
        ("between", "50, lots", "50, lots"),
        ("eq", "true", True),
        ("eq", "2.5", 2.5),
        ("eq", "US", "US"),
        ("empty", "x", None),
        ("contains", "@gmail., @yahoo.", ["@gmail.", "@yahoo."]),
    ],
)
def test_typed_rule_values_are_read_by_operator(op, text, value):
    from leaddash.ui.agreements.definition_rows import parse_value

    assert parse_value(op, text) == value


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"threshold": "sixty"}, "threshold", "The MQL threshold must be a number."),
        ({"reasons": []}, "reasons", "Keep at least one rejection or disqualification reason"),
        (
            {"disqualifiers": [{"id": "D1", "field": "email", "op": "between", "value": [1]}]},
            "disqualifiers",
            "Rule D1: between needs two numbers",
        ),
        (
            {"scoring": {"activities": {"webinar": {"points": "ten"}}}},
            "scoring",
            "Scoring of webinar: points and cap must be numbers.",
        ),
    ],
)
def test_definition_checks_name_the_section_at_fault(change, field, message):
    from leaddash.definitions import validate_definition
    from leaddash.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        validate_definition({**default_definition_content(), **change})
    assert refused.value.field == field
    assert refused.value.message.startswith(message)
