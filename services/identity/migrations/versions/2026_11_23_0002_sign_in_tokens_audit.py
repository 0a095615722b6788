"""Member lifecycle, sign-in links, refresh tokens, append-only audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("members", "email", nullable=True)
    op.alter_column("members", "full_name", nullable=True)
    op.alter_column("members", "organisation", nullable=True)
    op.alter_column("invitations", "email", nullable=True)
    op.add_column(
        "members",
        sa.Column(
            "roles", postgresql.ARRAY(sa.String(40)), nullable=False, server_default="{member}"
        ),
    )
    op.add_column("members", sa.Column("activated_at", sa.DateTime(timezone=True)))
    op.add_column("members", sa.Column("deactivated_at", sa.DateTime(timezone=True)))
    op.add_column("members", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.create_index("ix_members_created", "members", ["created_at", "id"])
    op.add_column("invitations", sa.Column("redeemed_at", sa.DateTime(timezone=True)))
    op.add_column("invitations", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.create_table(
        "sign_in_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "member_id", sa.Uuid(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "sign_in_requests",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_sign_in_requests_email", "sign_in_requests", ["email_hash", "created_at"])
    op.create_index("ix_sign_in_requests_ip", "sign_in_requests", ["client_ip", "created_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column(
            "member_id", sa.Uuid(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("details", postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_log_member", "audit_log", ["member_id", "id"])
    # Append-only in the database itself, not just by convention in the code.
    op.execute(
        "CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
    )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER audit_log_append_only ON audit_log; DROP FUNCTION audit_log_is_append_only();"
    )
    op.drop_table("audit_log")
    op.drop_table("refresh_tokens")
    op.drop_table("sign_in_requests")
    op.drop_table("sign_in_tokens")
    op.drop_column("invitations", "revoked_at")
    op.drop_column("invitations", "redeemed_at")
    op.drop_index("ix_members_created", "members")
    for column in ("erased_at", "deactivated_at", "activated_at", "roles"):
        op.drop_column("members", column)
