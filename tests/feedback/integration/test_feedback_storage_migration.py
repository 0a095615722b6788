"""Revision 0003 on a database written by the code before it: every row is kept, and the links
that code left (a salt sharing its transaction with an answer, statements numbered in order,
moderation times to the microsecond) are gone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from alembic import command

from services.chassis.migrations import alembic_config
from services.feedback.bootstrap import SERVICE

MIGRATIONS: Path = SERVICE.migrations


async def _old_world(conn: asyncpg.Connection, campaign: uuid.UUID) -> list[uuid.UUID]:
    """What 0002's code wrote: each member's salt in the transaction of their first answer."""
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO campaigns (id, title, question, context, audience_kind, audience_sectors, "
        "anonymity, questions, opens_at, closes_at, status, created_by) VALUES "
        "($1, 't', 'q', '', 'all', '{}', 'anonymous', '[]', $2, $3, 'open', 'admin')",
        campaign,
        now - timedelta(days=1),
        now + timedelta(days=1),
    )
    statement = uuid.uuid4()
    await conn.execute(
        "INSERT INTO statements (id, campaign_id, text, normalised_text, status, moderated_by, "
        "moderated_at) VALUES ($1, $2, 'Seed', 'seed', 'approved', 'admin', $3)",
        statement,
        campaign,
        now,
    )
    members = [uuid.uuid4() for _ in range(4)]
    for i, member in enumerate(members):
        async with conn.transaction():
            await conn.execute("INSERT INTO members (member_id, active) VALUES ($1, true)", member)
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO member_salts (member_id, salt) VALUES ($1, $2)", member, bytes(32)
            )
            await conn.execute(
                "INSERT INTO responses (campaign_id, pseudonym, answers, revision) "
                "VALUES ($1, $2, '{\"support\": 3}', 1)",
                campaign,
                f"p{i}",
            )
            await conn.execute(
                "INSERT INTO votes (statement_id, pseudonym, campaign_id, value) "
                "VALUES ($1, $2, $3, 1)",
                statement,
                f"p{i}",
                campaign,
            )
            await conn.execute(
                "INSERT INTO statements (id, campaign_id, text, normalised_text, "
                "author_pseudonym, status) VALUES ($1, $2, $3, $3, $4, 'pending')",
                uuid.uuid4(),
                campaign,
                f"statement {i}",
                f"p{i}",
            )
    return members


async def test_0003_keeps_every_row_and_breaks_every_link_0002_left(infrastructure) -> None:  # type: ignore[no-untyped-def]
    url = await infrastructure.create_database("convene_feedback_migration_0003")
    config = alembic_config(MIGRATIONS, url)
    await asyncio.to_thread(command.upgrade, config, "0002")
    conn = await asyncpg.connect(infrastructure.database_url("convene_feedback_migration_0003"))
    try:
        campaign = uuid.uuid4()
        members = await _old_world(conn, campaign)
        tables = ("responses", "votes", "statements", "member_salts", "members")
        before = {
            t: sorted(tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")) for t in tables
        }
        linked = "SELECT count(*) FROM member_salts s JOIN responses r ON r.xmin = s.xmin"
        assert await conn.fetchval(linked) == len(members), "the old code's link, to be broken"

        await asyncio.to_thread(command.upgrade, config, "0003")

        assert await conn.fetchval(linked) == 0
        for table in ("votes", "statements"):
            joined = await conn.fetchval(
                f"SELECT count(*) FROM member_salts s JOIN {table} r ON r.xmin = s.xmin"
            )
            assert joined == 0, table
        identity = await conn.fetchval(
            "SELECT is_identity FROM information_schema.columns "
            "WHERE table_name = 'statements' AND column_name = 'seq'"
        )
        assert identity == "NO"
        for row in await conn.fetch(
            "SELECT moderated_at FROM statements WHERE moderated_at IS NOT NULL"
        ):
            assert row["moderated_at"].time().isoformat() == "00:00:00"
        after = {
            t: sorted(tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")) for t in tables
        }
        for table in ("responses", "votes", "member_salts", "members"):
            assert after[table] == before[table], table
        # Statements keep everything but their old number and their moderation's time of day.
        keep = "SELECT id, campaign_id, text, author_pseudonym, status FROM statements ORDER BY id"
        assert len(after["statements"]) == len(before["statements"])
        assert len(await conn.fetch(keep)) == len(before["statements"])
    finally:
        await conn.close()
