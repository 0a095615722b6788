"""Search: a byte-ordered index on the vocabulary, so a typed prefix completes to whole words
with an index range scan (exact GIN lookups are ~10x cheaper than `word:*` prefix scans).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_search_words_prefix ON search_words (word text_pattern_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_words_prefix")
