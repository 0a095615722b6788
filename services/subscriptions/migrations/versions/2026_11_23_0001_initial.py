"""The chassis outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from services.chassis.migrations import create_messaging_tables, drop_messaging_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    drop_messaging_tables(op.get_bind())
