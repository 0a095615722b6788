"""Small things many tests need (importable as `support`: tests/ is on sys.path)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn

from devstack.postgres import free_port
from services.chassis.serving import server_config

T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_email(prefix: str = "leader") -> str:
    return f"{unique(prefix)}@example.gov.uk"


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 15.0) -> T:
    """Await `check()` until it returns something truthy; fail with its last result otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    result: T | None = None
    while loop.time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s (last result: {result!r})")


async def link_in_mailbox(mailbox, to: str, *, template: str, timeout: float = 15.0) -> str:  # type: ignore[no-untyped-def]
    """The token of the newest `template` email to `to`, as the person would click it."""
    import re

    async def find() -> str | None:
        for message in mailbox.messages():
            if message.to == to and message.template == template:
                match = re.search(r"token=([A-Za-z0-9_\-]+)", message.body)
                if match:
                    return match.group(1)
        return None

    return await eventually(find, timeout=timeout)


async def events_on_topic(
    bootstrap: str, topic: str, key: str, *, want: int, timeout: float = 20.0
) -> list[Any]:
    """The events published on `topic` with message key `key` (the aggregate id), read from
    the real broker as a subscriber would; stops at `want` events or after `timeout` s."""
    from aiokafka import AIOKafkaConsumer

    from contracts import Envelope

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and len(found) < want:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                found += [
                    Envelope.from_kafka(record.headers, record.value)
                    for record in records
                    if record.key == key.encode()
                ]
    finally:
        await consumer.stop()
    return found


@asynccontextmanager
async def served(app: Any, **config: Any) -> AsyncIterator[str]:
    """`app` served as in production (`config` overriding) on a free loopback port in this
    process: its URL."""
    port = free_port()
    server = uvicorn.Server(
        server_config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
