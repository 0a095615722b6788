"""Statements: voting on them one at a time, and adding one (it waits for moderation)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import campaign_of, mark_expired, statements_of
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/feedback", include_in_schema=False)
VOTES = {"agree": "Agree", "disagree": "Disagree", "pass": "Pass or unsure"}


async def _vote_page(
    request: Request,
    session: WebSession,
    campaign_id: UUID,
    *,
    errors: dict[str, str] | None = None,
    statement_id: str | None = None,
) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    statements = [s for s in await statements_of(request, session, campaign_id)]
    waiting = [s for s in statements if s.get("my_vote") is None]
    current = next((s for s in waiting if s["id"] == statement_id), None) or (
        waiting[0] if waiting else None
    )
    return render(
        request,
        session,
        "feedback/vote.html",
        {
            "campaign": campaign,
            "statement": current,
            "voted": len(statements) - len(waiting),
            "total": len(statements),
            "votes": VOTES,
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )


@router.get("/{campaign_id}/statements")
async def vote_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    return await _vote_page(request, session, campaign_id)


@router.post("/{campaign_id}/statements/{statement_id}/vote")
async def vote(
    request: Request, session: SignedIn, campaign_id: UUID, statement_id: UUID
) -> Response:
    single, _ = await form_values(request)
    errors: dict[str, str] = {}
    choice = single.get("vote", "")
    if not session.csrf_ok(single.get("csrf_token", "")):
        errors["vote"] = "The form had expired. Choose your vote again"
    elif choice not in VOTES:
        errors["vote"] = "Select agree, disagree or pass"
    if not errors:
        answer = await call_service(
            request,
            session,
            "feedback",
            "POST",
            f"/campaigns/{campaign_id}/statements/{statement_id}/votes",
            json={"vote": choice},
        )
        kind = answer.json().get("type", "") if answer.status_code >= 400 else ""
        if answer.status_code == 201 or kind.endswith("/already-voted"):
            return redirect(request, f"/feedback/{campaign_id}/statements")
        errors["vote"] = (
            "This campaign is closed: votes are no longer taken"
            if kind.endswith("/campaign-not-open")
            else "You can no longer vote on this statement. Go on to the next one"
        )
    return await _vote_page(
        request, session, campaign_id, errors=errors, statement_id=str(statement_id)
    )


@router.get("/{campaign_id}/statements/new")
async def statement_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    return render(
        request, session, "feedback/statement_new.html", {"campaign": campaign, "values": {}}
    )


@router.post("/{campaign_id}/statements/new")
async def add_statement(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    single, _ = await form_values(request)
    text = " ".join(single.get("text", "").split())
    errors: dict[str, str] = {}
    if not session.csrf_ok(single.get("csrf_token", "")):
        mark_expired(errors, "text")
    elif len(text) < 3:
        errors["text"] = "Enter your statement"
    elif len(text) > 280:
        errors["text"] = "Your statement must be 280 characters or fewer"
    if not errors:
        answer = await call_service(
            request,
            session,
            "feedback",
            "POST",
            f"/campaigns/{campaign_id}/statements",
            json={"text": text},
        )
        if answer.status_code == 201:
            session.set_flash(
                "Your statement has been added"
                if answer.json()["status"] == "approved"
                else "Thank you: your statement will appear for others to vote on once a "
                "moderator has approved it"
            )
            return redirect(request, f"/feedback/{campaign_id}/statements")
        kind = answer.json().get("type", "")
        errors["text"] = (
            "Someone has already made this statement: vote on it instead"
            if kind.endswith("/duplicate-statement")
            else "You have added as many statements as this campaign allows"
            if kind.endswith("/too-many-statements")
            else "This campaign is not open for statements"
            if kind.endswith("/campaign-not-open")
            else "Your statement could not be added"
        )
    return render(
        request,
        session,
        "feedback/statement_new.html",
        {"campaign": campaign, "values": {"text": text}, "errors": errors},
        status_code=400,
    )
