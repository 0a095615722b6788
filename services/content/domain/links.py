"""Signed, single-purpose links for people who are not signed in (unsubscribe from email), and
the tokens members put in their Atom feed addresses.

A link token is `<member id hex>.<MAC>`, the MAC an HMAC-SHA256 over the purpose and the member
id, so a token made for one purpose is worthless for any other, and nothing is stored per token.
The key is the caller's (see `adapters.link_keys`). Pure: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

UNSUBSCRIBE_DIGEST = "unsubscribe-digest"


def _mac(key: bytes, purpose: str, member_id: UUID) -> str:
    digest = hmac.new(key, f"{purpose}:{member_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(key: bytes, purpose: str, member_id: UUID) -> str:
    return f"{member_id.hex}.{_mac(key, purpose, member_id)}"


def verify(key: bytes, purpose: str, token: str) -> UUID | None:
    """The member id the token was made for, or None when it is not a valid token for `purpose`."""
    member_hex, _, mac = token.strip().partition(".")
    try:
        member_id = UUID(hex=member_hex)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(key, purpose, member_id)):
        return None
    return member_id


def new_feed_token() -> tuple[str, str]:
    """A fresh feed token and the hash we keep of it (the token itself is shown once)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
