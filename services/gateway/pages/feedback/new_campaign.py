"""Creating a campaign that opens at once (programme admins)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.feedback.lookups import mark_expired
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import ProgrammeAdmin, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/feedback", include_in_schema=False)
QUESTION_SLOTS = 3  # questions on the "create a campaign" form (no JavaScript to add more)
CREATE_ANCHORS = {"closes_on": "closes_on-day"}
KINDS = {
    "rating": "A rating from 1 to 5",
    "single_choice": "Choose one option",
    "multiple_choice": "Choose any options",
    "free_text": "Written answer",
}


@router.get("/new")
async def new_campaign_page(request: Request, session: ProgrammeAdmin) -> Response:
    return await _new_campaign(request, session, {}, {})


async def _new_campaign(
    request: Request, session: WebSession, values: dict[str, str], errors: dict[str, str]
) -> Response:
    # What reports will show comes from the feedback service (its rules, never copied here).
    rules = await call_service(request, session, "feedback", "GET", "/campaigns/reporting-rules")
    return render(
        request,
        session,
        "feedback/campaign_new.html",
        {
            "values": values,
            "errors": errors,
            "anchors": CREATE_ANCHORS,
            "slots": range(1, QUESTION_SLOTS + 1),
            "kinds": KINDS,
            "reporting": rules.json() if rules.status_code == 200 else None,
        },
        status_code=400 if errors else 200,
    )


def _closing_date(values: dict[str, str], errors: dict[str, str]) -> date | None:
    parts = [values.get(f"closes_on-{part}", "").strip() for part in ("day", "month", "year")]
    if not all(parts):
        errors["closes_on"] = "Enter the date the campaign closes, including day, month and year"
        return None
    try:
        day, month, year = (int(p) for p in parts)
        closes = date(year, month, day)
    except ValueError:
        errors["closes_on"] = "The date the campaign closes must be a real date"
        return None
    if closes <= datetime.now(UTC).date():
        errors["closes_on"] = "The date the campaign closes must be in the future"
    return closes


def _questions(values: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for slot in range(1, QUESTION_SLOTS + 1):
        prompt = values.get(f"q{slot}-prompt", "").strip()
        kind = values.get(f"q{slot}-kind", "")
        options = [o.strip() for o in values.get(f"q{slot}-options", "").splitlines() if o.strip()]
        if not prompt:
            continue
        if len(prompt) > 500:
            errors[f"q{slot}-prompt"] = f"Question {slot} must be 500 characters or fewer"
        if kind not in KINDS:
            errors[f"q{slot}-kind"] = f"Select the kind of answer question {slot} takes"
            continue
        choice = kind in ("single_choice", "multiple_choice")
        if choice and len(set(options)) < 2:
            errors[f"q{slot}-options"] = f"Enter at least two different options for question {slot}"
        question: dict[str, Any] = {
            "id": f"q{slot}",
            "kind": kind,
            "prompt": prompt,
            "required": values.get(f"q{slot}-required") == "yes",
        }
        if choice:
            question["options"] = list(dict.fromkeys(options))
        questions.append(question)
    return questions


@router.post("/new")
async def create_campaign(request: Request, session: ProgrammeAdmin) -> Response:
    values, _ = await form_values(request)
    errors: dict[str, str] = {}
    if not session.csrf_ok(values.get("csrf_token", "")):
        mark_expired(errors, "title")
    for name, label, limit in (("title", "a title", 200), ("question", "the question", 1000)):
        text = values.get(name, "").strip()
        if not text:
            errors.setdefault(name, f"Enter {label}")
        elif len(text) > limit:
            errors.setdefault(name, f"The {name} must be {limit:,} characters or fewer")
    closes = _closing_date(values, errors)
    questions = _questions(values, errors)
    statements = [s.strip() for s in values.get("statements", "").splitlines() if s.strip()]
    if any(not 3 <= len(s) <= 280 for s in statements):
        errors["statements"] = "Each statement must be between 3 and 280 characters"
    if not errors and closes is not None:
        answer = await call_service(
            request,
            session,
            "feedback",
            "POST",
            "/campaigns",
            json={
                "title": values["title"].strip(),
                "question": values["question"].strip(),
                "context": values.get("context", "").strip()[:5000],
                "anonymity": "attributed"
                if values.get("anonymity") == "attributed"
                else "anonymous",
                "opens_at": datetime.now(UTC).isoformat(),
                "closes_at": datetime.combine(closes, time(17), UTC).isoformat(),
                "questions": questions,
                "statements": list(dict.fromkeys(statements)),
            },
        )
        if answer.status_code == 201:
            session.set_flash(f"Campaign {values['title'].strip()} is open")
            return redirect(request, f"/feedback/{answer.json()['id']}")
        errors["title"] = answer.json().get("detail") or "The campaign could not be created"
    return await _new_campaign(request, session, values, errors)
