"""The directory for members, one module per page group: your profile (`profile`, `edit`,
`photo`, `delegates`), find a leader (`search`), someone's profile (`people`, `reports`) and
contact requests (`contacts`); `vocabularies` and `lookups` hold what several of them read.

Everything the directory decides (who may see a field, the daily limit, blocks, every length
and size limit) stays in the directory: these pages show what its API answers, check its
limits as its `/vocabularies` states them, and explain its refusals the GOV.UK way.
"""

from fastapi import APIRouter

from services.gateway.pages.directory import (
    contacts,
    delegates,
    edit,
    people,
    photo,
    profile,
    reports,
    search,
)

router = APIRouter(include_in_schema=False)
for page_group in (profile, edit, photo, delegates, search, people, contacts, reports):
    router.include_router(page_group.router)
