"""Alembic, run programmatically: each service keeps its own revisions and version table."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.chassis.mail.outbox import mail_metadata
from services.chassis.outbox import messaging_metadata


def alembic_config(migrations: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(migrations: Path, url: str) -> None:
    """Apply every pending revision. Idempotent: safe to run before each start."""
    command.upgrade(alembic_config(migrations, url), "head")


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py` (online mode, async driver)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config()"

    def migrate(connection: Connection) -> None:
        # The chassis' outbox and inbox tables are created by each service's first revision,
        # so autogenerate must see them as known, not as tables to drop.
        context.configure(
            connection=connection,
            target_metadata=[target_metadata, messaging_metadata, mail_metadata],
            compare_type=True,
        )
        with context.begin_transaction():
            # Several replicas may start at once; one migrates, the others wait and find no work.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('convene-migrations'))"))
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def create_messaging_tables(connection: Connection) -> None:
    """For a service's first revision: the outbox and inbox tables, as the chassis defines them."""
    messaging_metadata.create_all(connection)


def drop_messaging_tables(connection: Connection) -> None:
    messaging_metadata.drop_all(connection)
