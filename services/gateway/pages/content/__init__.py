"""Curated content, one module per page group: the member's personalised feed, item pages,
events with RSVP and calendar files (`reading`), topics to follow or mute (`topics`); and, for
curators, writing items and taking them through review (`curation`). `lookups` holds what
several of them share.

Email links (digests, place confirmations) and Atom entries point at `/content/items/{id}`.
"""

from fastapi import APIRouter

from services.gateway.pages.content import curation, reading, topics

router = APIRouter(include_in_schema=False)
for page_group in (reading, topics, curation):
    router.include_router(page_group.router)
