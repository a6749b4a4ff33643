"""The matrix's read-only actions on the numbers: dashboards, reports, what-if, planner.

A dashboard read by a role that sees everything must equal the same read by the command
line (admin level); a read by a sales manager must equal the command line's read narrowed
to the manager's team (East), which must itself differ from everything, so the check can
fail.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from leaddash.analytics.breaches import breaches
from leaddash.analytics.calibration import (
    high_score_disqualified,
    reason_mix,
    rep_calibration,
)
from leaddash.analytics.feedback import reasons_by
from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import (
    breakdown,
    conversion_by_cohort,
    leakage,
    monthly_trend,
    velocity,
    waterfall,
)
from leaddash.analytics.options import filter_options
from leaddash.analytics.overview import overdue_open_leads, stage_counts
from leaddash.analytics.responses import response_medians
from leaddash.analytics.sla import scorecard, volume_vs_target
from leaddash.analytics.speed import (
    SpeedRead,
    SpeedSection,
    read_speed,
    speed_by_band,
    speed_section,
    speed_to_lead,
)
from leaddash.analytics.wins import win_rates
from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session
from leaddash.models import AgreementVersion, Lead, utcnow
from leaddash.planner import (
    carry_into_sla_draft,
    conversion_table,
    measured_conversions,
    measured_deal_size,
)
from leaddash.reports import build_report, csv_zip, session_reader
from leaddash.reports.files import review_file
from leaddash.reports.model import Read, markers_between, reason_names
from leaddash.reports.review import judging_terms
from leaddash.whatif import definition_by_number, replay
from tests.authz_actions import SCOPED, Cell, action

NOW = utcnow()
SINCE, UNTIL = NOW - timedelta(days=30), NOW + timedelta(days=1)
EVERYTHING = Filters()

DASHBOARDS: dict[str, tuple[Callable[..., pd.DataFrame], dict[str, Any]]] = {
    "read the funnel waterfall": (waterfall, {}),
    "read conversion by cohort": (
        conversion_by_cohort,
        {"from_stage": "mql", "to_stage": "accepted"},
    ),
    "read funnel leakage": (leakage, {"now": NOW}),
    "read funnel velocity": (velocity, {}),
    "read a funnel breakdown": (breakdown, {"by": "segment"}),
    "read the monthly trend": (monthly_trend, {}),
    "read the SLA scorecard": (scorecard, {"now": NOW}),
    "read MQL volume against target": (volume_vs_target, {"now": NOW}),
    "read median response times": (response_medians, {"key": "owner_id"}),
    "read speed-to-lead": (speed_to_lead, {"by": "rep", "now": NOW}),
    "read the rates by response band": (speed_by_band, {}),
    "list breaches on the SLA dashboard": (breaches, {"kind": "untouched", "now": NOW}),
    "read rep calibration": (rep_calibration, {"now": NOW}),
    "read the reason mix": (reason_mix, {"now": NOW}),
    "list high-score disqualified leads": (high_score_disqualified, {"min_score": 50, "now": NOW}),
    "read feedback reasons by source": (reasons_by, {"by": "source", "now": NOW}),
}


def _reference(
    cell: Cell, metric: Callable[..., pd.DataFrame], options: dict[str, Any], filters: Filters
) -> pd.DataFrame:
    with read_session(cell.engine) as session:
        return metric(session, actor=CLI_ACTOR, filters=filters, **options)


def _east(cell: Cell) -> Filters:
    return Filters(team_id=cell.world.teams["East"])


def _as_expected(
    cell: Cell,
    outcome: str,
    read: Callable[[Filters], Any],
    same: Callable[[Any, Any], bool],
    found: Any,
) -> bool:
    """Return True when `found` is everything (allowed) or the East share of it (scoped,
    and the East share is not everything)."""
    everything = read(EVERYTHING)
    if outcome != SCOPED:
        return same(found, everything)
    east = read(_east(cell))
    return same(found, east) and not same(east, everything)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.equals(b)


for _name, (_metric, _options) in DASHBOARDS.items():
    action(
        _name,
        lambda s, c, m=_metric, k=_options: m(s, actor=c.actor, filters=EVERYTHING, **k),
        lambda c, r, o, m=_metric, k=_options: _as_expected(
            c, o, lambda f: _reference(c, m, k, f), _frames_equal, r
        ),
        _metric,
    )


def _reads_equal(a: SpeedRead, b: SpeedRead) -> bool:
    return a.counts.equals(b.counts) and a.numbers.equals(b.numbers)


action(
    "read speed-to-lead's counts and durations",
    lambda s, c: read_speed(s, actor=c.actor, filters=EVERYTHING, by="rep", now=NOW),
    lambda c, r, o: _as_expected(
        c, o, lambda f: _reference(c, read_speed, {"by": "rep", "now": NOW}, f), _reads_equal, r
    ),
    read_speed,
)


def _sections_equal(a: SpeedSection, b: SpeedSection) -> bool:
    return all(getattr(a, n).equals(getattr(b, n)) for n in ("overall", "bands", "by_rep"))


action(
    "read the SLA page's speed-to-lead section",
    lambda s, c: speed_section(s, actor=c.actor, filters=EVERYTHING, now=NOW),
    lambda c, r, o: _as_expected(
        c, o, lambda f: _reference(c, speed_section, {"now": NOW}, f), _sections_equal, r
    ),
    speed_section,
)


def _team_leads(cell: Cell, outcome: str) -> int:
    where = [Lead.team_id == cell.world.teams["East"]] if outcome == SCOPED else []
    return len(cell.rows(Lead, *where))


action(
    "read the dashboard filter choices",
    lambda s, c: filter_options(s, actor=c.actor),
    lambda c, r, o: len(r.teams) == (1 if o == SCOPED else 2),
    filter_options,
)
action(
    "count leads by stage this month",
    lambda s, c: stage_counts(s, actor=c.actor, start=SINCE, end=UNTIL),
    lambda c, r, o: r.set_index("stage").at["mql", "leads"] == _team_leads(c, o),
    stage_counts,
)
action(
    "count overdue open leads",
    lambda s, c: overdue_open_leads(s, actor=c.actor, now=NOW),
    lambda c, r, o: r == (1 if o == SCOPED else 2),
    overdue_open_leads,
)


# --- reports: the same scope through every report's reads ----------------------------------

REPORT_MONTH = NOW.date().replace(day=1)


def _narrowed(read: Read, filters: Filters) -> Read:
    """Return a Read that narrows every metric to the team of `filters` (None: no change)."""
    if filters.team_id is None:
        return read
    return lambda metric, f, **options: read(metric, replace(f, team_id=filters.team_id), **options)


def _report(session: Session, read: Read, name: str):
    start = REPORT_MONTH if name == "review" else None
    return build_report(read, name=name, start=start)


def _reference_report(cell: Cell, name: str, filters: Filters):
    with read_session(cell.engine) as session:
        read = session_reader(session, actor=CLI_ACTOR, now=NOW)
        return _report(session, _narrowed(read, filters), name)


def _same_tables(a: Any, b: Any) -> bool:
    return a.tables.keys() == b.tables.keys() and all(
        a.tables[k].equals(b.tables[k]) for k in a.tables
    )


for _report_name in ("funnel", "sla", "calibration", "review"):
    action(
        f"build the {_report_name} report",
        lambda s, c, n=_report_name: _report(s, session_reader(s, actor=c.actor, now=NOW), n),
        lambda c, r, o, n=_report_name: _as_expected(
            c, o, lambda f: _reference_report(c, n, f), _same_tables, r
        ),
        build_report,
        session_reader,
        markers_between,
        reason_names,
        win_rates,
    )


def _zipped_tables(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


action(
    "download the monthly review",
    lambda s, c: review_file(s, actor=c.actor, month=REPORT_MONTH, kind="zip", now=NOW),
    lambda c, r, o: _as_expected(
        c,
        o,
        lambda f: _zipped_tables(csv_zip(_reference_report(c, "review", f))),
        lambda a, b: a == b,
        _zipped_tables(r),
    ),
    review_file,
)


# --- what-if and the revenue planner ------------------------------------------------------


def _definition(cell: Cell, state: str) -> int:
    return cell.world.versions[f"definition:{state}"]


action(
    "replay a definition over past leads",
    lambda s, c: replay(s, actor=c.actor, version_id=_definition(c, "draft"), now=NOW),
    lambda c, r, o: r.leads == len(c.rows(Lead)),
    replay,
)
action(
    "find a definition by its number",
    lambda s, c: definition_by_number(s, actor=c.actor, number=1),
    lambda c, r, o: r.id == _definition(c, "active"),
    definition_by_number,
)
action(
    "read the measured stage conversions",
    lambda s, c: conversion_table(s, actor=c.actor, since=SINCE, until=UNTIL),
    lambda c, r, o: r.set_index("from_stage").at["mql", "entered"] == len(c.rows(Lead)),
    conversion_table,
)
action(
    "read the measured conversion rates",
    lambda s, c: measured_conversions(s, actor=c.actor, since=SINCE, until=UNTIL),
    lambda c, r, o: 0 < r["accepted"] < 1,
    measured_conversions,
)
action(
    "read the measured deal size",
    lambda s, c: measured_deal_size(s, actor=c.actor, since=SINCE, until=UNTIL),
    lambda c, r, o: r is None,
    measured_deal_size,
)
action(
    "carry a planned MQL target into an SLA draft",
    lambda s, c: carry_into_sla_draft(s, actor=c.actor, mqls_per_month=40),
    lambda c, r, o: (
        c.row(AgreementVersion, r.id).content["marketing"]["mql_target_per_month"] == 40
    ),
    carry_into_sla_draft,
)


action(
    "read the review's judging time and SLA terms",
    lambda s, c: judging_terms(s, actor=c.actor, filters=Filters(), now=utcnow()),
    lambda c, r, o: len(r) == 1,
    judging_terms,
)
