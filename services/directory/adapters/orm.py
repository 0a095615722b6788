"""Directory's tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """A public-sector body; seeded from data/organisations.csv, admins add more."""

    __tablename__ = "organisations"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("organisations.id"))
    #: "seed" for the committed list; otherwise the admin's member id.
    added_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExpertiseTag(Base):
    """The controlled list of expertise tags; programme admins extend it."""

    __tablename__ = "expertise_tags"

    slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    added_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Cohort(Base):
    """A programme cohort, copied from identity's events."""

    __tablename__ = "cohorts"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)


class CohortMembership(Base):
    __tablename__ = "cohort_memberships"
    __table_args__ = (Index("ix_cohort_memberships_cohort", "cohort_id", "member_id"),)

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)


class Profile(Base):
    __tablename__ = "profiles"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: The organisation as the invitation named it (free text) until one is chosen from the list.
    organisation: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("organisations.id"))
    sector: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(40))
    bio: Mapped[str | None] = mapped_column(Text)
    expertise: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    assistant_name: Mapped[str | None] = mapped_column(String(200))
    assistant_email: Mapped[str | None] = mapped_column(String(320))
    assistant_phone: Mapped[str | None] = mapped_column(String(40))
    #: Field -> Visibility for private and listed fields (see domain.model.stored_visibility).
    visibility: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    #: The public entry last sent to departments (issue 9), None when none is out there: the
    #: next change publishes only if what departments see differs from it.
    public_entry: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: False once identity deactivates the member: the profile leaves every read path.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the owner (or delegate) last said "this is still right"; freshness counts from here.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stale_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Lower-cased display name, the "name" sort key.
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    #: Only what every member may see (see adapters/search/index.py); null while a draft.
    #: Deferred: only SQL reads it, and loading it with every profile converted each vector
    #: to text and back for nothing.
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True, deferred=True)


class Photo(Base):
    __tablename__ = "photos"

    member_id: Mapped[UUID] = mapped_column(
        ForeignKey("profiles.member_id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContactRequest(Base):
    __tablename__ = "contact_requests"
    __table_args__ = (
        Index("ix_contact_requests_recipient", "recipient_id", "created_at"),
        Index("ix_contact_requests_requester", "requester_id", "created_at"),
        Index(
            "ux_contact_requests_pending_pair",
            "requester_id",
            "recipient_id",
            unique=True,
            postgresql_where="status = 'pending'",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    requester_id: Mapped[UUID] = mapped_column()
    recipient_id: Mapped[UUID] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Who pressed the button: the recipient or their delegate.
    decided_by: Mapped[UUID | None] = mapped_column()
    #: Who made the request when it was a delegate acting for the requester.
    made_by: Mapped[UUID | None] = mapped_column()


class Connection(Base):
    """An accepted contact, stored both ways round so 'my connections' is one index lookup."""

    __tablename__ = "connections"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    other_id: Mapped[UUID] = mapped_column(primary_key=True)
    request_id: Mapped[UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Block(Base):
    __tablename__ = "blocks"

    blocker_id: Mapped[UUID] = mapped_column(primary_key=True)
    blocked_id: Mapped[UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delegate(Base):
    """`delegate_id` (a private office) may act for `principal_id`."""

    __tablename__ = "delegates"
    __table_args__ = (Index("ix_delegates_delegate", "delegate_id"),)

    principal_id: Mapped[UUID] = mapped_column(primary_key=True)
    delegate_id: Mapped[UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProfileView(Base):
    __tablename__ = "profile_views"
    __table_args__ = (
        Index("ix_profile_views_profile", "profile_id", "viewed_at"),
        Index("ix_profile_views_viewer", "viewer_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    profile_id: Mapped[UUID] = mapped_column()
    viewer_id: Mapped[UUID] = mapped_column()
    viewer_is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityEntry(Base):
    """Append-only record of changes to a profile, by whom and whether as a delegate."""

    __tablename__ = "profile_activity"
    __table_args__ = (Index("ix_profile_activity_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[UUID] = mapped_column()
    actor_id: Mapped[UUID | None] = mapped_column()
    as_delegate: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProfileReport(Base):
    """Someone said a profile is out of date or its member has left."""

    __tablename__ = "profile_reports"
    __table_args__ = (Index("ix_profile_reports_member", "member_id", "created_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    member_id: Mapped[UUID] = mapped_column()
    reporter_id: Mapped[UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """A nudge for a profile's owner (stale profile, a report): the web page shows them."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SearchWord(Base):
    """Every word the search index holds, for typo tolerance (trigram lookup, then FTS)."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)


class SearchGeneration(Base):
    """One row: advanced by a trigger in every transaction that changes what search reads
    (migration 0005), so replicas know when their remembered answers no longer hold."""

    __tablename__ = "search_generation"
    __table_args__ = (CheckConstraint("id = 1"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


metadata = Base.metadata
