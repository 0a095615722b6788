"""Programme administration: invitations (one at a time or from a CSV file) and cohorts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import ProgrammeAdmin
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)
CSV_LIMIT_BYTES = 500_000
FIELD_LABELS = {"full_name": "full name", "email": "email address", "organisation": "organisation"}


# -- invitations ----------------------------------------------------------------------------


@router.get("/invitations")
async def invitations(
    request: Request,
    session: ProgrammeAdmin,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    params = {"limit": "20"} | ({"cursor": cursor} if cursor else {})
    answer = await call_service(request, session, "identity", "GET", "/invitations", params=params)
    if answer.status_code != 200:
        return redirect(request, "/admin/invitations")  # a stale or forged cursor: start again
    page = answer.json()
    return render(
        request,
        session,
        "admin/invitations.html",
        {"invitations": page["items"], "next_cursor": page.get("next_cursor"), "paged": cursor},
    )


@router.get("/invitations/new")
async def invite_page(request: Request, session: ProgrammeAdmin) -> Response:
    return render(request, session, "admin/invite.html", {"values": {}})


@router.post("/invitations/new")
async def invite(
    request: Request,
    session: ProgrammeAdmin,
    full_name: Annotated[str, Form(max_length=500)] = "",
    email: Annotated[str, Form(max_length=500)] = "",
    organisation: Annotated[str, Form(max_length=500)] = "",
    override_reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {
        "full_name": full_name.strip(),
        "email": email.strip(),
        "organisation": organisation.strip(),
        "override_reason": override_reason.strip(),
    }
    errors: dict[str, str] = {}
    if not session.csrf_ok(csrf_token):
        errors["full_name"] = "The form had expired. Check the details and send it again"
    for name in ("full_name", "email", "organisation"):
        if not values[name]:
            errors.setdefault(name, f"Enter the person's {FIELD_LABELS[name]}")
    if values["override_reason"] and len(values["override_reason"]) < 10:
        errors["override_reason"] = "The reason must be at least 10 characters"
    if not errors:
        body: dict[str, Any] = {k: v for k, v in values.items() if v}
        answer = await call_service(request, session, "identity", "POST", "/invitations", json=body)
        if answer.status_code == 201:
            session.set_flash(f"Invitation sent to {values['full_name']}")
            return redirect(request, "/admin/invitations")
        errors = _invitation_errors(answer.status_code, answer.json())
    return render(
        request,
        session,
        "admin/invite.html",
        {"values": values, "errors": errors},
        status_code=400,
    )


def _invitation_errors(status_code: int, problem: dict[str, Any]) -> dict[str, str]:
    if status_code == 409:
        return {"email": "This person is already a member or has an invitation waiting"}
    if problem.get("type", "").endswith("/domain-not-allowed"):
        return {
            "override_reason": "This address is outside the public sector allow-list. "
            "To invite them anyway, give a reason (it is recorded in the audit log)"
        }
    errors: dict[str, str] = {}
    for error in problem.get("errors", []):
        name = (error.get("location") or ["", ""])[-1]
        if name == "email":
            errors["email"] = (
                "Enter an email address in the correct format, like name@example.gov.uk"
            )
        elif name in ("full_name", "organisation"):
            errors[name] = f"Enter a shorter {FIELD_LABELS[name]} (up to 200 characters)"
        elif name == "override_reason":
            errors[name] = "The reason must be between 10 and 500 characters"
    return errors or {"full_name": problem.get("detail") or "The invitation could not be sent"}


@router.get("/invitations/upload")
async def upload_page(request: Request, session: ProgrammeAdmin) -> Response:
    return render(request, session, "admin/upload.html")


@router.post("/invitations/upload")
async def upload(
    request: Request,
    session: ProgrammeAdmin,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    error = None
    content = await file.read(CSV_LIMIT_BYTES + 1) if file is not None else b""
    if not session.csrf_ok(csrf_token):
        error = "The form had expired. Select the file again"
    elif file is None or not file.filename:
        error = "Select a CSV file"
    elif len(content) > CSV_LIMIT_BYTES:
        error = "The selected file must be smaller than 500 KB"
    elif not content.strip():
        error = "The selected file is empty"
    if error is None:
        answer = await call_service(
            request,
            session,
            "identity",
            "POST",
            "/invitations/bulk",
            content=content,
            content_type="text/csv",
        )
        if answer.status_code == 200:
            return render(request, session, "admin/upload_result.html", {"result": answer.json()})
        error = answer.json().get("detail") or "The selected file could not be read"
    return render(
        request, session, "admin/upload.html", {"errors": {"file": error}}, status_code=400
    )


# -- cohorts --------------------------------------------------------------------------------


@router.get("/cohorts")
async def cohorts(request: Request, session: ProgrammeAdmin) -> Response:
    answer = await call_service(request, session, "identity", "GET", "/cohorts")
    return render(request, session, "admin/cohorts.html", {"cohorts": answer.json()})


@router.get("/cohorts/new")
async def cohort_page(request: Request, session: ProgrammeAdmin) -> Response:
    return render(request, session, "admin/cohort_new.html", {"values": {}, "anchors": ANCHORS})


ANCHORS = {"starts_on": "starts_on-day", "ends_on": "ends_on-day"}


def _date(values: dict[str, str], name: str, label: str, errors: dict[str, str]) -> date | None:
    parts = [values.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        errors[name] = f"Enter the date the cohort {label}"
        return None
    if not all(parts):
        missing = [p for p, v in zip(("day", "month", "year"), parts, strict=True) if not v]
        errors[name] = f"The date the cohort {label} must include a {' and '.join(missing)}"
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return date(year, month, day)
    except ValueError:
        errors[name] = f"The date the cohort {label} must be a real date"
        return None


@router.post("/cohorts/new")
async def create_cohort(request: Request, session: ProgrammeAdmin) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    if not session.csrf_ok(values.get("csrf_token", "")):
        errors["name"] = "The form had expired. Check the details and send it again"
    name = values.get("name", "").strip()
    if not name:
        errors.setdefault("name", "Enter the cohort's name")
    elif len(name) > 120:
        errors.setdefault("name", "The name must be 120 characters or fewer")
    starts_on = _date(values, "starts_on", "starts", errors)
    ends_on = _date(values, "ends_on", "ends", errors)
    if starts_on and ends_on and ends_on <= starts_on:
        errors["ends_on"] = "The date the cohort ends must be after the date it starts"
    if not errors and starts_on and ends_on:
        answer = await call_service(
            request,
            session,
            "identity",
            "POST",
            "/cohorts",
            json={
                "name": name,
                "year": starts_on.year,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
        if answer.status_code == 201:
            session.set_flash(f"Cohort {name} created")
            return redirect(request, "/admin/cohorts")
        errors["name"] = answer.json().get("detail") or "The cohort could not be created"
    return render(
        request,
        session,
        "admin/cohort_new.html",
        {"values": values, "errors": errors, "anchors": ANCHORS},
        status_code=400,
    )
