"""A demo whose every user-typed field is hostile: spreadsheet formulas and HTML."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import ColumnElement, String, case, cast, update

from leaddash.db import make_engine, write_session
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import AgreementVersion, Lead, Reason, StageEvent, Team, User
from tests.conftest import throwaway_pg_database
from tests.report_demo import copy_of, seed_demo_database, template

PAYLOADS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\uff1d1+1",
    "\uff20SUM(A1)",
    "-2",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
]


def _cycled(column) -> ColumnElement[str]:
    """Return one of PAYLOADS per row, chosen by the row's id."""
    return case(
        *[(column % len(PAYLOADS) == i, p) for i, p in enumerate(PAYLOADS)], else_=PAYLOADS[0]
    )


def poison(url: str) -> None:
    """Give every user-typed field of the demo at `url` a payload (lead names, companies,
    sources, campaigns, segments, team and user names, reason labels, decision notes,
    definition titles); rebuild the facts the dashboards read."""
    engine = make_engine(url)
    payload = _cycled(Lead.id)
    with write_session(engine) as session:
        session.execute(
            update(Lead).values(
                first_name=payload,
                last_name=payload,
                company=payload,
                source=payload,
                campaign=payload,
                segment=payload,
            )
        )
        session.execute(
            update(Team).values(name=_cycled(Team.id) + " team " + cast(Team.id, String))
        )
        session.execute(update(User).values(name=_cycled(User.id) + " " + User.username))
        session.execute(update(Reason).values(label=_cycled(Reason.id) + " " + Reason.code))
        session.execute(update(StageEvent).values(note=_cycled(StageEvent.id)))
        session.execute(update(AgreementVersion).values(title=_cycled(AgreementVersion.id)))
    with write_session(engine) as session:
        rebuild_all_facts(session)
    engine.dispose()


def seeded_and_poisoned(url: str) -> None:
    """Seed the 1,500-lead demo at `url` and give its user-typed fields PAYLOADS."""
    seed_demo_database(url)
    poison(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile_url(request, tmp_path_factory) -> Iterator[str]:
    """Return the URL of a 1,500-lead demo whose user-typed fields are PAYLOADS, on each
    backend (seeded once per test module)."""
    if request.param == "sqlite":
        hostile = template(tmp_path_factory, "hostile", seeded_and_poisoned)
        yield copy_of(hostile, tmp_path_factory.mktemp("csv"))
        return
    with throwaway_pg_database("csvdefuse") as url:
        seed_demo_database(url)
        poison(url)
        yield url


@pytest.fixture
def hostile(hostile_url, monkeypatch) -> str:
    """Return the hostile demo's URL, with the command line pointed at it."""
    monkeypatch.setenv("DATABASE_URL", hostile_url)
    return hostile_url
