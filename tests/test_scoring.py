"""The lead definition: operators, fit and disqualifiers, the engagement score, summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leaddash.definitions import (
    default_definition_content,
    evaluate_fit,
    rule_mask,
    sample_below_threshold,
    score_leads,
    summarize,
    validate_definition,
)
from leaddash.errors import InvalidInput

AS_OF = pd.Timestamp("2026-03-01 12:00", tz="UTC")


def series(*values) -> pd.Series:
    return pd.Series(list(values), dtype=object)


@pytest.mark.parametrize(
    ("values", "op", "value", "expected"),
    [
        (series("US", "us", "CA", None), "eq", "US", [True, True, False, False]),
        (series(50, 49, None), "eq", 50, [True, False, False]),
        (series("US", "CA", "DE", None), "in", ["us", "CA"], [True, True, False, False]),
        (series("Education", "Software", None), "not_in", ["education"], [False, True, True]),
        (series("ana@GMAIL.com", "bo@acme.com", None), "contains", "@gmail.", [True, False, False]),
        (
            series("Student", "VP Sales", "Intern"),
            "contains",
            ["student", "intern"],
            [True, False, True],
        ),
        (series(50, 49, "120", None), "gte", 50, [True, False, True, False]),
        (series(50, 51, None), "lte", 50, [True, False, False]),
        (series(10, 50, 200, 201, None), "between", [50, 200], [False, True, True, False, False]),
        (series(None, "", "  ", "x"), "empty", None, [True, True, True, False]),
        (series(None, "", "x"), "not_empty", None, [False, False, True]),
    ],
)
def test_each_operator_matches_by_hand(values, op, value, expected):
    assert rule_mask(values, op, value).tolist() == expected


def test_unknown_operator_and_field_are_refused():
    with pytest.raises(InvalidInput, match="Unknown operator 'like'"):
        rule_mask(series("x"), "like", "x")
    content = {"fit_rules": [{"id": "F1", "field": "shoe_size", "op": "eq", "value": 3}]}
    with pytest.raises(InvalidInput, match="Unknown field 'shoe_size'"):
        evaluate_fit(pd.DataFrame({"id": [1], "country": ["US"]}), content)


FIT = {
    "fit_rules": [
        {"id": "F1", "field": "employees", "op": "gte", "value": 50},
        {"id": "F2", "field": "country", "op": "in", "value": ["US", "CA"]},
    ],
    "disqualifiers": [
        {"id": "D1", "field": "email", "op": "contains", "value": "@gmail."},
        {"id": "D2", "field": "custom.customer", "op": "eq", "value": True},
    ],
}
LEADS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5, 6],
        "employees": [120, 10, 10, 300, 80, 80],
        "country": ["US", "US", "DE", "CA", "US", "US"],
        "email": [
            "a@acme.com",
            "b@acme.com",
            "c@acme.com",
            "d@gmail.com",
            "e@acme.com",
            "f@acme.com",
        ],
        "custom": [{}, {}, {}, {}, {"customer": True}, {"customer": False}],
    }
)


def test_fit_reports_the_first_failed_rule_and_disqualifiers_win():
    fit = evaluate_fit(LEADS, FIT)
    assert fit["fit_ok"].tolist() == [True, False, False, False, False, True]
    assert fit["failed_clause"].tolist() == [None, "F1", "F1", "D1", "D2", None]
    assert fit.index.tolist() == [1, 2, 3, 4, 5, 6]


def scoring(half_life=None, **activities) -> dict:
    model = activities or {
        "form_fill": {"points": 25, "cap": 50},
        "webinar": {"points": 15, "cap": None},
    }
    return {**FIT, "scoring": {"activities": model, "half_life_days": half_life}, "threshold": 60}


def acts(*rows: tuple[int, str, float]) -> pd.DataFrame:
    """Activities from (lead_id, type, days before AS_OF)."""
    return pd.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "type": [r[1] for r in rows],
            "occurred_at": [AS_OF - pd.Timedelta(days=r[2]) for r in rows],
        }
    )


def test_points_are_capped_per_activity_type():
    activity = acts(
        (1, "form_fill", 1),
        (1, "form_fill", 2),
        (1, "form_fill", 3),
        (1, "webinar", 1),
        (1, "webinar", 2),
        (1, "webinar", 3),
    )
    scored = score_leads(LEADS, activity, scoring(), AS_OF)
    assert scored.loc[1, "points_form_fill"] == 50  # 75 capped at 50
    assert scored.loc[1, "points_webinar"] == 45  # no cap
    assert scored.loc[1, "score"] == 95
    assert scored.loc[2, "score"] == 0  # no activities at all


def test_half_life_decay_halves_points_per_half_life():
    activity = acts((1, "webinar", 0), (1, "webinar", 30), (1, "webinar", 60))
    scored = score_leads(LEADS, activity, scoring(half_life=30), AS_OF)
    assert scored.loc[1, "points_webinar"] == pytest.approx(15 + 7.5 + 3.75)


def test_cap_applies_after_the_decayed_sum():
    activity = acts((1, "form_fill", 45), (1, "form_fill", 45), (1, "form_fill", 45))
    scored = score_leads(LEADS, activity, scoring(half_life=45), AS_OF)
    assert scored.loc[1, "points_form_fill"] == pytest.approx(37.5)  # 3 × 12.5, below cap


def test_activities_after_as_of_and_unknown_types_do_not_count():
    activity = acts((1, "webinar", -1), (1, "podcast", 1), (1, "webinar", 1))
    assert score_leads(LEADS, activity, scoring(), AS_OF).loc[1, "score"] == 15


def test_as_of_may_differ_per_lead():
    activity = acts((1, "webinar", 10), (4, "webinar", 10))
    as_of = pd.Series({1: AS_OF, 4: AS_OF - pd.Timedelta(days=20)})
    scored = score_leads(LEADS[LEADS["id"].isin([1, 4])], activity, scoring(), as_of)
    assert scored["score"].tolist() == [15, 0]


def test_threshold_is_reached_at_exactly_the_threshold():
    content = scoring(form_fill={"points": 20, "cap": None}, web_visit={"points": 1, "cap": 5})
    activity = acts(
        *[(1, "form_fill", 1)] * 3,  # 60 → MQL
        *[(6, "form_fill", 1)] * 2,
        *[(6, "web_visit", 1)] * 19,  # 40 + 5 capped
        *[(4, "form_fill", 1)] * 4,
    )  # 80 but disqualified
    scored = score_leads(LEADS, activity, content, AS_OF)
    assert scored.loc[1, ["score", "is_mql"]].tolist() == [60, True]
    assert scored.loc[6, ["score", "is_mql"]].tolist() == [45, False]
    assert scored.loc[4, ["score", "is_mql", "failed_clause"]].tolist() == [80, False, "D1"]


def test_sample_below_threshold_takes_only_fitting_leads_in_the_band():
    scored = pd.DataFrame(
        {
            "score": [59, 45, 44, 59, 70],
            "fit_ok": [True, True, True, False, True],
            "is_mql": [False, False, False, False, True],
        }
    )
    content = {"threshold": 60, "sample_below_threshold": {"rate": 1.0, "band": 15}}
    picked = sample_below_threshold(scored, content, np.random.default_rng(1))
    assert picked.tolist() == [True, True, False, False, False]


def test_summary_reads_like_the_agreement():
    content = {
        "fit_rules": [
            {"id": "F1", "field": "employees", "op": "gte", "value": 50, "label": "50+ employees"},
            {"id": "F2", "field": "country", "op": "in", "value": ["US", "CA"]},
        ],
        "disqualifiers": [
            {
                "id": "D1",
                "field": "email",
                "op": "contains",
                "value": "@gmail.",
                "label": "Personal email",
            },
            {"id": "D2", "field": "custom.customer", "op": "eq", "value": True},
        ],
        "scoring": {"activities": {"form_fill": {"points": 25, "cap": 50}}, "half_life_days": None},
        "threshold": 60,
    }
    assert summarize(content) == (
        "A lead is marketing-qualified when it has 50+ employees, its country is one of US, CA,"
        " and its engagement score reaches 60. It is excluded when: personal email; its "
        "customer is True. Engagement points: form fill 25 (at most 50)."
    )


def test_default_definition_is_summarised_and_independent_copies():
    first, second = default_definition_content(), default_definition_content()
    first["threshold"] = 1
    assert second["threshold"] == 60
    assert "Points lose half their value every 45 days." in summarize(second)


def test_default_definition_is_valid():
    content = default_definition_content()
    assert validate_definition(content) is content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(threshold="high"), "threshold must be a number"),
        (lambda c: c["fit_rules"][0].update(op="gt"), "Rule F1: unknown operator 'gt'"),
        (lambda c: c["fit_rules"][0].update(field="shoe_size"), "Rule F1: unknown field"),
        (lambda c: c["fit_rules"][0].update(value="fifty"), "Rule F1: gte needs a number"),
        (lambda c: c["fit_rules"][1].update(value=[]), "Rule F2: in needs a non-empty list"),
        (lambda c: c["fit_rules"][0].update(op="between", value=[1]), "between needs two numbers"),
        (lambda c: c["disqualifiers"][0].update(id="F1"), "Two rules share an id"),
        (lambda c: c["scoring"].update(half_life_days=0), "half-life must be a positive"),
        (lambda c: c["scoring"]["activities"]["webinar"].update(cap="x"), "Scoring of webinar"),
        (lambda c: c["reasons"].append({"code": "no_fit", "clause": "F9"}), "unknown rule F9"),
    ],
)
def test_invalid_definition_is_refused_naming_the_problem(change, message):
    content = default_definition_content()
    change(content)
    with pytest.raises(InvalidInput, match=message):
        validate_definition(content)
