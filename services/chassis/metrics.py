"""The chassis' own gauges: outbox backlog and age, consumer lag. Read by OTel on collection."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from services.chassis.consumer import EventConsumer
from services.chassis.relay import OutboxRelay

meter = metrics.get_meter("convene.chassis")


def observe_service(service: str, relay: OutboxRelay, consumer: EventConsumer | None) -> None:
    """Register gauges for one service's relay and consumer (values kept current by them)."""

    def backlog(_: CallbackOptions) -> Iterable[Observation]:
        yield Observation(relay.last_stats.backlog, {"service": service})

    def oldest_age(_: CallbackOptions) -> Iterable[Observation]:
        yield Observation(relay.last_stats.oldest_age_seconds, {"service": service})

    meter.create_observable_gauge(
        "convene.outbox.backlog", [backlog], unit="{event}", description="Unsent outbox rows"
    )
    meter.create_observable_gauge(
        "convene.outbox.oldest_age",
        [oldest_age],
        unit="s",
        description="Age of the oldest unsent row",
    )
    if consumer is None:
        return

    def lag(_: CallbackOptions) -> Iterable[Observation]:
        for partition, behind in consumer.lag.items():
            yield Observation(
                behind,
                {
                    "consumer_group": consumer.name,
                    "topic": partition.topic,
                    "partition": partition.partition,
                },
            )

    meter.create_observable_gauge(
        "convene.consumer.lag", [lag], unit="{message}", description="Messages not yet consumed"
    )
