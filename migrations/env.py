"""Alembic environment: the models' metadata, and the connection models.migrations hands over
(or, from the alembic CLI, an engine on DATABASE_URL)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata, wherever its module lives)

config = context.config
target_metadata = SQLModel.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _configure(connection: Connection) -> None:
    # Batch mode lets SQLite alter a table (it copies it); on PostgreSQL it emits plain ALTERs.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the DDL for a DBA instead of running it."""
    from models.db import database_url

    context.configure(url=database_url(), target_metadata=target_metadata, render_as_batch=True,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # models.migrations owns the transaction (and SQLite's foreign-key switch) around this run.
        _configure(connection)
        context.run_migrations()
        return
    from models.db import make_engine
    from models.migrations import migration_connection

    engine = make_engine()
    try:
        with migration_connection(engine) as connection:
            _configure(connection)
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
