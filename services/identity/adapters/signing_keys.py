"""Identity's signing keys (RSA, in its database) and the token issuer that signs with them.

The newest key signs; every key not yet retired is published in the JWKS, so tokens signed
just before a rotation stay verifiable until they expire.

Reading (to sign, to verify, to publish the JWKS) uses a short session of the store's own and
changes nothing. Keys are written only in a caller's session, and the caller commits: the
start-up worker creates the first key (`entrypoints/worker.py`), `POST /keys/rotate` rotates,
and `issue-token` creates the first key when it runs before the service ever started. After
committing, the caller calls `forget()` so this process reads the new key at once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.runtime import ServiceRuntime
from services.identity.adapters.orm import SigningKey
from services.identity.domain.access_tokens import ActiveKey, issue_access_token

KEY_CACHE_SECONDS = 30
#: How long a new key is published before it signs (longer than verifiers' refetch interval).
PUBLISH_LEAD = timedelta(seconds=15)
#: How long a reader of a brand-new database waits for the start-up worker's first key.
FIRST_KEY_WAIT = timedelta(seconds=10)
FIRST_KEY_POLL_SECONDS = 0.2


class NoSigningKey(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "identity has no signing key yet: its start-up worker creates the first one"
            " (or run `python -m services.identity issue-token`)"
        )


class SigningKeys:
    """Loads keys from the database and caches them briefly; writes only in a given session.

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
        first_key_wait: timedelta = FIRST_KEY_WAIT,
    ) -> None:
        self.sessions = sessions
        self.grace = grace
        self.lead = lead
        self.first_key_wait = first_key_wait
        self._rows: list[SigningKey] = []
        self._loaded_at = 0.0

    # -- reading ---------------------------------------------------------------------------

    async def _read(self) -> list[SigningKey]:
        async with self.sessions() as session:
            return list(
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

    async def _load(self) -> list[SigningKey]:
        if self._rows and time.monotonic() - self._loaded_at < KEY_CACHE_SECONDS:
            return self._rows
        rows = await self._read()
        # A new deployment: the start-up worker is creating the first key right now.
        deadline = time.monotonic() + self.first_key_wait.total_seconds()
        while not rows and time.monotonic() < deadline:
            await asyncio.sleep(FIRST_KEY_POLL_SECONDS)
            rows = await self._read()
        self._rows, self._loaded_at = rows, time.monotonic()
        return rows

    def forget(self) -> None:
        """Drop the cached keys, so the next read sees a key the caller just committed."""
        self._rows, self._loaded_at = [], 0.0

    async def active(self) -> ActiveKey:
        """The key that signs now. Raises NoSigningKey when the database holds none yet."""
        rows, now = await self._load(), datetime.now(UTC)
        if not rows:
            raise NoSigningKey()
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

    # -- writing, in the caller's session (the caller commits, then calls forget()) ---------

    async def create_first_key(self, session: AsyncSession) -> str | None:
        """Add a key when none is unretired (a new deployment); returns its id, or None when
        a key that may sign exists already."""
        unretired = await session.scalar(
            select(func.count()).select_from(SigningKey).where(SigningKey.retired_at.is_(None))
        )
        if unretired:
            return None
        return (await _create_key(session)).kid

    async def rotate(self, session: AsyncSession) -> str:
        """Create a new key, and retire the current one once the new one may sign (after
        `lead`); returns the new key id."""
        await session.execute(
            update(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .values(retired_at=datetime.now(UTC) + self.lead)
        )
        return (await _create_key(session)).kid


def signing_keys_of(runtime: ServiceRuntime) -> SigningKeys:
    """The running identity's key store: its token verifier's key source (see bootstrap), so
    routes, the worker and verification share one cache."""
    keys = runtime.token_verifier.keys
    if not isinstance(keys, SigningKeys):
        raise TypeError(f"{runtime.definition.name} does not verify with identity's own keys")
    return keys


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
