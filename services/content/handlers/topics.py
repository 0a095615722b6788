"""Topics: the slugs items are filed under, and members follow or mute."""

from __future__ import annotations

from services.chassis.database import UnitOfWork
from services.content.adapters.orm import Topic
from services.content.domain import commands
from services.content.domain.errors import InvalidItem, TopicExists
from services.content.domain.model import slugify
from services.content.domain.sanitising import clean_text


async def create_topic(command: commands.CreateTopic, uow: UnitOfWork) -> Topic:
    slug = slugify(command.slug or command.name)
    if not slug:
        raise InvalidItem("A topic needs a name with letters or digits.")
    if await uow.session.get(Topic, slug) is not None:
        raise TopicExists(slug)
    topic = Topic(
        slug=slug,
        name=clean_text(command.name),
        description=clean_text(command.description),
        created_by=command.actor,
    )
    uow.session.add(topic)
    await uow.session.flush()
    return topic
