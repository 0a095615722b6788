"""Full profiles, organisations, expertise tags, cohorts, search index, contact requests,
connections, blocks, delegates, photos, views, activity, reports and notices.

Needs the pg_trgm extension (PostgreSQL contrib), for typo-tolerant search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.directory.adapters.reference_data import seed_expertise_tags, seed_organisations
from services.directory.domain.model import DEFAULT_VISIBILITY

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    organisations = op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("parent_id", sa.Uuid(), sa.ForeignKey("organisations.id")),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ux_organisations_name", "organisations", [sa.text("lower(name)")], unique=True)
    op.execute(
        "CREATE INDEX ix_organisations_name_trgm ON organisations USING gin (name gin_trgm_ops)"
    )
    op.bulk_insert(
        organisations,
        [
            {
                "id": o.id,
                "name": o.name,
                "type": o.type,
                "parent_id": o.parent_id,
                "added_by": "seed",
            }
            for o in seed_organisations()
        ],
    )
    tags = op.create_table(
        "expertise_tags",
        sa.Column("slug", sa.String(60), primary_key=True),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.bulk_insert(
        tags,
        [{"slug": s, "label": label, "added_by": "seed"} for s, label in seed_expertise_tags()],
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
    )
    op.create_table(
        "cohort_memberships",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("cohort_id", sa.Uuid(), sa.ForeignKey("cohorts.id"), primary_key=True),
    )
    op.create_index(
        "ix_cohort_memberships_cohort", "cohort_memberships", ["cohort_id", "member_id"]
    )

    default_visibility = json.dumps({k.value: v.value for k, v in DEFAULT_VISIBILITY.items()})
    columns: list[sa.Column[Any]] = [
        sa.Column("preferred_name", sa.String(100)),
        sa.Column("job_title", sa.String(200)),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisations.id")),
        sa.Column("sector", sa.String(40)),
        sa.Column("region", sa.String(40)),
        sa.Column("bio", sa.Text()),
        sa.Column(
            "expertise", postgresql.ARRAY(sa.String(60)), server_default="{}", nullable=False
        ),
        sa.Column(
            "languages", postgresql.ARRAY(sa.String(40)), server_default="{}", nullable=False
        ),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(40)),
        sa.Column("assistant_name", sa.String(200)),
        sa.Column("assistant_email", sa.String(320)),
        sa.Column("assistant_phone", sa.String(40)),
        sa.Column(
            "visibility",
            postgresql.JSONB(),
            server_default=sa.text(f"'{default_visibility}'::jsonb"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("has_photo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("published_at", TZ),
        sa.Column("confirmed_at", TZ),
        sa.Column("stale_since", TZ),
        sa.Column("sort_name", sa.String(200), server_default="", nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR()),
    ]
    for column in columns:
        op.add_column("profiles", column)
    op.execute("UPDATE profiles SET sort_name = lower(full_name)")
    op.execute(
        "CREATE INDEX ix_profiles_search ON profiles USING gin (search_vector) "
        "WHERE status = 'published' AND active"
    )
    op.execute(
        "CREATE INDEX ix_profiles_listed_name ON profiles (sort_name, member_id) "
        "WHERE status = 'published' AND active"
    )
    op.execute("CREATE INDEX ix_profiles_expertise ON profiles USING gin (expertise)")
    op.create_index("ix_profiles_sector", "profiles", ["sector"])
    op.create_index("ix_profiles_region", "profiles", ["region"])
    op.create_index("ix_profiles_organisation", "profiles", ["organisation_id"])
    op.create_index("ix_profiles_confirmed", "profiles", ["confirmed_at"])

    op.create_table(
        "search_words",
        sa.Column("word", sa.String(100), primary_key=True),
    )
    op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING gist (word gist_trgm_ops)")

    op.create_table(
        "photos",
        sa.Column(
            "member_id",
            sa.Uuid(),
            sa.ForeignKey("profiles.member_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
    )
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by", sa.Uuid()),
        sa.Column("made_by", sa.Uuid()),
    )
    op.create_index(
        "ix_contact_requests_recipient", "contact_requests", ["recipient_id", "created_at"]
    )
    op.create_index(
        "ix_contact_requests_requester", "contact_requests", ["requester_id", "created_at"]
    )
    op.create_index(
        "ux_contact_requests_pending_pair",
        "contact_requests",
        ["requester_id", "recipient_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "connections",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("other_id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.Uuid(), primary_key=True),
        sa.Column("blocked_id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "delegates",
        sa.Column("principal_id", sa.Uuid(), primary_key=True),
        sa.Column("delegate_id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_delegates_delegate", "delegates", ["delegate_id"])
    op.create_table(
        "profile_views",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("viewer_is_admin", sa.Boolean(), nullable=False),
        sa.Column("viewed_at", TZ, nullable=False),
    )
    op.create_index("ix_profile_views_profile", "profile_views", ["profile_id", "viewed_at"])
    op.create_index("ix_profile_views_viewer", "profile_views", ["viewer_id"])
    op.create_table(
        "profile_activity",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid()),
        sa.Column("as_delegate", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_profile_activity_member", "profile_activity", ["member_id", "id"])
    op.create_table(
        "profile_reports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
    )
    op.create_index("ix_profile_reports_member", "profile_reports", ["member_id", "created_at"])
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ),
    )
    op.create_index("ix_notices_member", "notices", ["member_id", "id"])


def downgrade() -> None:
    for table in (
        "notices",
        "profile_reports",
        "profile_activity",
        "profile_views",
        "delegates",
        "blocks",
        "connections",
        "contact_requests",
        "photos",
        "search_words",
    ):
        op.drop_table(table)
    for index in ("ix_profiles_search", "ix_profiles_listed_name", "ix_profiles_expertise"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    for column in (
        "preferred_name",
        "job_title",
        "organisation_id",
        "sector",
        "region",
        "bio",
        "expertise",
        "languages",
        "email",
        "phone",
        "assistant_name",
        "assistant_email",
        "assistant_phone",
        "visibility",
        "active",
        "has_photo",
        "updated_at",
        "published_at",
        "confirmed_at",
        "stale_since",
        "sort_name",
        "search_vector",
    ):
        op.drop_column("profiles", column)
    for table in ("cohort_memberships", "cohorts", "expertise_tags", "organisations"):
        op.drop_table(table)
