"""What feedback's server spans leave out: on the routes where a member answers, votes or adds
a statement, the caller (the user agent the gateway passes on), since next to the campaign id
in the path and a time it would help say who took part when (docs/feedback.md)."""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.trace import Span

from services.chassis.telemetry import blank_caller

_PARTICIPATING = re.compile(r"^/campaigns/[^/]+/(?:response|statements(?:/[^/]+/votes)?)/?$")


def blank_participants(span: Span, scope: dict[str, Any]) -> None:
    """The `server_span_hook` of feedback's `ServiceDefinition`."""
    if _PARTICIPATING.match(scope.get("path", "")):
        blank_caller(span)
