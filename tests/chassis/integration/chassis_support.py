"""What the chassis tests share: example events, the effect a handler writes, topic reads.

Importable as `chassis_support`: pytest puts tests/chassis/integration on sys.path, and so
does Python for the crash_consumer.py script that lives beside it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events.identity import MemberInvitedV1
from services.chassis.config import KafkaSettings
from services.chassis.database import UnitOfWork, unit_of_work
from services.chassis.outbox import append_to_outbox

SOURCE = "/convene/chassis-test"

#: Tables the tests' handlers and business transactions write (besides the chassis's own).
#: `effects.event_id` is deliberately not unique: an event applied twice shows up as two rows,
#: where a primary key would turn the double application into an error and hide it.
TEST_TABLES = (
    """
    CREATE TABLE effects (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL,
        member_id uuid NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE TABLE members (member_id uuid PRIMARY KEY, email text NOT NULL)",
)


def group_consumer(settings: KafkaSettings, group: str, topic: str) -> AIOKafkaConsumer:
    """A consumer configured as `create_consumer` does, but with a short session timeout.

    Tansu holds a group's join for half the session timeout (5 s with aiokafka's default), and
    notices a killed member only when its session expires; 3 s keeps both short.
    """
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        client_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        max_poll_records=200,
        session_timeout_ms=3000,
        heartbeat_interval_ms=500,
    )


def invitation(member_id: uuid.UUID | None = None) -> MemberInvitedV1:
    now = datetime.now(UTC)
    return MemberInvitedV1(
        member_id=member_id or uuid.uuid4(),
        invitation_id=uuid.uuid4(),
        full_name="Ada Lovelace",
        email=f"ada-{uuid.uuid4().hex[:8]}@example.gov.uk",
        organisation="Cabinet Office",
        invited_at=now,
        expires_at=now + timedelta(days=7),
    )


async def commit_event(sessions: async_sessionmaker[AsyncSession], event: MemberInvitedV1) -> str:
    """Append `event` to the outbox in a transaction of its own and commit; returns its id."""
    async with unit_of_work(sessions, SOURCE) as uow:
        event_id = await append_to_outbox(uow.session, event, source=SOURCE)
        await uow.commit()
    return event_id


async def outbox_row(engine: AsyncEngine, event_id: str) -> RowMapping | None:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT * FROM outbox WHERE event_id = :id"), {"id": event_id}
        )
        return result.mappings().one_or_none()


async def write_effect(uow: UnitOfWork, event: MemberInvitedV1, envelope: Envelope) -> None:
    """The handler effect the tests count: one row per application of an event."""
    await uow.session.execute(
        text("INSERT INTO effects (event_id, member_id) VALUES (:event_id, :member_id)"),
        {"event_id": envelope.id, "member_id": event.member_id},
    )


async def count_effects(engine: AsyncEngine, event_id: str) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(
                    text("SELECT count(*) FROM effects WHERE event_id = :id"), {"id": event_id}
                )
            ).scalar_one()
        )


async def produce(
    producer: AIOKafkaProducer,
    topic: str,
    value: bytes | None,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> int:
    """Send one raw record and wait for the broker; returns its offset."""
    metadata = await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    return int(metadata.offset)


async def produce_envelope(producer: AIOKafkaProducer, topic: str, envelope: Envelope) -> int:
    """Send an event the way the relay does: CloudEvents binary mode, keyed by subject."""
    return await produce(
        producer, topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
    )


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` now, in partition then offset order (no consumer group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        await consumer.topics()  # loads metadata, so the topic's partitions are known
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            batches = await consumer.getmany(timeout_ms=1000)
            for batch in batches.values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    """The value of a header (the last one of that name), or None."""
    values = [value.decode() for key, value in record.headers or () if key == name]
    return values[-1] if values else None


def records_with_id(
    records: list[ConsumerRecord[bytes, bytes]], event_id: str
) -> list[ConsumerRecord[bytes, bytes]]:
    return [record for record in records if header(record, "ce_id") == event_id]
