"""The chassis mail outbox (invitation and sign-in emails).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from services.chassis.mail import create_mail_tables, drop_mail_tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_mail_tables(op.get_bind())


def downgrade() -> None:
    drop_mail_tables(op.get_bind())
