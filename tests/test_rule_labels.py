"""Rule labels are written from the rule (field, operator, value); a label of one's own is a
note beside it, and a stored label that only repeated an old value does not survive a change."""

import pandas as pd
import pytest

from leaddash.definitions import rule_label, rule_note
from leaddash.ui.agreements.definition_rows import RULE_COLUMNS, rule_rows, rules_from_rows


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "employees", "op": "gte", "value": 100}, "100+ employees"),
        ({"field": "employees", "op": "gte", "value": 1500}, "1,500+ employees"),
        ({"field": "employees", "op": "lte", "value": 20}, "At most 20 employees"),
        ({"field": "employees", "op": "between", "value": [50, 200]}, "50–200 employees"),
        ({"field": "country", "op": "in", "value": ["US", "CA"]}, "Country: US, CA"),
        ({"field": "country", "op": "eq", "value": "DE"}, "Country: DE"),
        (
            {"field": "industry", "op": "not_in", "value": ["Education", "Government"]},
            "Industry: not Education, Government",
        ),
        (
            {"field": "title", "op": "contains", "value": ["student", "intern", "job seeker"]},
            "Job title contains “student”, “intern”, or “job seeker”",
        ),
        ({"field": "email", "op": "contains", "value": ["@gmail."]}, "Email contains “@gmail.”"),
        ({"field": "custom.customer", "op": "eq", "value": True}, "Customer: yes"),
        ({"field": "custom.annual_revenue", "op": "gte", "value": 5}, "Annual revenue at least 5"),
        ({"field": "segment", "op": "empty"}, "Segment empty"),
        ({"field": "campaign", "op": "not_empty"}, "Campaign filled in"),
        ({"field": "employees", "op": "between", "value": 5}, "Employees"),
    ],
)
def test_a_rules_label_is_written_from_its_field_operator_and_value(rule, expected):
    assert rule_label(rule) == expected


def test_a_label_of_ones_own_is_a_note_unless_it_repeats_the_generated_one():
    rule = {"field": "employees", "op": "gte", "value": 100}
    assert rule_note({**rule, "label": "Mid-market and up"}) == "Mid-market and up"
    assert rule_note({**rule, "label": "100+ Employees "}) == ""
    assert rule_note({**rule, "label": "50+ employees"}) == "50+ employees"  # stale: shown
    assert rule_note(rule) == ""


def edit(rules, **changes):
    """Return the rules after editing the first row of the editor's table."""
    frame = rule_rows(rules)
    for column, value in changes.items():
        frame.loc[0, column] = value
    return rules_from_rows(pd.DataFrame(frame[RULE_COLUMNS]), rules, "F", {"F1"})


STORED = [{"id": "F1", "field": "employees", "op": "gte", "value": 50, "label": "50+ employees"}]


def test_the_editor_shows_the_generated_label_and_the_note_apart():
    noted = [{**STORED[0], "label": "Mid-market"}]
    assert rule_rows(noted).loc[0, ["generated", "label"]].tolist() == [
        "50+ employees",
        "Mid-market",
    ]
    assert rule_rows(STORED).loc[0, ["generated", "label"]].tolist() == ["50+ employees", ""]


def test_an_untouched_rule_keeps_its_stored_label():
    assert edit(STORED) == STORED


def test_a_changed_value_drops_a_label_that_only_repeated_the_old_one():
    (rule,) = edit(STORED, value="100")
    assert rule == {"id": "F1", "field": "employees", "op": "gte", "value": 100}
    assert rule_label(rule) == "100+ employees"


def test_a_note_typed_beside_the_rule_is_kept_through_a_change():
    (rule,) = edit(STORED, value="100", label="Mid-market and up")
    assert (rule["label"], rule_label(rule)) == ("Mid-market and up", "100+ employees")
