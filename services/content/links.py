"""Signed, single-purpose links for people who are not signed in (unsubscribe from email).

A token is `<member id hex>.<MAC>`, the MAC an HMAC-SHA256 over the purpose and the member id,
so a token made for one purpose is worthless for any other, and nothing is stored per token.
The key comes from settings (`CONTENT_LINK_SIGNING_KEY`) or, when unset, is made once and kept
in this service's database, so every replica signs alike without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.content.adapters.orm import LinkSecret
from services.content.config import ContentSettings

UNSUBSCRIBE_DIGEST = "unsubscribe-digest"


async def signing_key(session: AsyncSession, settings: ContentSettings) -> bytes:
    if settings.link_signing_key is not None:
        return settings.link_signing_key.get_secret_value().encode()
    await session.execute(
        insert(LinkSecret)
        .values(id=1, secret=secrets.token_bytes(32))
        .on_conflict_do_nothing(index_elements=["id"])
    )
    key = await session.scalar(select(LinkSecret.secret).where(LinkSecret.id == 1))
    assert key is not None
    return key


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
