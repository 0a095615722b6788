"""The emails identity sends (its mail templates). Each is queued in the caller's transaction
(the mail outbox), and the mail relay sends it once that commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.mail import MailTemplate, enqueue_mail

INVITATION = MailTemplate(
    name="identity.invitation",
    subject="You are invited to join Convene",
    body=(
        "Dear ((full_name)),\n\n"
        "You have been invited to join Convene, the network for senior leaders across the UK "
        "public sector.\n\n"
        "To accept, open this link and confirm:\n((link))\n\n"
        "The link works once and expires on ((expires_on)). If you were not expecting this "
        "invitation you can ignore this email.\n"
    ),
)

SIGN_IN_LINK = MailTemplate(
    name="identity.sign_in_link",
    subject="Your Convene sign-in link",
    body=(
        "Dear ((full_name)),\n\n"
        "Open this link and confirm to sign in to Convene:\n((link))\n\n"
        "The link works once, for ((minutes)) minutes. If you did not ask to sign in, ignore "
        "this email: nobody can sign in without it.\n"
    ),
)

TEMPLATES = {template.name: template for template in (INVITATION, SIGN_IN_LINK)}


async def send_invitation(
    session: AsyncSession, *, to: str, full_name: str, link: str, expires_at: datetime
) -> None:
    await enqueue_mail(
        session,
        template=INVITATION,
        to=to,
        personalisation={
            "full_name": full_name,
            "link": link,
            "expires_on": expires_at.strftime("%-d %B %Y"),
        },
    )


async def send_sign_in_link(
    session: AsyncSession, *, to: str, full_name: str, link: str, minutes: int
) -> None:
    await enqueue_mail(
        session,
        template=SIGN_IN_LINK,
        to=to,
        personalisation={
            "full_name": full_name or "Convene member",
            "link": link,
            "minutes": str(minutes),
        },
    )
