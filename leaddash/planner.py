"""Revenue planner: from a revenue goal back to the MQLs needed each month (DESIGN.md, "SLA").

goal ÷ average deal size = deals needed; each deal needs 1 ÷ win rate opportunities, each
opportunity 1 ÷ (sql → opportunity) SQLs, and so on back to MQLs. Stage conversions are
measured as DESIGN.md defines them ("Metrics"): leads that reached stage B ÷ leads that
reached stage A, for the cohort of leads that entered A in the window.

A lead counts as having reached every stage of the chain before the furthest one it reached:
a lead that went straight from validated to opportunity reached sql too. So a lead "enters"
a stage at its first event into that stage or any later stage of the chain.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.agreements import active_version, create_draft
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import AgreementKind, AgreementVersion, Lead, Stage, StageEvent
from leaddash.sla import default_sla_content, summarize_sla, validate_sla

CHAIN: tuple[str, ...] = tuple(
    s.value
    for s in (Stage.MQL, Stage.ACCEPTED, Stage.VALIDATED, Stage.SQL, Stage.OPPORTUNITY, Stage.WON)
)
STEPS: tuple[tuple[str, str], ...] = tuple(pairwise(CHAIN))
STAGE_LABELS = {
    "mql": "MQL",
    "accepted": "Accepted",
    "validated": "Validated",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "won": "Won",
}
DRAFT_TITLE = "MQL target from the revenue planner: {n:,} a month"
VIEW = "view_all_dashboards"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    since, until = _utc(since), _utc(until)
    if until <= since:
        raise InvalidInput("The measured window must end after it starts.", field="until")
    return since, until


def default_window(today: date, *, months: int = 6, maturity: int = 3) -> tuple[date, date]:
    """Return (first day, day after the last) of the `months` whole months that ended
    `maturity` months before this one: younger cohorts have not finished converting."""
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 - maturity
    until = date(index // 12, index % 12 + 1, 1)
    index -= months
    return date(index // 12, index % 12 + 1, 1), until


def _reached_at() -> Any:
    """Per lead, when it first reached each chain stage (or a later one); NULL if never."""
    rank = case({stage: i for i, stage in enumerate(CHAIN)}, value=StageEvent.to_stage)
    firsts = [
        func.min(case((rank >= i, StageEvent.occurred_at))).label(stage)
        for i, stage in enumerate(CHAIN)
    ]
    return (
        select(StageEvent.lead_id, *firsts)
        .where(col(StageEvent.to_stage).in_(CHAIN))
        .group_by(col(StageEvent.lead_id))
        .subquery()
    )


def conversion_table(
    session: Session,
    *,
    actor: Actor,
    since: datetime,
    until: datetime,
) -> pd.DataFrame:
    """Return one row per step (from_stage, to_stage, entered, reached, conversion): of the
    leads that entered from_stage in [since, until), how many ever reached to_stage, and
    the share (NaN when none entered)."""
    authorize(session, actor, VIEW, "see the measured stage conversions")
    since, until = _check_window(since, until)
    reached = _reached_at().c
    counts: list[Any] = []
    for a, b in STEPS:
        entered = and_(reached[a] >= since, reached[a] < until)
        counts.append(func.count(case((entered, 1))))
        counts.append(func.count(case((and_(entered, reached[b].is_not(None)), 1))))
    row = session.exec(select(*counts)).one()
    frame = pd.DataFrame(
        {
            "from_stage": [a for a, _ in STEPS],
            "to_stage": [b for _, b in STEPS],
            "entered": [int(n) for n in row[0::2]],
            "reached": [int(n) for n in row[1::2]],
        }
    )
    frame["conversion"] = frame["reached"] / frame["entered"].where(frame["entered"] > 0)
    return frame


def measured_conversions(
    session: Session,
    *,
    actor: Actor,
    since: datetime,
    until: datetime,
) -> dict[str, float]:
    """Return each step's measured conversion keyed by the stage it leads into (so "won" is
    the win rate, opportunity → won); 0.0 where no lead entered the step's first stage."""
    verify_actor(session, actor)
    table = conversion_table(session, actor=actor, since=since, until=until)
    return {
        row.to_stage: 0.0 if pd.isna(row.conversion) else float(row.conversion)
        for row in table.itertuples()
    }


def measured_deal_size(
    session: Session,
    *,
    actor: Actor,
    since: datetime,
    until: datetime,
) -> float | None:
    """Return the mean amount of the won leads in the win-rate cohort (they entered
    opportunity in [since, until)), or None when none of them has won."""
    authorize(session, actor, VIEW, "see the measured deal size")
    since, until = _check_window(since, until)
    reached = _reached_at()
    mean = session.exec(
        select(func.avg(Lead.amount))
        .join(reached, reached.c.lead_id == Lead.id)
        .where(
            reached.c.opportunity >= since,
            reached.c.opportunity < until,
            reached.c.won.is_not(None),
            col(Lead.amount).is_not(None),
        )
    ).one()
    return float(mean) if mean is not None else None


def current_mql_target(session: Session) -> int | None:
    """Return the monthly MQL target of the SLA in force, or None when none is active."""
    active = active_version(session, AgreementKind.SLA)
    if active is None:
        return None
    target = (active.content.get("marketing") or {}).get("mql_target_per_month")
    return int(target) if isinstance(target, (int, float)) else None


@dataclass(frozen=True)
class StageNeed:
    """Leads a stage needs over the whole period, and the share of them that go on."""

    stage: str
    leads: float
    conversion: float | None  # into the next stage; None for won


@dataclass(frozen=True)
class Plan:
    """A worked plan: `stages` runs from won back to mql; MQLs per month are rounded up."""

    goal: float
    months: int
    deal_size: float
    deals_needed: float
    stages: tuple[StageNeed, ...]
    mqls_per_month: int

    @property
    def mqls_needed(self) -> float:
        """Return the MQLs needed over the whole period (not rounded)."""
        return self.stages[-1].leads


def _positive(value: float, field: str, label: str) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{label} must be more than zero.", field=field)
    return float(value)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _rate(conversions: dict[str, float], a: str, b: str) -> float:
    rate = conversions.get(b)
    step = f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}"
    if rate is None or not rate > 0:
        raise InvalidInput(
            f"There is no measured conversion for {step}: no lead in the window "
            "made that step. Enter an override for it.",
            field=b,
        )
    if rate > 1:
        raise InvalidInput(f"The conversion for {step} is a share of at most 100%.", field=b)
    return float(rate)


def plan_mqls(goal: float, months: int, deal_size: float, conversions: dict[str, float]) -> Plan:
    """Return the plan that reaches `goal` in `months`: deals, leads per stage, MQLs a month.

    `conversions` holds shares keyed by the stage each step leads into (as
    measured_conversions returns them); raises InvalidInput naming the first bad input."""
    goal = _positive(goal, "goal", "The revenue goal")
    deal_size = _positive(deal_size, "deal_size", "The average deal size")
    if not _whole(months):
        raise InvalidInput("The period must be at least one whole month.", field="months")
    needs = [StageNeed(Stage.WON.value, goal / deal_size, None)]
    for a, b in reversed(STEPS):
        rate = _rate(conversions, a, b)
        needs.append(StageNeed(a, needs[-1].leads / rate, rate))
    # Rounded to 6 places first, so float noise (200.0000000001) does not add an MQL.
    per_month = math.ceil(round(needs[-1].leads / months, 6))
    return Plan(goal, months, deal_size, needs[0].leads, tuple(needs), per_month)


def plan_frame(plan: Plan) -> pd.DataFrame:
    """Return the plan as rows from won back to mql: stage, label, leads (whole period),
    per_month and conversion (share going on to the next stage; None for won)."""
    return pd.DataFrame(
        {
            "stage": [n.stage for n in plan.stages],
            "label": [STAGE_LABELS[n.stage] for n in plan.stages],
            "leads": [n.leads for n in plan.stages],
            "per_month": [n.leads / plan.months for n in plan.stages],
            "conversion": [n.conversion for n in plan.stages],
        }
    )


def _scaled(targets: dict[str, Any], ratio: float) -> dict[str, int]:
    """Segment targets times `ratio`, rounded so they still add up (largest remainder)."""
    exact = {name: float(value) * ratio for name, value in targets.items()}
    whole = {name: math.floor(value) for name, value in exact.items()}
    short = round(sum(exact.values())) - sum(whole.values())
    for name in sorted(exact, key=lambda n: exact[n] - whole[n], reverse=True)[:short]:
        whole[name] += 1
    return whole


def with_mql_target(content: dict[str, Any], mqls_per_month: int) -> dict[str, Any]:
    """Return a copy of SLA terms with the monthly MQL target set; per-segment targets are
    scaled by the same factor, so they keep their share of the total."""
    terms = copy.deepcopy(content)
    marketing = terms.setdefault("marketing", {})
    old = marketing.get("mql_target_per_month")
    segments = marketing.get("mql_target_by_segment")
    if segments and isinstance(old, (int, float)) and old > 0:
        marketing["mql_target_by_segment"] = _scaled(segments, mqls_per_month / old)
    marketing["mql_target_per_month"] = mqls_per_month
    return terms


def carry_into_sla_draft(
    session: Session,
    *,
    actor: Actor,
    mqls_per_month: int,
) -> AgreementVersion:
    """Return a new SLA draft with `mqls_per_month` as its monthly MQL target, started from
    the active SLA (or the default terms); the active SLA is left as it is."""
    verify_actor(session, actor)
    if not _whole(mqls_per_month):
        raise InvalidInput(
            "The MQL target must be a whole number of at least one.", field="mqls_per_month"
        )
    active = active_version(session, AgreementKind.SLA)
    base = active.content if active is not None else default_sla_content()
    return create_draft(
        session,
        actor=actor,
        kind=AgreementKind.SLA,
        title=DRAFT_TITLE.format(n=mqls_per_month),
        content=with_mql_target(base, mqls_per_month),
        based_on_id=active.id if active is not None else None,
        validate=validate_sla,
        summarize=summarize_sla,
    )
