"""Create every contract topic and its dead-letter topic: `python -m services.chassis.topics`.

Reads KAFKA_BOOTSTRAP_SERVERS, TOPIC_PARTITIONS (3), TOPIC_REPLICATION_FACTOR (1) and
TOPIC_RETENTION_MS (optional). Existing topics are left as they are.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import Field
from pydantic_settings import BaseSettings

from services.chassis.config import load_settings
from services.chassis.kafka import BrokerUnavailable, ensure_topics


class TopicSettings(BaseSettings):
    kafka_bootstrap_servers: str = Field(min_length=1)
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    topic_retention_ms: int | None = None


def main() -> None:
    settings = load_settings(TopicSettings, "convene-topics")
    config = {}
    if settings.topic_retention_ms is not None:
        config["retention.ms"] = str(settings.topic_retention_ms)
    try:
        created = asyncio.run(
            ensure_topics(
                settings.kafka_bootstrap_servers,
                partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                config=config,
            )
        )
    except BrokerUnavailable as exc:
        sys.exit(f"convene-topics: {exc}")
    print(f"convene-topics: created {len(created)} topics: {', '.join(created) or 'none needed'}")


if __name__ == "__main__":
    main()
