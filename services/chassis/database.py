"""The async engine, sessions and the unit of work that commits state and events together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from contracts import IntegrationEvent
from services.chassis.outbox import append_to_outbox


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, **kwargs: Any
) -> AsyncEngine:
    """An engine with pool health checks, so a restarted database does not fail the next call."""
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, **kwargs
    )


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
