"""Liveness and readiness endpoints, the same for every service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]
"""A readiness check: returns when the dependency is usable, raises otherwise."""


def health_router(checks: Callable[[], Mapping[str, Check]], timeout: float = 2.0) -> APIRouter:
    """`/healthz` answers while the process runs; `/readyz` runs every check, 503 if any fails."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database, broker and other dependencies")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except TimeoutError:
                results[name] = "unavailable: no answer in time"
            except Exception as exc:
                # Operators read this to find a misconfiguration; say what failed, not a trace.
                detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                results[name] = f"unavailable: {detail}"
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
