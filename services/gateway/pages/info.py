"""Pages about the service itself: cookies, accessibility, and the API's documentation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.gateway.web.session_cookies import Session
from services.gateway.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/cookies")
async def cookies(request: Request, session: Session) -> Response:
    return render(request, session, "info/cookies.html")


@router.get("/accessibility")
async def accessibility(request: Request, session: Session) -> Response:
    return render(request, session, "info/accessibility.html")


@router.get("/api/openapi.json")
async def openapi_document(request: Request) -> Response:
    document = await request.app.state.openapi.document(
        request.app.state.http, request.app.state.upstreams
    )
    return JSONResponse(document, headers={"cache-control": "no-cache"})


@router.get("/api/docs")
async def api_docs(request: Request, session: Session) -> Response:
    """The merged OpenAPI document as a plain, accessible page (no JavaScript, no CDN)."""
    document = await request.app.state.openapi.document(
        request.app.state.http, request.app.state.upstreams
    )
    groups: dict[str, list[dict[str, str]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            group = (operation.get("tags") or ["other"])[0]
            body = (operation.get("requestBody") or {}).get("content") or {}
            groups.setdefault(group, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "body": ", ".join(body),
                    "statuses": ", ".join(sorted(operation.get("responses", {}))),
                }
            )
    return render(
        request,
        session,
        "info/api_docs.html",
        {"groups": groups, "missing": document.get("x-convene-missing", [])},
    )
