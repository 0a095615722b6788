"""The directory's held connection (adapters/held_connection.py): one pooled connection kept
for a hot read, replaced when the database drops it, and a 503 problem when there is no
database at all."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from devstack.postgres import free_port
from services.chassis.app import create_service_app
from services.chassis.database import DatabaseUnavailable, create_engine
from services.directory.adapters.held_connection import HeldConnection
from services.directory.bootstrap import SERVICE

BACKEND = "SELECT pg_backend_pid()"


@pytest.fixture(scope="module")
async def database_url(infrastructure) -> str:  # type: ignore[no-untyped-def]
    """An empty database of these tests' own: the statements need no tables."""
    url: str = await infrastructure.create_database("convene_held_connection_tests")
    return url


async def test_it_keeps_one_connection_and_replaces_one_the_database_dropped(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    held = HeldConnection(engine)
    admin = HeldConnection(create_engine(database_url, pool_size=1, max_overflow=0))
    try:
        first = (await held.fetch(BACKEND))[0][0]
        assert (await held.fetch(BACKEND))[0][0] == first
        # Concurrent statements queue for the one connection rather than fail.
        answers = await asyncio.gather(*(held.fetch("SELECT $1::int", n) for n in range(20)))
        assert [rows[0][0] for rows in answers] == list(range(20))

        await admin.fetch("SELECT pg_terminate_backend($1, 5000)", first)
        replacement = (await held.fetch(BACKEND))[0][0]

        assert replacement != first
    finally:
        await held.close()
        await admin.close()
        await engine.dispose()


async def test_it_gives_its_connection_back_to_the_pool(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    held = HeldConnection(engine)
    try:
        await held.fetch(BACKEND)
        await held.close()
        # The pool's only connection is free again: a checkout would otherwise wait forever.
        async with asyncio.timeout(5), engine.connect() as conn:
            assert not conn.closed
    finally:
        await engine.dispose()


async def test_a_lost_database_is_database_unavailable(database_url: str) -> None:
    dead = create_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing")
    held = HeldConnection(create_engine(database_url, pool_size=1, max_overflow=0))
    admin = HeldConnection(create_engine(database_url, pool_size=1, max_overflow=0))
    try:
        with pytest.raises(DatabaseUnavailable):
            await HeldConnection(dead).fetch(BACKEND)
        # Connected, then every backend it gets is ended at once (the database going away).
        pid = (await held.fetch(BACKEND))[0][0]
        await admin.fetch("SELECT pg_terminate_backend($1, 5000)", pid)
        with pytest.raises(DatabaseUnavailable):
            await held.fetch("SELECT pg_terminate_backend(pg_backend_pid())")
    finally:
        await held.close()
        await admin.close()
        await dead.dispose()


@pytest.mark.parametrize("path", ["/profiles?q=x", "/profiles/me"])
async def test_with_no_database_search_and_profiles_are_a_503_problem(stack, path: str) -> None:  # type: ignore[no-untyped-def]
    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    settings = stack.runtime("directory").settings.model_copy(update={"database_url": dead})
    app = create_service_app(SERVICE, settings)
    token = await stack.token(str(uuid.uuid4()))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["type"].endswith("/database-unavailable")
