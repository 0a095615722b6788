"""Page cursors of the owners' and admins' lists, and a page of profile views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.chassis.database import UnitOfWork
from services.chassis.problems import Problem
from services.directory.schemas import ViewPage, ViewRead
from services.directory.views import lists


def int_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor")
    return int(cursor)


async def view_page(uow: UnitOfWork, rows: Sequence[Any], limit: int) -> ViewPage:
    """A page of profile views with each viewer's name; the cursor is the last view's id."""
    names = await lists.names(uow.session, [r.viewer_id for r in rows])
    return ViewPage(
        items=[
            ViewRead(
                viewer_id=r.viewer_id,
                viewer_name=names.get(r.viewer_id),
                profile_id=r.profile_id,
                viewed_at=r.viewed_at,
                viewer_is_admin=r.viewer_is_admin,
            )
            for r in rows
        ],
        next_cursor=str(rows[-1].id) if len(rows) == limit else None,
    )
