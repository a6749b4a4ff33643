"""What-if replay: run a definition version over past leads and compare it with another.

Leads created in the window are rescored by both versions at the same moment, `as_of`:
- a lead that really became an MQL is scored at its first MQL time (first stage event to
  `mql`, else `lead.mql_at`): the evidence sales had when it was handed over, so the
  replay asks "would this version have passed the lead at that moment";
- a lead that never became an MQL is scored QUALIFY_WINDOW_DAYS (30) after it was created
  (at most `now`): a month covers the activity bursts that qualify leads, and cutting
  there keeps old inquiries from piling up years of activity.

Outcomes come from the stage events: *decided* means an event to validated, disqualified
or rejected (or the lead was validated); *validated* means the lead reached validated,
sql, opportunity or won; *won* means it reached won. Precision: of a version's MQLs that
sales decided, the share validated. Recall: of the leads sales validated, the share the
version makes MQLs. MQLs per month count leads by the month they were created (cohorts),
so both versions are compared on the same leads. Score bands use the candidate's score.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from leaddash.access import authorize
from leaddash.agreements import active_version
from leaddash.agreements.store import find_version, version_label
from leaddash.core.actor import Actor
from leaddash.csv_safe import rows_to_csv
from leaddash.definitions import read_definition, score_leads
from leaddash.errors import InvalidInput, NotFound
from leaddash.models import AgreementKind, AgreementVersion, utcnow
from leaddash.scoring_io import LEADS, scorable, scoring_chunks, stage_outcomes

QUALIFY_WINDOW_DAYS = 30
BAND_WIDTH = 20
SIDES = ("candidate", "baseline")


@dataclass(frozen=True)
class VersionRef:
    """Which definition version a side of the comparison is."""

    id: int
    number: int
    title: str
    status: str
    threshold: float


@dataclass(frozen=True)
class Outcome:
    """What one version would have done with the window's leads."""

    mqls: int
    decided: int
    validated: int
    validated_total: int
    won_caught: int
    won_missed: int

    @property
    def precision(self) -> float | None:
        """Return the share of its MQLs sales decided that they validated (None: none decided)."""
        return self.validated / self.decided if self.decided else None

    @property
    def recall(self) -> float | None:
        """Return the share of validated leads it makes MQLs (None: none validated)."""
        return self.validated / self.validated_total if self.validated_total else None


@dataclass(frozen=True)
class Overlap:
    """How many leads each version makes MQLs: both, only one of them, or neither."""

    both: int
    only_candidate: int
    only_baseline: int
    neither: int


@dataclass(frozen=True)
class WhatIfResult:
    """The comparison of a candidate version with a baseline over one window of leads."""

    candidate: VersionRef
    baseline: VersionRef
    since: date | None
    until: date | None
    window_days: int
    leads: int
    outcomes: dict[str, Outcome]
    mqls: pd.DataFrame
    overlap: Overlap
    by_score_band: pd.DataFrame

    def _pair(self, name: str) -> dict[str, Any]:
        return {side: getattr(self.outcomes[side], name) for side in SIDES}

    @property
    def precision(self) -> dict[str, float | None]:
        """Return precision per side: {"candidate": …, "baseline": …}."""
        return self._pair("precision")

    @property
    def recall(self) -> dict[str, float | None]:
        """Return recall per side: {"candidate": …, "baseline": …}."""
        return self._pair("recall")

    @property
    def won_caught(self) -> dict[str, int]:
        """Return per side how many won leads it would have qualified."""
        return self._pair("won_caught")

    @property
    def won_missed(self) -> dict[str, int]:
        """Return per side how many won leads it would not have qualified."""
        return self._pair("won_missed")

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready values (rates rounded to 4 places)."""
        return {
            "candidate": asdict(self.candidate),
            "baseline": asdict(self.baseline),
            "window": {
                "since": _iso(self.since),
                "until": _iso(self.until),
                "qualify_window_days": self.window_days,
                "leads": self.leads,
            },
            "mqls": _records(self.mqls),
            "overlap": asdict(self.overlap),
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "won_caught": self.won_caught,
            "won_missed": self.won_missed,
            "by_score_band": _records(self.by_score_band),
            "outcomes": {side: asdict(self.outcomes[side]) for side in SIDES},
        }

    def to_csv(self) -> str:
        """Return the result as one long CSV table: section, key, measure, value (titles
        and every other text cell defused, as in every CSV LeadDash writes)."""
        return rows_to_csv(["section", "key", "measure", "value"], _csv_rows(self.to_dict()))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _rate(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _rounded(pair: dict[str, float | None]) -> dict[str, float | None]:
    return {side: _rate(value) for side, value in pair.items()}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: _rate(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]


def _csv_rows(data: dict[str, Any]) -> Iterator[list[Any]]:
    for section in ("candidate", "baseline", "window", "overlap"):
        yield from ([section, "", k, v] for k, v in data[section].items())
    for section in ("precision", "recall", "won_caught", "won_missed"):
        yield from ([section, "", side, v] for side, v in data[section].items())
    for section, key in (("mqls", "month"), ("by_score_band", "band")):
        for row in data[section]:
            yield from ([section, row[key], k, v] for k, v in row.items() if k != key)
    for side, counts in data["outcomes"].items():
        yield from (["outcomes", side, k, v] for k, v in counts.items())


# --- the replay -------------------------------------------------------------------------


def definition_by_number(session: Session, *, actor: Actor, number: int) -> AgreementVersion:
    """Return the lead definition version with this number, or raise NotFound."""
    authorize(session, actor, "read_agreements", "read the agreements")
    version = session.exec(
        select(AgreementVersion).where(
            AgreementVersion.kind == AgreementKind.DEFINITION, AgreementVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(f"There is no lead definition v{number}.")
    return version


def replay(
    session: Session,
    *,
    actor: Actor,
    version_id: int,
    against_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    window_days: int = QUALIFY_WINDOW_DAYS,
    now: datetime | None = None,
) -> WhatIfResult:
    """Return how definition `version_id` compares with `against_id` (default: the active
    version) on the leads created from `since` to `until` (both days included, UTC)."""
    authorize(session, actor, "replay_definition", "run a what-if replay")
    candidate, baseline = _versions(session, version_id, against_id)
    contents = [scorable(candidate.content), scorable(baseline.content)]
    frame = per_lead(session, _window(since, until), contents, window_days, now or utcnow())
    return WhatIfResult(
        candidate=_ref(candidate),
        baseline=_ref(baseline),
        since=since,
        until=until,
        window_days=window_days,
        leads=len(frame),
        outcomes={side: _outcome(frame, side) for side in SIDES},
        mqls=monthly_mqls(frame),
        overlap=_overlap(frame),
        by_score_band=score_bands(frame),
    )


def _definition(session: Session, version_id: int) -> AgreementVersion:
    version = find_version(session, version_id)
    if version.kind != AgreementKind.DEFINITION:
        raise InvalidInput(
            f"{version_label(version)} is not a lead definition; a what-if "
            "replay compares definition versions."
        )
    return version


def _versions(
    session: Session, version_id: int, against_id: int | None
) -> tuple[AgreementVersion, AgreementVersion]:
    candidate = _definition(session, version_id)
    if against_id is not None:
        return candidate, _definition(session, against_id)
    baseline = active_version(session, AgreementKind.DEFINITION)
    if baseline is None:
        raise InvalidInput("No lead definition is active yet: choose a version to compare against.")
    return candidate, baseline


def _ref(version: AgreementVersion) -> VersionRef:
    return VersionRef(
        version.id or 0,
        version.number,
        version.title,
        version.status,
        float(read_definition(version.content).threshold),
    )


def _window(since: date | None, until: date | None) -> list[ColumnElement]:
    if since and until and since > until:
        raise InvalidInput(f"The window starts ({since}) after it ends ({until}).")
    where = []
    if since:
        where.append(LEADS.created_at >= datetime.combine(since, time(), UTC))
    if until:
        where.append(LEADS.created_at < datetime.combine(until + timedelta(days=1), time(), UTC))
    return where


def per_lead(
    session: Session,
    where: list[ColumnElement],
    contents: list[dict[str, Any]],
    window_days: int,
    now: datetime,
) -> pd.DataFrame:
    """Return one row per lead in the window: created_at, actual_mql, decided, validated,
    won, and score and MQL verdict under each of `contents` (candidate, baseline)."""
    columns = [LEADS.created_at, LEADS.mql_at]
    parts = [
        _score_chunk(session, leads, acts, where, contents, window_days, now)
        for leads, acts in scoring_chunks(session, columns, where, contents)
    ]
    if parts:
        return pd.concat(parts)
    empty = {"created_at": pd.Series(dtype="datetime64[ns, UTC]"), "candidate_score": 0.0}
    flags = ("actual_mql", "decided", "validated", "won", "candidate", "baseline")
    return pd.DataFrame({**empty, **{f: pd.Series(dtype=bool) for f in flags}})


def _score_chunk(
    session: Session,
    leads: pd.DataFrame,
    acts: pd.DataFrame,
    where: list[ColumnElement],
    contents: list[dict[str, Any]],
    window_days: int,
    now: datetime,
) -> pd.DataFrame:
    history = stage_outcomes(session, leads, where)
    leads = leads.set_index("id")
    mql_at = history["first_mql"].combine_first(leads["mql_at"])
    horizon = (leads["created_at"] + pd.Timedelta(days=window_days)).clip(upper=pd.Timestamp(now))
    as_of = mql_at.where(mql_at.notna(), horizon)
    cand, base = (score_leads(leads, acts, c, as_of) for c in contents)
    return pd.DataFrame(
        {
            "created_at": leads["created_at"],
            "actual_mql": mql_at.notna(),
            "decided": history["decided"] | history["validated"],
            "validated": history["validated"],
            "won": history["won"],
            "candidate_score": cand["score"],
            "candidate": cand["is_mql"],
            "baseline": base["is_mql"],
        }
    )


# --- summaries of the per-lead table ----------------------------------------------------


def _outcome(frame: pd.DataFrame, side: str) -> Outcome:
    mql = frame[side]
    return Outcome(
        mqls=int(mql.sum()),
        decided=int((mql & frame["decided"]).sum()),
        validated=int((mql & frame["validated"]).sum()),
        validated_total=int(frame["validated"].sum()),
        won_caught=int((mql & frame["won"]).sum()),
        won_missed=int((~mql & frame["won"]).sum()),
    )


def _overlap(frame: pd.DataFrame) -> Overlap:
    cand, base = frame["candidate"], frame["baseline"]
    return Overlap(
        both=int((cand & base).sum()),
        only_candidate=int((cand & ~base).sum()),
        only_baseline=int((~cand & base).sum()),
        neither=int((~cand & ~base).sum()),
    )


def monthly_mqls(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per month of lead creation (YYYY-MM): leads, and MQLs of the candidate, the
    baseline and what really happened."""
    month = frame["created_at"].dt.tz_convert(None).dt.strftime("%Y-%m").rename("month")
    counts = frame[["candidate", "baseline", "actual_mql"]].astype(int).groupby(month).sum()
    counts.insert(0, "leads", month.value_counts())
    return counts.rename(columns={"actual_mql": "actual"}).reset_index().sort_values("month")


def score_bands(frame: pd.DataFrame, width: int = BAND_WIDTH) -> pd.DataFrame:
    """Return per band of candidate score (low ≤ score < high, `width` points wide): leads,
    candidate MQLs, leads sales decided, validated, and the validation rate."""
    low = (frame["candidate_score"] // width * width).astype(int)
    top = int(low.max()) + width if len(low) else 0
    flags = frame[["candidate", "decided", "validated"]].astype(int).groupby(low).sum()
    bands = pd.DataFrame({"low": range(0, top, width)}, dtype=int)
    bands = bands.join(flags, on="low").fillna(0).astype(int)
    bands.insert(1, "high", bands["low"] + width)
    bands.insert(2, "leads", bands["low"].map(low.value_counts()).fillna(0).astype(int))
    bands.insert(0, "band", bands["low"].astype(str) + "-" + bands["high"].astype(str))
    rate = bands["validated"] / bands["decided"].where(bands["decided"] > 0)
    return bands.rename(columns={"candidate": "mqls"}).assign(validation_rate=rate)
