"""RFC 9457 problem details for every error a service or the gateway returns."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.chassis.database import DatabaseUnavailable

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem body; `code` becomes the `type` URI's last segment."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.headers = headers or {}
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code or title.lower().replace(" ", "-")
        self.extensions = extensions


def problem_response(
    status: int, title: str, detail: str | None = None, code: str | None = None, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://convene.service.gov.uk/problems/{code or 'about:blank'}"
        if code
        else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def render_problem(exc: Problem) -> JSONResponse:
    response = problem_response(exc.status, exc.title, exc.detail, exc.code, **exc.extensions)
    response.headers.update(exc.headers)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Every error becomes problem+json; an unexpected one is logged and says nothing inside."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return render_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(exc.status_code, _title(exc.status_code), _detail(exc))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": [str(p) for p in err["loc"]], "message": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        return problem_response(
            422,
            "Invalid request",
            "Some fields are missing or not valid.",
            "invalid-request",
            errors=errors,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DatabaseUnavailable)
    # What asyncpg raises, unwrapped by SQLAlchemy, when the database's host refuses or is
    # not known (a database that is down, or not started yet).
    @app.exception_handler(ConnectionRefusedError)
    @app.exception_handler(socket.gaierror)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = problem_response(
            503,
            "Service unavailable",
            "The service cannot reach its database; try again soon.",
            "database-unavailable",
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "Internal error", "Something went wrong on our side.", "internal"
        )


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _detail(exc: StarletteHTTPException) -> str | None:
    return (
        exc.detail
        if isinstance(exc.detail, str) and exc.detail != _title(exc.status_code)
        else None
    )


T = TypeVar("T")
ProblemSpec = tuple[int, str, str] | Callable[[Exception], Problem]


class DomainProblems:
    """How one service answers its domain errors: a single table, so every route answers the
    same error the same way.

    Each entry maps an error class (subclasses included) to `(status, title, code)` — the
    error's message becomes the detail — or to a function building the Problem. An error with
    a `retry_after_seconds` attribute also gets a `Retry-After` header (rate limits).
    """

    def __init__(self, base: type[Exception], table: Mapping[type[Exception], ProblemSpec]) -> None:
        self.base = base
        self.table = dict(table)

    def problem(self, exc: Exception) -> Problem:
        for cls in type(exc).__mro__:
            spec = self.table.get(cls)
            if spec is None:
                continue
            if callable(spec):
                return spec(exc)
            status, title, code = spec
            retry_after = getattr(exc, "retry_after_seconds", None)
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else None
            return Problem(status, title, str(exc), code, headers=headers)
        raise TypeError(f"no problem is mapped for {type(exc).__name__}") from exc

    async def run(self, call: Awaitable[T]) -> T:
        """Await `call`, answering a domain error with its problem."""
        try:
            return await call
        except self.base as exc:
            raise self.problem(exc) from exc
