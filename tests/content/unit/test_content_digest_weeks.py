"""When digests are due and how they are named (`domain.digests`), without I/O."""

from __future__ import annotations

import uuid

import pytest

from services.content.domain.digests import iso_week, message_id, week_start
from services.content.domain.errors import InvalidItem


def test_digest_weeks() -> None:
    from datetime import UTC, datetime

    assert iso_week(datetime(2026, 11, 23, 9, tzinfo=UTC)) == "2026-W48"
    assert week_start("2026-W48").isoformat() == "2026-11-23"
    for bad in ("2026-W54", "2026-48", ""):
        with pytest.raises(InvalidItem):
            week_start(bad)
    member = uuid.uuid4()
    assert message_id(member, "2026-W48") == message_id(member, "2026-W48")
    assert message_id(member, "2026-W48") != message_id(member, "2026-W49")


def test_digests_are_due_from_the_configured_uk_time() -> None:
    from services.content.config import ContentSettings
    from services.content.domain.digests import send_time

    settings = ContentSettings(
        database_url="postgresql://x/y", kafka_bootstrap_servers="k:9092", digest_hour=7
    )
    due = send_time("2026-W27", settings)  # British Summer Time
    assert due.isoformat() == "2026-06-29T07:00:00+01:00"
    assert send_time("2026-W48", settings).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
