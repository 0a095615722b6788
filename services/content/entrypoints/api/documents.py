"""A resource's document: uploading it (curators) and downloading it (whoever may see it)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from services.chassis.auth import CurrentPrincipal, member_id_of
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.content.domain import commands
from services.content.domain.errors import ItemNotFound, UnsupportedDocument, UploadTooLarge
from services.content.entrypoints.api.dependencies import Curator, SettingsDep, actor_of
from services.content.entrypoints.api.problems import as_problem, run
from services.content.handlers import items as item_handlers
from services.content.schemas import ItemRead
from services.content.views import items
from services.content.views.readers import reader_context

router = APIRouter(prefix="/items", tags=["items"])

#: Upload content types we accept, and the document type each becomes.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "text/csv": "csv",
    "text/plain": "txt",
}


@router.put(
    "/{item_id}/document",
    summary="Upload a resource's document (raw body; Content-Type says what it is)",
    openapi_extra={
        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}
    },
)
async def upload_document(
    item_id: UUID,
    request: Request,
    uow: UnitOfWorkDep,
    curator: Curator,
    settings: SettingsDep,
    filename: Annotated[str, Query(min_length=1, max_length=200)] = "document",
) -> ItemRead:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    document_type = DOCUMENT_TYPES.get(content_type)
    if document_type is None:
        raise as_problem(UnsupportedDocument(sorted(set(DOCUMENT_TYPES.values()))))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > settings.document_max_bytes:
            raise as_problem(UploadTooLarge(settings.document_max_bytes))
    if not data:
        raise Problem(422, "Invalid item", "The document is empty.", "invalid-item")
    item = await run(
        item_handlers.attach_document(
            commands.AttachDocument(
                item_id=item_id,
                actor=actor_of(curator),
                filename=filename,
                content_type=content_type,
                data=bytes(data),
                document_type=document_type,
            ),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@router.get("/{item_id}/document", summary="Download a resource's document")
async def download_document(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> Response:
    if not actor_of(principal).is_curator:
        context = await reader_context(uow.session, member_id_of(principal))
        if await items.visible_item(uow.session, item_id, context) is None:
            raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    document = await items.document(uow.session, item_id)
    if document is None:
        raise Problem(404, "Not found", "This item has no document.", "no-document")
    safe_name = "".join(c for c in document.filename if c.isalnum() or c in "._- ") or "document"
    return Response(
        document.data,
        media_type=document.content_type,
        headers={"content-disposition": f'attachment; filename="{safe_name}"'},
    )
