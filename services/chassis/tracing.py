"""Trace context carried across Kafka: W3C `traceparent`/`tracestate` headers."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import propagate, trace
from opentelemetry.context import Context

tracer = trace.get_tracer("convene.chassis")


def current_trace_headers() -> dict[str, str]:
    """The W3C trace headers of the active span (empty when nothing is being traced)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Iterable[tuple[str, str]]) -> Context:
    """The remote context named by trace headers; the root context when there are none."""
    carrier = {name: value for name, value in headers if name in ("traceparent", "tracestate")}
    return propagate.extract(carrier)
