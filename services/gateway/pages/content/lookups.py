"""What several content pages share: labels for kinds and offers, paging parameters, an
item as the service answers it, and whether the member curates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.exceptions import HTTPException

from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import WebSession

KINDS = {
    "article": "Article",
    "event": "Event",
    "resource": "Resource",
    "support_offer": "Support offer",
}
OFFER_TYPES = {
    "coaching": "Coaching",
    "mentoring": "Mentoring",
    "peer_group": "Peer group",
    "masterclass": "Masterclass",
    "other": "Other",
}


def page_params(cursor: str) -> dict[str, str]:
    return {"limit": "20"} | ({"cursor": cursor[:300]} if cursor else {})


def is_curator(session: WebSession) -> bool:
    return session.is_admin or bool(session.principal and session.principal.has_role("curator"))


async def item_of(request: Request, session: WebSession, item_id: UUID) -> dict[str, Any]:
    answer = await call_service(request, session, "content", "GET", f"/items/{item_id}")
    if answer.status_code != 200:
        raise HTTPException(404)
    item: dict[str, Any] = answer.json()
    return item
