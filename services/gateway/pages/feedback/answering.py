"""Answering a campaign's questions (answered again, the form shows the answers to change)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import campaign_of, mark_expired
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/feedback", include_in_schema=False)
MAX_FREE_TEXT = 2000


def _field(question: dict[str, Any]) -> str:
    return f"answer-{question['id']}"


@router.get("/{campaign_id}/respond")
async def respond_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    mine = await call_service(
        request, session, "feedback", "GET", f"/campaigns/{campaign_id}/response"
    )
    answers = mine.json()["answers"] if mine.status_code == 200 else {}
    values = {_field(q): answers[q["id"]] for q in campaign["questions"] if q["id"] in answers}
    return render(
        request,
        session,
        "feedback/respond.html",
        {"campaign": campaign, "values": values, "changing": bool(answers)},
    )


def read_answers(
    questions: list[dict[str, Any]],
    single: dict[str, str],
    multiple: dict[str, list[str]],
    errors: dict[str, str],
) -> dict[str, Any]:
    """The form as the API's answers, checking each against its question the way the
    service will, so a person sees every problem at once with a message they can act on."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = _field(question)
        prompt = question["prompt"]
        kind = question["kind"]
        if kind == "multiple_choice":
            chosen = [v for v in multiple.get(name, []) if v]
            if not chosen:
                if question["required"]:
                    errors[name] = f"Select at least one answer: {prompt}"
                continue
            if any(v not in question["options"] for v in chosen):
                errors[name] = f"Choose answers in the list: {prompt}"
                continue
            answers[question["id"]] = chosen
            continue
        value = single.get(name, "").strip()
        if not value:
            if question["required"]:
                verb = "Enter" if kind == "free_text" else "Select"
                errors[name] = f"{verb} an answer: {prompt}"
            continue
        if kind == "rating":
            low, high = question["scale_min"], question["scale_max"]
            if not value.isdigit() or not low <= int(value) <= high:
                errors[name] = f"Select a rating between {low} and {high}: {prompt}"
                continue
            answers[question["id"]] = int(value)
        elif kind == "single_choice":
            if value not in question["options"]:
                errors[name] = f"Choose an answer in the list: {prompt}"
                continue
            answers[question["id"]] = value
        else:
            if len(value) > MAX_FREE_TEXT:
                errors[name] = (
                    f"Your answer must be {MAX_FREE_TEXT:,} characters or fewer: {prompt}"
                )
                continue
            answers[question["id"]] = value
    return answers


@router.post("/{campaign_id}/respond")
async def respond(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await campaign_of(request, session, campaign_id)
    single, multiple = await form_values(request)
    errors: dict[str, str] = {}
    first = _field(campaign["questions"][0]) if campaign["questions"] else "answers"
    if not session.csrf_ok(single.get("csrf_token", "")):
        mark_expired(errors, first)
    answers = read_answers(campaign["questions"], single, multiple, errors)
    if not errors:
        answer = await call_service(
            request,
            session,
            "feedback",
            "PUT",
            f"/campaigns/{campaign_id}/response",
            json={"answers": answers},
        )
        if answer.status_code in (200, 201):
            session.set_flash("Your answers have been saved")
            return redirect(request, f"/feedback/{campaign_id}")
        errors = _response_errors(answer.json(), first)
    values: dict[str, Any] = {
        _field(q): multiple.get(_field(q), [])
        if q["kind"] == "multiple_choice"
        else single.get(_field(q), "")
        for q in campaign["questions"]
    }
    return render(
        request,
        session,
        "feedback/respond.html",
        {"campaign": campaign, "values": values, "errors": errors},
        status_code=400,
    )


def _response_errors(problem: dict[str, Any], first: str) -> dict[str, str]:
    if problem.get("type", "").endswith("/campaign-not-open"):
        return {first: "This campaign is not open for answers"}
    errors: dict[str, str] = {}
    for message in problem.get("errors") or []:
        question_id, _, detail = str(message).partition(": ")
        errors[f"answer-{question_id}"] = detail.capitalize() or "Check this answer"
    return errors or {first: problem.get("detail") or "Your answers could not be saved"}
