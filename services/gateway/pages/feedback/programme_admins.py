"""What programme admins do to a campaign: close it, publish its report, moderate its
statements and post "you said, we did"."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import campaign_of, mark_expired, statements_of
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import ProgrammeAdmin, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/feedback", include_in_schema=False)


@router.post("/{campaign_id}/close")
async def close(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    single, _ = await form_values(request)
    if session.csrf_ok(single.get("csrf_token", "")):
        answer = await call_service(
            request, session, "feedback", "POST", f"/campaigns/{campaign_id}/close"
        )
        session.set_flash(
            "The campaign is closed: the final report will be published in a few seconds"
            if answer.status_code == 202
            else "The campaign was already closed"
        )
    return redirect(request, f"/feedback/{campaign_id}")


@router.post("/{campaign_id}/report")
async def publish(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    single, _ = await form_values(request)
    if session.csrf_ok(single.get("csrf_token", "")):
        answer = await call_service(
            request, session, "feedback", "POST", f"/campaigns/{campaign_id}/report"
        )
        if answer.status_code == 201:
            session.set_flash("The report has been published")
            return redirect(request, f"/feedback/{campaign_id}/report")
        # The service names the rule that refused it (e.g. too few new respondents).
        detail = (
            answer.json().get("detail")
            if answer.headers.get("content-type", "").startswith("application/problem+json")
            else None
        )
        session.set_flash(detail or "The report could not be published yet")
    return redirect(request, f"/feedback/{campaign_id}")


@router.get("/{campaign_id}/moderation")
async def moderation_page(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    return await _moderation(request, session, campaign_id)


async def _moderation(
    request: Request,
    session: WebSession,
    campaign_id: UUID,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    statements = await statements_of(request, session, campaign_id)
    return render(
        request,
        session,
        "feedback/moderation.html",
        {
            "campaign": campaign,
            "pending": [s for s in statements if s["status"] == "pending"],
            "decided": [s for s in statements if s["status"] != "pending"],
            "errors": errors,
            "values": values or {},
        },
        status_code=400 if errors else 200,
    )


@router.post("/{campaign_id}/moderation/{statement_id}")
async def moderate(
    request: Request, session: ProgrammeAdmin, campaign_id: UUID, statement_id: UUID
) -> Response:
    single, _ = await form_values(request)
    decision = single.get("decision", "")
    reason = single.get("reason", "").strip()
    field = f"reason-{statement_id}"
    errors: dict[str, str] = {}
    if not session.csrf_ok(single.get("csrf_token", "")):
        mark_expired(errors, field)
    elif decision not in ("approve", "reject"):
        errors[field] = "Select approve or reject"
    elif decision == "reject" and not reason:
        errors[field] = "Enter why the statement is rejected"
    elif len(reason) > 500:
        errors[field] = "The reason must be 500 characters or fewer"
    if not errors:
        body = {"decision": decision} | ({"reason": reason} if decision == "reject" else {})
        answer = await call_service(
            request,
            session,
            "feedback",
            "POST",
            f"/campaigns/{campaign_id}/statements/{statement_id}/moderation",
            json=body,
        )
        if answer.status_code == 200:
            session.set_flash(f"Statement {'approved' if decision == 'approve' else 'rejected'}")
            return redirect(request, f"/feedback/{campaign_id}/moderation")
        errors[field] = answer.json().get("detail") or "The statement could not be moderated"
    return await _moderation(request, session, campaign_id, errors, {field: reason})


@router.get("/{campaign_id}/follow-ups/new")
async def follow_up_page(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    return render(request, session, "feedback/follow_up.html", {"campaign": campaign, "values": {}})


@router.post("/{campaign_id}/follow-ups/new")
async def post_follow_up(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    single, _ = await form_values(request)
    values = {k: single.get(k, "").strip() for k in ("you_said", "we_did")}
    errors: dict[str, str] = {}
    if not session.csrf_ok(single.get("csrf_token", "")):
        mark_expired(errors, "you_said")
    for name, label, limit in (
        ("you_said", "what people said", 2000),
        ("we_did", "what was done", 4000),
    ):
        if not values[name]:
            errors.setdefault(name, f"Enter {label}")
        elif len(values[name]) > limit:
            errors.setdefault(name, f"{label.capitalize()} must be {limit:,} characters or fewer")
    if not errors:
        answer = await call_service(
            request,
            session,
            "feedback",
            "POST",
            f"/campaigns/{campaign_id}/follow-ups",
            json=values,
        )
        if answer.status_code == 201:
            session.set_flash("Your follow-up has been posted and the audience told")
            return redirect(request, f"/feedback/{campaign_id}")
        errors["you_said"] = (
            "Publish a report before posting a follow-up"
            if answer.json().get("type", "").endswith("/no-report")
            else answer.json().get("detail") or "The follow-up could not be posted"
        )
    return render(
        request,
        session,
        "feedback/follow_up.html",
        {"campaign": campaign, "values": values, "errors": errors},
        status_code=400,
    )
