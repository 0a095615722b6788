"""A member's own settings (`/me`): the profile their feed is personalised by, topics followed
or muted, the weekly digest, their Atom feed token."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.chassis.auth import CurrentMember
from services.chassis.runtime import UnitOfWorkDep
from services.content.domain import commands
from services.content.entrypoints.api.dependencies import SettingsDep
from services.content.entrypoints.api.problems import run
from services.content.handlers import members as member_handlers
from services.content.handlers import preferences as preference_handlers
from services.content.schemas import (
    DigestPreference,
    FeedTokenRead,
    ProfileRead,
    ProfileWrite,
    TopicPreferenceRead,
    TopicPreferenceWrite,
)
from services.content.views import members
from services.content.views.readers import reader_context

router = APIRouter(prefix="/me", tags=["my preferences"])


async def _profile(uow: UnitOfWorkDep, member_id: UUID) -> ProfileRead:
    member = await members.member(uow.session, member_id)
    context = await reader_context(uow.session, member_id)
    return ProfileRead(
        sector=member.sector if member else None,
        region=member.region if member else None,
        expertise=list(member.expertise) if member else [],
        source=member.profile_source if member else "member",
        cohorts=sorted(context.reader.cohorts.values()),
    )


@router.get("/profile", summary="What your feed is personalised by")
async def my_profile(uow: UnitOfWorkDep, member_id: CurrentMember) -> ProfileRead:
    return await _profile(uow, member_id)


@router.put(
    "/profile",
    summary="Set your sector, region and expertise (until your directory profile provides them)",
)
async def set_my_profile(
    body: ProfileWrite, uow: UnitOfWorkDep, member_id: CurrentMember
) -> ProfileRead:
    await run(
        member_handlers.set_profile(
            commands.SetProfile(
                member_id=member_id,
                sector=body.sector,
                region=body.region,
                expertise=body.expertise,
            ),
            uow,
        )
    )
    await uow.commit()
    return await _profile(uow, member_id)


@router.get("/topics", summary="Topics you follow or muted")
async def my_topics(uow: UnitOfWorkDep, member_id: CurrentMember) -> list[TopicPreferenceRead]:
    rows = await members.topic_preferences(uow.session, member_id)
    return [TopicPreferenceRead.model_validate(r) for r in rows]


@router.put("/topics/{slug}", summary="Follow or mute a topic")
async def set_topic_preference(
    slug: str, body: TopicPreferenceWrite, uow: UnitOfWorkDep, member_id: CurrentMember
) -> TopicPreferenceRead:
    await run(
        preference_handlers.set_topic_preference(
            commands.SetTopicPreference(member_id, slug, body.mode), uow
        )
    )
    await uow.commit()
    return TopicPreferenceRead(topic=slug, mode=body.mode)


@router.delete(
    "/topics/{slug}", status_code=status.HTTP_204_NO_CONTENT, summary="Neither follow nor mute"
)
async def clear_topic_preference(
    slug: str, uow: UnitOfWorkDep, member_id: CurrentMember
) -> Response:
    await run(
        preference_handlers.set_topic_preference(
            commands.SetTopicPreference(member_id, slug, None), uow
        )
    )
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/digest", summary="Whether you get the weekly digest email")
async def my_digest(uow: UnitOfWorkDep, member_id: CurrentMember) -> DigestPreference:
    member = await members.member(uow.session, member_id)
    return DigestPreference(weekly=member.digest_weekly if member else True)


@router.put("/digest", summary="Turn the weekly digest email on or off")
async def set_my_digest(
    body: DigestPreference, uow: UnitOfWorkDep, member_id: CurrentMember
) -> DigestPreference:
    member = await preference_handlers.set_digest_preference(
        commands.SetDigestPreference(member_id, body.weekly), uow
    )
    await uow.commit()
    return DigestPreference(weekly=member.digest_weekly)


@router.post(
    "/feed-token",
    status_code=status.HTTP_201_CREATED,
    summary="A new token for your Atom feeds (the old one stops working)",
)
async def issue_feed_token(
    uow: UnitOfWorkDep, member_id: CurrentMember, settings: SettingsDep
) -> FeedTokenRead:
    token = await preference_handlers.issue_feed_token(commands.IssueFeedToken(member_id), uow)
    await uow.commit()
    return FeedTokenRead(
        token=token,
        example_feed=f"{settings.public_base_url}/api/content/topics/<topic>/feed.atom?token={token}",
    )


@router.delete(
    "/feed-token", status_code=status.HTTP_204_NO_CONTENT, summary="Stop your Atom feeds working"
)
async def revoke_feed_token(uow: UnitOfWorkDep, member_id: CurrentMember) -> Response:
    await preference_handlers.revoke_feed_token(commands.RevokeFeedToken(member_id), uow)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
