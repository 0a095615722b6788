"""CSRF tokens: a signed double-submit token.

The `convene_csrf` cookie holds a random value; every form posts back `csrf_token`, an HMAC of
that value under the gateway's key. A page on another site can make the browser send the
cookie but cannot read it, so it cannot compute the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from pydantic import SecretStr

CSRF_COOKIE = "convene_csrf"
#: A cookie shorter than a fresh one (`secrets.token_urlsafe(32)`) was not made here: replaced.
MIN_COOKIE_CHARS = 32


def csrf_key(configured: SecretStr | None) -> bytes:
    """The key tokens are signed with: the configured one, or a random one for this process
    (tokens then stop matching on another replica or after a restart)."""
    if configured is not None:
        return configured.get_secret_value().encode()
    return secrets.token_bytes(32)


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(key: bytes, cookie: str) -> str:
    """The value forms must post back as `csrf_token`."""
    digest = hmac.new(key, cookie.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(key: bytes, cookie: str, posted: str) -> bool:
    return bool(cookie) and secrets.compare_digest(posted, token_for(key, cookie))
