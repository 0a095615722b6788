"""Storage that links nothing: salts apart from answers, random statement order, days only.

Before this revision a member's salt was created in the transaction of their first response,
vote or statement, so the two rows shared a transaction id (`xmin`); statements carried their
order of submission (an identity column) and moderation times to the microsecond; responses
and votes lay on disk in the order they arrived. This revision:

- rewrites responses, votes and group placements in a random order (each table copied and put
  back shuffled), so neither their transaction ids nor their physical order follow arrival,
  and no salt shares a transaction with them any more. Salts themselves are left alone (one
  written here would share this transaction with every rewritten row); members without one
  get it from the projection, the opening of a campaign, or their first write's route;
- turns `statements.seq` into a random ordering key (no longer an identity column) and cuts
  `moderated_at` to the day.

No row is lost: every response, vote, placement and statement is kept, with the same values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Written out whole, each table by name (no SQL is put together from strings).
_UPGRADE = [
    "CREATE TEMPORARY TABLE shuffled_responses AS SELECT * FROM responses",
    "DELETE FROM responses",
    "INSERT INTO responses SELECT * FROM shuffled_responses ORDER BY random()",
    "DROP TABLE shuffled_responses",
    "CREATE TEMPORARY TABLE shuffled_votes AS SELECT * FROM votes",
    "DELETE FROM votes",
    "INSERT INTO votes SELECT * FROM shuffled_votes ORDER BY random()",
    "DROP TABLE shuffled_votes",
    "CREATE TEMPORARY TABLE shuffled_placements AS SELECT * FROM group_placements",
    "DELETE FROM group_placements",
    "INSERT INTO group_placements SELECT * FROM shuffled_placements ORDER BY random()",
    "DROP TABLE shuffled_placements",
    "ALTER TABLE statements ALTER COLUMN seq DROP IDENTITY",
    "UPDATE statements SET seq = 1 + floor(random() * 999999999999999998)::bigint, "
    "moderated_at = date_trunc('day', moderated_at, 'UTC')",
]


def upgrade() -> None:
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    # The submission order is gone for good; the identity column comes back numbering anew.
    op.execute("ALTER TABLE statements ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY")
    op.execute(
        "SELECT setval(pg_get_serial_sequence('statements', 'seq'), "
        "(SELECT coalesce(max(seq), 0) + 1 FROM statements), false)"
    )
