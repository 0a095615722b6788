"""Mail fixtures: one real PostgreSQL database (the session's embedded server) with the mail
outbox, an engine and sessions per test, and a development mailbox in the test's tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.chassis.database import create_engine, create_session_factory
from services.chassis.mail import LocalMailbox, create_mail_tables


@pytest.fixture(scope="session")
async def mail_database_url(infrastructure) -> str:
    url: str = await infrastructure.create_database("convene_mail_tests")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(create_mail_tables)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def mail_engine(mail_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(mail_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def mail_sessions(mail_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(mail_engine)


@pytest.fixture
def mailbox(tmp_path: Path) -> LocalMailbox:
    return LocalMailbox(tmp_path / "mailbox")
