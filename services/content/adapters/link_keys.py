"""The key that signs content's links (`domain.links`).

It comes from settings (`CONTENT_LINK_SIGNING_KEY`) or, when unset, is made once and kept in
this service's database, so every replica signs alike without configuration. The key row is
written in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.content.adapters.orm import LinkSecret
from services.content.config import ContentSettings


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
