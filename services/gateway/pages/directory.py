"""The directory for members: your profile (edit, photo, publish, confirm, who viewed it), find
a leader (search with facet filters and keyset pages), a profile as you may see it, and contact
requests (send, accept, decline).

Everything the directory decides (who may see a field, the daily limit, blocks) stays in the
directory: these pages show what its API answers and explain its refusals the GOV.UK way.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from markupsafe import Markup, escape
from pydantic import EmailStr, TypeAdapter, ValidationError

from services.chassis.problems import Problem
from services.gateway.web import (
    NotAllowed,
    SignedIn,
    SignInRequired,
    WebSession,
    call_service,
    environment,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)
EMAIL = TypeAdapter(EmailStr)

PHOTO_MAX_BYTES = 512_000
BIO_MAX_CHARS = 2000
REASON_MIN_CHARS, REASON_MAX_CHARS = 10, 500
REPORT_NOTE_MAX_CHARS = 1000
FACETS = ("sector", "region", "organisation", "cohort", "expertise")
FACET_LABELS = {
    "sector": "Sector",
    "region": "Region",
    "organisation": "Organisation",
    "cohort": "Cohort",
    "expertise": "Expertise",
}
#: Page anchors of the fields a completeness item is about (the nudge links to them).
MISSING_ANCHORS = {
    "job_title": "job_title",
    "organisation": "organisation_id",
    "sector": "sector",
    "region": "region",
    "bio": "bio",
    "expertise": "expertise",
    "contact": "email",
    "languages": "languages",
    "preferred_name": "preferred_name",
}
#: The fields every member sees once the profile is published; the only choice is whether
#: other departments see them too (the directory's `listed_fields`).
LISTED_FIELD_LABELS = {
    "name": "Your name",
    "job_title": "Job title",
    "organisation": "Organisation",
    "sector": "Sector",
    "region": "Region",
    "expertise": "Expertise",
    "languages": "Languages",
}
PRIVATE_FIELD_LABELS = {
    "email": "Email address",
    "phone": "Phone number",
    "assistant": "Assistant",
    "bio": "Bio",
    "photo": "Photo",
}
#: Labels for the visibility levels we know; a level the directory adds later is still offered
#: (the choices come from its `/vocabularies`), with a label made from its name.
VISIBILITY_LABELS = {
    "departments": (
        "Every Convene member and other government departments",
        "Departments that subscribe to Convene's public events receive it too",
    ),
    "members": ("Every Convene member", None),
    "cohort": ("Members of your programme cohorts", None),
    "connections": ("People whose contact request you accepted, or who accepted yours", None),
    "hidden": ("Nobody else", "Only you and your delegates"),
}
STATUS_TAGS = {
    "pending": ("Waiting for an answer", "govuk-tag--blue"),
    "accepted": ("Accepted", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--grey"),
    "expired": ("Expired", "govuk-tag--yellow"),
}


def visibility_label(level: str) -> str:
    known = VISIBILITY_LABELS.get(level)
    return known[0] if known else level.replace("_", " ").capitalize()


def snippet_html(snippet: str | None) -> Markup:
    """The search snippet's `<mark>`s kept and everything else escaped again, so the page never
    trusts markup from a service."""
    if not snippet:
        return Markup("")
    marks = {"<mark>": Markup("<mark>"), "</mark>": Markup("</mark>")}
    out = Markup("")
    for part in re.split(r"(</?mark>)", snippet):
        out += marks.get(part) or escape(html.unescape(part))
    return out


environment.filters["snippet_html"] = snippet_html
environment.filters["visibility_label"] = visibility_label
environment.globals["status_tags"] = STATUS_TAGS


def _member_ref(member_id: str) -> str:
    """A member id from a page address, or 404 (never a 500 for a mistyped address)."""
    try:
        return str(UUID(member_id))
    except ValueError as exc:
        raise Problem(404, "Not found", "There is no such profile.") from exc


def _problem_code(answer: Any) -> str:
    try:
        return str(answer.json().get("type", "")).rsplit("/", 1)[-1]
    except ValueError:
        return ""


async def _vocabularies(request: Request, session: WebSession) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", "/vocabularies")
    vocabularies: dict[str, Any] = answer.json()
    return vocabularies


async def landing_page(request: Request, session: WebSession) -> str:
    """Where a member lands after signing in: their profile while it is still a draft (so they
    complete it), otherwise the home page. Any trouble asking the directory means home."""
    try:
        answer = await call_service(request, session, "directory", "GET", "/profiles/me")
    except (NotAllowed, SignInRequired, Problem):
        return "/"
    if answer.status_code == 200 and answer.json().get("status") == "draft":
        return "/profile"
    return "/"


# -- your profile ---------------------------------------------------------------------------


async def _own_profile(request: Request, session: WebSession) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", "/profiles/me")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "You do not have a directory profile yet.")
    profile: dict[str, Any] = answer.json()
    return profile


@router.get("/profile")
async def your_profile(request: Request, session: SignedIn) -> Response:
    return await _show_own_profile(request, session, {})


async def _show_own_profile(
    request: Request, session: WebSession, errors: dict[str, str], status_code: int = 200
) -> Response:
    profile = await _own_profile(request, session)
    vocabularies = await _vocabularies(request, session)
    notices = await call_service(request, session, "directory", "GET", "/profiles/me/notices")
    return render(
        request,
        session,
        "directory/profile.html",
        {
            "profile": profile,
            "labels": _labels(vocabularies),
            "notices": notices.json() if notices.status_code == 200 else [],
            "missing_anchors": MISSING_ANCHORS,
            "private_field_labels": PRIVATE_FIELD_LABELS,
            "listed_field_labels": {
                field: LISTED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
                for field in vocabularies.get("listed_fields", [])
            },
            "errors": errors,
            "anchors": {"publish": "publish"},
        },
        status_code=status_code,
    )


def _labels(vocabularies: dict[str, Any]) -> dict[str, str]:
    return {
        item["value"]: item["label"]
        for kind in ("sectors", "regions")
        for item in vocabularies.get(kind, [])
    }


@router.post("/profile/publish")
async def publish(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    return await _owner_action(request, session, csrf_token, "publish")


@router.post("/profile/confirm")
async def confirm(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    return await _owner_action(request, session, csrf_token, "confirm")


async def _owner_action(
    request: Request, session: WebSession, csrf_token: str, action: str
) -> Response:
    if not session.csrf_ok(csrf_token):
        return await _show_own_profile(
            request, session, {"publish": "The form had expired. Try again"}, 400
        )
    answer = await call_service(request, session, "directory", "POST", f"/profiles/me/{action}")
    if answer.status_code == 200:
        session.set_flash(
            "Your profile is in the directory: other members can now find you"
            if action == "publish"
            else "Thank you for confirming your profile is still current"
        )
        return redirect(request, "/profile")
    detail = answer.json().get("detail") if answer.status_code == 422 else None
    message = (
        "Add your job title, sector and region before you publish your profile"
        if action == "publish"
        else detail or "Your profile could not be confirmed. Try again"
    )
    return await _show_own_profile(request, session, {"publish": message}, 400)


# -- edit -----------------------------------------------------------------------------------

TEXT_FIELDS = ("preferred_name", "job_title", "bio", "email", "phone")
ASSISTANT_FIELDS = ("name", "email", "phone")
PHONE = re.compile(r"^[0-9+() \-]{3,40}$")
FIELD_ERRORS = {
    "preferred_name": "Enter a preferred name of 100 characters or fewer",
    "job_title": "Enter a job title of 200 characters or fewer",
    "organisation_id": "Choose an organisation from the list",
    "sector": "Choose a sector from the list",
    "region": "Choose a region from the list",
    "bio": f"Your bio must be {BIO_MAX_CHARS:,} characters or fewer",
    "expertise": "Choose up to 15 areas of expertise",
    "languages": "Enter up to 10 language names, separated by commas, like English, Welsh",
    "email": "Enter an email address in the correct format, like name@example.gov.uk",
    "phone": "Enter a phone number, like 020 7946 0000",
    "assistant_name": "Enter your assistant's name in 200 characters or fewer",
    "assistant_email": "Enter your assistant's email address in the correct format",
    "assistant_phone": "Enter your assistant's phone number, like 020 7946 0000",
}


async def _edit_context(request: Request, session: WebSession) -> dict[str, Any]:
    vocabularies = await _vocabularies(request, session)
    organisations = await call_service(
        request, session, "directory", "GET", "/organisations", params={"limit": "200"}
    )
    expertise = await call_service(request, session, "directory", "GET", "/expertise")
    return {
        "vocabularies": vocabularies,
        "organisations": organisations.json()["items"],
        "expertise_tags": expertise.json(),
        "private_field_labels": PRIVATE_FIELD_LABELS,
        "listed_field_labels": {
            field: LISTED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
            for field in vocabularies.get("listed_fields", [])
        },
        "visibility_hints": {k: v[1] for k, v in VISIBILITY_LABELS.items() if v[1]},
        "bio_max": BIO_MAX_CHARS,
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
    profile = await _own_profile(request, session)
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
    errors = _edit_errors(values)
    if not session.csrf_ok(single.get("csrf_token", "")):
        errors = {"preferred_name": "The form had expired. Check your changes and save again"}
    if not errors:
        answer = await call_service(
            request, session, "directory", "PATCH", "/profiles/me", json=_update_body(values)
        )
        if answer.status_code == 200:
            session.set_flash("Your profile has been saved")
            return redirect(request, "/profile")
        errors = _api_errors(answer)
    profile = await _own_profile(request, session)
    return render(
        request,
        session,
        "directory/edit.html",
        {**context, "profile": profile, "values": values, "errors": errors},
        status_code=400,
    )


def _languages(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _edit_errors(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(values["preferred_name"]) > 100:
        errors["preferred_name"] = FIELD_ERRORS["preferred_name"]
    if len(values["job_title"]) > 200:
        errors["job_title"] = FIELD_ERRORS["job_title"]
    if len(values["bio"]) > BIO_MAX_CHARS:
        errors["bio"] = FIELD_ERRORS["bio"]
    if len(values["expertise"]) > 15:
        errors["expertise"] = FIELD_ERRORS["expertise"]
    if len(_languages(values["languages"])) > 10:
        errors["languages"] = FIELD_ERRORS["languages"]
    for name in ("email", "assistant_email"):
        if values[name]:
            try:
                EMAIL.validate_python(values[name])
            except ValidationError:
                errors[name] = FIELD_ERRORS[name]
    for name in ("phone", "assistant_phone"):
        if values[name] and not PHONE.fullmatch(values[name]):
            errors[name] = FIELD_ERRORS[name]
    if len(values["assistant_name"]) > 200:
        errors["assistant_name"] = FIELD_ERRORS["assistant_name"]
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


def _api_errors(answer: Any) -> dict[str, str]:
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
        errors.setdefault(name, FIELD_ERRORS.get(name, "Check this answer"))
    return errors or {
        "preferred_name": problem.get("detail") or "Your profile could not be saved. Try again"
    }


# -- photo ----------------------------------------------------------------------------------


@router.get("/profile/photo")
async def photo_page(request: Request, session: SignedIn) -> Response:
    profile = await _own_profile(request, session)
    return render(request, session, "directory/photo.html", {"profile": profile})


@router.post("/profile/photo")
async def upload_photo(
    request: Request,
    session: SignedIn,
    photo: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    content = await photo.read(PHOTO_MAX_BYTES + 1) if photo is not None else b""
    error = None
    if not session.csrf_ok(csrf_token):
        error = "The form had expired. Select the photo again"
    elif photo is None or not photo.filename or not content:
        error = "Select a photo"
    elif len(content) > PHOTO_MAX_BYTES:
        error = "The selected file must be smaller than 500 KB"
    if error is None:
        answer = await call_service(
            request,
            session,
            "directory",
            "PUT",
            "/profiles/me/photo",
            content=content,
            content_type="application/octet-stream",
        )
        if answer.status_code == 200:
            session.set_flash("Your photo has been uploaded")
            return redirect(request, "/profile")
        error = (
            "The selected file must be smaller than 500 KB"
            if answer.status_code == 413
            else "The selected file must be a JPG, PNG or WebP image"
        )
    profile = await _own_profile(request, session)
    return render(
        request,
        session,
        "directory/photo.html",
        {"profile": profile, "errors": {"photo": error}},
        status_code=400,
    )


@router.post("/profile/photo/remove")
async def remove_photo(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    if not session.csrf_ok(csrf_token):
        profile = await _own_profile(request, session)
        return render(
            request,
            session,
            "directory/photo.html",
            {"profile": profile, "errors": {"photo": "The form had expired. Try again"}},
            status_code=400,
        )
    await call_service(request, session, "directory", "DELETE", "/profiles/me/photo")
    session.set_flash("Your photo has been removed")
    return redirect(request, "/profile")


@router.get("/directory/people/{member_id}/photo")
async def photo(request: Request, session: SignedIn, member_id: str) -> Response:
    member = _member_ref(member_id)
    answer = await call_service(request, session, "directory", "GET", f"/profiles/{member}/photo")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "There is no photo you can see.")
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"cache-control": "private, max-age=300", "content-disposition": "inline"},
    )


# -- who viewed your profile ----------------------------------------------------------------


@router.get("/profile/viewers")
async def viewers(request: Request, session: SignedIn) -> Response:
    answer = await call_service(
        request, session, "directory", "GET", "/profiles/me/viewers", params={"limit": "50"}
    )
    items = answer.json()["items"] if answer.status_code == 200 else []
    return render(request, session, "directory/viewers.html", {"views": items})


# -- delegates (your private office) --------------------------------------------------------


@router.get("/profile/delegates")
async def delegates(request: Request, session: SignedIn) -> Response:
    answer = await call_service(request, session, "directory", "GET", "/profiles/me/delegates")
    items = answer.json() if answer.status_code == 200 else []
    return render(request, session, "directory/delegates.html", {"delegates": items})


@router.post("/directory/people/{member_id}/delegate")
async def name_delegate(
    request: Request,
    session: SignedIn,
    member_id: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = _member_ref(member_id)
    profile = await _profile(request, session, member)
    if not session.csrf_ok(csrf_token):
        return _form_expired(request, session)
    answer = await call_service(
        request,
        session,
        "directory",
        "POST",
        "/profiles/me/delegates",
        json={"delegate_id": member},
        forbidden_ok=True,
    )
    if answer.status_code != 204:
        return render(
            request,
            session,
            "errors/error.html",
            {
                "heading": f"{profile['full_name']} cannot be your delegate",
                "message": "A delegate must be another Convene member.",
            },
            status_code=400,
        )
    session.set_flash(f"{profile['full_name']} is now your delegate")
    return redirect(request, "/profile/delegates")


@router.post("/profile/delegates/{delegate_id}/remove")
async def remove_delegate(
    request: Request,
    session: SignedIn,
    delegate_id: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    delegate = _member_ref(delegate_id)
    if not session.csrf_ok(csrf_token):
        return _form_expired(request, session)
    await call_service(
        request, session, "directory", "DELETE", f"/profiles/me/delegates/{delegate}"
    )
    session.set_flash("The delegation has ended")
    return redirect(request, "/profile/delegates")


def _form_expired(request: Request, session: WebSession) -> Response:
    return render(
        request,
        session,
        "errors/error.html",
        {
            "heading": "Your form could not be sent",
            "message": "The page had been open too long. Go back, refresh the page and try again.",
        },
        status_code=400,
    )


# -- find a leader --------------------------------------------------------------------------


def _search_state(request: Request) -> dict[str, Any]:
    """The search as the page's address holds it (a GET form, so it works without JavaScript
    and can be bookmarked). `trail` is the cursors of the pages before this one, so "Previous"
    is a link too."""
    query = request.query_params
    return {
        "q": query.get("q", "")[:200],
        **{name: [v[:100] for v in query.getlist(name)][:20] for name in FACETS},
        "cursor": query.get("cursor", "")[:400],
        "trail": [v[:400] for v in query.getlist("trail")][:50],
    }


def _search_href(state: dict[str, Any], cursor: str, trail: list[str]) -> str:
    pairs: list[tuple[str, str]] = [("q", state["q"])] if state["q"] else []
    pairs += [(name, value) for name in FACETS for value in state[name]]
    pairs += [("trail", step) for step in trail]
    if cursor:
        pairs.append(("cursor", cursor))
    return "/directory" + ("?" + urlencode(pairs) if pairs else "")


@router.get("/directory")
async def find_a_leader(request: Request, session: SignedIn) -> Response:
    state = _search_state(request)
    params = {"facets": ",".join(FACETS), "limit": "20"}
    if state["q"]:
        params["q"] = state["q"]
    for name in FACETS:
        if state[name]:
            params[name] = ",".join(state[name])
    if state["cursor"]:
        params["cursor"] = state["cursor"]
    answer = await call_service(request, session, "directory", "GET", "/profiles", params=params)
    context: dict[str, Any] = {
        "state": state,
        "facet_labels": FACET_LABELS,
        "results": None,
        "labels": {},
    }
    status_code = 200
    if answer.status_code == 200:
        results = answer.json()
        context["results"] = results
        # The directory labels organisations, cohorts and tags in its facets; sectors and
        # regions are labelled by its vocabularies.
        labels = _labels(await _vocabularies(request, session))
        context["facets"] = _facet_options(state, results.get("facets", {}), labels)
        context["labels"] = labels
        trail = state["trail"]
        if results.get("next_cursor"):
            context["next_href"] = _search_href(
                state, results["next_cursor"], [*trail, state["cursor"]]
            )
        if state["cursor"]:
            context["previous_href"] = _search_href(state, trail[-1] if trail else "", trail[:-1])
        context["first"] = len(trail) * 20 + 1 if state["cursor"] else 1
    else:
        status_code = 400
        context["search_error"] = (
            "This page of results is out of date. Start your search again."
            if _problem_code(answer) == "bad-cursor"
            else "We could not use those filters. Start your search again."
        )
    return render(request, session, "directory/search.html", context, status_code=status_code)


def _facet_options(
    state: dict[str, Any], facets: dict[str, Any], labels: dict[str, str]
) -> dict[str, list[Any]]:
    """Checkbox items per facet, with counts; a chosen value stays listed even at zero."""
    options: dict[str, list[Any]] = {}
    for name in FACETS:
        chosen = set(state[name])
        items = []
        seen = set()
        for value in facets.get(name, []):
            seen.add(value["value"])
            items.append(
                {
                    "value": value["value"],
                    "text": f"{value.get('label') or labels.get(value['value'], value['value'])}"
                    f" ({value['count']})",
                    "checked": value["value"] in chosen,
                }
            )
        items += [
            {"value": v, "text": f"{labels.get(v, v)} (0)", "checked": True}
            for v in sorted(chosen - seen)
        ]
        if items:
            options[name] = items
    return options


# -- someone's profile ----------------------------------------------------------------------


async def _profile(request: Request, session: WebSession, member: str) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", f"/profiles/{member}")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "There is no profile with that id.")
    profile: dict[str, Any] = answer.json()
    return profile


@router.get("/directory/people/{member_id}")
async def profile_page(request: Request, session: SignedIn, member_id: str) -> Response:
    member = _member_ref(member_id)
    if session.principal is not None and member == session.principal.subject:
        return redirect(request, "/profile")
    profile = await _profile(request, session, member)
    vocabularies = await _vocabularies(request, session)
    return render(
        request,
        session,
        "directory/person.html",
        {"profile": profile, "labels": _labels(vocabularies)},
    )


@router.get("/directory/people/{member_id}/contact")
async def contact_page(request: Request, session: SignedIn, member_id: str) -> Response:
    profile = await _profile(request, session, _member_ref(member_id))
    return render(
        request,
        session,
        "directory/contact.html",
        {"profile": profile, "values": {}, "reason_max": REASON_MAX_CHARS},
    )


@router.post("/directory/people/{member_id}/contact")
async def send_contact_request(
    request: Request,
    session: SignedIn,
    member_id: str,
    reason: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = _member_ref(member_id)
    reason = reason.strip()
    error = None
    if not session.csrf_ok(csrf_token):
        error = "The form had expired. Send your request again"
    elif not reason:
        error = "Enter why you would like to be in contact"
    elif len(reason) < REASON_MIN_CHARS:
        error = f"Your reason must be {REASON_MIN_CHARS} characters or more"
    elif len(reason) > REASON_MAX_CHARS:
        error = f"Your reason must be {REASON_MAX_CHARS} characters or fewer"
    profile = await _profile(request, session, member)
    if error is None:
        answer = await call_service(
            request,
            session,
            "directory",
            "POST",
            "/contact-requests",
            json={"recipient_id": member, "reason": reason},
            forbidden_ok=True,
        )
        if answer.status_code == 201:
            session.set_flash(f"Contact request sent to {profile['full_name']}")
            return redirect(request, "/contact-requests")
        error = _contact_refusal(answer)
    return render(
        request,
        session,
        "directory/contact.html",
        {
            "profile": profile,
            "values": {"reason": reason},
            "errors": {"reason": error},
            "reason_max": REASON_MAX_CHARS,
        },
        status_code=400,
    )


def _contact_refusal(answer: Any) -> str:
    if answer.status_code == 429:
        wait = answer.headers.get("retry-after", "")
        hours = max(1, -(-int(wait) // 3600)) if wait.isdigit() else None
        later = f"in {hours} hour{'s' if hours != 1 else ''}" if hours else "tomorrow"
        return (
            "You have sent as many contact requests as you can in 24 hours. "
            f"You can send another {later}"
        )
    if answer.status_code == 403:
        return "You cannot send a contact request to this person"
    if answer.status_code == 409:
        return "There is already a contact request waiting between you and this person"
    return "Your request could not be sent. Check your reason and try again"


@router.get("/directory/people/{member_id}/report")
async def report_page(request: Request, session: SignedIn, member_id: str) -> Response:
    profile = await _profile(request, session, _member_ref(member_id))
    return render(request, session, "directory/report.html", {"profile": profile, "values": {}})


@router.post("/directory/people/{member_id}/report")
async def report(
    request: Request,
    session: SignedIn,
    member_id: str,
    kind: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = _member_ref(member_id)
    note = note.strip()
    errors: dict[str, str] = {}
    if not session.csrf_ok(csrf_token):
        errors["kind"] = "The form had expired. Send your report again"
    elif kind not in ("out_of_date", "leaver"):
        errors["kind"] = "Select what is wrong with this profile"
    if len(note) > REPORT_NOTE_MAX_CHARS:
        errors["note"] = f"Your note must be {REPORT_NOTE_MAX_CHARS:,} characters or fewer"
    profile = await _profile(request, session, member)
    if not errors:
        answer = await call_service(
            request,
            session,
            "directory",
            "POST",
            f"/profiles/{member}/reports",
            json={"kind": kind, "note": note},
        )
        if answer.status_code == 201:
            session.set_flash(
                f"Thank you. We have let {profile['full_name']} and the programme team know"
            )
            return redirect(request, f"/directory/people/{member}")
        errors["kind"] = "Your report could not be sent. Try again"
    return render(
        request,
        session,
        "directory/report.html",
        {"profile": profile, "values": {"kind": kind, "note": note}, "errors": errors},
        status_code=400,
    )


# -- contact requests -----------------------------------------------------------------------


@router.get("/contact-requests")
async def contact_requests(request: Request, session: SignedIn) -> Response:
    lists = {}
    for direction in ("incoming", "outgoing"):
        answer = await call_service(
            request,
            session,
            "directory",
            "GET",
            "/contact-requests",
            params={"direction": direction, "limit": "50"},
        )
        lists[direction] = answer.json()["items"] if answer.status_code == 200 else []
    return render(
        request,
        session,
        "directory/contact_requests.html",
        {"received": lists["incoming"], "sent": lists["outgoing"]},
    )


@router.post("/contact-requests/{request_id}/decision")
async def decide(
    request: Request,
    session: SignedIn,
    request_id: str,
    decision: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        request_ref = str(UUID(request_id))
    except ValueError as exc:
        raise Problem(404, "Not found", "There is no such contact request.") from exc
    if not session.csrf_ok(csrf_token) or decision not in ("accept", "decline"):
        return _form_expired(request, session)
    answer = await call_service(
        request,
        session,
        "directory",
        "POST",
        f"/contact-requests/{request_ref}/decision",
        json={"decision": decision},
        forbidden_ok=True,
    )
    if answer.status_code != 200:
        return render(
            request,
            session,
            "errors/error.html",
            {
                "heading": "This contact request cannot be answered",
                "message": "It may have been answered already, or it has expired.",
            },
            status_code=400,
        )
    name = answer.json().get("requester_name") or "the member"
    session.set_flash(
        f"You accepted {name}'s contact request. You can now see each other's contact details"
        if decision == "accept"
        else f"You declined {name}'s contact request"
    )
    return redirect(request, "/contact-requests")
