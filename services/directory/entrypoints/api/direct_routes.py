"""Routes answered before FastAPI's router, for the few a service serves far more than others.

Between the app's middleware and an endpoint, FastAPI passes every request through its
exception and exit-stack middleware, the router and each included router, then resolves the
endpoint's dependencies anew: on directory search from memory that machinery was a large part
of the CPU per search (docs/performance.md). The directory's bootstrap installs the table once
every router is included. An endpoint marked `@answered_directly` keeps its
FastAPI declaration, so OpenAPI documents it and telemetry names its spans by it, but its
requests are answered by `DirectRoutes`, a plain ASGI layer inside the app's middleware: it
calls the endpoint with the request and turns what it raises into the answer the app's own
exception handlers give, so callers cannot tell which way a request went.

A direct endpoint takes only the `Request` and returns a `Response`: what a dependency would
have resolved (the caller, a query model) it reads itself, with the same functions.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

DirectEndpoint = Callable[[Request], Awaitable[Response]]
E = TypeVar("E", bound=DirectEndpoint)
ExceptionHandler = Callable[[Request, Exception], Any]

_MARK = "__answered_directly__"


def answered_directly(endpoint: E) -> E:
    """Mark a route's endpoint to be answered by `DirectRoutes` (the route stays declared)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def direct_routes(app: FastAPI) -> dict[tuple[str, str], DirectEndpoint]:
    """(method, path) -> endpoint for every marked route; refuses routes it could not answer
    exactly as FastAPI would (path parameters, dependencies, parameters besides the request)."""
    table: dict[tuple[str, str], DirectEndpoint] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not getattr(route.endpoint, _MARK, False):
            continue
        name = route.endpoint.__qualname__
        if context.path is None or "{" in context.path:
            raise ValueError(f"{name}: a directly answered route has no path parameters")
        # The context's dependencies include those its routers were included with.
        if context.dependencies:
            raise ValueError(f"{name}: a directly answered route resolves no dependencies")
        parameters = list(inspect.signature(route.endpoint, eval_str=True).parameters.values())
        if len(parameters) != 1 or parameters[0].annotation is not Request:
            raise ValueError(f"{name}: a directly answered endpoint takes only the Request")
        for method in context.methods or ():
            table[(method, context.path)] = route.endpoint
    return table


def install_direct_routes(app: FastAPI) -> None:
    """Call once every router is included (the table is read from the app's routes)."""
    table = direct_routes(app)
    if table:
        app.add_middleware(DirectRoutes, routes=table, handlers=app.exception_handlers)


class DirectRoutes:
    """Answers the marked routes; every other request goes on to the app unchanged."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Mapping[tuple[str, str], DirectEndpoint],
        handlers: Mapping[Any, ExceptionHandler],
    ) -> None:
        self.app = app
        self.routes = routes
        # The catch-all (Exception, 500) belongs to the server-error middleware outside, which
        # also logs and re-raises: an unexpected error takes the same way from here.
        self.handlers = {
            key: handler
            for key, handler in handlers.items()
            if isinstance(key, type) and key is not Exception
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], _route_path(scope)))
            if endpoint is not None:
                request = Request(scope, receive)
                try:
                    response = await endpoint(request)
                except Exception as exc:
                    handler = self._handler_for(exc)
                    if handler is None:
                        raise
                    answer = handler(request, exc)
                    response = await answer if inspect.isawaitable(answer) else answer
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _handler_for(self, exc: Exception) -> ExceptionHandler | None:
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def _route_path(scope: Scope) -> str:
    """The path routes are matched on: without the prefix the app is mounted under, if any."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
