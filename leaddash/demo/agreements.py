"""The demo's agreements: three co-signed definition versions and one SLA, with comments.

The story: v1 (launch) was loose — no decay, threshold 55 — and sales turned many of its
MQLs down; v2 raised the threshold to 65 and added an industry rule; v3 (active) settled
on 60 with a 45-day half-life, a 50-employee floor and an existing-customer exclusion.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from leaddash.definitions import default_definition_content, summarize
from leaddash.models import AgreementKind, AgreementStatus, Side
from leaddash.sla import default_sla_content, summarize_sla


@dataclass
class AgreementPlan:
    """One agreement version to write, with its signatures and comments (by username)."""

    kind: str
    number: int
    title: str
    content: dict[str, Any]
    effective_from: datetime
    effective_to: datetime | None
    author: str
    comments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Return retired for versions that have ended, else active."""
        return AgreementStatus.RETIRED if self.effective_to else AgreementStatus.ACTIVE

    @property
    def summary(self) -> str:
        """Return the plain-language summary stored with the version."""
        if self.kind == AgreementKind.DEFINITION:
            return summarize(self.content)
        return summarize_sla(self.content)

    def signatures(self) -> list[tuple[str, str, datetime]]:
        """Return (side, username, signed_at): marketing two days, sales one day before."""
        return [
            (Side.MARKETING, "marketing_leader", self.effective_from - timedelta(days=2)),
            (Side.SALES, "sales_leader", self.effective_from - timedelta(days=1)),
        ]


def _keep_known_clauses(content: dict[str, Any]) -> dict[str, Any]:
    ids = {r["id"] for r in content["fit_rules"] + content["disqualifiers"]}
    content["reasons"] = [
        {**r, "clause": r["clause"] if r["clause"] in ids else None} for r in content["reasons"]
    ]
    return content


def definition_v3() -> dict[str, Any]:
    """Return the active definition: the shipped default."""
    return default_definition_content()


def definition_v2() -> dict[str, Any]:
    """Return v2: threshold 65, 20-employee floor, industry rule, competitors, 60-day decay."""
    content = default_definition_content()
    content["threshold"] = 65
    content["fit_rules"][0].update(value=20, label="20+ employees")
    content["disqualifiers"] = content["disqualifiers"][:3]
    content["scoring"]["half_life_days"] = 60
    return _keep_known_clauses(content)


def definition_v1() -> dict[str, Any]:
    """Return v1 (launch): threshold 55, no industry rule, no decay, two disqualifiers."""
    content = definition_v2()
    content["threshold"] = 55
    content["fit_rules"] = content["fit_rules"][:2]
    content["disqualifiers"] = content["disqualifiers"][:2]
    content["scoring"]["half_life_days"] = None
    content["sample_below_threshold"] = {"rate": 0.0, "band": 0}
    return _keep_known_clauses(content)


DEFINITION_COMMENTS = (
    [
        ("marketing_leader", "Launch version: start broad, tighten after a few hundred calls."),
        ("sales_leader", "Agreed, as long as we review the rejection reasons monthly."),
    ],
    [
        ("sales_leader", "Half of what we turned down were schools and public bodies."),
        ("marketing", "Raising the threshold to 65 will cut volume; flagging the MQL target."),
        ("marketing_leader", "Fine for a quarter — let's look at recall with the sample."),
    ],
    [
        ("marketing_leader", "65 missed good leads (see the sample). Back to 60, with decay."),
        ("sales_leader", "Signed. Please also exclude existing customers; they go to CS."),
        ("marketing", "Content syndication is still our most rejected source; review next."),
    ],
)


def definition_plans(boundaries: list[datetime]) -> list[AgreementPlan]:
    """Return the three definition versions, in force between consecutive `boundaries`."""
    contents = (definition_v1(), definition_v2(), definition_v3())
    titles = ("Launch definition", "Tighter fit and threshold", "Decay and customer exclusion")
    authors = ("marketing_leader", "marketing", "marketing_leader")
    return [
        AgreementPlan(
            AgreementKind.DEFINITION,
            i + 1,
            f"v{i + 1} — {titles[i]}",
            contents[i],
            boundaries[i],
            boundaries[i + 1] if i < 2 else None,
            authors[i],
            list(DEFINITION_COMMENTS[i]),
        )
        for i in range(3)
    ]


def sla_content(monthly_mqls: pd.Series, segment_share: pd.Series, years: range) -> dict[str, Any]:
    """Return the SLA: the MQL target is the median past month (so some months hit it
    and some miss), split by segment share; company holidays for every year shown."""
    content = default_sla_content()
    median = float(monthly_mqls.median())
    step = 10 if median >= 100 else 1
    target = max(round(median / step) * step, 1)
    content["marketing"]["mql_target_per_month"] = target
    content["marketing"]["mql_target_by_segment"] = {
        str(seg): round(target * float(share) / step) * step for seg, share in segment_share.items()
    }
    content["calendar"]["holidays"] = [f"{y}-12-{d}" for y in years for d in (24, 31)]
    return content


def sla_plan(content: dict[str, Any], effective_from: datetime) -> AgreementPlan:
    """Return the active SLA version."""
    comments = [
        ("sales_leader", "Four business hours is tight for Enterprise, but we commit."),
        ("marketing_leader", "And we own the monthly MQL target and the 60% bar."),
    ]
    return AgreementPlan(
        AgreementKind.SLA,
        1,
        "v1 — First joint SLA",
        copy.deepcopy(content),
        effective_from,
        None,
        "sales_leader",
        comments,
    )
