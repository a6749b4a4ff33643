"""The lead definition's own editor and read-only view, plugged into the agreement component."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.definitions import (
    default_definition_content,
    summarize,
    validate_definition,
)
from leaddash.models import AgreementKind
from leaddash.reasons import DEFAULT_REASONS
from leaddash.rescoring import rescore_open_leads
from leaddash.ui.agreements.base import Content, Document, Edited, number_field
from leaddash.ui.agreements.definition_rows import (
    FIELD_CHOICES,
    OPERATOR_LABELS,
    activity_choices,
    reason_rows,
    reasons_from_rows,
    rule_rows,
    rules_from_rows,
    scoring_from_rows,
    scoring_rows,
)

ROW_PX = 35
REASON_LABELS = {r.code: r.label for r in DEFAULT_REASONS}
RULE_COLUMNS_CONFIG = {
    "id": st.column_config.TextColumn(
        "Id", disabled=True, width=45, help="Given when you save; reasons point at rules by id."
    ),
    "field": st.column_config.SelectboxColumn("Field", options=FIELD_CHOICES, width=115),
    "attribute": st.column_config.TextColumn(
        "Attribute",
        width=90,
        help="Only when the field is 'custom attribute': the attribute's key, e.g. customer.",
    ),
    "operator": st.column_config.SelectboxColumn(
        "Operator", width=95, options=list(OPERATOR_LABELS.values())
    ),
    "value": st.column_config.TextColumn(
        "Value",
        width=210,
        help="Lists are comma separated (US, CA); between takes low, high; "
        "equals takes a word, a number, true or false; empty for 'is empty'.",
    ),
    "generated": st.column_config.TextColumn(
        "Label",
        disabled=True,
        width=160,
        help="Written from the field, operator and value when you save; reps read it.",
    ),
    "label": st.column_config.TextColumn(
        "Note (optional)", width=140, help="Your own words, shown beside the label."
    ),
}


def _reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code.replace("_", " "))


def _rule_table(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return st.data_editor(
        frame, key=key, num_rows="dynamic", hide_index=True, column_config=RULE_COLUMNS_CONFIG
    )


def _edit_rules(content: Content, key: str, edited: Edited) -> None:
    taken = {str(r.get("id")) for r in content["fit_rules"] + content["disqualifiers"]}
    st.markdown("**Fit rules** · a lead must meet every one")
    fit = _rule_table(rule_rows(content["fit_rules"]), key + "fit_rules")
    edited.slot("fit_rules")
    st.markdown("**Disqualifiers** · any one of them excludes the lead")
    dq = _rule_table(rule_rows(content["disqualifiers"]), key + "disqualifiers")
    edited.slot("disqualifiers")
    edited.content["fit_rules"] = rules_from_rows(fit, content["fit_rules"], "F", taken)
    edited.content["disqualifiers"] = rules_from_rows(dq, content["disqualifiers"], "D", taken)


def _edit_scoring(content: Content, key: str, edited: Edited) -> None:
    scoring = content.get("scoring") or {}
    st.markdown("**Engagement score** · points per activity, capped per type")
    frame = st.data_editor(
        scoring_rows(scoring),
        key=key + "scoring",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "activity": st.column_config.SelectboxColumn(
                "Activity", options=activity_choices(scoring)
            ),
            "points": st.column_config.NumberColumn("Points", min_value=0),
            "cap": st.column_config.NumberColumn(
                "Cap",
                min_value=0,
                help="The most points this activity type can add; empty for no cap.",
            ),
        },
    )
    with st.columns(3)[0]:
        half_life = number_field(
            "Half-life (days)",
            scoring.get("half_life_days"),
            key + "half_life",
            clearable=True,
            min_value=1,
            help="Points lose half their value every this many days. Empty: no decay.",
        )
    edited.slot("scoring")
    edited.content["scoring"], problem = scoring_from_rows(frame, scoring, half_life)
    if problem:
        edited.problems["scoring"] = problem


def _edit_threshold(content: Content, key: str, edited: Edited) -> None:
    threshold = content.get("threshold")
    whole = not isinstance(threshold, float) or threshold.is_integer()
    # Bottom-aligned: the longer labels wrap to two lines and would push their boxes down.
    left, mid, right = st.columns(3, vertical_alignment="bottom")
    with left:
        edited.content["threshold"] = number_field(
            "MQL threshold (points)",
            threshold,
            key + "threshold",
            step=1 if whole else 0.5,
            clearable=True,
            help="A fitting lead becomes an MQL when its score reaches this.",
        )
        edited.slot("threshold")
    sample = dict(content.get("sample_below_threshold") or {"rate": 0.0, "band": 0})
    with mid:
        rate = number_field(
            "Sample below the threshold (%)",
            float(sample.get("rate", 0)) * 100,
            key + "sample_rate",
            step=0.5,
            min_value=0.0,
            max_value=100.0,
            help="Share of fitting leads just under the threshold sent to "
            "sales anyway, to measure what the definition misses.",
        )
    with right:
        band = number_field(
            "…scoring up to this many points below",
            sample.get("band", 0),
            key + "sample_band",
            min_value=0,
        )
    sample.update(rate=round((rate or 0) / 100, 4), band=band or 0)
    edited.content["sample_below_threshold"] = sample


def _edit_reasons(content: Content, key: str, edited: Edited) -> None:
    reasons = content.get("reasons") or []
    codes = list(dict.fromkeys([*REASON_LABELS, *(r.get("code") for r in reasons)]))
    clauses = [r["id"] for r in content["fit_rules"] + content["disqualifiers"]]
    st.markdown("**Rejection and disqualification reasons** · the short list reps choose from")
    frame = st.data_editor(
        reason_rows(reasons),
        key=key + "reasons",
        num_rows="dynamic",
        hide_index=True,
        height=ROW_PX * (len(reasons) + 2) + 3,
        column_config={
            "code": st.column_config.SelectboxColumn(
                "Reason", options=codes, format_func=lambda c: _reason_label(str(c))
            ),
            "clause": st.column_config.SelectboxColumn(
                "Points at rule",
                options=clauses,
                help="The rule this reason says the lead failed, if any (save new rules first).",
            ),
        },
    )
    edited.slot("reasons")
    edited.content["reasons"], problem = reasons_from_rows(frame, reasons)
    if problem:
        edited.problems["reasons"] = problem


def edit_definition(content: Content, key: str) -> Edited:
    """Draw the definition's editing widgets (inside the caller's form); return the terms."""
    edited = Edited(dict(content))
    _edit_rules(content, key, edited)
    _edit_scoring(content, key, edited)
    _edit_threshold(content, key, edited)
    _edit_reasons(content, key, edited)
    return edited


def _rule_view(rules: list[dict[str, Any]]) -> None:
    frame = rule_rows(rules)
    custom = frame["field"] == "custom attribute"
    frame.loc[custom, "field"] = "custom." + frame.loc[custom, "attribute"]
    st.dataframe(
        frame[["id", "generated", "field", "operator", "value", "label"]],  # what reps read first
        hide_index=True,
        column_config={
            "id": "Id",
            "field": "Field",
            "operator": "Operator",
            "value": "Value",
            "generated": "Label",
            "label": "Note",
        },
    )


def show_definition(content: Content) -> None:
    """Draw the definition's terms read-only."""
    st.markdown("**Fit rules** · a lead must meet every one")
    _rule_view(content.get("fit_rules") or [])
    st.markdown("**Disqualifiers** · any one of them excludes the lead")
    _rule_view(content.get("disqualifiers") or [])
    scoring = content.get("scoring") or {}
    st.markdown("**Engagement score** · points per activity, capped per type")
    st.dataframe(
        scoring_rows(scoring),
        hide_index=True,
        column_config={"activity": "Activity", "points": "Points", "cap": "Cap"},
    )
    half_life = scoring.get("half_life_days")
    st.caption(
        f"Half-life: {half_life} days." if half_life else "No decay: points keep their value."
    )
    st.metric("MQL threshold", f"{content.get('threshold')} points", border=True)
    st.markdown("**Rejection and disqualification reasons**")
    frame = reason_rows(content.get("reasons") or [])
    frame["code"] = frame["code"].map(lambda c: _reason_label(str(c)))
    frame["clause"] = frame["clause"].fillna("")
    st.dataframe(
        frame,
        hide_index=True,
        height="content",
        column_config={"code": "Reason", "clause": "Points at rule"},
    )


DEFINITION = Document(
    kind=AgreementKind.DEFINITION,
    name="lead definition",
    validate=validate_definition,
    summarize=summarize,
    default_content=default_definition_content,
    edit=edit_definition,
    show=show_definition,
    on_activate=rescore_open_leads,
)
