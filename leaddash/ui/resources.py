"""Process-wide resources: settings and one engine per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from leaddash.config import Settings, load_settings
from leaddash.db import check_connection, make_engine, read_session, write_session


def settings() -> Settings:
    """Return the settings; the cookie key may also come from Streamlit secrets."""
    loaded = load_settings()
    if loaded.cookie_key:
        return loaded
    try:
        secret = st.secrets.get("cookie_key")
    except FileNotFoundError:
        secret = None
    if not secret:
        return loaded
    return replace(loaded, cookie_key=str(secret))


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """Return the one engine this process uses for `url` (checked once on creation)."""
    eng = make_engine(url)
    check_connection(eng)
    return eng


def engine() -> Engine:
    """Return the process's engine for the configured database."""
    return engine_for(settings().database_url)


@contextmanager
def reading() -> Iterator[Session]:
    """Yield a short read session on the process engine."""
    with read_session(engine()) as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    """Yield a session inside one write transaction on the process engine."""
    with write_session(engine()) as session:
        yield session
