"""What members read: their ranked feed, search, and a topic's newest items, each only of the
items they may see (`readers.permitted`)."""

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
from sqlalchemy.types import Uuid

from services.chassis.problems import Problem
from services.content.adapters.orm import Digest, Item, PublishedItem, Read
from services.content.domain import ranking
from services.content.views.readers import ReaderContext, Table, permitted, texts


def _overlaps(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    return column.overlap(texts(values)) if values else false()


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
        query = query.where(not_(table.topics.overlap(texts(context.reader.muted_topics))))
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
        query = query.where(Item.topics.contains(texts([topic])))
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
            .where(permitted(context), Item.topics.contains(texts([topic])))
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(limit)
        )
    ).all()
