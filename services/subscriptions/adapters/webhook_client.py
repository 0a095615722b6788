"""The only HTTP client that talks to departments' endpoints: every connection vetted.

Each connection resolves through `VettingResolver` (webhook_targets.py), so what was vetted is
what is connected to; redirects are never followed and answers are read only so far.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import aiohttp
from yarl import URL

from services.subscriptions.adapters.webhook_targets import TargetPolicy, VettingResolver

#: What a POST to an endpoint raises when the endpoint cannot be reached or does not answer in
#: time (besides TargetNotAllowed).
DELIVERY_ERRORS = (aiohttp.ClientError, TimeoutError)
#: The part of an endpoint's answer that is read (a verification answer is a few bytes); a
#: longer answer is cut there and its connection is not reused.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int
    content: bytes

    def json(self) -> object:
        """The answer as JSON; raises ValueError when it is not."""
        return json.loads(self.content)


class WebhookClient:
    """The only HTTP client that talks to departments' endpoints.

    aiohttp, not httpx: a request costs far less CPU (figures in docs/subscriptions.md).
    Every connection goes through `VettingResolver`; a URL whose host is an address literal
    skips aiohttp's resolver, so `post` vets that address itself. Redirects are never
    followed, proxies from the environment are ignored, the whole request is bounded by
    `timeout` seconds and the pool by `connections`.
    """

    def __init__(self, policy: TargetPolicy, *, timeout: float, connections: int) -> None:
        self.policy = policy
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(5.0, timeout))
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds a session to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    resolver=VettingResolver(self.policy),
                    limit=self.connections,
                    limit_per_host=0,
                ),
                timeout=self.timeout,
                trust_env=False,
            )
        return self._session

    async def post(
        self, url: str, *, content: bytes, headers: dict[str, str] | None = None
    ) -> WebhookResponse:
        """POST `content`; raises TargetNotAllowed or one of DELIVERY_ERRORS."""
        try:
            target = URL(url)
        except ValueError as exc:  # checked at registration, but parsers can disagree
            raise aiohttp.InvalidURL(url) from exc
        host = target.host or ""
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            pass  # a name: VettingResolver vets what it resolves to
        else:
            await self.policy.resolve(host, target.port or 0)
        async with self._open().post(
            target, data=content, headers=headers, allow_redirects=False
        ) as response:
            answer = bytearray()
            while len(answer) < MAX_ANSWER_BYTES:
                chunk = await response.content.read(MAX_ANSWER_BYTES - len(answer))
                if not chunk:
                    break
                answer += chunk
            if not response.content.at_eof():
                response.close()  # do not drain an oversized answer; drop the connection
            return WebhookResponse(response.status, bytes(answer))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> WebhookClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def webhook_client(policy: TargetPolicy, *, timeout: float, connections: int) -> WebhookClient:
    """The only HTTP client that talks to departments' endpoints (see WebhookClient)."""
    return WebhookClient(policy, timeout=timeout, connections=connections)
