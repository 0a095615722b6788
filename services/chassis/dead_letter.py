"""Dead-letter topics: where a consumer parks an event it cannot apply, and keeps going."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from opentelemetry import metrics

from contracts.registry import dead_letter_topic

dlq_counter = metrics.get_meter("convene.chassis").create_counter(
    "convene.dlq.messages", unit="{message}", description="Events sent to a dead-letter topic"
)


async def send_to_dead_letter(
    producer: AIOKafkaProducer,
    record: ConsumerRecord[bytes, bytes],
    *,
    consumer: str,
    error: BaseException,
    attempts: int,
) -> None:
    """Copy `record` unchanged to `<topic>.dlq`, with why and where in `dlq-*` headers.

    Waits for the broker's acknowledgement: the caller commits the offset only after this.
    """
    headers = [
        *(record.headers or ()),
        ("dlq-error-class", type(error).__name__.encode()),
        ("dlq-error-message", str(error)[:1000].encode()),
        ("dlq-consumer", consumer.encode()),
        ("dlq-original-topic", record.topic.encode()),
        ("dlq-original-partition", str(record.partition).encode()),
        ("dlq-original-offset", str(record.offset).encode()),
        ("dlq-attempts", str(attempts).encode()),
    ]
    await producer.send_and_wait(
        dead_letter_topic(record.topic), record.value, key=record.key, headers=headers
    )
    dlq_counter.add(1, {"topic": record.topic, "consumer": consumer})
