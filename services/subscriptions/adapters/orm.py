"""Subscriptions' tables; only this service reads or writes them.

`public_events` is the ordered log every path reads: the pull feed pages through it, fan-out
queues `deliveries` from it, replay re-queues from it. `sequence` is assigned under one
advisory lock per transaction, so it grows in commit order and a reader never sees a gap
filled in later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


class PublicEvent(Base):
    """One public event, stored once, with its CloudEvents attributes."""

    __tablename__ = "public_events"

    sequence: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    traceparent: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        Index("ix_public_events_type_sequence", "event_type", "sequence"),
        Index("ix_public_events_received_at", "received_at"),
    )


class Subscriber(Base):
    """A department's service account as its latest token described it (scopes shrink here)."""

    __tablename__ = "subscribers"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(250)))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Endpoint(Base):
    __tablename__ = "endpoints"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    subscriber: Mapped[str] = mapped_column(
        String(200), ForeignKey("subscribers.subject"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    #: pending (registered, not yet verified) → active; disabled by its owner.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    #: `whsec_<base64>`; kept readable because signing needs it.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One event owed to one endpoint. pending → delivered, parked (dead letter) or dropped
    (the subscriber lost the scope before it went)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[UUID] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("public_events.sequence", ondelete="CASCADE")
    )
    #: The event's subject: deliveries of one key to one endpoint go one at a time, in order.
    event_key: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_deliveries_pending",
            "endpoint_id",
            "event_key",
            "sequence",
            postgresql_where="state = 'pending'",
        ),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="state = 'pending'"),
        Index("ix_deliveries_endpoint_state", "endpoint_id", "state", "id"),
    )


class DeliveryAttempt(Base):
    """The delivery log: one row per POST to an endpoint."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[UUID] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    delivery_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_delivery_attempts_endpoint", "endpoint_id", "id"),)
