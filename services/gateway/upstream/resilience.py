"""Calling the services: timeouts, retries for idempotent methods, one circuit per service.

Both the API forwarding and the web pages call services through `send`, so a slow or broken
service fails fast in both: the caller gets 504 (too slow) or 503 with `Retry-After`
(unreachable, or its circuit is open) and every other service keeps serving.

The HTTP itself is `client.UpstreamClient`'s (kept-alive HTTP/1.1 over httptools).
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from services.chassis.problems import Problem
from services.gateway.upstream.client import UpstreamClient
from services.gateway.upstream.connections import Answer, BadAnswer, Origin, Unreachable

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Answers that mean the service (or what is in front of it) is not able to serve at all.
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class CircuitOpen(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open for another {retry_after:.1f} s")
        self.retry_after = retry_after


@dataclass
class CircuitBreaker:
    """Closed → open after `failure_threshold` consecutive failures; after `reset_seconds` one
    trial call is let through (half-open): success closes the circuit, failure reopens it.

    Not shared between gateway replicas: each replica learns a service's health on its own.
    """

    failure_threshold: int = 5
    reset_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False

    @property
    def state(self) -> Literal["closed", "open", "half-open"]:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at < self.reset_seconds:
            return "open"
        return "half-open"

    def before_call(self) -> None:
        """Raises CircuitOpen when the call must not be made; otherwise the caller must report
        the outcome with `succeeded()` or `failed()`."""
        state = self.state
        if state == "open":
            assert self.opened_at is not None
            raise CircuitOpen(self.reset_seconds - (self.clock() - self.opened_at))
        if state == "half-open":
            if self.trial_running:
                raise CircuitOpen(1.0)
            self.trial_running = True

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial_running = False

    def abandoned(self) -> None:
        self.trial_running = False

    def failed(self) -> None:
        self.failures += 1
        if self.trial_running or self.failures >= self.failure_threshold:
            if self.opened_at is None or self.trial_running:
                log.warning("circuit opened after %d consecutive failures", self.failures)
            self.opened_at = self.clock()
        self.trial_running = False


@dataclass
class Upstream:
    name: str
    base_url: str
    timeout: float = 10.0
    retries: int = 2
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    #: Parsed once: every call to this service goes to the same place.
    origin: Origin = field(init=False)

    def __post_init__(self) -> None:
        self.origin = Origin.parse(self.base_url)


def unavailable(upstream: Upstream, retry_after: float) -> Problem:
    return Problem(
        503,
        "Service unavailable",
        f"The {upstream.name} service is unavailable; try again soon.",
        "upstream-unavailable",
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


#: A query: a string passed on as it is, or parameters to encode (a list value repeats the name).
Query = str | Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]


async def send(
    client: UpstreamClient,
    upstream: Upstream,
    method: str,
    path: str,
    *,
    query: Query | None = None,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    json: object | None = None,
) -> Answer:
    """The service's answer (any status), or a Problem: 503 when it cannot be reached or its
    circuit is open, 504 when it does not answer within its timeout.

    `query` is a query string passed on exactly as the caller encoded it, or parameters to
    encode. Only idempotent methods are retried, and only when the request could not be
    delivered.
    """
    try:
        upstream.breaker.before_call()
    except CircuitOpen as exc:
        raise unavailable(upstream, exc.retry_after) from exc
    if query is not None and not isinstance(query, str):
        query = urlencode(query, doseq=True)
    # The path and query reach the service byte for byte as the caller sent them.
    target = "/" + path.lstrip("/") + (f"?{query}" if query else "")
    all_headers = dict(headers or {})
    if json is not None:
        content = jsonlib.dumps(json).encode()
        all_headers["content-type"] = "application/json"
    attempts = upstream.retries + 1 if method.upper() in IDEMPOTENT else 1
    try:
        answer = await _send_with_retries(
            client, upstream, method.upper(), target, all_headers, content or b"", attempts
        )
    except asyncio.CancelledError:
        upstream.breaker.abandoned()  # the caller went away: says nothing about the service
        raise
    except Exception:
        upstream.breaker.failed()
        raise
    if answer.status_code in UNAVAILABLE_STATUSES:
        upstream.breaker.failed()
    else:
        upstream.breaker.succeeded()
    return answer


async def _send_with_retries(
    client: UpstreamClient,
    upstream: Upstream,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    attempts: int,
) -> Answer:
    for attempt in range(1, attempts + 1):
        try:
            return await client.request(
                upstream.origin, method, target, headers, body, timeout=upstream.timeout
            )
        except Unreachable as exc:
            # Never answered (no connection, or a kept-alive one closed under us): safe to send
            # again, but only for methods whose repetition changes nothing.
            if attempt < attempts:
                await asyncio.sleep(0.05 * attempt)
                continue
            log.warning("%s is unreachable: %s", upstream.name, exc)
            raise unavailable(upstream, 5) from exc
        except TimeoutError as exc:
            raise Problem(
                504,
                "Upstream timeout",
                f"The {upstream.name} service took too long to answer.",
                "upstream-timeout",
            ) from exc
        except BadAnswer as exc:
            log.warning("%s failed: %s", upstream.name, exc)
            raise Problem(
                502, "Bad gateway", f"The {upstream.name} service failed to answer.", "bad-gateway"
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises
