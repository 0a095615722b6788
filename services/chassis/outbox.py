"""The transactional outbox: events are rows written in the same transaction as the change.

The relay (`relay.py`) publishes them. Rows are kept after sending for the retention period,
because the embedded broker keeps messages in memory only and a replay is how it recovers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope, IntegrationEvent
from services.chassis.tracing import current_trace_headers

#: Tables the chassis owns in every service database (outbox, inbox). Migrations create them.
messaging_metadata = MetaData()

#: Channel the relay LISTENs on; NOTIFY is delivered only when the writing transaction commits.
OUTBOX_CHANNEL = "convene_outbox"

outbox_table = Table(
    "outbox",
    messaging_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("key", Text, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("lease_owner", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    Index("ix_outbox_unsent_key", "topic", "key", "id", postgresql_where=text("sent_at IS NULL")),
    Index("ix_outbox_created_at", "created_at"),
)


async def append_to_outbox(session: AsyncSession, event: IntegrationEvent, *, source: str) -> str:
    """Add `event` to the outbox within the session's transaction; returns the event id.

    The current trace context is stored with the row, so the consumer's span joins the trace
    of the request that caused the event, however late the relay sends it.
    """
    envelope = Envelope.wrap(event, source=source)
    headers = [[name, raw.decode()] for name, raw in envelope.headers()]
    headers += [[name, value] for name, value in current_trace_headers().items()]
    await session.execute(
        outbox_table.insert().values(
            event_id=envelope.id,
            event_type=envelope.type,
            topic=event.topic,
            key=envelope.subject,
            headers=headers,
            value=envelope.value(),
        )
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
    return envelope.id
