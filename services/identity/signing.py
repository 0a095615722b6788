"""Identity's signing keys and the access tokens it issues (RS256 JWTs).

The newest key signs; every key not yet retired is published in the JWKS, so tokens signed
just before a rotation stay verifiable until they expire.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity.adapters.orm import SigningKey

KEY_CACHE_SECONDS = 30
#: How long a new key is published before it signs (longer than verifiers' refetch interval).
PUBLISH_LEAD = timedelta(seconds=15)


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: rsa.RSAPrivateKey


class SigningKeys:
    """Loads keys from the database (creating the first one) and caches them briefly.

    A new key is published `lead` before it signs anything, so every verifier can already
    fetch it when it first meets a token it signed (verifiers refetch the JWKS for an unknown
    key id at most every 10 s). Until then the previous key goes on signing. A retired key
    stays published for `grace` (the longest access-token lifetime), so tokens it signed stay
    verifiable until they expire.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        grace: timedelta = timedelta(hours=1),
        lead: timedelta = PUBLISH_LEAD,
    ) -> None:
        self.sessions = sessions
        self.grace = grace
        self.lead = lead
        self._rows: list[SigningKey] = []
        self._loaded_at = 0.0

    async def _load(self) -> list[SigningKey]:
        if self._rows and time.monotonic() - self._loaded_at < KEY_CACHE_SECONDS:
            return self._rows
        async with self.sessions() as session:
            rows = list(
                (
                    await session.scalars(
                        select(SigningKey)
                        .where(
                            (SigningKey.retired_at.is_(None))
                            | (SigningKey.retired_at > datetime.now(UTC) - self.grace)
                        )
                        .order_by(SigningKey.retired_at.is_not(None), SigningKey.created_at.desc())
                    )
                ).all()
            )
            if not rows or rows[0].retired_at is not None:
                rows.insert(0, await _create_key(session))
                await session.commit()
        self._rows, self._loaded_at = rows, time.monotonic()
        return rows

    async def rotate(self) -> str:
        """Create a new key, and retire the current one once the new one may sign (after
        `lead`); returns the new key id."""
        async with self.sessions() as session:
            await session.execute(
                update(SigningKey)
                .where(SigningKey.retired_at.is_(None))
                .values(retired_at=datetime.now(UTC) + self.lead)
            )
            row = await _create_key(session)
            await session.commit()
        self._rows, self._loaded_at = [], 0.0
        return row.kid

    async def active(self) -> ActiveKey:
        rows, now = await self._load(), datetime.now(UTC)
        signing = [row for row in rows if row.retired_at is None or row.retired_at > now]
        published_long_enough = [row for row in signing if row.created_at <= now - self.lead]
        # Otherwise the key published longest signs (the very first key signs at once).
        newest = (published_long_enough or signing[::-1] or rows)[0]
        key = serialization.load_pem_private_key(newest.private_pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return ActiveKey(newest.kid, key)

    async def public_keys(self) -> dict[str, Any]:
        return {
            row.kid: serialization.load_pem_public_key(row.public_pem.encode())
            for row in await self._load()
        }

    async def key_for(self, kid: str) -> Any | None:
        return (await self.public_keys()).get(kid)

    async def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, public in (await self.public_keys()).items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
            jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
            keys.append(jwk)
        return {"keys": keys}


async def _create_key(session: AsyncSession) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    row = SigningKey(
        kid=uuid.uuid4().hex,
        private_pem=private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        public_pem=private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return row


def issue_access_token(
    key: ActiveKey,
    *,
    subject: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    ttl_seconds: int,
    scopes: Iterable[str] = (),
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": sorted(set(roles)),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if scopes:
        claims["scope"] = " ".join(sorted(set(scopes)))
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


class TokenIssuer:
    """Issues access tokens with identity's current key and configured lifetimes."""

    def __init__(
        self,
        keys: SigningKeys,
        *,
        issuer: str,
        audience: str,
        access_lifetime: timedelta,
        refresh_lifetime: timedelta,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime

    @property
    def access_lifetime_seconds(self) -> int:
        return int(self.access_lifetime.total_seconds())

    async def access_token(
        self, subject: str, roles: Iterable[str], scopes: Iterable[str] = ()
    ) -> str:
        return issue_access_token(
            await self.keys.active(),
            subject=subject,
            roles=roles,
            issuer=self.issuer,
            audience=self.audience,
            ttl_seconds=self.access_lifetime_seconds,
            scopes=scopes,
        )
