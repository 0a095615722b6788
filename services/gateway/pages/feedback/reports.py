"""A campaign's report as GOV.UK tables, and its CSV and PDF files."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import campaign_of, not_found
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import render

router = APIRouter(prefix="/feedback", include_in_schema=False)


@router.get("/{campaign_id}/report")
async def report_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    path = f"/campaigns/{campaign_id}"
    answer = await call_service(request, session, "feedback", "GET", f"{path}/report")
    if answer.status_code != 200:
        return render(
            request, session, "feedback/no_report.html", {"campaign": campaign}, status_code=404
        )
    follow_ups = await call_service(request, session, "feedback", "GET", f"{path}/follow-ups")
    report = answer.json()
    prompts = {q["question_id"]: q["prompt"] for q in report.get("questions", [])}
    return render(
        request,
        session,
        "feedback/report.html",
        {
            "campaign": campaign,
            "report": report,
            "prompts": prompts,
            "follow_ups": follow_ups.json() if follow_ups.status_code == 200 else [],
        },
    )


@router.get("/{campaign_id}/report.{extension}")
async def report_file(
    request: Request, session: SignedIn, campaign_id: UUID, extension: str
) -> Response:
    """The service's CSV and PDF, passed through with their download headers."""
    if extension not in ("csv", "pdf"):
        raise not_found()
    answer = await call_service(
        request, session, "feedback", "GET", f"/campaigns/{campaign_id}/report.{extension}"
    )
    if answer.status_code != 200:
        raise not_found()
    headers = {
        "content-disposition": answer.headers.get("content-disposition", "attachment"),
        "cache-control": "no-store",
    }
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)
