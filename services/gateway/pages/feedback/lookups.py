"""What several feedback pages read or answer alike: a campaign, its statements, and the
refusals they share."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.exceptions import HTTPException

from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import WebSession


async def campaign_of(request: Request, session: WebSession, campaign_id: UUID) -> dict[str, Any]:
    answer = await call_service(request, session, "feedback", "GET", f"/campaigns/{campaign_id}")
    if answer.status_code != 200:
        raise not_found()
    campaign: dict[str, Any] = answer.json()
    return campaign


def not_found() -> Exception:
    return HTTPException(404)


def mark_expired(errors: dict[str, str], field: str) -> None:
    errors[field] = "The form had expired. Check your answers and send it again"


async def statements_of(
    request: Request, session: WebSession, campaign_id: UUID
) -> list[dict[str, Any]]:
    answer = await call_service(
        request,
        session,
        "feedback",
        "GET",
        f"/campaigns/{campaign_id}/statements",
        params={"limit": "500"},
    )
    items: list[dict[str, Any]] = answer.json()["items"] if answer.status_code == 200 else []
    return items
