"""The async engine, sessions and the unit of work that commits state and events together."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from contracts import IntegrationEvent
from services.chassis.outbox import append_to_outbox


class DatabaseUnavailable(Exception):
    """The database could not be reached through the driver itself (a connection held out of
    the pool and spoken to through asyncpg, as the directory's search does);
    answered as the same 503 as SQLAlchemy's OperationalError."""


#: A pooled connection that sat unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, **kwargs: Any
) -> AsyncEngine:
    """An engine with pool health checks, so a restarted database does not fail the next call."""
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """`pool_pre_ping`, but only for connections that have been idle a while.

    SQLAlchemy's own pre-ping costs three round trips with asyncpg (BEGIN, `;`, ROLLBACK) on
    every checkout: on a hot read path that was more than the read itself. A connection checked
    in moments ago is as alive as a ping would show; one that sat idle (a database restart, a
    proxy's idle timeout) is pinged, and a dead one is replaced before anyone uses it.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("idle connection failed its ping") from exc


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """One business transaction: state changes and the events they raise commit together.

    Handlers call `publish()`; the boundary (a request or a consumer) calls `commit()`.
    Leaving the block without committing rolls everything back, events included.
    """

    def __init__(self, session: AsyncSession, source: str) -> None:
        self.session = session
        self.source = source

    async def publish(self, event: IntegrationEvent) -> None:
        """Append `event` to the outbox in this transaction; it is sent only if we commit."""
        await append_to_outbox(self.session, event, source=self.source)

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], source: str
) -> AsyncIterator[UnitOfWork]:
    async with sessions() as session:
        uow = UnitOfWork(session, source)
        try:
            yield uow
        finally:
            if session.in_transaction():
                await session.rollback()
