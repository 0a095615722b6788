"""Weekly digests: each member's top unseen items they may see, queued in the mail outbox; and
unsubscribing from them through a signed link.

"Unseen" means not read and not in an earlier digest. A digest is recorded per member and ISO
week in the same transaction that queues its email (whose id is uuid5 of member and week), so a
week's digest is built once per member however many replicas or reruns try.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.content.adapters import mail_templates
from services.content.adapters.orm import Digest, Member
from services.content.config import ContentSettings
from services.content.domain import commands, links
from services.content.domain.digests import message_id, week_start
from services.content.domain.errors import LinkNotValid
from services.content.views import reading
from services.content.views.readers import reader_context


async def _members_due(uow: UnitOfWork, week: str, *, limit: int) -> list[UUID]:
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


async def build_digests(
    command: commands.BuildDigests,
    uow: UnitOfWork,
    *,
    settings: ContentSettings,
    signing_key: bytes,
) -> list[bool | None]:
    """Build the digests of up to `command.limit` members still due one for `command.week`;
    one outcome per member claimed (see `_build_digest`). Fewer than the limit: none is left."""
    return [
        await _build_digest(
            uow, member_id, command.week, command.now, settings, signing_key=signing_key
        )
        for member_id in await _members_due(uow, command.week, limit=command.limit)
    ]


async def _build_digest(
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
    context = await reader_context(uow.session, member_id)
    entries = await reading.feed(
        uow.session,
        context,
        now=now,
        limit=settings.digest_size,
        after=None,
        exclude=reading.already_seen_by(member_id),
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
    await mail_templates.send_weekly_digest(
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


async def unsubscribe(
    command: commands.Unsubscribe, uow: UnitOfWork, *, signing_key: bytes
) -> None:
    """Stop the weekly digest for whoever the signed link names. Idempotent."""
    member_id = links.verify(signing_key, links.UNSUBSCRIBE_DIGEST, command.token)
    if member_id is None:
        raise LinkNotValid()
    await uow.session.execute(
        update(Member).where(Member.member_id == member_id).values(digest_weekly=False)
    )
