"""Directly answered routes: the same answers as through FastAPI's router, without reaching it."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from services.chassis.problems import Problem, install_problem_handlers
from services.directory.entrypoints.api.direct_routes import (
    answered_directly,
    direct_routes,
    install_direct_routes,
)
from services.directory.entrypoints.api.query_model import query_model


class Listing(BaseModel):
    limit: int = Field(10, ge=1, le=50)


read_listing, listing_docs = query_model(Listing)


@answered_directly
async def listing(request: Request) -> Response:
    query = await read_listing(request)
    if request.headers.get("x-fail") == "problem":
        raise Problem(409, "Conflict", "Not now.", "not-now", headers={"Retry-After": "3"})
    if request.headers.get("x-fail") == "http":
        raise HTTPException(404, "Nothing here.")
    if request.headers.get("x-fail") == "unexpected":
        raise RuntimeError("a secret stack detail")
    return Response(f'{{"limit":{query.limit}}}', media_type="application/json")


async def plain() -> dict[str, str]:
    return {"answered": "by the router"}


class RecordsWhatReachesIt:
    """Innermost middleware: what gets past the direct routes on its way to the router."""

    def __init__(self, app: ASGIApp, *, reached: list[str]) -> None:
        self.app = app
        self.reached = reached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.reached.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


def make_app(*, direct: bool, reached: list[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_api_route("/items", listing, methods=["GET"], openapi_extra=listing_docs)
    app.add_api_route("/plain", plain, methods=["GET"])
    app.add_middleware(RecordsWhatReachesIt, reached=reached)
    if direct:
        install_direct_routes(app)
    return app


async def call(app: FastAPI, method: str, path: str, **headers: str) -> httpx.Response:
    # The unexpected error must come back as the 500 the server-error middleware answers.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, headers=headers)


CASES = [
    ("GET", "/items?limit=3", {}),
    ("GET", "/items?limit=0", {}),
    ("GET", "/items", {"x-fail": "problem"}),
    ("GET", "/items", {"x-fail": "http"}),
    ("GET", "/items", {"x-fail": "unexpected"}),
    ("POST", "/items", {}),
    ("GET", "/items/", {}),
    ("GET", "/plain", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), CASES)
async def test_every_answer_is_the_one_the_router_gives(
    method: str, path: str, headers: dict[str, str]
) -> None:
    direct = await call(make_app(direct=True, reached=[]), method, path, **headers)
    routed = await call(make_app(direct=False, reached=[]), method, path, **headers)
    assert (direct.status_code, direct.content) == (routed.status_code, routed.content)
    assert direct.headers.get("content-type") == routed.headers.get("content-type")
    assert direct.headers.get("retry-after") == routed.headers.get("retry-after")


async def test_the_answers_are_what_a_caller_expects() -> None:
    app = make_app(direct=True, reached=[])
    assert (await call(app, "GET", "/items?limit=3")).json() == {"limit": 3}
    invalid = await call(app, "GET", "/items?limit=0")
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["location"] == ["query", "limit"]
    problem = await call(app, "GET", "/items", **{"x-fail": "problem"})
    assert (problem.status_code, problem.headers["retry-after"]) == (409, "3")
    unexpected = await call(app, "GET", "/items", **{"x-fail": "unexpected"})
    assert unexpected.status_code == 500
    assert "secret" not in unexpected.text


async def test_only_the_marked_route_and_method_skip_the_router() -> None:
    reached: list[str] = []
    app = make_app(direct=True, reached=reached)
    for method, path, headers in CASES:
        await call(app, method, path, **headers)
    assert reached == ["POST /items", "GET /items/", "GET /plain"]


async def test_the_route_is_still_documented() -> None:
    app = make_app(direct=True, reached=[])
    await call(app, "GET", "/items")
    operation = app.openapi()["paths"]["/items"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["limit"]


async def test_under_a_mount_prefix_the_route_is_still_answered_directly() -> None:
    reached: list[str] = []
    outer = FastAPI()
    outer.mount("/directory", make_app(direct=True, reached=reached))
    response = await call(outer, "GET", "/directory/items?limit=4")
    assert response.json() == {"limit": 4}
    assert reached == []


def test_routes_it_could_not_answer_as_the_router_would_are_refused() -> None:
    async def member(request: Request) -> Response:
        return Response()

    async def needs(request: Request, limit: Annotated[int, Depends(lambda: 1)]) -> Response:
        return Response()

    async def guarded(request: Request) -> Response:
        return Response()

    guard = [Depends(lambda: None)]
    for path, endpoint, on_route, on_include in [
        ("/members/{member}", member, [], []),
        ("/needs", needs, [], []),
        ("/guarded", guarded, guard, []),
        ("/guarded", guarded, [], guard),
    ]:
        router = APIRouter()
        router.add_api_route(
            path, answered_directly(endpoint), methods=["GET"], dependencies=on_route
        )
        app = FastAPI()
        app.include_router(router, dependencies=on_include)
        with pytest.raises(ValueError, match="directly answered"):
            direct_routes(app)
