"""Items and their curation audit, topics, the member projection, reading history, RSVPs,
digests, documents; the chassis mail outbox (weekly digests).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.chassis.mail import create_mail_tables, drop_mail_tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
TAGS = postgresql.ARRAY(sa.String(80))
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body_text, '')), 'C')"
)


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(600), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("topics", TAGS, nullable=False),
        sa.Column("sectors", TAGS, nullable=False),
        sa.Column("expertise", TAGS, nullable=False),
        sa.Column("regions", TAGS, nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("audience_cohort_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("audience_sectors", TAGS, nullable=False),
        sa.Column("starts_at", TZ),
        sa.Column("ends_at", TZ),
        sa.Column("place", sa.String(300)),
        sa.Column("online_url", sa.String(2000)),
        sa.Column("capacity", sa.Integer()),
        sa.Column("link_url", sa.String(2000)),
        sa.Column("document_type", sa.String(20)),
        sa.Column("document_size_bytes", sa.BigInteger()),
        sa.Column("offer_type", sa.String(40)),
        sa.Column("how_to_join", sa.String(600)),
        sa.Column("author_id", sa.String(100), nullable=False),
        sa.Column("approved_by", sa.String(100)),
        sa.Column("publish_at", TZ),
        sa.Column("published_at", TZ),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("withdrawn_at", TZ),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("search", postgresql.TSVECTOR(), sa.Computed(SEARCH_DOCUMENT, persisted=True)),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="ck_items_capacity"),
    )
    op.create_index("ix_items_created", "items", ["created_at", "id"])
    op.create_index(
        "ix_items_published",
        "items",
        ["published_at"],
        postgresql_where=sa.text("status = 'published'"),
    )
    op.create_index(
        "ix_items_due", "items", ["publish_at"], postgresql_where=sa.text("status = 'scheduled'")
    )
    op.create_index("ix_items_topics", "items", ["topics"], postgresql_using="gin")
    op.create_index("ix_items_search", "items", ["search"], postgresql_using="gin")

    op.create_table(
        "published_items",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("topics", TAGS, nullable=False),
        sa.Column("sectors", TAGS, nullable=False),
        sa.Column("expertise", TAGS, nullable=False),
        sa.Column("regions", TAGS, nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("audience_cohort_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("audience_sectors", TAGS, nullable=False),
    )
    op.create_index("ix_published_items_published_at", "published_items", ["published_at"])

    op.create_table(
        "item_audit",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_item_audit_item", "item_audit", ["item_id", "id"])
    op.execute(
        """
        CREATE FUNCTION item_audit_is_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'item_audit is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER item_audit_append_only BEFORE UPDATE OR DELETE ON item_audit "
        "FOR EACH ROW EXECUTE FUNCTION item_audit_is_append_only()"
    )

    op.create_table(
        "topics",
        sa.Column("slug", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(600), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("full_name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("sector", sa.String(80)),
        sa.Column("region", sa.String(80)),
        sa.Column("expertise", TAGS, nullable=False, server_default="{}"),
        sa.Column("profile_source", sa.String(20), nullable=False, server_default="member"),
        sa.Column("digest_weekly", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("feed_token_hash", sa.String(64), unique=True),
        sa.Column("feed_token_created_at", TZ),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "cohorts",
        sa.Column("cohort_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
    )
    op.create_table(
        "member_cohorts",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("cohort_id", sa.Uuid(), primary_key=True),
    )
    op.create_table(
        "topic_preferences",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("topic", sa.String(80), primary_key=True),
        sa.Column("mode", sa.String(10), nullable=False),
    )
    op.create_table(
        "reads",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("read_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "rsvps",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
    )
    op.create_index("ix_rsvps_queue", "rsvps", ["item_id", "status", "requested_at"])
    op.create_index("ix_rsvps_member", "rsvps", ["member_id"])
    op.create_table(
        "digests",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("message_id", sa.Uuid()),
        sa.Column("item_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("built_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_digests_week", "digests", ["week"])
    op.create_table(
        "documents",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "link_secrets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
    )
    create_mail_tables(op.get_bind())


def downgrade() -> None:
    drop_mail_tables(op.get_bind())
    for table in (
        "link_secrets",
        "documents",
        "digests",
        "rsvps",
        "reads",
        "topic_preferences",
        "member_cohorts",
        "cohorts",
        "members",
        "topics",
        "item_audit",
        "published_items",
        "items",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS item_audit_is_append_only()")
