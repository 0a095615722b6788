"""Group feedback: campaigns, answering their questions, adding and voting on statements one at
a time, published reports and "you said, we did"; and, for programme admins, creating,
closing, publishing, moderating and following up.

Everything works without JavaScript: every action is a POST form that redirects (303) to the
next page, and a refused form is shown again with a GOV.UK error summary.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from services.gateway.pages.forms import form_values
from services.gateway.web import (
    ProgrammeAdmin,
    SignedIn,
    WebSession,
    call_service,
    redirect,
    render,
)

router = APIRouter(prefix="/feedback", include_in_schema=False)
MAX_FREE_TEXT = 2000
VOTES = {"agree": "Agree", "disagree": "Disagree", "pass": "Pass or unsure"}
QUESTION_SLOTS = 3  # questions on the "create a campaign" form (no JavaScript to add more)


async def _campaign(request: Request, session: WebSession, campaign_id: UUID) -> dict[str, Any]:
    answer = await call_service(request, session, "feedback", "GET", f"/campaigns/{campaign_id}")
    if answer.status_code != 200:
        raise _not_found()
    campaign: dict[str, Any] = answer.json()
    return campaign


def _not_found() -> Exception:
    return HTTPException(404)


def _expired(errors: dict[str, str], field: str) -> None:
    errors[field] = "The form had expired. Check your answers and send it again"


# -- creating a campaign ----------------------------------------------------------------------
# Declared before `/{campaign_id}`, so that `/feedback/new` is not read as a campaign id.

CREATE_ANCHORS = {"closes_on": "closes_on-day"}
KINDS = {
    "rating": "A rating from 1 to 5",
    "single_choice": "Choose one option",
    "multiple_choice": "Choose any options",
    "free_text": "Written answer",
}


@router.get("/new")
async def new_campaign_page(request: Request, session: ProgrammeAdmin) -> Response:
    return _new_campaign(request, session, {}, {})


def _new_campaign(
    request: Request, session: WebSession, values: dict[str, str], errors: dict[str, str]
) -> Response:
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
        _expired(errors, "title")
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
    return _new_campaign(request, session, values, errors)


# -- campaigns --------------------------------------------------------------------------------


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
    campaign = await _campaign(request, session, campaign_id)
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


# -- answering --------------------------------------------------------------------------------


def _field(question: dict[str, Any]) -> str:
    return f"answer-{question['id']}"


@router.get("/{campaign_id}/respond")
async def respond_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await _campaign(request, session, campaign_id)
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
    campaign = await _campaign(request, session, campaign_id)
    single, multiple = await form_values(request)
    errors: dict[str, str] = {}
    first = _field(campaign["questions"][0]) if campaign["questions"] else "answers"
    if not session.csrf_ok(single.get("csrf_token", "")):
        _expired(errors, first)
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


# -- statements and votes ---------------------------------------------------------------------


async def _statements(
    request: Request, session: WebSession, campaign_id: UUID
) -> list[dict[str, Any]]:
    answer = await call_service(
        request,
        session,
        "feedback",
        "GET",
        f"/campaigns/{campaign_id}/statements",
        params={"limit": "500"},
    )
    items: list[dict[str, Any]] = answer.json()["items"] if answer.status_code == 200 else []
    return items


async def _vote_page(
    request: Request,
    session: WebSession,
    campaign_id: UUID,
    *,
    errors: dict[str, str] | None = None,
    statement_id: str | None = None,
) -> Response:
    campaign = await _campaign(request, session, campaign_id)
    statements = [s for s in await _statements(request, session, campaign_id)]
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
    campaign = await _campaign(request, session, campaign_id)
    return render(
        request, session, "feedback/statement_new.html", {"campaign": campaign, "values": {}}
    )


@router.post("/{campaign_id}/statements/new")
async def add_statement(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await _campaign(request, session, campaign_id)
    single, _ = await form_values(request)
    text = " ".join(single.get("text", "").split())
    errors: dict[str, str] = {}
    if not session.csrf_ok(single.get("csrf_token", "")):
        _expired(errors, "text")
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


# -- reports ----------------------------------------------------------------------------------


@router.get("/{campaign_id}/report")
async def report_page(request: Request, session: SignedIn, campaign_id: UUID) -> Response:
    campaign = await _campaign(request, session, campaign_id)
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
        raise _not_found()
    answer = await call_service(
        request, session, "feedback", "GET", f"/campaigns/{campaign_id}/report.{extension}"
    )
    if answer.status_code != 200:
        raise _not_found()
    headers = {
        "content-disposition": answer.headers.get("content-disposition", "attachment"),
        "cache-control": "no-store",
    }
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


# -- programme admins -------------------------------------------------------------------------


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
        session.set_flash("The report could not be published yet")
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
    campaign = await _campaign(request, session, campaign_id)
    statements = await _statements(request, session, campaign_id)
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
        _expired(errors, field)
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
    campaign = await _campaign(request, session, campaign_id)
    return render(request, session, "feedback/follow_up.html", {"campaign": campaign, "values": {}})


@router.post("/{campaign_id}/follow-ups/new")
async def post_follow_up(request: Request, session: ProgrammeAdmin, campaign_id: UUID) -> Response:
    campaign = await _campaign(request, session, campaign_id)
    single, _ = await form_values(request)
    values = {k: single.get(k, "").strip() for k in ("you_said", "we_did")}
    errors: dict[str, str] = {}
    if not session.csrf_ok(single.get("csrf_token", "")):
        _expired(errors, "you_said")
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
