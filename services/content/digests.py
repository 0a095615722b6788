"""Weekly digests: each member's top unseen items they may see, queued in the mail outbox.

"Unseen" means not read and not in an earlier digest. A digest is recorded per member and ISO
week in the same transaction that queues its email (whose id is uuid5 of member and week), so a
week's digest is built once per member however many replicas or reruns try.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.content import links, notifications, views
from services.content.adapters.orm import Digest, Member
from services.content.config import ContentSettings
from services.content.domain.errors import InvalidItem

UK = ZoneInfo("Europe/London")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DIGEST_NAMESPACE = uuid.UUID("6f1c0c38-2f43-4bd9-9b5e-0e6b1d2cf5a1")


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


def send_time(week: str, settings: ContentSettings) -> datetime:
    """When a week's digests are due (UK time), per the settings' weekday and hour."""
    day = week_start(week) + timedelta(days=settings.digest_weekday)
    return datetime(day.year, day.month, day.day, settings.digest_hour, tzinfo=UK)


def message_id(member_id: UUID, week: str) -> UUID:
    return uuid.uuid5(_DIGEST_NAMESPACE, f"{member_id}:{week}")


@dataclass
class DigestRun:
    week: str
    #: Members whose digest this run built (sent, or empty because nothing was new).
    members: int = 0
    #: Digests queued in the mail outbox.
    queued: int = 0


async def members_due(uow: UnitOfWork, week: str, *, limit: int) -> list[UUID]:
    """Active members who want a digest, have an address, and have none for `week` yet.

    Their rows stay locked (SKIP LOCKED) until the caller's transaction ends, so concurrent
    builders, in this process or in other replicas, share the work instead of racing for it.
    """
    already = select(Digest.member_id).where(Digest.week == week)
    return list(
        (
            await uow.session.scalars(
                select(Member.member_id)
                .where(
                    Member.active.is_(True),
                    Member.digest_weekly.is_(True),
                    Member.email.is_not(None),
                    Member.member_id.not_in(already),
                )
                .order_by(Member.member_id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def build_digest(
    uow: UnitOfWork,
    member_id: UUID,
    week: str,
    now: datetime,
    settings: ContentSettings,
    *,
    signing_key: bytes,
) -> bool | None:
    """Record `member_id`'s digest for `week` and queue its email; True when one was queued,
    False when there was nothing to send, None when another builder had already done it.

    The digest holds the member's best-ranked items published in the last
    `digest_lookback_days` that they have neither opened nor been sent before.

    A member with nothing new gets an empty record (so they are not considered again this
    week) and no email. Another builder that got there first makes this a no-op.
    """
    claimed = await uow.session.scalar(
        insert(Digest)
        .values(member_id=member_id, week=week, item_ids=[])
        .on_conflict_do_nothing()
        .returning(Digest.member_id)
    )
    if claimed is None:
        return None
    member = await uow.session.get(Member, member_id)
    if member is None or not member.email or not member.digest_weekly:
        return False
    context = await views.reader_context(uow.session, member_id)
    entries = await views.feed(
        uow.session,
        context,
        now=now,
        limit=settings.digest_size,
        after=None,
        exclude=views.already_seen_by(member_id),
        since=now - timedelta(days=settings.digest_lookback_days),
    )
    if not entries:
        return False
    digest = await uow.session.get(Digest, (member_id, week))
    assert digest is not None
    digest.item_ids = [entry.item.id for entry in entries]
    digest.message_id = message_id(member_id, week)
    base = settings.public_base_url.rstrip("/")
    lines = []
    for entry in entries:
        lines.append(
            f"* {entry.item.title}\n"
            f"  {entry.ranked.reasons[0].capitalize()}.\n"
            f"  {base}/content/items/{entry.item.id}"
        )
    await notifications.send_weekly_digest(
        uow.session,
        message_id=digest.message_id,
        to=member.email,
        full_name=member.full_name or "",
        week_of=week_start(week).strftime("%-d %B %Y"),
        items="\n\n".join(lines),
        unsubscribe_link=(
            f"{base}/api/content/digests/unsubscribe?token="
            f"{links.sign(signing_key, links.UNSUBSCRIBE_DIGEST, member_id)}"
        ),
    )
    return True
