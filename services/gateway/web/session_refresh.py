"""One refresh at identity for requests that arrive together with the same expired session."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from fastapi import Request

from services.gateway.upstream.page_calls import call_identity


class RefreshOnce:
    """Refreshes in flight or just done, by refresh token: two requests that arrive together
    with the same expired session (two tabs) share one refresh, because presenting a spent
    refresh token twice would end the session (reuse detection). One process only."""

    def __init__(self, keep_seconds: float = 10) -> None:
        self.keep_seconds = keep_seconds
        self._results: dict[str, tuple[float, asyncio.Future[dict[str, Any] | None]]] = {}

    async def refresh(self, request: Request, refresh_token: str) -> dict[str, Any] | None:
        now = time.monotonic()
        self._results = {k: v for k, v in self._results.items() if now - v[0] < self.keep_seconds}
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        if key in self._results:
            return await asyncio.shield(self._results[key][1])
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._results[key] = (now, future)
        try:
            answer = await call_identity(
                request, "POST", "/tokens/refresh", json={"refresh_token": refresh_token}
            )
            tokens = answer.json() if answer.status_code == 200 else None
        except Exception as exc:
            future.set_exception(exc)
            del self._results[key]
            raise
        future.set_result(tokens)
        return tokens
