"""The access tokens identity issues: RS256 JWTs signed with its current key. No I/O here."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class ActiveKey:
    """The key that signs now, and the id verifiers look it up by in the JWKS."""

    kid: str
    private_key: rsa.RSAPrivateKey


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
