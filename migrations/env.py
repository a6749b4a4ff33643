"""Alembic environment: targets SQLModel.metadata; batch mode on SQLite.

`leaddash.migrate` hands in an open connection through `config.attributes["connection"]`.
The plain `alembic` command gets its URL from `sqlalchemy.url` when one is given
(`leaddash.migrate.alembic_config` sets it), else from DATABASE_URL via leaddash's settings.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

import leaddash.models  # noqa: F401  (registers the tables)
from leaddash.config import load_settings
from leaddash.db import WRITE_OPTION, make_engine
from leaddash.db_url import normalize_url

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    """Return the URL to migrate: the config's `sqlalchemy.url`, else leaddash's setting."""
    return normalize_url(config.get_main_option("sqlalchemy.url") or load_settings().database_url)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Return plain SQLAlchemy source for SQLModel's types, or False for the default."""
    if type_ != "type":
        return False
    if isinstance(obj, AutoString):
        length = obj.impl.length  # type: ignore[attr-defined]
        return f"sa.String(length={length})" if length else "sa.String()"
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSONB):
        # Alembic's own rendering of JSONB on SQLite leaves `Text()` unqualified.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "postgresql.JSONB()"
    return False


def compare_type(
    context: MigrationContext,
    inspected_column: sa.Column[Any],
    metadata_column: sa.Column[Any],
    inspected_type: sa.types.TypeEngine[Any],
    metadata_type: sa.types.TypeEngine[Any],
) -> bool | None:
    """Return False when a reflected column matches SQLModel's UTCDateTime, else None."""
    if not isinstance(metadata_type, UTCDateTime):
        return None
    if not isinstance(inspected_type, sa.DateTime):
        return True
    # SQLite has no time zone in its column types; PostgreSQL must say timestamptz.
    return not (context.dialect.name == "sqlite" or inspected_type.timezone)


def configure_options(dialect_name: str) -> dict[str, Any]:
    """Return the context.configure options shared by online and offline runs."""
    return {
        "target_metadata": target_metadata,
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": compare_type,
        "compare_server_default": True,
        "render_item": render_item,
    }


def run_with(connection: Connection) -> None:
    """Run the migrations on `connection` in one transaction."""
    context.configure(connection=connection, **configure_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or over a new engine for the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = make_engine(database_url()).execution_options(**{WRITE_OPTION: True})
    try:
        with engine.connect() as conn:
            run_with(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """Write the migration SQL for the URL's dialect instead of running it."""
    url = database_url()
    dialect_name = sa.engine.make_url(url).get_backend_name()
    context.configure(url=url, literal_binds=True, **configure_options(dialect_name))
    with context.begin_transaction():
        context.run_migrations()


if config.config_file_name and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
