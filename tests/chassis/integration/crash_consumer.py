"""A consumer process killed right after its first database commit, before its offset commit.

Run by test_consumer_crash_recovery.py as `python crash_consumer.py`. Settings come from
CRASH_DATABASE_URL, CRASH_BOOTSTRAP, CRASH_TOPIC and CRASH_GROUP. The kill is a SQLAlchemy
`after_commit` listener on this script's own session class, so production code has no hook.
Exit status: 137 when killed as planned; 3 when no record arrived within a minute.
"""

from __future__ import annotations

import asyncio
import os
import sys

from chassis_support import SOURCE, group_consumer, write_effect
from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session

from contracts.events.identity import MemberInvitedV1
from services.chassis.config import KafkaSettings
from services.chassis.consumer import EventConsumer
from services.chassis.database import create_engine
from services.chassis.kafka import create_producer

KILLED = 137


class KilledAfterCommit(Session):
    """A session whose process dies the moment one of its transactions has committed."""


@event.listens_for(KilledAfterCommit, "after_commit")
def _die(session: Session) -> None:
    os._exit(KILLED)


async def main() -> int:
    settings = KafkaSettings(kafka_bootstrap_servers=os.environ["CRASH_BOOTSTRAP"])
    group, topic = os.environ["CRASH_GROUP"], os.environ["CRASH_TOPIC"]
    engine = create_engine(os.environ["CRASH_DATABASE_URL"])
    sessions = async_sessionmaker(
        engine, expire_on_commit=False, sync_session_class=KilledAfterCommit
    )
    kafka = group_consumer(settings, group, topic)
    producer = create_producer(settings, client_id=group)
    await kafka.start()
    await producer.start()
    consumer = EventConsumer(
        name=group,
        handlers={MemberInvitedV1.event_type: write_effect},
        consumer=kafka,
        producer=producer,
        sessions=sessions,
        source=SOURCE,
    )
    try:
        async with asyncio.timeout(60):
            await consumer.run()
    except TimeoutError:
        return 3
    finally:
        await kafka.stop()
        await producer.stop()
        await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
