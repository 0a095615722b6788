"""A profile's photo: upload (size-limited while it streams in), read, remove."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.directory.adapters.orm import Photo
from services.directory.domain import commands
from services.directory.entrypoints.api.dependencies import (
    SettingsDep,
    actor_of,
    profile_read,
    resolve,
    viewer_of,
)
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import profiles as handlers
from services.directory.schemas import (
    ProfileRead,
)

router = APIRouter(prefix="/profiles", tags=["profiles"])


@router.put(
    "/{member}/photo",
    summary="Upload a photo (JPEG, PNG or WebP; the raw bytes as the body)",
    openapi_extra={"requestBody": {"content": {"image/*": {"schema": {"type": "string"}}}}},
)
async def upload_photo(
    member: str,
    request: Request,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    settings: SettingsDep,
) -> ProfileRead:
    member_id = resolve(member, caller)
    data = await _read_limited(request, settings.photo_max_bytes)
    await run(
        handlers.upload_photo(
            commands.UploadPhoto(member_id=member_id, actor=actor_of(caller), data=data),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    return await profile_read(uow, member_id, await viewer_of(uow, caller))


async def _read_limited(request: Request, limit: int) -> bytes:
    too_large = Problem(
        413, "Photo too large", f"Photos are limited to {limit // 1000} KB.", "photo-too-large"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise too_large
    if not data:
        raise Problem(422, "No photo", "Send the image bytes as the request body.", "no-photo")
    return bytes(data)


@router.get(
    "/{member}/photo",
    summary="The profile photo, if the caller may see it",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def read_photo(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> Response:
    member_id = resolve(member, caller)
    viewer = await viewer_of(uow, caller)
    body = await profile_read(uow, member_id, viewer)
    photo = await uow.session.get(Photo, member_id) if body.photo_url else None
    if photo is None:
        raise Problem(404, "Not found", "There is no photo you can see.", "photo-not-found")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "ETag": f'"{photo.sha256[:32]}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


@router.delete("/{member}/photo", status_code=204, summary="Remove the photo")
async def remove_photo(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> Response:
    member_id = resolve(member, caller)
    await run(handlers.remove_photo(commands.RemovePhoto(member_id, actor_of(caller)), uow))
    await uow.commit()
    return Response(status_code=204)
