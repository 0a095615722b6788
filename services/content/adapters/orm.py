"""Content's tables; only this service reads or writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


#: Weighted English full-text document of an item: title, then summary, then body.
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body_text, '')), 'C')"
)


class Item(Base):
    """An article, event, resource or support offer, at whatever point of curation it is."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_created", "created_at", "id"),
        Index("ix_items_published", "published_at", postgresql_where=text("status = 'published'")),
        Index("ix_items_due", "publish_at", postgresql_where=text("status = 'scheduled'")),
        Index("ix_items_topics", "topics", postgresql_using="gin"),
        Index("ix_items_search", "search", postgresql_using="gin"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600), default="")
    #: As the curator wrote it; `body_html` is the sanitised rendering shown to members.
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    expertise: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    audience: Mapped[str] = mapped_column(String(20))
    audience_cohort_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    audience_sectors: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    # Events
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(2000))
    #: None: no limit on places.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Resources
    link_url: Mapped[str | None] = mapped_column(String(2000))
    document_type: Mapped[str | None] = mapped_column(String(20))
    document_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # Support offers
    offer_type: Mapped[str | None] = mapped_column(String(40))
    how_to_join: Mapped[str | None] = mapped_column(String(600))
    # Workflow
    author_id: Mapped[str] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: 0 until published; +1 with each published change (the events' `version`).
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: A curator shared it with other departments (public events, issue 9); everyone-items only.
    shared_with_departments: Mapped[bool] = mapped_column(Boolean, default=False)
    search: Mapped[Any] = mapped_column(TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True))


class PublishedItem(Base):
    """The ranking columns of each published item, and nothing else.

    Kept in step with `items` by the handlers, in the same transaction: a row appears when an
    item is published, changes with it, and goes when it is withdrawn. The feed scores every
    item a member may see on each request, so it scans these narrow rows, not whole articles.
    """

    __tablename__ = "published_items"
    __table_args__ = (Index("ix_published_items_published_at", "published_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    expertise: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    audience: Mapped[str] = mapped_column(String(20))
    audience_cohort_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid))
    audience_sectors: Mapped[list[str]] = mapped_column(ARRAY(String(80)))


class ItemAuditEntry(Base):
    """Every workflow step, who took it, when. Append-only: a trigger refuses change."""

    __tablename__ = "item_audit"
    __table_args__ = (Index("ix_item_audit_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_id: Mapped[UUID]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Topic(Base):
    __tablename__ = "topics"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(600), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Member(Base):
    """This service's projection of a member: from identity (name, email, status), the
    directory or the member (sector, region, expertise) and their own choices here."""

    __tablename__ = "members"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sector: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))
    expertise: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    #: "member" (set through our API) or "directory" (from profile events, which then win).
    profile_source: Mapped[str] = mapped_column(String(20), default="member")
    digest_weekly: Mapped[bool] = mapped_column(Boolean, default=True)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_token_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Cohort(Base):
    __tablename__ = "cohorts"

    cohort_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class MemberCohort(Base):
    __tablename__ = "member_cohorts"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    cohort_id: Mapped[UUID] = mapped_column(primary_key=True)


class TopicPreference(Base):
    __tablename__ = "topic_preferences"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: "follow" or "mute".
    mode: Mapped[str] = mapped_column(String(10))


class Read(Base):
    __tablename__ = "reads"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RsvpRow(Base):
    """One member's place (or place in the queue) at one event."""

    __tablename__ = "rsvps"
    __table_args__ = (
        Index("ix_rsvps_queue", "item_id", "status", "requested_at"),
        Index("ix_rsvps_member", "member_id"),
    )

    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    #: "confirmed", "waitlisted" or "cancelled".
    status: Mapped[str] = mapped_column(String(12))
    #: Queue order: a re-RSVP after cancelling joins at the back.
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Digest(Base):
    """A member's weekly digest: what it held, so next week's holds something new."""

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_week", "week"),)

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    message_id: Mapped[UUID | None]
    item_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Document(Base):
    """An uploaded file attached to a resource."""

    __tablename__ = "documents"

    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LinkSecret(Base):
    """The key that signs unsubscribe links, made on first use (unless set in settings)."""

    __tablename__ = "link_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)


metadata = Base.metadata
