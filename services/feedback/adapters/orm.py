"""Feedback's tables; only this service reads or writes them.

Anonymity is a property of the schema: responses, statements, votes and group placements are
keyed by a per-campaign pseudonym (see `domain.model.pseudonym`) and carry no member id, no
serial number and no time finer than a day (a time or an order would let anyone with request
logs match a row to a person). Only an
attributed campaign's response row names its member. The one table naming members,
`member_salts`, holds random salts: useless without the service key, and deleted on erasure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


# -- projections of other services' data ------------------------------------------------------


class Member(Base):
    """A member as identity (and, for sector and region, directory) described them."""

    __tablename__ = "members"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    sector: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))


class MemberCohort(Base):
    __tablename__ = "member_cohorts"

    member_id: Mapped[UUID] = mapped_column(
        ForeignKey("members.member_id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[UUID] = mapped_column(primary_key=True)
    cohort_name: Mapped[str] = mapped_column(String(200))
    cohort_year: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MemberSalt(Base):
    """Per-member random salt for pseudonyms; deleting it severs every link (crypto-shredding)."""

    __tablename__ = "member_salts"

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary)


# -- campaigns --------------------------------------------------------------------------------


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_created", "created_at", "id"),
        Index("ix_campaigns_clock", "status", "opens_at", "closes_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(1000))
    context: Mapped[str] = mapped_column(Text, default="")
    audience_kind: Mapped[str] = mapped_column(String(20))
    audience_cohort_id: Mapped[UUID | None] = mapped_column()
    audience_sectors: Mapped[list[str]] = mapped_column(ARRAY(String(120)), default=list)
    anonymity: Mapped[str] = mapped_column(String(20))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Response(Base):
    """One participant's answers. `member_id` is set only in attributed campaigns."""

    __tablename__ = "responses"

    campaign_id: Mapped[UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[UUID | None] = mapped_column(index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class Statement(Base):
    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_campaign", "campaign_id", "status", "seq"),
        Index("ux_statements_text", "campaign_id", "normalised_text", unique=True),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    #: A random ordering key, drawn once (not the order of submission, which would line
    #: statements up with request logs); lists and page cursors follow it.
    seq: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(400))
    normalised_text: Mapped[str] = mapped_column(String(400))
    #: Null for statements seeded by an admin.
    author_pseudonym: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    moderated_by: Mapped[str | None] = mapped_column(String(100))
    #: The day only (midnight UTC), like every time near a participant's row.
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementVote(Base):
    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_campaign", "campaign_id"),)

    statement_id: Mapped[UUID] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)


# -- reports ----------------------------------------------------------------------------------


class Report(Base):
    __tablename__ = "reports"

    campaign_id: Mapped[UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    final: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The `CampaignReportPublishedV1` document, exactly as published.
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    #: Cells the version rules hid in this version (names never published): later versions
    #: keep them hidden. Aggregate keys only, nothing about any one respondent.
    hidden_cells: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    html: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)


class GroupPlacement(Base):
    """Which opinion group a participant fell in, in the latest report (groups are >= k)."""

    __tablename__ = "group_placements"

    campaign_id: Mapped[UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_label: Mapped[str] = mapped_column(String(8))


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_campaign", "campaign_id", "posted_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    you_said: Mapped[str] = mapped_column(String(2000))
    we_did: Mapped[str] = mapped_column(String(4000))
    posted_by: Mapped[str] = mapped_column(String(100))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
