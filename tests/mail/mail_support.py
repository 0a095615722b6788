"""Helpers for the mail tests (importable as `mail_support`: pytest puts tests/mail on sys.path).

Tests share one database, so each test makes templates of its own (`sign_in_template()`): a
relay claims only rows of the templates it was given, so it never sends another test's mail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from support import unique, unique_email

from services.chassis.mail import (
    MailTemplate,
    OutgoingMail,
    PermanentMailError,
    enqueue_mail,
    mail_outbox_table,
)


def sign_in_template() -> MailTemplate:
    return MailTemplate(
        name=unique("sign-in"),
        subject="Sign in to Convene, ((first name))",
        body=(
            "Hello ((first name)),\n\n"
            "Use this link to sign in: ((link))\n\n"
            "((expires soon??The link works for 15 minutes.))\n\n"
            "Convene team"
        ),
    )


def sign_in_values(link: str | None = None) -> dict[str, str]:
    return {
        "first_name": "Jane",
        "link": link or f"https://convene.example.gov.uk/sign-in/{uuid.uuid4().hex}",
        "expires_soon": "yes",
    }


async def commit_mail(
    sessions: async_sessionmaker[AsyncSession],
    template: MailTemplate,
    *,
    to: str | None = None,
    personalisation: dict[str, str] | None = None,
    reference: str | None = None,
) -> uuid.UUID:
    async with sessions() as session:
        message_id = await enqueue_mail(
            session,
            template=template,
            to=to or unique_email(),
            personalisation=personalisation or sign_in_values(),
            reference=reference,
        )
        await session.commit()
    return message_id


async def mail_row(engine: AsyncEngine, message_id: uuid.UUID) -> dict[str, Any] | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(mail_outbox_table).where(mail_outbox_table.c.message_id == message_id)
            )
        ).first()
    return None if row is None else dict(row._mapping)


async def is_sent(engine: AsyncEngine, message_id: uuid.UUID) -> bool:
    row = await mail_row(engine, message_id)
    return row is not None and row["sent_at"] is not None


@dataclass
class RecordingSender:
    """A MailSender that keeps what it was given; it fails as told first.

    `failures` are raised, in order, by the first calls; after that every call succeeds.
    """

    failures: list[Exception] = field(default_factory=list)
    sent: list[OutgoingMail] = field(default_factory=list)
    calls: int = 0

    async def send(self, message: OutgoingMail) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"recorded:{message.message_id}"

    def sent_ids(self) -> list[uuid.UUID]:
        return [m.message_id for m in self.sent]


class RefusingSender:
    """A MailSender whose provider refuses every message for good."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: OutgoingMail) -> str:
        self.calls += 1
        raise PermanentMailError("BadRequestError: email_address Not a valid email address")
