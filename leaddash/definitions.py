"""The lead definition: fit rules, disqualifiers, the engagement score and its summary.

Everything here works on whole DataFrames at once (one mask per rule, one group-by over
activities), so rescoring every lead after a definition change stays fast.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from leaddash.documents.base import is_number, read_document
from leaddash.documents.definition import (
    CUSTOM_PREFIX,
    LEAD_FIELDS,
    OPERATORS,
    Definition,
)
from leaddash.errors import InvalidInput

POINTS_PREFIX = "points_"
ACTIVITY_TYPES = (
    "form_fill",
    "web_visit",
    "email_click",
    "webinar",
    "content_download",
    "demo_request",
    "pricing_page",
)

_DEFAULT_DEFINITION: dict[str, Any] = {
    "fit_rules": [
        {"id": "F1", "field": "employees", "op": "gte", "value": 50, "label": "50+ employees"},
        {
            "id": "F2",
            "field": "country",
            "op": "in",
            "value": ["US", "CA", "GB", "DE", "FR", "NL", "AU"],
            "label": "Served country",
        },
        {
            "id": "F3",
            "field": "industry",
            "op": "not_in",
            "value": ["Education", "Government", "Non-profit"],
            "label": "Commercial industry",
        },
    ],
    "disqualifiers": [
        {
            "id": "D1",
            "field": "email",
            "op": "contains",
            "value": ["@gmail.", "@yahoo.", "@hotmail.", "@outlook."],
            "label": "Personal email",
        },
        {
            "id": "D2",
            "field": "title",
            "op": "contains",
            "value": ["student", "intern", "job seeker"],
            "label": "Student or job seeker",
        },
        {
            "id": "D3",
            "field": "company",
            "op": "in",
            "value": ["Pipewise", "Funnelcraft", "LeadLoop"],
            "label": "Competitor",
        },
        {
            "id": "D4",
            "field": "custom.customer",
            "op": "eq",
            "value": True,
            "label": "Existing customer",
        },
    ],
    "scoring": {
        "activities": {
            "demo_request": {"points": 40, "cap": 40},
            "form_fill": {"points": 25, "cap": 50},
            "webinar": {"points": 15, "cap": 30},
            "pricing_page": {"points": 10, "cap": 30},
            "content_download": {"points": 8, "cap": 24},
            "email_click": {"points": 3, "cap": 15},
            "web_visit": {"points": 2, "cap": 10},
        },
        "half_life_days": 45,
    },
    "threshold": 60,
    "reasons": [
        {"code": "no_fit", "clause": "F1"},
        {"code": "outside_definition", "clause": "F2"},
        {"code": "student_job_seeker", "clause": "D2"},
        {"code": "competitor", "clause": "D3"},
        {"code": "existing_customer", "clause": "D4"},
        {"code": "bad_data", "clause": "D1"},
        {"code": "misrouted", "clause": None},
        {"code": "no_need", "clause": None},
        {"code": "unable_to_reach", "clause": None},
        {"code": "not_now", "clause": None},
        {"code": "nurture", "clause": None},
    ],
    "sample_below_threshold": {"rate": 0.03, "band": 15},
}


def default_definition_content() -> dict[str, Any]:
    """Return a fresh copy of the starting lead definition (the first draft teams edit)."""
    return copy.deepcopy(_DEFAULT_DEFINITION)


# --- fit rules and disqualifiers -------------------------------------------------------


def _by_lead_id(leads: pd.DataFrame) -> pd.DataFrame:
    return leads.set_index("id") if "id" in leads.columns else leads


def field_values(leads: pd.DataFrame, field: str) -> pd.Series:
    """Return the values of a lead column or of a `custom.<key>` entry, one per lead."""
    if field in leads.columns:
        return leads[field]
    if field.startswith(CUSTOM_PREFIX):
        key = field.removeprefix(CUSTOM_PREFIX)
        if "custom" not in leads.columns:
            return pd.Series(None, index=leads.index, dtype=object)
        return leads["custom"].map(lambda d: d.get(key) if isinstance(d, dict) else None)
    if field in LEAD_FIELDS:
        return pd.Series(None, index=leads.index, dtype=object)
    known = ", ".join(LEAD_FIELDS)
    raise InvalidInput(f"Unknown field {field!r}: use one of {known}, or custom.<key>.")


def _norm(value: Any) -> str:
    return str(value).strip().casefold()


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.casefold()


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _contains(text: pd.Series, value: Any) -> pd.Series:
    found = pd.Series(False, index=text.index)
    for needle in _listed(value):
        found |= text.str.contains(_norm(needle), regex=False).fillna(False).astype(bool)
    return found


def _between(numbers: pd.Series, value: Any) -> pd.Series:
    try:
        low, high = value
    except (TypeError, ValueError):
        raise InvalidInput(f"'between' needs [low, high], not {value!r}.") from None
    return numbers.between(float(low), float(high))


def _numeric(op: str, values: pd.Series, value: Any) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    if op == "between":
        return _between(numbers, value)
    if op == "eq":
        return numbers == float(value)
    return numbers >= float(value) if op == "gte" else numbers <= float(value)


def _textual(op: str, values: pd.Series, value: Any) -> pd.Series:
    if op == "contains":
        return _contains(_text(values), value)
    if op in ("empty", "not_empty"):
        blank = values.isna() | (_text(values) == "").fillna(False).astype(bool)
        return blank if op == "empty" else ~blank
    matched = _text(values).isin([_norm(v) for v in _listed(value)])
    return ~matched if op == "not_in" else matched


def rule_mask(values: pd.Series, op: str, value: Any) -> pd.Series:
    """Return a boolean Series: True where `values` satisfy the operator.

    Text compares case-insensitively; a missing value fails every operator except
    `not_in` and `empty`. `contains` also accepts a list (any of them matches)."""
    if op not in OPERATORS:
        raise InvalidInput(f"Unknown operator {op!r}: use one of {', '.join(OPERATORS)}.")
    numeric = op in ("gte", "lte", "between") or (op == "eq" and is_number(value))
    result = _numeric(op, values, value) if numeric else _textual(op, values, value)
    return pd.Series(result, index=values.index).fillna(False).astype(bool)


def _matches(leads: pd.DataFrame, rule: dict[str, Any]) -> pd.Series:
    return rule_mask(field_values(leads, rule["field"]), rule["op"], rule.get("value"))


def evaluate_fit(leads: pd.DataFrame, content: dict[str, Any]) -> pd.DataFrame:
    """Return fit_ok and failed_clause per lead: the first failed fit rule, or the
    first matching disqualifier (which takes precedence), else fit_ok True and None."""
    leads = _by_lead_id(leads)
    failed = pd.Series(None, index=leads.index, dtype=object)
    for rule in reversed(content.get("fit_rules", [])):
        failed = failed.mask(~_matches(leads, rule), rule["id"])
    for rule in reversed(content.get("disqualifiers", [])):
        failed = failed.mask(_matches(leads, rule), rule["id"])
    fit_ok = failed.isna()
    return pd.DataFrame(
        {"fit_ok": fit_ok, "failed_clause": failed.where(~fit_ok, None)}, index=leads.index
    )


# --- engagement score ------------------------------------------------------------------


def _utc(value: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _cutoffs(lead_ids: pd.Series, as_of: datetime | pd.Series) -> pd.Series | pd.Timestamp:
    if isinstance(as_of, pd.Series):
        moments = pd.to_datetime(as_of, utc=True)
        return pd.Series(moments.reindex(lead_ids.to_numpy()).array, index=lead_ids.index)
    return _utc(as_of)


def engagement_points(
    activities: pd.DataFrame,
    content: dict[str, Any],
    as_of: datetime | pd.Series,
    index: pd.Index,
) -> pd.DataFrame:
    """Return points per lead (rows: `index`) and activity type (columns `points_<type>`),
    decayed by the half-life and capped per type; activities after `as_of` do not count."""
    model = content["scoring"]["activities"]
    half_life = content["scoring"].get("half_life_days")
    act = activities.loc[activities["type"].isin(list(model)), ["lead_id", "type", "occurred_at"]]
    cutoff = _cutoffs(act["lead_id"], as_of)
    age_days = (cutoff - pd.to_datetime(act["occurred_at"], utc=True)).dt.total_seconds() / 86400
    points = act["type"].map({t: float(m["points"]) for t, m in model.items()}).astype(float)
    if half_life:
        points = points * np.power(0.5, age_days.clip(lower=0) / float(half_life))
    counted = age_days >= 0
    table = (
        points[counted]
        .groupby([act["lead_id"][counted], act["type"][counted]])
        .sum()
        .unstack(fill_value=0.0)
    )
    table = table.reindex(index=index, columns=list(model), fill_value=0.0).fillna(0.0)
    caps = pd.Series({t: m.get("cap") for t, m in model.items()}, dtype=float)
    return table.clip(upper=caps, axis=1).add_prefix(POINTS_PREFIX)


def score_leads(
    leads: pd.DataFrame,
    activities: pd.DataFrame,
    content: dict[str, Any],
    as_of: datetime | pd.Series,
) -> pd.DataFrame:
    """Return, per lead id, score, fit_ok, failed_clause, is_mql and `points_<type>` columns.

    `leads` has an `id` column (or is indexed by id); `activities` has lead_id, type and
    occurred_at. `as_of` is one moment, or a Series of moments indexed by lead id.
    """
    leads = _by_lead_id(leads)
    points = engagement_points(activities, content, as_of, leads.index)
    fit = evaluate_fit(leads, content)
    score = points.sum(axis=1).round(2)
    is_mql = fit["fit_ok"] & (score >= float(content["threshold"]))
    head = pd.DataFrame(
        {
            "score": score,
            "fit_ok": fit["fit_ok"],
            "failed_clause": fit["failed_clause"],
            "is_mql": is_mql,
        }
    )
    return pd.concat([head, points], axis=1).rename_axis("id")


def sample_below_threshold(
    scored: pd.DataFrame,
    content: dict[str, Any],
    rng: np.random.Generator,
) -> pd.Series:
    """Return True for the random sample of fitting leads just below the threshold that
    goes to sales anyway, so the team can measure what the definition misses."""
    sample = content.get("sample_below_threshold") or {}
    rate, band = float(sample.get("rate", 0.0)), float(sample.get("band", 0.0))
    threshold = float(content["threshold"])
    eligible = scored["fit_ok"] & ~scored["is_mql"] & (scored["score"] >= threshold - band)
    return eligible & (rng.random(len(scored)) < rate)


# --- validation ------------------------------------------------------------------------


RULE_SECTIONS = ("fit_rules", "disqualifiers")


def validate_definition(content: dict[str, Any]) -> dict[str, Any]:
    """Return `content` when its rules, scoring, threshold and reasons are well formed;
    otherwise raise InvalidInput naming the first problem and (in `field`) its section.
    The checks are the Definition model's; the dict returned is `content` itself, as stored."""
    read_definition(content)
    return content


def read_definition(content: dict[str, Any]) -> Definition:
    """Return the definition terms `content` as a typed Definition, or raise InvalidInput
    naming the first problem and (in `field`) its section."""
    return read_document(Definition, content)


# --- plain-language summary ------------------------------------------------------------


def _fmt(value: Any) -> str:
    if is_number(value):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return str(value)


def _join(items: Iterable[Any], last: str = "or") -> str:
    words = [_fmt(v) for v in items]
    if len(words) <= 2:
        return f" {last} ".join(words)
    return f"{', '.join(words[:-1])}, {last} {words[-1]}"


def _subject(field: str) -> str:
    return f"its {field.removeprefix(CUSTOM_PREFIX).replace('_', ' ')}"


def _employees_phrase(op: str, value: Any) -> str:
    if op == "gte":
        return f"it has {_fmt(value)}+ employees"
    if op == "lte":
        return f"it has at most {_fmt(value)} employees"
    return f"it has {_fmt(value[0])}–{_fmt(value[1])} employees"


def rule_phrase(rule: dict[str, Any]) -> str:
    """Return a rule in words, e.g. "its country is one of US, CA"."""
    field, op = rule["field"], rule["op"]
    value: Any = rule.get("value")
    if field == "employees" and op in ("gte", "lte", "between"):
        return _employees_phrase(op, value)
    phrases: dict[str, Callable[[], str]] = {
        "eq": lambda: f"is {_fmt(value)}",
        "in": lambda: f"is one of {', '.join(_fmt(v) for v in _listed(value))}",
        "not_in": lambda: f"is not one of {', '.join(_fmt(v) for v in _listed(value))}",
        "contains": lambda: "contains " + _join(f"“{v}”" for v in _listed(value)),
        "gte": lambda: f"is at least {_fmt(value)}",
        "lte": lambda: f"is at most {_fmt(value)}",
        "between": lambda: f"is between {_fmt(value[0])} and {_fmt(value[1])}",
        "empty": lambda: "is empty",
        "not_empty": lambda: "is filled in",
    }
    if op not in phrases:
        raise InvalidInput(f"Unknown operator {op!r}: use one of {', '.join(OPERATORS)}.")
    return f"{_subject(field)} {phrases[op]()}"


# --- rule labels: generated from the rule, so they never go stale -------------------------

FIELD_NAMES = {"title": "Job title", "email": "Email"}


def _field_name(field: str) -> str:
    name = FIELD_NAMES.get(field) or field.removeprefix(CUSTOM_PREFIX).replace("_", " ")
    return name[:1].upper() + name[1:]


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _fmt(value)


def _employees_label(op: str, value: Any) -> str | None:
    labels: dict[str, Callable[[], str]] = {
        "gte": lambda: f"{_fmt(value)}+ employees",
        "lte": lambda: f"At most {_fmt(value)} employees",
        "between": lambda: f"{_fmt(value[0])}–{_fmt(value[1])} employees",
        "eq": lambda: f"{_fmt(value)} employees",
    }
    return labels[op]() if op in labels else None


def rule_label(rule: dict[str, Any]) -> str:
    """Return a rule's short label, generated from its field, operator and value
    ("100+ employees", "Country: US, CA"); an incomplete rule gets what it has."""
    field, op = str(rule.get("field") or ""), str(rule.get("op") or "")
    value: Any = rule.get("value")
    try:
        if field == "employees" and (label := _employees_label(op, value)):
            return label
        values = ", ".join(_value_text(v) for v in _listed(value))
        labels: dict[str, Callable[[], str]] = {
            "eq": lambda: f"{_field_name(field)}: {_value_text(value)}",
            "in": lambda: f"{_field_name(field)}: {values}",
            "not_in": lambda: f"{_field_name(field)}: not {values}",
            "contains": lambda: (
                f"{_field_name(field)} contains " + _join(f"“{v}”" for v in _listed(value))
            ),
            "gte": lambda: f"{_field_name(field)} at least {_fmt(value)}",
            "lte": lambda: f"{_field_name(field)} at most {_fmt(value)}",
            "between": lambda: f"{_field_name(field)} {_fmt(value[0])}–{_fmt(value[1])}",
            "empty": lambda: f"{_field_name(field)} empty",
            "not_empty": lambda: f"{_field_name(field)} filled in",
        }
        return labels[op]() if op in labels else _field_name(field)
    except (TypeError, IndexError, ValueError):
        return _field_name(field)


def rule_note(rule: dict[str, Any]) -> str:
    """Return the rule's own label as a note beside the generated one; empty when it has
    none or it only repeats the generated label."""
    note = str(rule.get("label") or "").strip()
    return "" if note.casefold() == rule_label(rule).casefold() else note


def _label_or_phrase(rule: dict[str, Any]) -> str:
    label = (rule.get("label") or "").strip()
    if not label:
        return rule_phrase(rule)
    keep_case = len(label) > 1 and label[1].isupper()
    return label if keep_case else label[0].lower() + label[1:]


def _scoring_sentence(scoring: dict[str, Any]) -> str:
    parts = []
    for kind, model in scoring.get("activities", {}).items():
        cap = f" (at most {_fmt(model['cap'])})" if model.get("cap") is not None else ""
        parts.append(f"{kind.replace('_', ' ')} {_fmt(model['points'])}{cap}")
    sentence = f"Engagement points: {'; '.join(parts)}." if parts else ""
    if scoring.get("half_life_days"):
        sentence += f" Points lose half their value every {_fmt(scoring['half_life_days'])} days."
    return sentence.strip()


def summarize(content: dict[str, Any]) -> str:
    """Return the definition in plain language, generated from its rules."""
    conditions = [rule_phrase(r) for r in content.get("fit_rules", [])]
    conditions.append(f"its engagement score reaches {_fmt(content['threshold'])}")
    sentences = [f"A lead is marketing-qualified when {_join(conditions, 'and')}."]
    excluded = [_label_or_phrase(r) for r in content.get("disqualifiers", [])]
    if excluded:
        sentences.append(f"It is excluded when: {'; '.join(excluded)}.")
    sentences.append(_scoring_sentence(content.get("scoring", {})))
    sample = content.get("sample_below_threshold") or {}
    if sample.get("rate"):
        sentences.append(
            f"A {_fmt(round(float(sample['rate']) * 100, 1))}% sample of fitting leads scoring "
            f"up to {_fmt(sample.get('band', 0))} points below the threshold also goes to sales."
        )
    return " ".join(s for s in sentences if s)
