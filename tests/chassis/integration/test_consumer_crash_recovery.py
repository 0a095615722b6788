"""A consumer killed after its effect committed but before its offset did: the event comes
back, and the inbox makes the second delivery a no-op."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from chassis_support import SOURCE, count_effects, invitation, produce_envelope, write_effect

import services
from contracts.envelope import Envelope
from contracts.events.identity import MemberInvitedV1

CRASH_CONSUMER = Path(__file__).with_name("crash_consumer.py")
#: The checkout this test process imported the chassis from; the subprocess must use the same.
SOURCE_ROOT = Path(services.__file__).resolve().parent.parent
KILLED = 137


async def committed_offset(bootstrap: str, group: str, partition: TopicPartition) -> int | None:
    """The group's committed offset, asked by a client that does not join the group."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return await reader.committed(partition)
    finally:
        await reader.stop()


async def test_killed_between_effect_commit_and_offset_commit_applies_once(
    topic, producer, engine, bootstrap, chassis_database_url, start_consumer, spans
) -> None:
    group = f"chassis-crash-{uuid.uuid4().hex[:12]}"
    envelope = Envelope.wrap(invitation(), source=SOURCE)
    offset = await produce_envelope(producer, topic, envelope)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CRASH_CONSUMER),
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")])
            ),
            "CRASH_DATABASE_URL": chassis_database_url,
            "CRASH_BOOTSTRAP": bootstrap,
            "CRASH_TOPIC": topic,
            "CRASH_GROUP": group,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == KILLED, output.decode(errors="replace")
    assert await count_effects(engine, envelope.id) == 1
    partition = TopicPartition(topic, 0)
    committed = await committed_offset(bootstrap, group, partition)
    assert committed is None or committed <= offset, "offset committed before the effect was"

    calls: list[str] = []

    async def handler(uow, event, envelope) -> None:
        calls.append(envelope.id)
        await write_effect(uow, event, envelope)

    consumer = await start_consumer({MemberInvitedV1.event_type: handler}, group=group)
    await consumer.wait_until_committed(offset + 1)

    assert calls == [], "the handler ran again for an event already applied"
    assert await count_effects(engine, envelope.id) == 1
    redelivered = [
        span
        for span in spans.get_finished_spans()
        if span.attributes.get("messaging.consumer.group.name") == group
        and span.attributes.get("messaging.message.id") == envelope.id
    ]
    assert [span.attributes.get("convene.duplicate") for span in redelivered] == [True]
