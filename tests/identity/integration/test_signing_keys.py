"""The signing-key store reads only; the start-up worker creates the first key and commits.

Each test runs on a database of its own, migrated and empty, as a new deployment starts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.chassis.migrations import upgrade_to_head
from services.chassis.runtime import ServiceRuntime
from services.identity.adapters.orm import SigningKey
from services.identity.adapters.signing_keys import NoSigningKey, SigningKeys, signing_keys_of
from services.identity.bootstrap import SERVICE, operator_token
from services.identity.config import IdentitySettings
from services.identity.entrypoints.worker import FirstSigningKey


@pytest.fixture
async def fresh_identity(infrastructure) -> AsyncIterator[ServiceRuntime]:  # type: ignore[no-untyped-def]
    url = await infrastructure.create_database(f"identity_keys_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade_to_head, SERVICE.migrations, url)
    settings = IdentitySettings(
        database_url=url, kafka_bootstrap_servers=infrastructure.kafka_bootstrap
    )
    runtime = ServiceRuntime(SERVICE, settings)  # not started: no broker, no workers
    yield runtime
    await runtime.stop()


async def _key_rows(runtime: ServiceRuntime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SigningKey)) or 0)


async def test_reading_an_empty_key_table_writes_nothing(fresh_identity) -> None:
    keys = SigningKeys(fresh_identity.sessions, first_key_wait=timedelta(0))
    with pytest.raises(NoSigningKey):
        await keys.active()
    assert await keys.jwks() == {"keys": []}
    assert await keys.key_for("any") is None
    assert await _key_rows(fresh_identity) == 0


async def test_the_worker_creates_the_first_key_once_and_waiting_readers_get_it(
    fresh_identity,
) -> None:
    keys = signing_keys_of(fresh_identity)
    # A request that arrives as the service starts waits for the worker's first key.
    waiting = asyncio.create_task(keys.active())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    worker = FirstSigningKey(fresh_identity)
    kid = await worker.tick()
    assert kid is not None
    assert (await waiting).kid == kid
    assert await worker.tick() is None  # one key is enough
    assert await _key_rows(fresh_identity) == 1
    assert [key["kid"] for key in (await keys.jwks())["keys"]] == [kid]


async def test_issue_token_creates_the_first_key_before_the_service_ever_ran(
    fresh_identity,
) -> None:
    import jwt

    token = await operator_token(
        fresh_identity.engine,
        subject="operator",
        roles=["programme_admin"],
        issuer="convene-identity",
        audience="convene",
        ttl_seconds=60,
    )
    keys = signing_keys_of(fresh_identity)
    public = await keys.key_for(jwt.get_unverified_header(token)["kid"])
    assert public is not None
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="convene")
    assert claims["sub"] == "operator"
    assert claims["roles"] == ["programme_admin"]
    assert await _key_rows(fresh_identity) == 1
