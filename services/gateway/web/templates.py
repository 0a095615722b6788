"""Templates: GOV.UK Frontend's macros and Convene's pages in `templates/<area>/`, and the two
ways a page answers, `render(...)` and `redirect(...)` (both write the session's cookies)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from services.gateway.web.session_cookies import WebSession, write_cookies

SERVICE_NAME = "Convene"

environment = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(Path(__file__).parent.parent / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def long_date(value: str | None) -> str:
    """`2026-03-05` or an ISO timestamp as `5 March 2026` (the GOV.UK style)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return f"{parsed.day} {parsed:%B %Y}"


environment.filters["long_date"] = long_date
templates = Jinja2Templates(env=environment)


def page_context(request: Request, session: WebSession | None) -> dict[str, Any]:
    navigation: list[dict[str, Any]] = []
    if session is not None and session.signed_in:
        navigation.append({"href": "/", "text": "Home"})
        navigation.append({"href": "/directory", "text": "Find a leader"})
        navigation.append({"href": "/profile", "text": "Your profile"})
        navigation.append({"href": "/contact-requests", "text": "Contact requests"})
        navigation.append({"href": "/content", "text": "Your feed"})
        navigation.append({"href": "/feedback", "text": "Feedback"})
        if session.is_admin:
            navigation.append({"href": "/admin/invitations", "text": "Invitations"})
            navigation.append({"href": "/admin/cohorts", "text": "Cohorts"})
        navigation.append({"href": "/sign-out", "text": "Sign out"})
    else:
        navigation.append({"href": "/sign-in", "text": "Sign in"})
    path = request.url.path
    for item in navigation:
        item["active"] = item["href"] == path or (
            item["href"] != "/" and path.startswith(item["href"])
        )
    return {
        "cspNonce": getattr(request.state, "csp_nonce", ""),
        "serviceName": SERVICE_NAME,
        "navigation": navigation,
        "session": session,
        "csrf_token": session.csrf_token if session is not None else "",
        "flash": session.flash if session is not None else None,
    }


def render(
    request: Request,
    session: WebSession | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    context = {**page_context(request, session), **(context or {})}
    errors: dict[str, str] = context.get("errors") or {}
    anchors: dict[str, str] = context.get("anchors") or {}
    context["error_list"] = [
        {"text": message, "href": f"#{anchors.get(name, name)}"} for name, message in errors.items()
    ]
    response = templates.TemplateResponse(
        request,
        template,
        context,
        status_code=status_code,
    )
    response.headers["cache-control"] = "no-store"
    return write_cookies(request, response)


def redirect(request: Request, url: str) -> Response:
    """303 See Other: after a form post, the browser fetches `url` with GET."""
    return write_cookies(request, RedirectResponse(url, status_code=303))
