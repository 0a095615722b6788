"""Per-client-address and per-member request limits (token buckets), and the 429 a member over
their limit gets.

The buckets live in this process's memory, which is right for one gateway replica. With
several replicas each one limits on its own (the effective limit is N times higher); to share
limits, give `RateLimits` another `Limiter` (for example one backed by Redis or PostgreSQL).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import Request

from services.chassis.problems import Problem
from services.chassis.tokens import Principal


class Limiter(Protocol):
    def take(self, key: str) -> float:
        """0 when the request may go ahead; otherwise the seconds until it may (Retry-After)."""


@dataclass
class TokenBuckets:
    """`burst` requests at once, refilled at `per_minute` a minute, one bucket per key."""

    per_minute: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    #: Buckets kept at most; full (idle) ones are forgotten first when it is reached.
    max_keys: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> float:
        now = self.clock()
        rate = self.per_minute / 60.0
        tokens, updated = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - updated) * rate)
        if tokens >= 1:
            self._remember(key, tokens - 1, now)
            return 0.0
        self._remember(key, tokens, now)
        return (1 - tokens) / rate

    def _remember(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._forget_idle(now)
        self._buckets[key] = (tokens, now)

    def _forget_idle(self, now: float) -> None:
        rate = self.per_minute / 60.0
        idle = [
            key
            for key, (tokens, updated) in self._buckets.items()
            if tokens + (now - updated) * rate >= self.burst
        ]
        for key in idle or list(self._buckets)[: len(self._buckets) // 10 or 1]:
            del self._buckets[key]


@dataclass
class RateLimits:
    per_ip: Limiter
    per_member: Limiter


def limit_member(request: Request, principal: Principal) -> None:
    """429 with Retry-After once this member has used up their requests for now."""
    limits: RateLimits = request.app.state.rate_limits
    wait = limits.per_member.take(principal.subject)
    if wait > 0:
        raise Problem(
            429,
            "Too many requests",
            "Slow down and try again shortly.",
            "rate-limited",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
