"""Fixtures for the gateway's tests."""

from __future__ import annotations

import pytest

from services.gateway.upstream.resilience import Upstream


@pytest.fixture
def upstream_swap(stack):  # type: ignore[no-untyped-def]
    """Point one of the gateway's routes elsewhere for a test; restored afterwards."""
    upstreams = stack.apps["gateway"].state.upstreams
    saved = dict(upstreams)

    def swap(name: str, upstream: Upstream) -> None:
        upstreams[name] = upstream

    yield swap
    upstreams.clear()
    upstreams.update(saved)
