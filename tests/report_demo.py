"""Seeded demo databases for tests: each is built once per test run as a SQLite template file
(shared by the xdist workers of the run) and copied, a file copy per test or module."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from leaddash.db import make_engine, write_session
from leaddash.demo import seed_demo
from leaddash.facts.refresh import rebuild_all_facts


def seed_demo_database(url: str) -> None:
    """Create the tables in the empty database at `url` and seed the 1,500-lead demo and
    its facts."""
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    seed_demo(eng, leads=1500, months=4, seed=11)
    with write_session(eng) as session:
        rebuild_all_facts(session)
    eng.dispose()


def small_demo(leads: int, months: int, *, seed: int = 7, today: date) -> Callable[[str], None]:
    """Return a builder that creates the tables at a URL and seeds a demo of `leads` leads
    (no facts rebuilt: as seed_demo leaves them)."""

    def build(url: str) -> None:
        eng = make_engine(url)
        SQLModel.metadata.create_all(eng)
        seed_demo(eng, leads=leads, months=months, seed=seed, today=today)
        eng.dispose()

    return build


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the temporary folder of the whole run: shared by its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def template(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[str], None]
) -> Path:
    """Return the path of the SQLite template `name`, built by `build(url)` the first time
    any worker of this run asks for it (the others wait for it), reused after."""
    folder = run_folder(tmp_path_factory) / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.db"
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            building = folder / f"{name}.building.db"
            for stale in folder.glob(f"{name}.building.db*"):
                stale.unlink()
            build(f"sqlite:///{building}")
            building.rename(path)
    return path


def copy_of(template_path: Path, folder: Path) -> str:
    """Copy a template into `folder` and return the copy's URL (the template's engine was
    disposed, so its write-ahead log is already folded into the file)."""
    copy = folder / template_path.name
    shutil.copyfile(template_path, copy)
    return f"sqlite:///{copy}"
