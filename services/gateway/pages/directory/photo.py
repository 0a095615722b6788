"""Your photo (upload, remove) and someone's photo as the page's `<img>` source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from services.chassis.problems import Problem
from services.gateway.pages.directory.lookups import member_ref, own_profile
from services.gateway.pages.directory.vocabularies import fetch_limits
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/profile/photo")
async def photo_page(request: Request, session: SignedIn) -> Response:
    profile = await own_profile(request, session)
    limits = await fetch_limits(request, session)
    return render(
        request,
        session,
        "directory/photo.html",
        {"profile": profile, "photo_max_kb": limits.photo_max_kb},
    )


@router.post("/profile/photo")
async def upload_photo(
    request: Request,
    session: SignedIn,
    photo: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    limits = await fetch_limits(request, session)
    too_large = f"The selected file must be smaller than {limits.photo_max_kb} KB"
    content = await photo.read(limits.photo_max_bytes + 1) if photo is not None else b""
    error = None
    if not session.csrf_ok(csrf_token):
        error = "The form had expired. Select the photo again"
    elif photo is None or not photo.filename or not content:
        error = "Select a photo"
    elif len(content) > limits.photo_max_bytes:
        error = too_large
    if error is None:
        answer = await call_service(
            request,
            session,
            "directory",
            "PUT",
            "/profiles/me/photo",
            content=content,
            content_type="application/octet-stream",
        )
        if answer.status_code == 200:
            session.set_flash("Your photo has been uploaded")
            return redirect(request, "/profile")
        error = (
            too_large
            if answer.status_code == 413
            else "The selected file must be a JPG, PNG or WebP image"
        )
    profile = await own_profile(request, session)
    return render(
        request,
        session,
        "directory/photo.html",
        {"profile": profile, "errors": {"photo": error}, "photo_max_kb": limits.photo_max_kb},
        status_code=400,
    )


@router.post("/profile/photo/remove")
async def remove_photo(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    if not session.csrf_ok(csrf_token):
        profile = await own_profile(request, session)
        limits = await fetch_limits(request, session)
        return render(
            request,
            session,
            "directory/photo.html",
            {
                "profile": profile,
                "errors": {"photo": "The form had expired. Try again"},
                "photo_max_kb": limits.photo_max_kb,
            },
            status_code=400,
        )
    await call_service(request, session, "directory", "DELETE", "/profiles/me/photo")
    session.set_flash("Your photo has been removed")
    return redirect(request, "/profile")


@router.get("/directory/people/{member_id}/photo")
async def photo(request: Request, session: SignedIn, member_id: str) -> Response:
    member = member_ref(member_id)
    answer = await call_service(request, session, "directory", "GET", f"/profiles/{member}/photo")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "There is no photo you can see.")
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"cache-control": "private, max-age=300", "content-disposition": "inline"},
    )
