"""The campaigns a person may see, and one campaign's page."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import campaign_of
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import render

router = APIRouter(prefix="/feedback", include_in_schema=False)


@router.get("")
async def campaigns(request: Request, session: SignedIn, cursor: str = "") -> Response:
    params = {"limit": "20"} | ({"cursor": cursor[:200]} if cursor else {})
    answer = await call_service(request, session, "feedback", "GET", "/campaigns", params=params)
    page = answer.json() if answer.status_code == 200 else {"items": []}
    return render(
        request,
        session,
        "feedback/campaigns.html",
        {"campaigns": page["items"], "next_cursor": page.get("next_cursor"), "paged": bool(cursor)},
    )


@router.get("/{campaign_id}")
async def campaign_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    path = f"/campaigns/{campaign_id}"
    follow_ups = await call_service(request, session, "feedback", "GET", f"{path}/follow-ups")
    answered = None
    if not session.is_admin:
        mine = await call_service(request, session, "feedback", "GET", f"{path}/response")
        answered = mine.status_code == 200
    return render(
        request,
        session,
        "feedback/campaign.html",
        {
            "campaign": campaign,
            "answered": answered,
            "follow_ups": follow_ups.json() if follow_ups.status_code == 200 else [],
        },
    )
