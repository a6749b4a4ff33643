"""Tiny factories for metric tests: LeadPass rows written directly (fast and exact)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from leaddash.db import write_session
from leaddash.fact_tables import LeadPass
from leaddash.facts.upkeep import count_passes
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Lead


def at(text: str) -> datetime:
    """Return an aware UTC datetime from "2026-02-03 18:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_pass(engine: Engine, name: str, **fields: Any) -> LeadPass:
    """Create a lead named `name` and one pass of it (counted in the rollups); datetimes
    may be given as text, and the MQL month defaults to the MQL time's month."""
    values = {
        k: at(v) if k.endswith("_at") and isinstance(v, str) else v for k, v in fields.items()
    }
    if values.get("mql_at") is not None:
        values.setdefault("mql_month", values["mql_at"].year * 100 + values["mql_at"].month)
    with write_session(engine) as session:
        lead = Lead(
            first_name=name,
            last_name="Test",
            company=f"{name} Co",
            team_id=values.get("team_id"),
            owner_id=values.get("owner_id"),
        )
        session.add(lead)
        session.flush()
        row = LeadPass(lead_id=lead.id, **values)
        session.add(row)
        session.flush()
        count_passes(session, sign=1, lead_ids=[lead.id])  # the new lead's one pass
        return row


def activate(engine: Engine, kind: str, content: dict[str, Any], number: int = 1) -> int:
    """Store an active agreement version of `kind` with `content`; return its id."""
    with write_session(engine) as session:
        version = AgreementVersion(
            kind=kind,
            number=number,
            title=f"{kind} v{number}",
            status=AgreementStatus.ACTIVE,
            content=content,
            effective_from=at("2025-01-01 00:00"),
        )
        session.add(version)
        session.flush()
        return version.id


def small_sla(**marketing: Any) -> dict[str, Any]:
    """Return SLA terms with small targets: 3 MQLs a month (SMB 2), 50% validated, first
    touch in 4 business hours, decision in 5 business days, 3 attempts; New York hours."""
    from leaddash.sla import default_sla_content

    content = default_sla_content()
    content["marketing"].update(
        {
            "mql_target_per_month": 3,
            "mql_target_by_segment": {"SMB": 2},
            "validation_rate_target": 0.5,
            **marketing,
        }
    )
    return content


SLA = AgreementKind.SLA
DEFINITION = AgreementKind.DEFINITION
