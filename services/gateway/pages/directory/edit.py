"""Editing your profile: every field, and who sees each private one."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from services.gateway.pages.directory.lookups import own_profile
from services.gateway.pages.directory.vocabularies import (
    PRIVATE_FIELD_LABELS,
    VISIBILITY_LABELS,
    Limits,
    fetch_vocabularies,
    listed_field_labels,
)
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)
EMAIL = TypeAdapter(EmailStr)
TEXT_FIELDS = ("preferred_name", "job_title", "bio", "email", "phone")
ASSISTANT_FIELDS = ("name", "email", "phone")
PHONE = re.compile(r"^[0-9+() \-]{3,40}$")
FIELD_ERRORS = {
    "preferred_name": "Enter a preferred name of 100 characters or fewer",
    "job_title": "Enter a job title of 200 characters or fewer",
    "organisation_id": "Choose an organisation from the list",
    "sector": "Choose a sector from the list",
    "region": "Choose a region from the list",
    "expertise": "Choose up to 15 areas of expertise",
    "languages": "Enter up to 10 language names, separated by commas, like English, Welsh",
    "email": "Enter an email address in the correct format, like name@example.gov.uk",
    "phone": "Enter a phone number, like 020 7946 0000",
    "assistant_name": "Enter your assistant's name in 200 characters or fewer",
    "assistant_email": "Enter your assistant's email address in the correct format",
    "assistant_phone": "Enter your assistant's phone number, like 020 7946 0000",
}


def _field_errors(limits: Limits) -> dict[str, str]:
    """Every field's message; the bio's states the directory's own limit."""
    return {**FIELD_ERRORS, "bio": f"Your bio must be {limits.bio_max_chars:,} characters or fewer"}


async def _edit_context(request: Request, session: WebSession) -> dict[str, Any]:
    vocabularies = await fetch_vocabularies(request, session)
    organisations = await call_service(
        request, session, "directory", "GET", "/organisations", params={"limit": "200"}
    )
    expertise = await call_service(request, session, "directory", "GET", "/expertise")
    limits = Limits.of(vocabularies)
    return {
        "vocabularies": vocabularies,
        "limits": limits,
        "organisations": organisations.json()["items"],
        "expertise_tags": expertise.json(),
        "private_field_labels": PRIVATE_FIELD_LABELS,
        "listed_field_labels": listed_field_labels(vocabularies),
        "visibility_hints": {k: v[1] for k, v in VISIBILITY_LABELS.items() if v[1]},
        "bio_max": limits.bio_max_chars,
        "anchors": {
            "expertise": "expertise",
            **{f"visibility_{f}": f"visibility_{f}" for f in PRIVATE_FIELD_LABELS},
        },
    }


def _form_values(profile: dict[str, Any]) -> dict[str, Any]:
    assistant = profile.get("assistant") or {}
    return {
        **{name: profile.get(name) or "" for name in TEXT_FIELDS},
        "organisation_id": profile.get("organisation_id") or "",
        "sector": profile.get("sector") or "",
        "region": profile.get("region") or "",
        "expertise": [tag["slug"] for tag in profile.get("expertise", [])],
        "languages": ", ".join(profile.get("languages", [])),
        **{f"assistant_{name}": assistant.get(name) or "" for name in ASSISTANT_FIELDS},
        "visibility": profile.get("visibility") or {},
    }


@router.get("/profile/edit")
async def edit_page(request: Request, session: SignedIn) -> Response:
    profile = await own_profile(request, session)
    context = await _edit_context(request, session)
    return render(
        request,
        session,
        "directory/edit.html",
        {**context, "profile": profile, "values": _form_values(profile)},
    )


@router.post("/profile/edit")
async def edit(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    single = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    context = await _edit_context(request, session)
    private_fields = context["vocabularies"].get("private_fields", list(PRIVATE_FIELD_LABELS))
    levels = context["vocabularies"].get("visibility", [])
    values: dict[str, Any] = {
        **{name: single.get(name, "") for name in TEXT_FIELDS},
        "organisation_id": single.get("organisation_id", ""),
        "sector": single.get("sector", ""),
        "region": single.get("region", ""),
        "expertise": [str(v) for v in form.getlist("expertise") if isinstance(v, str)],
        "languages": single.get("languages", ""),
        **{f"assistant_{n}": single.get(f"assistant_{n}", "") for n in ASSISTANT_FIELDS},
        "visibility": {
            f: single[f"visibility_{f}"]
            for f in private_fields
            if single.get(f"visibility_{f}") in levels
        },
    }
    # Listed fields: ticked means other departments see it too; unticked, members only.
    shared = {str(v) for v in form.getlist("share_with_departments") if isinstance(v, str)}
    for field in context["vocabularies"].get("listed_fields", []):
        values["visibility"][field] = "departments" if field in shared else "members"
    errors = _edit_errors(values, context["limits"])
    if not session.csrf_ok(single.get("csrf_token", "")):
        errors = {"preferred_name": "The form had expired. Check your changes and save again"}
    if not errors:
        answer = await call_service(
            request, session, "directory", "PATCH", "/profiles/me", json=_update_body(values)
        )
        if answer.status_code == 200:
            session.set_flash("Your profile has been saved")
            return redirect(request, "/profile")
        errors = _api_errors(answer, context["limits"])
    profile = await own_profile(request, session)
    return render(
        request,
        session,
        "directory/edit.html",
        {**context, "profile": profile, "values": values, "errors": errors},
        status_code=400,
    )


def _languages(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _edit_errors(values: dict[str, Any], limits: Limits) -> dict[str, str]:
    field_errors = _field_errors(limits)
    errors: dict[str, str] = {}
    if len(values["preferred_name"]) > 100:
        errors["preferred_name"] = field_errors["preferred_name"]
    if len(values["job_title"]) > 200:
        errors["job_title"] = field_errors["job_title"]
    if len(values["bio"]) > limits.bio_max_chars:
        errors["bio"] = field_errors["bio"]
    if len(values["expertise"]) > 15:
        errors["expertise"] = field_errors["expertise"]
    if len(_languages(values["languages"])) > 10:
        errors["languages"] = field_errors["languages"]
    for name in ("email", "assistant_email"):
        if values[name]:
            try:
                EMAIL.validate_python(values[name])
            except ValidationError:
                errors[name] = field_errors[name]
    for name in ("phone", "assistant_phone"):
        if values[name] and not PHONE.fullmatch(values[name]):
            errors[name] = field_errors[name]
    if len(values["assistant_name"]) > 200:
        errors["assistant_name"] = field_errors["assistant_name"]
    return errors


def _update_body(values: dict[str, Any]) -> dict[str, Any]:
    """Every field of the form, an empty one sent as null (the directory clears it)."""
    body: dict[str, Any] = {name: values[name] or None for name in TEXT_FIELDS}
    body |= {name: values[name] or None for name in ("organisation_id", "sector", "region")}
    body["expertise"] = values["expertise"]
    body["languages"] = _languages(values["languages"])
    assistant = {n: values[f"assistant_{n}"] or None for n in ASSISTANT_FIELDS}
    body["assistant"] = assistant if any(assistant.values()) else None
    if values["visibility"]:
        body["visibility"] = values["visibility"]
    return body


def _api_errors(answer: Any, limits: Limits) -> dict[str, str]:
    """The directory's 422 (field by field) as the form's inline errors."""
    try:
        problem = answer.json()
    except ValueError:
        problem = {}
    errors: dict[str, str] = {}
    for error in problem.get("errors", []):
        location = [str(part) for part in error.get("location") or []][1:]
        if not location:
            continue
        name = "_".join(location[:2]) if location[0] in ("assistant",) else location[0]
        if name == "visibility":
            continue
        errors.setdefault(name, _field_errors(limits).get(name, "Check this answer"))
    return errors or {
        "preferred_name": problem.get("detail") or "Your profile could not be saved. Try again"
    }
