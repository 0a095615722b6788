"""Who is looking: the caller's cohorts, connections and principals, for the privacy rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.tokens import Principal
from services.directory.adapters.held_connection import HeldConnection
from services.directory.domain.model import Viewer

ADMIN_ROLE = "programme_admin"


_VIEWER = text("""
    SELECT
      ARRAY(SELECT cohort_id::text FROM cohort_memberships WHERE member_id = :id),
      ARRAY(SELECT other_id::text FROM connections WHERE member_id = :id),
      ARRAY(SELECT principal_id::text FROM delegates WHERE delegate_id = :id)
""")


async def load_viewer(session: AsyncSession, principal: Principal) -> Viewer:
    """The caller's cohorts, connections and principals (whom they are delegate for): one query."""
    is_admin = principal.has_role(ADMIN_ROLE)
    member_id = searcher_key(principal)
    if member_id is None:  # a service account: nobody's cohort, connection or delegate
        return Viewer(member_id=principal.subject, is_admin=is_admin)
    cohorts, connections, principals = (await session.execute(_VIEWER, {"id": member_id})).one()
    return Viewer(
        member_id=str(member_id),
        cohorts=frozenset(cohorts),
        connections=frozenset(connections),
        principals=frozenset(principals),
        is_admin=is_admin,
    )


#: Many searchers at once (adapters/coalescing.py), with the search generation
#: (adapters/search/cache.py) read in the same statement; one row even when no member asks.
#: Sent through the driver on a held connection (adapters/held_connection.py): asyncpg's `$1`.
_SEARCHERS = """
    SELECT g.generation, m.id,
      ARRAY(SELECT cohort_id::text FROM cohort_memberships WHERE member_id = m.id),
      ARRAY(SELECT other_id::text FROM connections WHERE member_id = m.id),
      ARRAY(SELECT principal_id::text FROM delegates WHERE delegate_id = m.id)
    FROM search_generation AS g
    LEFT JOIN unnest($1::uuid[]) AS m(id) ON true
    WHERE g.id = 1
"""


def searcher_key(principal: Principal) -> UUID | None:
    """The member behind a token; None for a service account."""
    try:
        return UUID(principal.subject)
    except ValueError:
        return None


async def load_searchers(
    connection: HeldConnection, keys: Sequence[UUID | None]
) -> dict[UUID | None, tuple[Viewer, int]]:
    """Each searcher's relations, and the generation every one of their answers must be of.

    Roles come from the token, not from here: `as_searcher` adds them.
    """
    rows = await connection.fetch(_SEARCHERS, [key for key in keys if key is not None])
    generation: int = rows[0][0]
    found: dict[UUID | None, tuple[Viewer, int]] = {None: (Viewer(member_id=None), generation)}
    for _, member_id, cohorts, connections, principals in rows:
        if member_id is not None:
            viewer = Viewer(
                member_id=str(member_id),
                cohorts=frozenset(cohorts),
                connections=frozenset(connections),
                principals=frozenset(principals),
            )
            found[member_id] = (viewer, generation)
    return found


def as_searcher(principal: Principal, viewer: Viewer) -> Viewer:
    # A service account is a member of Convene to the privacy rules, related to nobody.
    return replace(
        viewer,
        member_id=viewer.member_id or principal.subject,
        is_admin=principal.has_role(ADMIN_ROLE),
    )
