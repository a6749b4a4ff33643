"""A small demo database with its facts built, for tests that only read it."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from leaddash.db import make_engine, write_session
from leaddash.demo import seed_demo
from leaddash.facts.refresh import rebuild_all_facts


def seeded_demo_url(folder: Path) -> str:
    """Return the URL of a SQLite file in `folder` holding a 1,500-lead demo and its facts
    (seeded on the first call for that folder, reused after)."""
    path = folder / "demo.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        seed_demo_database(url)
    return url


def seed_demo_database(url: str) -> None:
    """Create the tables in the empty database at `url` and seed the 1,500-lead demo and
    its facts."""
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    seed_demo(eng, leads=1500, months=4, seed=11)
    with write_session(eng) as session:
        rebuild_all_facts(session)
    eng.dispose()
