"""The definition's terms as editable tables, and back (pure: no drawing).

A cell that the user did not change gives back the stored value exactly, so saving an
untouched table never records a change. Values are typed as text: lists are comma
separated, `between` takes "low, high", `equals` reads true/false and numbers.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pandas as pd

from leaddash.definitions import ACTIVITY_TYPES, rule_label, rule_note
from leaddash.documents.definition import CUSTOM_PREFIX, LEAD_FIELDS

OPERATOR_LABELS = {
    "eq": "equals",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "gte": "≥",
    "lte": "≤",
    "between": "between",
    "empty": "is empty",
    "not_empty": "is not empty",
}
OPERATOR_CODES = {label: code for code, label in OPERATOR_LABELS.items()}
CUSTOM_FIELD = "custom attribute"
FIELD_CHOICES = (*LEAD_FIELDS, CUSTOM_FIELD)
RULE_COLUMNS = ["id", "field", "attribute", "operator", "value", "label"]
# The generated label is shown, never read back: it follows the rule. "label" holds the note.
SHOWN_RULE_COLUMNS = ["id", "field", "attribute", "operator", "value", "generated", "label"]
SCORING_COLUMNS = ["activity", "points", "cap"]
REASON_COLUMNS = ["code", "clause"]
LIST_OPERATORS = ("in", "not_in", "contains")
_RANGE_SPLIT = re.compile(r"\s*(?:,|–|—|\.\.|\bto\b|\band\b)\s*")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(text: str) -> int | float | None:
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        return number if math.isfinite(number) else None
    return None


def _whole(value: Any) -> Any:
    """Return a float that holds a whole number as an int (tables hand back floats)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def format_value(value: Any) -> str:
    """Return a rule's value as the text the table shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def parse_value(op: str, text: str) -> Any:
    """Return the value a rule stores for the text typed under operator `op`."""
    if op in ("empty", "not_empty") or not text:
        return None
    if op in LIST_OPERATORS:
        return [part.strip() for part in text.split(",") if part.strip()]
    if op == "between":
        parts = [_number(p) for p in _RANGE_SPLIT.split(text) if p]
        return parts if len(parts) == 2 and None not in parts else text
    if op == "eq" and text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    number = _number(text)
    return text if number is None else number


def rule_rows(rules: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the table the rule editor shows for `rules`."""
    rows = []
    for rule in rules:
        field = str(rule.get("field") or "")
        custom = field.startswith(CUSTOM_PREFIX)
        rows.append(
            {
                "id": rule.get("id"),
                "field": CUSTOM_FIELD if custom else field,
                "attribute": field.removeprefix(CUSTOM_PREFIX) if custom else "",
                "operator": OPERATOR_LABELS.get(rule.get("op") or "", rule.get("op")),
                "value": format_value(rule.get("value")),
                "generated": rule_label(rule),
                "label": rule_note(rule),
            }
        )
    return pd.DataFrame(rows, columns=SHOWN_RULE_COLUMNS).astype(object)


def next_rule_id(prefix: str, taken: set[str]) -> str:
    """Return the first unused id such as F4 (ids are never reused within a version)."""
    numbers = [int(t[1:]) for t in taken if t[:1] == prefix and t[1:].isdigit()]
    candidate = f"{prefix}{max(numbers, default=0) + 1}"
    taken.add(candidate)
    return candidate


def rules_from_rows(
    frame: pd.DataFrame,
    stored: list[dict[str, Any]],
    prefix: str,
    taken: set[str],
) -> list[dict[str, Any]]:
    """Return the rules a table holds; new rows get ids after those in `taken`."""
    by_id = {r.get("id"): r for r in stored}
    rules = []
    for row in frame.to_dict("records"):
        cells = {k: _cell(row.get(k)) for k in RULE_COLUMNS}
        if not any(cells[k] for k in ("field", "attribute", "operator", "value", "label")):
            continue
        rule_id = cells["id"] or next_rule_id(prefix, taken)
        rules.append(_rule(cells, rule_id, by_id.get(rule_id) or {}))
    return rules


def _rule(cells: dict[str, str], rule_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    field = cells["field"]
    if field == CUSTOM_FIELD:
        field = CUSTOM_PREFIX + cells["attribute"]
    op = OPERATOR_CODES.get(cells["operator"], cells["operator"])
    unchanged = stored.get("op") == op and cells["value"] == format_value(stored.get("value"))
    rule = {**copy.deepcopy(stored), "id": rule_id, "field": field, "op": op}
    value = copy.deepcopy(stored.get("value")) if unchanged else parse_value(op, cells["value"])
    if value is not None or "value" in stored:
        rule["value"] = value
    _keep_note(rule, cells["label"], stored)
    return rule


def _keep_note(rule: dict[str, Any], note: str, stored: dict[str, Any]) -> None:
    """Store the note typed beside the rule. A stored label that only repeated the
    generated one stays while it still does, and goes once the rule changes."""
    if note:
        rule["label"] = note
    elif rule_note(stored):
        rule["label"] = ""
    elif "label" in rule and rule_note(rule):
        del rule["label"]


def scoring_rows(scoring: dict[str, Any]) -> pd.DataFrame:
    """Return the table of activity types with their points and cap."""
    rows = [
        {"activity": kind, "points": model.get("points"), "cap": model.get("cap")}
        for kind, model in (scoring.get("activities") or {}).items()
    ]
    return pd.DataFrame(rows, columns=SCORING_COLUMNS).astype(
        {"activity": object, "points": float, "cap": float}
    )


def activity_choices(scoring: dict[str, Any]) -> list[str]:
    """Return the activity types the scoring table offers (known ones, then any others)."""
    extra = [k for k in (scoring.get("activities") or {}) if k not in ACTIVITY_TYPES]
    return [*ACTIVITY_TYPES, *extra]


def scoring_from_rows(
    frame: pd.DataFrame,
    stored: dict[str, Any],
    half_life: float | None,
) -> tuple[dict[str, Any], str | None]:
    """Return the scoring model a table describes, and a problem to show (or None)."""
    activities: dict[str, Any] = {}
    for row in frame.to_dict("records"):
        kind = _cell(row.get("activity"))
        if not kind:
            continue
        if kind in activities:
            return stored, f"{kind.replace('_', ' ').capitalize()} is listed twice; keep one row."
        model = copy.deepcopy((stored.get("activities") or {}).get(kind) or {})
        model["points"] = _whole(row.get("points"))
        cap = _whole(row.get("cap"))
        if cap is not None or "cap" in model:
            model["cap"] = cap
        activities[kind] = model
    scoring = {**copy.deepcopy(stored), "activities": activities}
    if half_life is not None or "half_life_days" in stored:
        scoring["half_life_days"] = _whole(half_life)
    return scoring, None


def reason_rows(reasons: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the table of reasons with the clause each one points at."""
    rows = [{"code": r.get("code"), "clause": r.get("clause")} for r in reasons]
    return pd.DataFrame(rows, columns=REASON_COLUMNS).astype(object)


def reasons_from_rows(
    frame: pd.DataFrame,
    stored: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], str | None]:
    """Return the reasons a table lists, and a problem to show (or None)."""
    by_code = {r.get("code"): r for r in stored}
    reasons: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        code = _cell(row.get("code"))
        if not code:
            continue
        if any(r["code"] == code for r in reasons):
            return stored, f"Reason {code} is listed twice; keep one row."
        reason = {**copy.deepcopy(by_code.get(code) or {}), "code": code}
        reason["clause"] = _cell(row.get("clause")) or None
        reasons.append(reason)
    return reasons, None
