"""Items and their curation workflow: writing, review steps, lists, one item, the audit trail."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query, status

from services.chassis.auth import CurrentPrincipal, member_id_of
from services.chassis.pagination import Cursor, PageCursor, PageSize
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.content.domain import commands
from services.content.domain.errors import ItemNotFound
from services.content.entrypoints.api.dependencies import Curator, SettingsDep, actor_of
from services.content.entrypoints.api.problems import run
from services.content.handlers import items as item_handlers
from services.content.handlers import members as member_handlers
from services.content.schemas import (
    AuditEntryRead,
    ItemPage,
    ItemRead,
    ItemWrite,
    PublishedItemRead,
    WorkflowStep,
)
from services.content.views import items
from services.content.views.readers import reader_context

WorkflowStepBody = Annotated[WorkflowStep | None, Body()]

router = APIRouter(prefix="/items", tags=["items"])


def _fields(body: ItemWrite) -> commands.ItemFields:
    return commands.ItemFields(
        kind=body.kind,
        title=body.title,
        summary=body.summary,
        body_markdown=body.body_markdown,
        topics=body.topics,
        sectors=body.sectors,
        expertise=body.expertise,
        regions=body.regions,
        audience=body.audience,
        audience_cohort_ids=body.audience_cohort_ids,
        audience_sectors=body.audience_sectors,
        shared_with_departments=body.shared_with_departments,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        place=body.place,
        online_url=str(body.online_url) if body.online_url else None,
        capacity=body.capacity,
        link_url=str(body.link_url) if body.link_url else None,
        document_type=body.document_type,
        document_size_bytes=body.document_size_bytes,
        offer_type=body.offer_type,
        how_to_join=body.how_to_join,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Write a draft item")
async def create_item(body: ItemWrite, uow: UnitOfWorkDep, curator: Curator) -> ItemRead:
    item = await run(
        item_handlers.create_item(commands.CreateItem(_fields(body), actor_of(curator)), uow)
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@router.get("", summary="Items at any stage of curation, newest first")
async def list_items(
    uow: UnitOfWorkDep,
    _: Curator,
    limit: PageSize = 20,
    cursor: PageCursor = None,
    status_: Annotated[
        Literal["draft", "submitted", "approved", "scheduled", "published", "withdrawn"] | None,
        Query(alias="status"),
    ] = None,
    kind: Literal["article", "event", "resource", "support_offer"] | None = None,
) -> ItemPage:
    after = Cursor.decode(cursor) if cursor else None
    rows = await items.list_items(uow.session, status=status_, kind=kind, limit=limit, after=after)
    next_cursor = Cursor(rows[-1].created_at, rows[-1].id).encode() if len(rows) == limit else None
    return ItemPage(items=[ItemRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{item_id}",
    summary="One item: curators see any, members a published one meant for them (read)",
    response_model=ItemRead | PublishedItemRead,
)
async def get_item(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> ItemRead | PublishedItemRead:
    if actor_of(principal).is_curator:
        item = await items.item(uow.session, item_id)
        if item is None:
            raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
        return ItemRead.model_validate(item)
    member_id = member_id_of(principal)
    context = await reader_context(uow.session, member_id)
    visible = await items.visible_item(uow.session, item_id, context)
    if visible is None:
        raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    await member_handlers.record_read(
        commands.RecordRead(member_id=member_id, item_id=item_id), uow
    )
    await uow.commit()
    return PublishedItemRead.model_validate(visible)


@router.put("/{item_id}", summary="Change a draft, or update a published item")
async def edit_item(
    item_id: UUID, body: ItemWrite, uow: UnitOfWorkDep, curator: Curator, settings: SettingsDep
) -> ItemRead:
    item = await run(
        item_handlers.edit_item(
            commands.EditItem(item_id, _fields(body), actor_of(curator)), uow, settings=settings
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@router.post(
    "/{item_id}/{action}",
    summary="A workflow step: submit, return, approve, publish (now or at publish_at), "
    "unschedule, withdraw",
    responses={403: {"description": "Not yours to take"}, 409: {"description": "Not now"}},
)
async def move_item(
    item_id: UUID,
    action: Literal["submit", "return", "approve", "publish", "unschedule", "withdraw"],
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    body: WorkflowStepBody = None,
) -> ItemRead:
    step = body or WorkflowStep()
    item = await run(
        item_handlers.move_item(
            commands.MoveItem(
                item_id=item_id,
                action=action,
                actor=actor_of(principal),
                publish_at=step.publish_at,
                note=step.note,
            ),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@router.get("/{item_id}/audit", summary="Every workflow step of an item, oldest first")
async def item_audit(item_id: UUID, uow: UnitOfWorkDep, _: Curator) -> list[AuditEntryRead]:
    return [AuditEntryRead.model_validate(e) for e in await items.item_audit(uow.session, item_id)]
