"""Topics: the list, creating one, and a topic's Atom feed for feed readers."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.content.adapters.atom_feeds import atom_feed
from services.content.domain import commands, links
from services.content.entrypoints.api.dependencies import Curator, SettingsDep
from services.content.entrypoints.api.problems import run
from services.content.handlers import topics as topic_handlers
from services.content.schemas import TopicCreate, TopicRead
from services.content.views import members, reading, topics
from services.content.views.readers import reader_context

router = APIRouter(tags=["topics"])


@router.get("/topics", summary="Every topic")
async def list_topics(uow: UnitOfWorkDep, _: CurrentPrincipal) -> list[TopicRead]:
    return [TopicRead.model_validate(t) for t in await topics.topics(uow.session)]


@router.post("/topics", status_code=status.HTTP_201_CREATED, summary="Create a topic")
async def create_topic(body: TopicCreate, uow: UnitOfWorkDep, curator: Curator) -> TopicRead:
    topic = await run(
        topic_handlers.create_topic(
            commands.CreateTopic(
                name=body.name, description=body.description, actor=curator.subject, slug=body.slug
            ),
            uow,
        )
    )
    await uow.commit()
    return TopicRead.model_validate(topic)


@router.get(
    "/topics/{slug}/feed.atom",
    summary="Atom feed of a topic for feed readers (?token= your feed token)",
    response_class=Response,
)
async def topic_feed(
    slug: str, uow: UnitOfWorkDep, settings: SettingsDep, token: str = ""
) -> Response:
    # Feed readers cannot send bearer tokens, so the member's revocable feed token is in the URL.
    member = (
        await members.member_by_feed_token(uow.session, links.hash_token(token)) if token else None
    )
    if member is None:
        raise Problem(
            401, "Unauthorised", "Add ?token= with your current feed token.", "bad-feed-token"
        )
    topic = await topics.topic(uow.session, slug)
    if topic is None:
        raise Problem(404, "Not found", f"There is no topic {slug!r}.", "topic-not-found")
    context = await reader_context(uow.session, member.member_id)
    items = await reading.topic_items(uow.session, context, slug, limit=50)
    base = settings.public_base_url.rstrip("/")
    body = atom_feed(
        topic, items, base_url=base, self_url=f"{base}/api/content/topics/{slug}/feed.atom"
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
