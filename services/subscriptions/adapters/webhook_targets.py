"""Where webhooks may go: SSRF protection for endpoint URLs.

A target must be https and resolve only to public addresses, unless its `host` or `host:port`
is on the development allow-list. The check runs when an endpoint is registered and again at
every connection: the client's connector resolves through `VettingResolver`, which vets every
address, and connects only to what it returned (keeping the hostname for TLS SNI, certificate
checks and `Host`), so a DNS answer that changes between check and connect (rebinding) cannot
reach an internal address. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

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


class VettingResolver(AbstractResolver):
    """aiohttp's resolver for webhook connections: the policy resolves and vets every address.

    The connector connects only to the addresses this returns, so what was vetted is what is
    connected to; TLS still checks the certificate against the hostname, and `Host` is the
    URL's. A refused host raises TargetNotAllowed, which aiohttp passes through unwrapped.
    """

    def __init__(self, policy: TargetPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in await self.policy.resolve(host, port)
        ]

    async def close(self) -> None:
        pass
