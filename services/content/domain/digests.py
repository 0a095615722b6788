"""When weekly digests are due and how each is named. Pure: no I/O.

A digest is per member and ISO week (`2026-W48`), due from a weekday and hour in UK time; its
email's id is derived from member and week, so it is sent once however often it is built.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from services.content.domain.errors import InvalidItem

UK = ZoneInfo("Europe/London")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DIGEST_NAMESPACE = uuid.UUID("6f1c0c38-2f43-4bd9-9b5e-0e6b1d2cf5a1")


class DigestSchedule(Protocol):
    """The settings that say when digests go out (`ContentSettings` has them)."""

    digest_weekday: int
    digest_hour: int


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UK).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week like `2026-W48`; raises InvalidItem for anything else."""
    match = _WEEK.match(week)
    if match is None:
        raise InvalidItem("Give the week as YYYY-Www, e.g. 2026-W48.")
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise InvalidItem(f"{week} is not a week of the ISO calendar.") from exc


def send_time(week: str, schedule: DigestSchedule) -> datetime:
    """When a week's digests are due (UK time), per the schedule's weekday and hour."""
    day = week_start(week) + timedelta(days=schedule.digest_weekday)
    return datetime(day.year, day.month, day.day, schedule.digest_hour, tzinfo=UK)


def message_id(member_id: UUID, week: str) -> UUID:
    return uuid.uuid5(_DIGEST_NAMESPACE, f"{member_id}:{week}")


@dataclass
class DigestRun:
    """What one run of a week's digests did."""

    week: str
    #: Members whose digest this run built (sent, or empty because nothing was new).
    members: int = 0
    #: Digests queued in the mail outbox.
    queued: int = 0
