"""How the gateway's server spans (and HTTP metrics) are named, and what they leave out.

FastAPI's instrumentation finds the route of every request by walking every route, a cost
paid on every proxied call (measured with bench/gateway_overhead.py, docs/gateway.md). API calls
are named from their path instead (`GET /api/directory/{path}`: one series per service, never
per id); pages, which are few and heavier anyway, keep the instrumentation's own route lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from opentelemetry.instrumentation.fastapi import (
    _get_default_span_details as route_span_details,
)
from opentelemetry.trace import Span

from services.chassis.telemetry import blank_caller
from services.gateway.upstream.forwarding import API_PATH

SpanDetails = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


def span_details_for(services: Collection[str]) -> SpanDetails:
    known = frozenset(services)

    def span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        match = API_PATH.match(scope.get("path", ""))
        if match is None:
            details: tuple[str, dict[str, Any]] = route_span_details(scope)
            return details
        service = match["service"] if match["service"] in known else "{service}"
        route = f"/api/{service}/{{path}}"
        return f"{scope.get('method', 'HTTP')} {route}", {"http.route": route}

    return span_details


#: Where a member answers, votes or adds a statement (the API and the pages): a span there
#: names the campaign in its path, so it must not also say who was calling.
_PARTICIPATING = re.compile(
    r"^/(?:api/)?feedback/(?:campaigns/)?[^/]+/"
    r"(?:response|respond|statements(?:/new|/[^/]+/votes?)?)/?$"
)


def blank_participants(span: Span, scope: dict[str, Any]) -> None:
    """A `server_request_hook`: on feedback's participation routes, the server span keeps the
    request (method, route, status, timing) but not the caller's address or user agent, which
    next to a campaign id and a time would say who took part when (docs/feedback.md)."""
    if _PARTICIPATING.match(scope.get("path", "")):
        blank_caller(span)
