"""Per-address and per-member limits: 429 with Retry-After, other callers unaffected."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.chassis.problems import PROBLEM_JSON
from services.gateway.rate_limits import RateLimits, TokenBuckets


@pytest.fixture
def tight_limits(stack):  # type: ignore[no-untyped-def]
    app = stack.apps["gateway"]
    saved = app.state.rate_limits

    def tighten(*, per_ip: int = 10_000, per_member: int = 10_000) -> None:
        app.state.rate_limits = RateLimits(
            per_ip=TokenBuckets(per_minute=6, burst=per_ip),
            per_member=TokenBuckets(per_minute=6, burst=per_member),
        )

    yield tighten
    app.state.rate_limits = saved


async def test_a_member_over_their_limit_gets_429_and_others_do_not(stack, tight_limits) -> None:
    tight_limits(per_member=3)
    greedy = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
    modest = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        answers = [(await client.get("/api/identity/cohorts", headers=greedy)) for _ in range(4)]
        other = await client.get("/api/identity/cohorts", headers=modest)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.headers["content-type"] == PROBLEM_JSON
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    assert limited.headers["x-frame-options"] == "DENY"
    assert other.status_code == 200


async def test_an_address_over_its_limit_gets_429_on_the_api_and_a_page_on_the_web(
    stack, tight_limits
) -> None:
    tight_limits(per_ip=2)
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        ok = [await client.get("/api/identity/.well-known/jwks.json") for _ in range(2)]
        api = await client.get("/api/identity/.well-known/jwks.json")
        page = await client.get("/cookies", headers={"accept": "text/html"})
        health = await client.get("/healthz")
        asset = await client.get("/assets/govuk-frontend.min.css")
    assert [r.status_code for r in ok] == [200, 200]
    assert api.status_code == 429
    assert api.headers["content-type"] == PROBLEM_JSON
    assert int(api.headers["retry-after"]) >= 1
    assert page.status_code == 429
    assert "Too many requests" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "retry-after" in page.headers
    assert health.status_code == 200  # probes and assets are never limited
    assert asset.status_code == 200


def test_token_buckets_refill_over_time() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0
    now[0] = 1.0
    assert buckets.take("a") == 0


def test_token_buckets_forget_idle_keys_first() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=1, clock=lambda: now[0], max_keys=3)
    for key in "abc":
        buckets.take(key)
    now[0] = 5.0
    buckets.take("d")
    assert len(buckets._buckets) <= 3
    assert buckets.take("d") > 0  # the newest key kept its spent bucket
