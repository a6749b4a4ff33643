"""The SLA state of a lead's milestone (docs/metrics.md, "SLA state"), read from the
times stored on the lead; `leaddash.core.lead_sql.sla_state_sql` gives the same answer in
SQL. No calendar is needed here: the due and warning points were computed in the SLA
calendar's business time when the lead became an MQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from leaddash.core.times import as_utc
from leaddash.errors import InvalidInput
from leaddash.models import OPEN_STAGES, Lead, Stage

PENDING, WARNING, BREACHED, MET, CANCELLED = "pending", "warning", "breached", "met", "cancelled"
SLA_STATES = (PENDING, WARNING, BREACHED, MET, CANCELLED)
FIRST_TOUCH: Final = "first_touch"
DECISION: Final = "decision"
Milestone = Literal["first_touch", "decision"]
MILESTONES: tuple[Milestone, ...] = (FIRST_TOUCH, DECISION)
# What the sweep has told about a milestone (lead.touch_alert_step, decision_alert_step):
# nothing, the warning, the breach; ALERT_BREACH + k is the k-th escalation.
ALERT_NONE, ALERT_WARNING, ALERT_BREACH = 0, 1, 2


@dataclass(frozen=True)
class MilestoneTimes:
    """One milestone of one lead: its due and warning points, when it was reached (None:
    not yet), and when the lead left sales' queue (None: still open)."""

    due_at: datetime | None
    warn_at: datetime | None
    reached_at: datetime | None
    left_at: datetime | None


def milestone_state(times: MilestoneTimes, now: datetime) -> str | None:
    """Return the milestone's SLA state at `now` (None when it has no due point)."""
    if times.due_at is None:
        return None
    due = as_utc(times.due_at)
    if times.reached_at is not None:
        return MET if as_utc(times.reached_at) <= due else BREACHED
    if times.left_at is not None:
        return CANCELLED if as_utc(times.left_at) <= due else BREACHED
    if due < as_utc(now):
        return BREACHED
    if times.warn_at is not None and as_utc(times.warn_at) <= as_utc(now):
        return WARNING
    return PENDING


def milestone_times(lead: Lead, milestone: Milestone) -> MilestoneTimes:
    """Return the times of `lead` that decide the state of `milestone`."""
    left = None if lead.stage in OPEN_STAGES else (lead.decided_at or lead.stage_changed_at)
    if milestone == FIRST_TOUCH:
        return MilestoneTimes(lead.touch_due_at, lead.touch_warn_at, lead.first_touch_at, left)
    # Recycling closes a lead without a decision: it stamps decided_at, but answers nothing.
    decided = lead.decided_at if lead.stage != Stage.RECYCLED else None
    return MilestoneTimes(lead.decision_due_at, lead.decision_warn_at, decided, left)


def check_states(states: Sequence[str]) -> tuple[str, ...]:
    """Return `states` as a tuple, or raise InvalidInput naming one that is no SLA state."""
    for state in states:
        if state not in SLA_STATES:
            raise InvalidInput(
                f"{state!r} is not an SLA state: pick among {', '.join(SLA_STATES)}.",
                field="sla_states",
            )
    return tuple(states)


def lead_sla_state(lead: Lead, milestone: Milestone, now: datetime) -> str | None:
    """Return the SLA state of the lead's `milestone` at `now` (None: no deadline)."""
    return milestone_state(milestone_times(lead, milestone), now)
