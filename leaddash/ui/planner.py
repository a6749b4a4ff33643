"""Drawing helpers for the revenue planner; the arithmetic lives in leaddash.planner."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pandas as pd
import streamlit as st
from sqlmodel import Session

from leaddash.auth import can
from leaddash.charts import reverse_waterfall_chart
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import utcnow
from leaddash.planner import (
    STAGE_LABELS,
    Plan,
    carry_into_sla_draft,
    conversion_table,
    current_mql_target,
    default_window,
    measured_deal_size,
    plan_frame,
    plan_mqls,
)
from leaddash.ui.seam import read_now, save, show_error

DEFAULT_GOAL = 5_000_000.0
DEFAULT_MONTHS = 12
OVERRIDES_KEY = "planner_overrides"
NO_DEAL_SIZE = (
    "Enter an average deal size: no lead in the window went on to win a deal, so "
    "there is none to measure."
)


@dataclass(frozen=True)
class Window:
    """The cohort window the conversions are measured over, [since, until)."""

    since: datetime
    until: datetime


@dataclass(frozen=True)
class Measured:
    """What the database says for a window: the step table, deal size, SLA target."""

    table: pd.DataFrame
    deal_size: float | None
    sla_target: int | None

    @property
    def empty(self) -> bool:
        """Return True when no lead entered any step in the window."""
        return int(self.table["entered"].sum()) == 0


@dataclass(frozen=True)
class Goal:
    """The revenue goal, its period in months, and the average deal size (None: not given)."""

    revenue: float
    months: int
    deal_size: float | None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def show_window() -> Window:
    """Draw the measured-window inputs and return the window (UTC midnights)."""
    start, end = default_window(utcnow().date())
    left, right = st.columns(2)
    since = left.date_input(
        "Cohorts from",
        start,
        help="Leads are counted in the month they "
        "entered each stage. Defaults to six months that ended three "
        "months ago: younger cohorts have not finished converting.",
    )
    until = right.date_input("Cohorts until (not included)", end)
    if not isinstance(since, date) or not isinstance(until, date):
        st.info(
            "Pick the first and the last day of the cohorts to measure.",
            icon=":material/date_range:",
        )
        st.stop()
    return Window(_midnight(since), _midnight(until))


def read_measured(actor: Actor, window: Window) -> Measured:
    """Return the measured conversions, deal size and SLA target; stop the page on an error."""

    def measure(session: Session) -> Measured:
        table = conversion_table(session, actor=actor, since=window.since, until=window.until)
        deal = measured_deal_size(session, actor=actor, since=window.since, until=window.until)
        return Measured(table, deal, current_mql_target(session))

    return read_now(measure)


def show_goal(measured: Measured) -> Goal:
    """Draw the goal, period and deal-size inputs and return what they hold."""
    a, b, c = st.columns(3)
    revenue = a.number_input(
        "Revenue goal",
        min_value=0.0,
        value=DEFAULT_GOAL,
        step=100_000.0,
        format="%.0f",
        help="New-business revenue to win over the whole period.",
    )
    months = b.number_input("Period (months)", min_value=1, max_value=60, value=DEFAULT_MONTHS)
    measured_size = float(round(measured.deal_size)) if measured.deal_size else None
    deal = c.number_input(
        "Average deal size",
        min_value=0.0,
        value=measured_size,
        step=1_000.0,
        format="%.0f",
        placeholder="None won: enter one",
        help="Defaults to the mean amount of the deals won by the win-rate cohort.",
    )
    return Goal(float(revenue), int(months), deal)


def _step_frame(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": [
                f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}"
                for a, b in zip(table["from_stage"], table["to_stage"], strict=True)
            ],
            "entered": table["entered"],
            "reached": table["reached"],
            "measured": table["conversion"] * 100,
            "override": pd.Series([math.nan] * len(table), dtype="float64"),
        }
    )


def show_conversions(measured: Measured, window: Window) -> dict[str, float]:
    """Draw each step's measured conversion with an editable override column; return the
    shares to plan with (the override where one is given), keyed by the stage led into."""
    if measured.empty:
        st.info(
            f"No leads entered the funnel between {window.since:%-d %B %Y} and "
            f"{window.until:%-d %B %Y}, so there are no conversions to measure. Pick "
            "another window, or enter an override for every step.",
            icon=":material/info:",
        )
    percent = st.column_config.NumberColumn
    edited = st.data_editor(
        _step_frame(measured.table),
        key=OVERRIDES_KEY,
        hide_index=True,
        placeholder="—",
        disabled=["step", "entered", "reached", "measured"],
        column_config={
            "step": "Step",
            "entered": "Leads entering",
            "reached": "Went on",
            "measured": percent("Measured", format="%.1f%%"),
            "override": percent(
                "Override (%)",
                min_value=0.1,
                max_value=100.0,
                format="%.1f%%",
                help="Leave empty to use the measured rate.",
            ),
        },
    )
    used = edited["override"].where(edited["override"].notna(), edited["measured"]) / 100
    return dict(zip(measured.table["to_stage"], used.fillna(0.0).astype(float), strict=True))


def _show_numbers(plan: Plan, sla_target: int | None) -> None:
    n = plan.mqls_per_month
    st.subheader(f"You need {n:,} MQLs a month")
    a, b, c = st.columns(3)
    if sla_target is None:
        a.metric("MQLs a month", f"{n:,}", border=True, help="No SLA is in force yet.")
    else:
        a.metric(
            "MQLs a month",
            f"{n:,}",
            delta=f"{n - sla_target:+,}",
            delta_color="off",
            delta_description=f"vs the SLA target of {sla_target:,}",
            border=True,
        )
    b.metric(
        "Deals to win",
        f"{math.ceil(round(plan.deals_needed, 6)):,}",
        border=True,
        help=f"Over {plan.months} months, at {plan.deal_size:,.0f} a deal.",
    )
    c.metric(f"Revenue goal over {plan.months} months", f"{plan.goal:,.0f}", border=True)


def show_plan(actor: Actor, goal: Goal, conversions: dict[str, float], measured: Measured) -> None:
    """Draw the MQLs needed, the reverse waterfall and the button that starts an SLA draft."""
    if goal.deal_size is None:
        st.warning(NO_DEAL_SIZE, icon=":material/edit_note:")
        return
    try:
        plan = plan_mqls(goal.revenue, goal.months, goal.deal_size, conversions)
    except InvalidInput as exc:
        show_error(exc.message, icon=":material/edit_note:", warning=True)
        return
    _show_numbers(plan, measured.sla_target)
    st.altair_chart(
        reverse_waterfall_chart(
            plan_frame(plan), "Leads needed each month, from won deals back to MQLs"
        )
    )
    n = plan.mqls_per_month
    if can(actor, "edit_agreement_draft") and st.button(
        f"Put {n:,} MQLs a month into a new SLA draft", type="primary"
    ):
        save(
            lambda s: carry_into_sla_draft(s, actor=actor, mqls_per_month=n),
            f"Started a new SLA draft with a target of {n:,} MQLs a month. Open the SLA "
            "page to review it and propose it for signature.",
        )
