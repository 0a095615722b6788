"""One page of a keyset-paginated list: the rows asked for, and the cursor to the next."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from services.chassis.pagination import Cursor, Page

T = TypeVar("T")


def page_of(rows: Sequence[Any], limit: int, read: Callable[[Any], T]) -> Page[T]:
    """`rows` holds up to `limit + 1` rows (newest first); the extra one says there is more."""
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return Page(
        items=[read(row) for row in rows[:limit]],
        next_cursor=Cursor(last.created_at, last.id).encode() if last is not None else None,
    )
