"""Errors on pages are pages: GOV.UK error pages for browsers (`Accept: text/html`) outside
`/api/`; the API and other callers keep the chassis's problem+json."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.chassis.problems import Problem
from services.gateway.web.session_cookies import NotAllowed, SignInRequired, WebSession
from services.gateway.web.templates import redirect, render


def error_page(request: Request, status_code: int, heading: str, message: str) -> Response:
    session: WebSession | None = getattr(request.state, "web_session", None)
    return render(
        request,
        session,
        "errors/error.html",
        {"heading": heading, "message": message},
        status_code=status_code,
    )


ERROR_PAGES = {
    400: ("Sorry, there is a problem with your request", "Go back and try again."),
    403: ("You cannot see this page", "Your account does not have access to this page."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    413: ("The file or form is too large", "Send something smaller."),
    429: ("Too many requests", "You have sent too many requests. Wait a minute and try again."),
}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install_page_errors(app: FastAPI) -> None:
    """Errors on pages are pages; on the API (and for non-browser callers) they stay
    problem+json, answered by the chassis handlers installed before this."""
    api_handlers = dict(app.exception_handlers)

    def page_for(status_code: int) -> tuple[str, str]:
        return ERROR_PAGES.get(
            status_code,
            ("Sorry, there is a problem with the service", "Try again later."),
        )

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem | StarletteHTTPException | RequestValidationError)
        if not wants_page(request):
            response: Response = await api_handlers[type(exc)](request, exc)
            return response
        status_code = (
            exc.status
            if isinstance(exc, Problem)
            else exc.status_code
            if isinstance(exc, StarletteHTTPException)
            else 400
        )
        heading, message = page_for(status_code)
        response = error_page(request, status_code, heading, message)
        headers = exc.headers if isinstance(exc, Problem | StarletteHTTPException) else None
        if headers and "Retry-After" in headers:
            response.headers["retry-after"] = headers["Retry-After"]
        return response

    async def on_sign_in_required(request: Request, _: Exception) -> Response:
        target = request.url.path
        if request.method != "GET" or not target.startswith("/") or target.startswith("//"):
            target = "/"
        return redirect(request, f"/sign-in?next={quote(target, safe='/')}")

    async def on_not_allowed(request: Request, _: Exception) -> Response:
        heading, message = page_for(403)
        return error_page(request, 403, heading, message)

    for kind in (Problem, StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, on_problem)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(NotAllowed, on_not_allowed)
