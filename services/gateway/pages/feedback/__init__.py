"""Group feedback, one module per page group: campaigns, answering their questions, adding and
voting on statements one at a time, published reports and "you said, we did"; and, for
programme admins, creating (`new_campaign`), closing, publishing, moderating and following up
(`programme_admins`). `lookups` holds what several of them read.

Everything works without JavaScript: every action is a POST form that redirects (303) to the
next page, and a refused form is shown again with a GOV.UK error summary.
"""

from fastapi import APIRouter

from services.gateway.pages.feedback import (
    answering,
    campaigns,
    new_campaign,
    programme_admins,
    reports,
    statements,
)

router = APIRouter(include_in_schema=False)
# `new_campaign` first, so that `/feedback/new` is not read as a campaign id.
for page_group in (new_campaign, campaigns, answering, statements, reports, programme_admins):
    router.include_router(page_group.router)
