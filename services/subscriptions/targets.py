"""Where webhooks may go: SSRF protection for endpoint URLs.

A target must be https and resolve only to public addresses, unless its `host` or `host:port`
is on the development allow-list. The check runs when an endpoint is registered and again at
every connection: `PinnedTransport` resolves the host, vets every address, and connects to the
vetted address itself (keeping the hostname for TLS SNI, certificate checks and `Host`), so a
DNS answer that changes between check and connect (rebinding) cannot reach an internal address.
Redirects are never followed (httpx's default, kept).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from services.subscriptions.domain.errors import TargetNotAllowed

MAX_URL_LENGTH = 2048


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class TargetPolicy:
    def __init__(self, development_hosts: frozenset[str] = frozenset()) -> None:
        self.development_hosts = development_hosts

    def _development(self, host: str, port: int) -> bool:
        return host in self.development_hosts or f"{host}:{port}" in self.development_hosts

    def check_url(self, url: str) -> httpx.URL:
        """The parsed URL when its form is acceptable; raises TargetNotAllowed otherwise."""
        if len(url) > MAX_URL_LENGTH:
            raise TargetNotAllowed(f"The URL is longer than {MAX_URL_LENGTH} characters.")
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise TargetNotAllowed("That is not a valid URL.") from exc
        if parsed.scheme not in ("https", "http") or not parsed.host:
            raise TargetNotAllowed("The URL must be an absolute https:// URL.")
        if parsed.userinfo:
            raise TargetNotAllowed("The URL must not carry a user name or password.")
        if parsed.fragment:
            raise TargetNotAllowed("The URL must not have a #fragment.")
        if parsed.scheme != "https" and not self._development(parsed.host, _port(parsed)):
            raise TargetNotAllowed("Webhook endpoints must use https.")
        return parsed

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, all vetted; raises TargetNotAllowed."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (socket.gaierror, UnicodeError) as exc:
                raise TargetNotAllowed(f"The host {host!r} does not resolve.") from exc
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise TargetNotAllowed(f"The host {host!r} does not resolve.")
        if not self._development(host, port):
            refused = [a for a in addresses if not _is_public(a)]
            if refused:
                raise TargetNotAllowed(
                    f"The host {host!r} resolves to a private, loopback, link-local or "
                    "reserved address; webhooks only go to public addresses."
                )
        return addresses

    async def check(self, url: str) -> httpx.URL:
        parsed = self.check_url(url)
        await self.resolve(parsed.host, _port(parsed))
        return parsed


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Connects only to addresses the policy vetted at connect time (see the module doc)."""

    def __init__(self, policy: TargetPolicy, **transport_options: object) -> None:
        self.policy = policy
        self._inner = httpx.AsyncHTTPTransport(**transport_options)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        addresses = await self.policy.resolve(host, _port(request.url))
        # `Host` was set from the original URL when the request was built, and TLS is told the
        # name to check the certificate against, so only the TCP connection uses the address.
        request.url = request.url.copy_with(host=addresses[0])
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def webhook_client(policy: TargetPolicy, *, timeout: float, connections: int) -> httpx.AsyncClient:
    """The only HTTP client that talks to departments' endpoints."""
    return httpx.AsyncClient(
        transport=PinnedTransport(
            policy,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        ),
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        follow_redirects=False,
        trust_env=False,
    )
