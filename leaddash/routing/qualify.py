"""Qualifying freshly imported leads against the active definition, then routing them.

The given leads still at `inquiry` are scored in chunks (only the columns the rules read,
activities straight from the cursor); the ones that meet the definition become MQLs of
the active version, a random share of fitting leads just below the threshold becomes MQLs
marked as the sample, and every new MQL is routed. One audit row sums it all up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.agreements import active_version
from leaddash.audit import record
from leaddash.core.actor import Actor
from leaddash.definitions import sample_below_threshold, score_leads
from leaddash.id_sets import among, id_chunks
from leaddash.models import AgreementKind, AgreementVersion, Stage, stored_id, utcnow
from leaddash.routing.assign import assign_leads
from leaddash.routing.promotion import mql_deadlines, promote_to_mql
from leaddash.scoring_io import LEADS, scorable, scoring_chunks, write_scores

STORED = [LEADS.score, LEADS.fit_ok, LEADS.fit_failed_clause]


@dataclass(frozen=True)
class QualifySummary:
    """What qualification did: leads scored, new MQLs, below-threshold samples (also new
    MQLs), MQLs given a rep, MQLs left in a team queue because no rep was free, MQLs no
    routing rule matched, and the definition version used (None: no active definition)."""

    scored: int = 0
    new_mqls: int = 0
    samples: int = 0
    routed: int = 0
    unassigned: int = 0
    version_id: int | None = None
    unmatched: int = 0

    def sentence(self) -> str:
        """Return the outcome as people read it, e.g. "Scored 120 leads: 9 new MQLs …"."""
        if self.version_id is None:
            return (
                "No lead definition is active, so no lead was scored or routed. "
                "Sign a definition on the Lead definition page, then import again."
            )
        text = (
            f"Scored {self.scored} leads: {self.new_mqls} new MQLs "
            f"({self.samples} of them below-threshold samples); {self.routed} went to a "
            f"rep"
        )
        if self.unassigned:
            text += f", {self.unassigned} wait in a team queue because no rep was free"
        if self.unmatched:
            text += (
                f", {self.unmatched} match no routing rule and wait unrouted "
                "(add a rule on the Routing page)"
            )
        return text + "."


@dataclass(frozen=True)
class _Picked:
    scored: int
    qualified: list[int]
    sampled: list[int]


def qualify_and_route(
    session: Session,
    *,
    lead_ids: Sequence[int],
    at: datetime | None = None,
    actor: Actor | None = None,
    seed: int | None = None,
) -> QualifySummary:
    """Return what scoring the inquiries among `lead_ids` against the active definition,
    promoting those that meet it (and a below-threshold sample) and routing them did."""
    verify_actor(session, actor)
    at = at or utcnow()
    version = active_version(session, AgreementKind.DEFINITION)
    if version is None or version.id is None:
        summary = QualifySummary()
    else:
        summary = _qualify(session, version, lead_ids, at, np.random.default_rng(seed))
    record(
        session,
        actor=actor,
        action="lead.qualify",
        entity="agreementversion",
        entity_id=summary.version_id,
        after={"at": at.isoformat(), "leads": len(set(lead_ids)), **summary.__dict__},
    )
    return summary


def _qualify(
    session: Session,
    version: AgreementVersion,
    lead_ids: Sequence[int],
    at: datetime,
    rng: np.random.Generator,
) -> QualifySummary:
    picked = _score(session, scorable(version.content), lead_ids, at, rng)
    due, label = mql_deadlines(session, at), f"definition v{version.number}"
    version_id = stored_id(version)
    new = promote_to_mql(
        session,
        picked.qualified,
        version_id=version_id,
        at=at,
        due=due,
        note=f"Qualified by {label}",
    )
    sampled = promote_to_mql(
        session,
        picked.sampled,
        version_id=version_id,
        at=at,
        due=due,
        note=f"Below-threshold sample for recall ({label})",
        sample=True,
    )
    routing = assign_leads(session, new + sampled, at)
    return QualifySummary(
        picked.scored,
        len(new) + len(sampled),
        len(sampled),
        routing.routed,
        routing.unassigned,
        version.id,
        routing.unmatched,
    )


def _score(
    session: Session, content: dict, lead_ids: Sequence[int], at: datetime, rng: np.random.Generator
) -> _Picked:
    """Score the inquiries among `lead_ids` chunk by chunk, writing changed scores back;
    return how many were scored, which qualify and which are sampled."""
    count, qualified, sampled = 0, [], []
    for ids in id_chunks(lead_ids):
        where = [
            among(session, LEADS.id, ids),
            LEADS.stage == Stage.INQUIRY,
            LEADS.is_history.is_(False),
        ]
        for leads, acts in scoring_chunks(session, STORED, where, [content], len(ids)):
            scored = score_leads(leads, acts, content, at)
            write_scores(session, leads, scored, at)
            count += len(leads)
            qualified += scored.index[scored["is_mql"]].tolist()
            sampled += scored.index[sample_below_threshold(scored, content, rng)].tolist()
    return _Picked(count, qualified, sampled)


@dataclass(frozen=True)
class SampleSetting:
    """The below-threshold sample of the active definition: share routed, band in points."""

    definition_number: int
    rate: float
    band: float


def active_sample(session: Session) -> SampleSetting | None:
    """Return the active definition's sample setting (None when no definition is active)."""
    version = active_version(session, AgreementKind.DEFINITION)
    if version is None:
        return None
    sample = version.content.get("sample_below_threshold") or {}
    return SampleSetting(
        version.number, float(sample.get("rate") or 0.0), float(sample.get("band") or 0.0)
    )
