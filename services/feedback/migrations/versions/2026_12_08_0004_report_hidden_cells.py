"""Reports remember the cells the version rules hid, so later versions keep them hidden.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08

Existing versions get an empty list: their withheld questions are read from their documents,
and they hid nothing else by the version rules, which did not exist yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column(
            "hidden_cells",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("reports", "hidden_cells")
