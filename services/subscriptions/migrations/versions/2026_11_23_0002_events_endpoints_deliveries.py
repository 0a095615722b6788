"""The public event log, subscribers, endpoints, deliveries and the delivery log.

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

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "public_events",
        sa.Column("sequence", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.String(200), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("time", _TS, nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("traceparent", sa.String(100)),
        sa.Column("received_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_public_events_type_sequence", "public_events", ["event_type", "sequence"])
    op.create_index("ix_public_events_received_at", "public_events", ["received_at"])
    op.create_table(
        "subscribers",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("scopes", postgresql.ARRAY(sa.String(250)), nullable=False),
        sa.Column("seen_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "subscriber", sa.String(200), sa.ForeignKey("subscribers.subject"), nullable=False
        ),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100)),
        sa.Column("previous_secret_until", _TS),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("verified_at", _TS),
    )
    op.create_index("ix_endpoints_subscriber", "endpoints", ["subscriber"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "endpoint_id",
            sa.Uuid(),
            sa.ForeignKey("endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "sequence",
            sa.BigInteger(),
            sa.ForeignKey("public_events.sequence", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_key", sa.String(500), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("first_attempt_at", _TS),
        sa.Column("leased_until", _TS),
        sa.Column("last_status", sa.SmallInteger()),
        sa.Column("last_error", sa.Text()),
        sa.Column("finished_at", _TS),
    )
    op.create_index(
        "ix_deliveries_pending",
        "deliveries",
        ["endpoint_id", "event_key", "sequence"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_deliveries_endpoint_state", "deliveries", ["endpoint_id", "state", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "endpoint_id",
            sa.Uuid(),
            sa.ForeignKey("endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.SmallInteger()),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.Column("at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_delivery_attempts_endpoint", "delivery_attempts", ["endpoint_id", "id"])


def downgrade() -> None:
    for table in ("delivery_attempts", "deliveries", "endpoints", "subscribers", "public_events"):
        op.drop_table(table)
