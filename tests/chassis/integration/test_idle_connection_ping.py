"""A pooled connection the database dropped while it sat idle is replaced, never handed out.

The database ends the pooled connection's backend (as a restart or an idle timeout would);
the next unit of work must still succeed, on a new backend. A connection used moments ago
is handed out without a ping, which the second half shows by the ping not noticing a kill.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis import database
from services.chassis.database import create_engine


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


async def test_an_idle_connection_the_database_dropped_is_replaced(
    chassis_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(chassis_database_url, pool_size=1, max_overflow=1)
    admin = create_engine(chassis_database_url, pool_size=1, max_overflow=0)
    try:
        dropped = await _backend_pid(engine)
        await _terminate(admin, dropped)
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)

        replacement = await _backend_pid(engine)

        assert replacement != dropped
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged(chassis_database_url: str) -> None:
    engine = create_engine(chassis_database_url, pool_size=1, max_overflow=0)
    admin = create_engine(chassis_database_url, pool_size=1, max_overflow=0)
    try:
        await _terminate(admin, await _backend_pid(engine))

        # Within PING_AFTER_IDLE_SECONDS the pool trusts the connection, so the first use
        # after the kill finds out the hard way (the service answers 503 for that request);
        # the pool then replaces it.
        with pytest.raises(DBAPIError):
            await _backend_pid(engine)
        assert await _backend_pid(engine) > 0
    finally:
        await engine.dispose()
        await admin.dispose()
