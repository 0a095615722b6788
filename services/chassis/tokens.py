"""Verifying Convene access tokens: RS256 JWTs signed by identity, keys from its JWKS.

Every service verifies every token itself (no service trusts the network). The verifier
accepts RS256 only, so `alg: none` and HS256-with-the-public-key confusion are refused, and it
requires `exp`, `iat`, `sub`, `jti`, the expected `aud` and `iss`, and a known `kid`.

A member sends the same token with every request for its lifetime, and an RS256 check costs
more CPU than the gateway's whole forwarding, so a verified token is remembered (by its exact
text) for at most `remember_seconds` and never past its expiry. The price: a token whose signing
key is withdrawn from the JWKS stays accepted for up to that long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti"]


class InvalidToken(Exception):
    """The token must not be trusted; the message is safe to show to the caller."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a member or a service account, with what roles and scopes."""

    subject: str
    roles: frozenset[str]
    token_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class KeySource(Protocol):
    async def key_for(self, kid: str) -> Any | None:
        """The public key with this id, or None when no such key is (any longer) published."""


class RemoteJwks:
    """Keys fetched from identity's `/.well-known/jwks.json`, cached, refetched for a new kid."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        cache_seconds: float = 300,
        min_refetch_seconds: float = 10,
    ) -> None:
        self.url = url
        self._client = client
        self.cache_seconds = cache_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> Any | None:
        if self._stale(kid):
            async with self._lock:
                if self._stale(kid):  # another caller may have refreshed while we waited
                    await self._refresh()
        return self._keys.get(kid)

    def _stale(self, kid: str) -> bool:
        age = time.monotonic() - self._fetched_at
        # An unknown kid may be a freshly rotated key: refetch, but not more often than allowed,
        # so a flood of forged kids cannot turn into a flood of requests to identity.
        return age > self.cache_seconds or (
            kid not in self._keys and age > self.min_refetch_seconds
        )

    async def _refresh(self) -> None:
        client = self._client or httpx.AsyncClient(timeout=5)
        try:
            response = await client.get(self.url)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
            raise InvalidToken("signing keys are unavailable") from exc
        finally:
            if self._client is None:
                await client.aclose()
        self._keys = {key.key_id: key.key for key in keys.keys if key.key_id}
        self._fetched_at = time.monotonic()


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5,
        remember_seconds: float = 60,
        remember_at_most: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.remember_seconds = remember_seconds
        self.remember_at_most = remember_at_most
        self.clock = clock
        # token -> (principal, until): insertion order is age order, so the oldest go first.
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        """The principal a valid token names; raises InvalidToken for anything else."""
        now = self.clock()
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, until = remembered
            if now < until:
                return principal
            del self._verified[token]
        principal = await self._verify(token)
        if self.remember_seconds > 0:
            expires = float(principal.claims["exp"])
            if len(self._verified) >= self.remember_at_most:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = (principal, min(expires, now + self.remember_seconds))
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("the token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("the token is not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key")
        key = await self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("the token's signing key is unknown")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from exc
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(_strings(claims.get("roles", []))),
            scopes=frozenset(_strings(str(claims.get("scope", "")).split())),
            token_id=str(claims["jti"]),
            claims=claims,
        )


def _strings(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list | tuple) else []
