"""Rescoring open leads when a definition version takes effect, and one lead's score explained.

Leads and their activities are read in chunks of CHUNK leads (keyset by id), only the
columns the rules need, and scored with `definitions.score_leads`; changed scores go back
with one bulk UPDATE per chunk. Undecided leads (inquiry, mql, accepted) are rescored,
except leads loaded from a CRM's history;
inquiries that now qualify become MQLs stamped with the new version, while leads that were
already MQLs keep the version that qualified them — history is never rewritten.
Promotions bump the lead's optimistic-lock version (a rep's stale edit must not undo
them); score-only updates do not, since nobody edits a score by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.agreements.store import version_label
from leaddash.audit import record
from leaddash.auth import actor_for
from leaddash.core.actor import Actor
from leaddash.core.times import as_utc
from leaddash.definitions import (
    engagement_points,
    field_values,
    rule_label,
    rule_mask,
    score_leads,
)
from leaddash.errors import InvalidInput
from leaddash.facts.refresh import refresh_facts
from leaddash.models import AgreementKind, AgreementVersion, Lead, Stage, User, stored_id, utcnow
from leaddash.routing.assign import route_leads
from leaddash.routing.promotion import (
    Deadlines,
    forget_loaded_leads,
    mql_deadlines,
    promote_to_mql,
)
from leaddash.scoring_io import CHUNK, LEADS, scorable, scoring_chunks, write_scores

UNDECIDED = (Stage.INQUIRY, Stage.MQL, Stage.ACCEPTED)


# --- rescoring on activation ----------------------------------------------------------


@dataclass(frozen=True)
class RescoreSummary:
    """What a rescoring did: leads rescored, rows whose score or fit changed, new MQLs."""

    version_id: int
    as_of: datetime
    rescored: int = 0
    changed: int = 0
    new_mqls: int = 0

    def add(self, rescored: int, changed: int, new_mqls: int) -> RescoreSummary:
        """Return this summary with one more chunk's counts added."""
        return RescoreSummary(
            self.version_id,
            self.as_of,
            self.rescored + rescored,
            self.changed + changed,
            self.new_mqls + new_mqls,
        )


def rescore_open_leads(session: Session, version: AgreementVersion) -> int:
    """Return how many undecided leads were rescored under `version` (the definition's
    `on_activate` hook: pass it to `agreements.sign`)."""
    return rescore(session, version).rescored


def rescore(
    session: Session,
    version: AgreementVersion,
    *,
    as_of: datetime | None = None,
    actor: Actor | None = None,
    chunk: int = CHUNK,
) -> RescoreSummary:
    """Return the summary of rescoring every undecided lead under `version` as of `as_of`
    (default now); writes scores, new MQLs with their stage events, and one audit row."""
    verify_actor(session, actor)
    if version.kind != AgreementKind.DEFINITION or version.id is None:
        raise InvalidInput(
            f"Only a lead definition can rescore leads, not {version_label(version)}."
        )
    content, at = scorable(version.content), as_of or utcnow()
    # History leads took their stages from a CRM's file: a new definition never
    # re-qualifies the past (leaddash.imports.lead_history).
    where = [LEADS.stage.in_([s.value for s in UNDECIDED]), LEADS.is_history.is_(False)]
    stored = [LEADS.stage, LEADS.score, LEADS.fit_ok, LEADS.fit_failed_clause]
    due, promoted = mql_deadlines(session, at), []
    summary = RescoreSummary(version.id, at)
    for leads, acts in scoring_chunks(session, stored, where, [content], chunk):
        scored = score_leads(leads, acts, content, at)
        changed = write_scores(session, leads, scored, at)
        new = _promote(session, leads, scored, version, at, due)
        # An open MQL's score is one of its facts (an inquiry's is not: see passes.py).
        refresh_facts(session, lead_ids=leads.loc[leads["stage"] != Stage.INQUIRY, "id"].tolist())
        promoted += new
        summary = summary.add(len(leads), changed, len(new))
    forget_loaded_leads(session)
    actor = _acting(session, actor)
    _audit(session, actor, version, summary)
    route_leads(session, lead_ids=promoted, at=at, actor=actor)
    return summary


def _promote(
    session: Session,
    leads: pd.DataFrame,
    scored: pd.DataFrame,
    version: AgreementVersion,
    at: datetime,
    due: Deadlines,
) -> list[int]:
    """Return the ids of the chunk's inquiries that `version` made MQLs."""
    inquiry = leads.set_index("id")["stage"].eq(Stage.INQUIRY)
    ids = scored.index[scored["is_mql"] & inquiry].tolist()
    return promote_to_mql(
        session,
        ids,
        version_id=stored_id(version),
        at=at,
        due=due,
        note=f"Qualified when {version_label(version)} took effect",
    )


def _acting(session: Session, actor: Actor | None) -> Actor | None:
    """Return `actor`, else the user the session acts for (the signer who activated)."""
    if actor is None and session.info.get("actor_id") is not None:
        user = session.get(User, session.info["actor_id"])
        actor = actor_for(user) if user is not None else None
    return actor


def _audit(
    session: Session, actor: Actor | None, version: AgreementVersion, summary: RescoreSummary
) -> None:
    record(
        session,
        actor=actor,
        action="definition.rescore",
        entity="agreementversion",
        entity_id=version.id,
        after={
            "version": version.number,
            "as_of": summary.as_of.isoformat(),
            "rescored": summary.rescored,
            "changed": summary.changed,
            "new_mqls": summary.new_mqls,
        },
    )


# --- one lead explained --------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCheck:
    """One fit rule or disqualifier applied to the lead: `passed` is False when it counts
    against the lead (a fit rule not met, a disqualifier that matches)."""

    id: str
    kind: str
    label: str
    value: Any
    passed: bool


@dataclass(frozen=True)
class TypePoints:
    """Points of one activity type: how many counted, their decayed sum, the cap, the result."""

    type: str
    count: int
    points_each: float
    decayed: float
    cap: float | None
    points: float

    @property
    def capped(self) -> bool:
        """Return True when the cap cut the decayed sum down."""
        return self.cap is not None and self.decayed > self.points + 1e-9


@dataclass(frozen=True)
class ActivityLine:
    """One activity and what it was worth at the scoring moment (decayed, before the cap)."""

    occurred_at: datetime
    type: str
    points: float
    counted: bool
    note: str = ""


@dataclass(frozen=True)
class Explanation:
    """Why a lead scores what it scores under a definition, ready for a page to show."""

    lead_id: int | None
    as_of: datetime
    threshold: float
    half_life_days: float | None
    score: float
    fit_ok: bool
    failed_clause: str | None
    is_mql: bool
    fit_rules: tuple[RuleCheck, ...]
    disqualifiers: tuple[RuleCheck, ...]
    points: tuple[TypePoints, ...]
    activities: tuple[ActivityLine, ...]

    @property
    def disqualifier(self) -> str | None:
        """Return the id of the first disqualifier that matches the lead, or None."""
        return next((r.id for r in self.disqualifiers if not r.passed), None)

    def sentence(self) -> str:
        """Return the verdict in one line, e.g. "MQL: fits, and scores 72 of 60 needed."."""
        fit = "fits" if self.fit_ok else f"fails {self.failed_clause}"
        verdict = "MQL" if self.is_mql else "Not an MQL"
        return f"{verdict}: {fit}, and scores {self.score:g} of {self.threshold:g} needed."


def explain_lead(
    lead_row: Mapping[str, Any] | Lead,
    activities: pd.DataFrame,
    content: dict[str, Any],
    as_of: datetime,
) -> Explanation:
    """Return the explanation of one lead's score under `content` at `as_of`; `lead_row`
    maps lead fields (a dict, a Series, or a Lead), `activities` has type and occurred_at."""
    content, as_of = scorable(content), as_utc(as_of)
    lead = pd.DataFrame([dict(lead_row)])
    lead["id"] = lead.get("id", pd.Series([0])).fillna(0).astype(int)
    acts = activities.assign(lead_id=int(lead["id"].iloc[0]))
    scored = score_leads(lead, acts, content, as_of).iloc[0]
    checks = {
        kind: tuple(_check(lead, rule, kind) for rule in content.get(key, []))
        for kind, key in (("fit", "fit_rules"), ("disqualifier", "disqualifiers"))
    }
    half_life = content["scoring"].get("half_life_days")
    return Explanation(
        lead_id=int(lead["id"].iloc[0]) or None,
        as_of=as_of,
        threshold=float(content["threshold"]),
        half_life_days=float(half_life) if half_life else None,
        score=float(scored["score"]),
        fit_ok=bool(scored["fit_ok"]),
        failed_clause=scored["failed_clause"] or None,
        is_mql=bool(scored["is_mql"]),
        fit_rules=checks["fit"],
        disqualifiers=checks["disqualifier"],
        points=_type_points(acts, content, as_of, scored),
        activities=_activity_lines(acts, content, as_of),
    )


def _check(lead: pd.DataFrame, rule: dict[str, Any], kind: str) -> RuleCheck:
    values = field_values(lead, rule["field"])
    holds = bool(rule_mask(values, rule["op"], rule.get("value")).iloc[0])
    value = values.iloc[0]
    plain = value.item() if isinstance(value, np.generic) else value
    return RuleCheck(
        rule["id"],
        kind,
        rule_label(rule),
        None if pd.isna(plain) is True else plain,
        holds if kind == "fit" else not holds,
    )


def _uncapped(content: dict[str, Any]) -> dict[str, Any]:
    model = {t: {**m, "cap": None} for t, m in content["scoring"]["activities"].items()}
    return {**content, "scoring": {**content["scoring"], "activities": model}}


def _activity_lines(
    acts: pd.DataFrame, content: dict[str, Any], as_of: datetime
) -> tuple[ActivityLine, ...]:
    """Return every activity, newest first, with its decayed points: each activity is
    scored as if it were a lead of its own, by the same engine."""
    each = acts.reset_index(drop=True).assign(lead_id=lambda a: a.index)
    worth = engagement_points(each, _uncapped(content), as_of, each.index).sum(axis=1)
    when = pd.to_datetime(each["occurred_at"], utc=True)
    model = content["scoring"]["activities"]
    lines = []
    for i in when.sort_values(ascending=False).index:
        scored, future = each.at[i, "type"] in model, when[i] > pd.Timestamp(as_of)
        note = (
            "not scored by this definition"
            if not scored
            else "after the scoring moment"
            if future
            else ""
        )
        lines.append(
            ActivityLine(
                when[i].to_pydatetime(),
                str(each.at[i, "type"]),
                round(float(worth[i]), 2),
                not note,
                note,
            )
        )
    return tuple(lines)


def _type_points(
    acts: pd.DataFrame, content: dict[str, Any], as_of: datetime, scored: pd.Series
) -> tuple[TypePoints, ...]:
    index = pd.Index([int(acts["lead_id"].iloc[0])] if len(acts) else [0])
    decayed = engagement_points(
        acts.assign(lead_id=index[0]), _uncapped(content), as_of, index
    ).iloc[0]
    counted = acts[pd.to_datetime(acts["occurred_at"], utc=True) <= pd.Timestamp(as_of)]
    counts = counted["type"].value_counts()
    return tuple(
        TypePoints(
            t,
            int(counts.get(t, 0)),
            float(m["points"]),
            round(float(decayed[f"points_{t}"]), 2),
            None if m.get("cap") is None else float(m["cap"]),
            round(float(scored[f"points_{t}"]), 2),
        )
        for t, m in content["scoring"]["activities"].items()
    )
