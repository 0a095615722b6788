"""Campaigns, responses, statements, votes, reports, follow-ups and the member projection.

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
    op.create_table(
        "members",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sector", sa.String(120)),
        sa.Column("region", sa.String(120)),
    )
    op.create_table(
        "member_cohorts",
        sa.Column(
            "member_id",
            sa.Uuid(),
            sa.ForeignKey("members.member_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cohort_id", sa.Uuid(), primary_key=True),
        sa.Column("cohort_name", sa.String(200), nullable=False),
        sa.Column("cohort_year", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "member_salts",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("question", sa.String(1000), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("audience_kind", sa.String(20), nullable=False),
        sa.Column("audience_cohort_id", sa.Uuid()),
        sa.Column("audience_sectors", postgresql.ARRAY(sa.String(120)), nullable=False),
        sa.Column("anonymity", sa.String(20), nullable=False),
        sa.Column("questions", postgresql.JSONB(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("closes_at > opens_at", name="ck_campaigns_window"),
    )
    op.create_index("ix_campaigns_created", "campaigns", ["created_at", "id"])
    op.create_index("ix_campaigns_clock", "campaigns", ["status", "opens_at", "closes_at"])
    op.create_table(
        "responses",
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("answers", postgresql.JSONB(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_responses_member_id", "responses", ["member_id"])
    op.create_table(
        "statements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("text", sa.String(400), nullable=False),
        sa.Column("normalised_text", sa.String(400), nullable=False),
        sa.Column("author_pseudonym", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rejection_reason", sa.String(500)),
        sa.Column("moderated_by", sa.String(100)),
        sa.Column("moderated_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_statements_campaign", "statements", ["campaign_id", "status", "seq"])
    op.create_index(
        "ux_statements_text", "statements", ["campaign_id", "normalised_text"], unique=True
    )
    op.create_table(
        "votes",
        sa.Column(
            "statement_id",
            sa.Uuid(),
            sa.ForeignKey("statements.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("value IN (-1, 0, 1)", name="ck_votes_value"),
    )
    op.create_index("ix_votes_campaign", "votes", ["campaign_id"])
    op.create_table(
        "reports",
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "group_placements",
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("group_label", sa.String(8), nullable=False),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("you_said", sa.String(2000), nullable=False),
        sa.Column("we_did", sa.String(4000), nullable=False),
        sa.Column("posted_by", sa.String(100), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_follow_ups_campaign", "follow_ups", ["campaign_id", "posted_at"])


def downgrade() -> None:
    for table in (
        "follow_ups",
        "group_placements",
        "reports",
        "votes",
        "statements",
        "responses",
        "campaigns",
        "member_salts",
        "member_cohorts",
        "members",
    ):
        op.drop_table(table)
