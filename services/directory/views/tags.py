"""The expertise tags' labels, remembered briefly in process (they change only when an admin
adds a tag)."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.directory.adapters.orm import ExpertiseTag

#: Tag labels change only when an admin adds a tag: a short in-process cache saves a query on
#: every search (another replica's new tag shows within TAG_CACHE_SECONDS).
TAG_CACHE_SECONDS = 30.0
_tag_cache: tuple[float, dict[str, str]] | None = None


def remembered_tag_labels() -> dict[str, str] | None:
    """The labels, if read within TAG_CACHE_SECONDS (so a caller need not get a connection)."""
    if _tag_cache is not None and time.monotonic() - _tag_cache[0] < TAG_CACHE_SECONDS:
        return _tag_cache[1]
    return None


async def tag_labels(session: AsyncSession | AsyncConnection) -> dict[str, str]:
    global _tag_cache
    remembered = remembered_tag_labels()
    if remembered is not None:
        return remembered
    now_ = time.monotonic()
    rows = await session.execute(select(ExpertiseTag.slug, ExpertiseTag.label))
    labels = {slug: label for slug, label in rows}
    _tag_cache = (now_, labels)
    return labels


def forget_tag_labels() -> None:
    """After adding a tag in this process."""
    global _tag_cache
    _tag_cache = None
