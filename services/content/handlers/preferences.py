"""A member's own choices: topics followed or muted, the weekly digest, their feed token."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.content.adapters.orm import Member, Topic, TopicPreference
from services.content.domain import commands, links
from services.content.domain.errors import TopicNotFound
from services.content.domain.model import slugify
from services.content.handlers.members import locked_member


async def set_topic_preference(command: commands.SetTopicPreference, uow: UnitOfWork) -> None:
    topic = slugify(command.topic)
    if await uow.session.get(Topic, topic) is None:
        raise TopicNotFound(topic)
    if command.mode is None:
        await uow.session.execute(
            delete(TopicPreference).where(
                TopicPreference.member_id == command.member_id, TopicPreference.topic == topic
            )
        )
        return
    await uow.session.execute(
        insert(TopicPreference)
        .values(member_id=command.member_id, topic=topic, mode=command.mode)
        .on_conflict_do_update(index_elements=["member_id", "topic"], set_={"mode": command.mode})
    )


async def set_digest_preference(command: commands.SetDigestPreference, uow: UnitOfWork) -> Member:
    member = await locked_member(uow, command.member_id)
    member.digest_weekly = command.weekly
    return member


async def issue_feed_token(command: commands.IssueFeedToken, uow: UnitOfWork) -> str:
    """A new token for the member's Atom feeds; any earlier one stops working."""
    member = await locked_member(uow, command.member_id)
    token, token_hash = links.new_feed_token()
    member.feed_token_hash, member.feed_token_created_at = token_hash, datetime.now(UTC)
    return token


async def revoke_feed_token(command: commands.RevokeFeedToken, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Member)
        .where(Member.member_id == command.member_id)
        .values(feed_token_hash=None, feed_token_created_at=None)
    )
