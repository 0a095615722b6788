"""Rewriting a closed campaign's rows so that nothing about them follows the order of arrival.

While a campaign is open, each response, vote and statement is written by its own transaction,
so its transaction id (`xmin`) and its place on disk (`ctid`) follow the order in which people
took part, which anyone holding a log of who was signed in when could line up with them. When
the campaign closes, the closing transaction deletes and re-inserts them: afterwards every row
carries the closing transaction's id, and lies on disk in an order drawn from its own contents
(pseudonym, or a statement's random ordering key). The old row versions stay on disk until
vacuum reclaims them (docs/feedback.md, "What a database reader can learn").
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Statements go last to first through temporary copies: deleting a statement cascades to its
# votes, so the votes are copied before and put back after.
_REWRITE = [
    "CREATE TEMPORARY TABLE rewrite_votes ON COMMIT DROP AS "
    "SELECT * FROM votes WHERE campaign_id = :campaign",
    "CREATE TEMPORARY TABLE rewrite_statements ON COMMIT DROP AS "
    "SELECT * FROM statements WHERE campaign_id = :campaign",
    "CREATE TEMPORARY TABLE rewrite_responses ON COMMIT DROP AS "
    "SELECT * FROM responses WHERE campaign_id = :campaign",
    "DELETE FROM statements WHERE campaign_id = :campaign",
    "DELETE FROM votes WHERE campaign_id = :campaign",
    "DELETE FROM responses WHERE campaign_id = :campaign",
    "INSERT INTO statements SELECT * FROM rewrite_statements ORDER BY seq, id",
    "INSERT INTO votes SELECT * FROM rewrite_votes ORDER BY pseudonym, statement_id",
    "INSERT INTO responses SELECT * FROM rewrite_responses ORDER BY pseudonym",
    "DROP TABLE rewrite_votes, rewrite_statements, rewrite_responses",
]


async def rewrite_in_content_order(session: AsyncSession, campaign_id: UUID) -> None:
    """Delete and re-insert the campaign's statements, votes and responses, in this
    transaction, ordered by their own contents. The same rows, values and ids come back."""
    for statement in _REWRITE:
        await session.execute(text(statement), {"campaign": campaign_id})
