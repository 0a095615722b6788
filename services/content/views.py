"""Read-side queries for content's API: feeds, search, lists. Audience is enforced here."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    any_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String, Uuid

from services.chassis.pagination import Cursor
from services.chassis.problems import Problem
from services.content.adapters.orm import (
    Cohort,
    Digest,
    Document,
    Item,
    ItemAuditEntry,
    Member,
    MemberCohort,
    PublishedItem,
    Read,
    RsvpRow,
    Topic,
    TopicPreference,
)
from services.content.domain import ranking
from services.content.domain.model import ItemStatus


@dataclass(frozen=True)
class ReaderContext:
    """A member as the read side sees them: their profile, cohorts and topic choices."""

    member_id: UUID
    reader: ranking.Reader

    @property
    def cohort_ids(self) -> list[UUID]:
        return list(self.reader.cohorts)


async def reader_context(session: AsyncSession, member_id: UUID) -> ReaderContext:
    member = await session.get(Member, member_id)
    cohorts = (
        await session.execute(
            select(MemberCohort.cohort_id, func.coalesce(Cohort.name, "your cohort"))
            .outerjoin(Cohort, Cohort.cohort_id == MemberCohort.cohort_id)
            .where(MemberCohort.member_id == member_id)
        )
    ).all()
    preferences = (
        await session.execute(
            select(TopicPreference.topic, TopicPreference.mode).where(
                TopicPreference.member_id == member_id
            )
        )
    ).all()
    return ReaderContext(
        member_id,
        ranking.Reader(
            sector=member.sector if member else None,
            region=member.region if member else None,
            expertise=tuple(member.expertise) if member else (),
            cohorts={cohort_id: name for cohort_id, name in cohorts},
            followed_topics=tuple(t for t, mode in preferences if mode == "follow"),
            muted_topics=tuple(t for t, mode in preferences if mode == "mute"),
        ),
    )


def _texts(values: Sequence[str]) -> Any:
    return cast(literal(list(values), ARRAY(String)), ARRAY(String))


Table = type[Item] | type[PublishedItem]


def permitted(context: ReaderContext, table: Table = Item) -> ColumnElement[bool]:
    """Published items this member may see (mirrors `domain.model.may_see`)."""
    audience: list[ColumnElement[bool]] = [table.audience == "everyone"]
    if context.reader.cohorts:
        audience.append(
            and_(
                table.audience == "cohorts",
                table.audience_cohort_ids.overlap(
                    cast(literal(context.cohort_ids, ARRAY(Uuid)), ARRAY(Uuid))
                ),
            )
        )
    if context.reader.sector:
        audience.append(
            and_(
                table.audience == "sectors",
                table.audience_sectors.contains(_texts([context.reader.sector])),
            )
        )
    if table is Item:
        return and_(Item.status == ItemStatus.PUBLISHED.value, or_(*audience))
    return or_(*audience)


def _overlaps(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    return column.overlap(_texts(values)) if values else false()


def _read_by(member_id: UUID, table: Table = Item) -> ColumnElement[bool]:
    return exists().where(Read.member_id == member_id, Read.item_id == table.id)


def score_expression(
    context: ReaderContext, now: datetime, table: Table = PublishedItem
) -> ColumnElement[float]:
    """`domain.ranking.explain`'s score, in SQL, so PostgreSQL orders the candidates."""
    reader = context.reader
    # date_part is double precision (extract is numeric, slower per row), and
    # exp(-k * age) is 0.5 ** (age / half-life).
    age_seconds = func.greatest(
        literal(now.timestamp(), Float) - func.date_part("epoch", table.published_at),
        literal(0.0, Float),
    )
    recency = func.exp(-math.log(2) / (ranking.RECENCY_HALF_LIFE_DAYS * 86_400) * age_seconds)

    def weight(condition: ColumnElement[bool], value: float) -> ColumnElement[float]:
        return case((condition, value), else_=0.0)

    cohort_match: ColumnElement[bool] = (
        table.audience_cohort_ids.overlap(
            cast(literal(context.cohort_ids, ARRAY(Uuid)), ARRAY(Uuid))
        )
        if reader.cohorts
        else false()
    )
    sector = [reader.sector] if reader.sector else []
    region = [reader.region] if reader.region else []
    score = (
        cast(ranking.W_RECENCY * recency, Float)
        + weight(_overlaps(table.sectors, sector), ranking.W_SECTOR)
        + weight(_overlaps(table.regions, region), ranking.W_REGION)
        + weight(_overlaps(table.expertise, reader.expertise), ranking.W_EXPERTISE)
        + weight(cohort_match, ranking.W_COHORT)
        + weight(_overlaps(table.topics, reader.followed_topics), ranking.W_FOLLOWED_TOPIC)
        - weight(_read_by(context.member_id, table), ranking.W_ALREADY_READ)
    )
    return cast(score, Float)


# -- cursors over a float sort key -----------------------------------------------------------


@dataclass(frozen=True)
class RankCursor:
    """Position in a list ordered by (value desc, id desc), with the clock the list used."""

    value: float
    id: UUID
    now: datetime | None = None

    def encode(self) -> str:
        raw = json.dumps([self.value, str(self.id), self.now.isoformat() if self.now else None])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> RankCursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            value, id_, now = json.loads(base64.urlsafe_b64decode(padded))
            return cls(
                float(value), UUID(id_), datetime.fromisoformat(now) if now is not None else None
            )
        except (ValueError, TypeError) as exc:
            raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc


def _page_after(
    query: Select[Any], value: Any, after: RankCursor | None, table: Table = Item
) -> Select[Any]:
    if after is not None:
        query = query.where(
            tuple_(value, table.id) < tuple_(literal(after.value, Float), literal(after.id))
        )
    return query.order_by(value.desc(), table.id.desc())


# -- feed, search, topic feeds ----------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    item: Item
    read: bool
    ranked: ranking.Ranked
    score: float


def _candidate(item: Item, read: bool) -> ranking.Candidate:
    assert item.published_at is not None
    return ranking.Candidate(
        published_at=item.published_at,
        sectors=item.sectors,
        regions=item.regions,
        expertise=item.expertise,
        topics=item.topics,
        audience_cohorts=item.audience_cohort_ids,
        read=read,
    )


async def feed(
    session: AsyncSession,
    context: ReaderContext,
    *,
    now: datetime,
    limit: int,
    after: RankCursor | None,
    exclude: ColumnElement[bool] | None = None,
    since: datetime | None = None,
) -> list[FeedEntry]:
    """The member's items, best first, each with the reasons it is there.

    PostgreSQL scores every item the member may see (over the narrow `published_items`) and
    returns one page of ids; only that page's items are loaded and explained.
    """
    table = PublishedItem
    score = score_expression(context, now, table)
    read = _read_by(context.member_id, table)
    query = select(table.id, read.label("read"), score.label("score")).where(
        permitted(context, table)
    )
    if context.reader.muted_topics:
        query = query.where(not_(table.topics.overlap(_texts(context.reader.muted_topics))))
    if exclude is not None:
        query = query.where(not_(exclude))
    if since is not None:
        query = query.where(table.published_at >= since)
    ranked = (await session.execute(_page_after(query, score, after, table).limit(limit))).all()
    items = {
        item.id: item
        for item in await session.scalars(
            select(Item).where(Item.id.in_([row.id for row in ranked]))
        )
    }
    entries = []
    for row in ranked:
        item = items[row.id]
        was_read = bool(row.read)
        entries.append(
            FeedEntry(
                item,
                was_read,
                ranking.explain(_candidate(item, was_read), context.reader, now),
                float(row.score),
            )
        )
    return entries


def already_seen_by(member_id: UUID) -> ColumnElement[bool]:
    """Items (in `feed`'s terms) the member has read or was already sent in a digest."""
    return or_(
        _read_by(member_id, PublishedItem),
        exists().where(Digest.member_id == member_id, PublishedItem.id == any_(Digest.item_ids)),
    )


@dataclass(frozen=True)
class SearchHit:
    item: Item
    rank: float


async def search(
    session: AsyncSession,
    context: ReaderContext,
    *,
    text: str | None,
    topic: str | None,
    kind: str | None,
    limit: int,
    after: RankCursor | None,
) -> list[SearchHit]:
    """Published items the member may see, matching `text` (PostgreSQL full-text search,
    English stemming, web-search syntax: "quoted phrase", or, -not), best match first; without
    `text`, newest first."""
    if text:
        tsquery = func.websearch_to_tsquery("english", text)
        value: ColumnElement[float] = cast(func.ts_rank_cd(Item.search, tsquery), Float)
        condition: ColumnElement[bool] = Item.search.op("@@")(tsquery)
    else:
        value = cast(func.extract("epoch", Item.published_at), Float)
        condition = true()
    query = select(Item, value.label("rank")).where(permitted(context), condition)
    if topic:
        query = query.where(Item.topics.contains(_texts([topic])))
    if kind:
        query = query.where(Item.kind == kind)
    rows = (await session.execute(_page_after(query, value, after).limit(limit))).all()
    return [SearchHit(item, float(rank)) for item, rank in rows]


async def topic_items(
    session: AsyncSession, context: ReaderContext, topic: str, *, limit: int
) -> Sequence[Item]:
    """Newest published items of a topic this member may see (for the topic's Atom feed)."""
    return (
        await session.scalars(
            select(Item)
            .where(permitted(context), Item.topics.contains(_texts([topic])))
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(limit)
        )
    ).all()


async def member_by_feed_token(session: AsyncSession, token_hash: str) -> Member | None:
    member: Member | None = await session.scalar(
        select(Member).where(Member.feed_token_hash == token_hash)
    )
    return member


# -- curation --------------------------------------------------------------------------------


async def list_items(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    limit: int,
    after: Cursor | None,
) -> Sequence[Item]:
    query = select(Item).order_by(Item.created_at.desc(), Item.id.desc())
    if status:
        query = query.where(Item.status == status)
    if kind:
        query = query.where(Item.kind == kind)
    if after is not None:
        query = query.where(
            tuple_(Item.created_at, Item.id) < tuple_(literal(after.created_at), literal(after.id))
        )
    return (await session.scalars(query.limit(limit))).all()


async def item_audit(session: AsyncSession, item_id: UUID) -> Sequence[ItemAuditEntry]:
    return (
        await session.scalars(
            select(ItemAuditEntry)
            .where(ItemAuditEntry.item_id == item_id)
            .order_by(ItemAuditEntry.id)
        )
    ).all()


async def topics(session: AsyncSession) -> Sequence[Topic]:
    return (await session.scalars(select(Topic).order_by(Topic.name))).all()


async def topic_preferences(session: AsyncSession, member_id: UUID) -> Sequence[TopicPreference]:
    return (
        await session.scalars(
            select(TopicPreference)
            .where(TopicPreference.member_id == member_id)
            .order_by(TopicPreference.topic)
        )
    ).all()


async def visible_item(session: AsyncSession, item_id: UUID, context: ReaderContext) -> Item | None:
    item: Item | None = await session.scalar(
        select(Item).where(Item.id == item_id, permitted(context))
    )
    return item


async def attendees(session: AsyncSession, item_id: UUID) -> Sequence[RsvpRow]:
    return (
        await session.scalars(
            select(RsvpRow)
            .where(RsvpRow.item_id == item_id, RsvpRow.status != "cancelled")
            .order_by(RsvpRow.status, RsvpRow.requested_at, RsvpRow.member_id)
        )
    ).all()


async def places_taken(session: AsyncSession, item_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(RsvpRow.item_id == item_id, RsvpRow.status == "confirmed")
    )
    return count or 0


async def item(session: AsyncSession, item_id: UUID) -> Item | None:
    """Any item, whatever its status (for curators)."""
    return await session.get(Item, item_id)


async def topic(session: AsyncSession, slug: str) -> Topic | None:
    return await session.get(Topic, slug)


async def member(session: AsyncSession, member_id: UUID) -> Member | None:
    return await session.get(Member, member_id)


async def rsvp(session: AsyncSession, item_id: UUID, member_id: UUID) -> RsvpRow | None:
    return await session.get(RsvpRow, (item_id, member_id))


async def document(session: AsyncSession, item_id: UUID) -> Document | None:
    return await session.get(Document, item_id)
