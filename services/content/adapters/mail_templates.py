"""The emails content sends. Each is queued in the caller's transaction (mail outbox)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.mail import MailTemplate, enqueue_mail

WEEKLY_DIGEST = MailTemplate(
    name="content.weekly_digest",
    subject="Your Convene digest for the week of ((week_of))",
    body=(
        "Dear ((full_name)),\n\n"
        "Here is what is new on Convene for you this week.\n\n"
        "((items))\n\n"
        "You get this email once a week. To stop it, open this link and confirm:\n"
        "((unsubscribe_link))\n"
    ),
)

PLACE_CONFIRMED = MailTemplate(
    name="content.place_confirmed",
    subject="You have a place at ((title))",
    body=(
        "Dear ((full_name)),\n\n"
        "A place has become free and it is yours: ((title)), ((when)).\n\n"
        "If you can no longer come, please cancel so that someone else can have it:\n"
        "((link))\n"
    ),
)

TEMPLATES = {template.name: template for template in (WEEKLY_DIGEST, PLACE_CONFIRMED)}


async def send_weekly_digest(
    session: AsyncSession,
    *,
    message_id: UUID,
    to: str,
    full_name: str,
    week_of: str,
    items: str,
    unsubscribe_link: str,
) -> None:
    """Idempotent per `message_id` (one per member and ISO week)."""
    await enqueue_mail(
        session,
        template=WEEKLY_DIGEST,
        to=to,
        message_id=message_id,
        personalisation={
            "full_name": full_name or "Convene member",
            "week_of": week_of,
            "items": items,
            "unsubscribe_link": unsubscribe_link,
        },
    )


async def send_place_confirmed(
    session: AsyncSession, *, to: str, full_name: str, title: str, when: str, link: str
) -> None:
    await enqueue_mail(
        session,
        template=PLACE_CONFIRMED,
        to=to,
        personalisation={
            "full_name": full_name or "Convene member",
            "title": title,
            "when": when,
            "link": link,
        },
    )
