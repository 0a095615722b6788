"""Kafka clients configured the Convene way, and topic creation from the contracts registry."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from contracts.registry import dead_letter_topic, topics
from services.chassis.config import KafkaSettings

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached; the message names the address tried."""


def create_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """acks=all; idempotence only where the broker supports it (Apache Kafka, not Tansu)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=0,
        request_timeout_ms=15_000,
    )


def create_consumer(
    settings: KafkaSettings, group_id: str, topic_names: list[str]
) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the effect commits (see consumer.py)."""
    return AIOKafkaConsumer(
        *topic_names,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=max(settings.kafka_session_timeout_ms // 3, 500),
        max_poll_records=200,
    )


async def start_client(client: AIOKafkaProducer | AIOKafkaConsumer, bootstrap: str) -> None:
    """Start a client, turning a connection failure into one clear message."""
    try:
        await client.start()
    except KafkaConnectionError as exc:
        raise BrokerUnavailable(
            f"cannot reach the Kafka broker at {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)"
        ) from exc


async def ensure_topics(
    bootstrap: str,
    names: list[str] | None = None,
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    config: dict[str, str] | None = None,
) -> list[str]:
    """Create the given topics (default: every contract topic and its dead-letter topic).

    Existing topics are left alone. Returns the names that were created.
    """
    wanted = (
        names
        if names is not None
        else [t for base in topics() for t in (base, dead_letter_topic(base))]
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="convene-topics")
    try:
        await admin.start()
    except KafkaConnectionError as exc:
        raise BrokerUnavailable(
            f"cannot reach the Kafka broker at {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)"
        ) from exc
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(name, partitions, replication_factor, topic_configs=config or {})
                        for name in missing
                    ]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return missing
    finally:
        await admin.close()
