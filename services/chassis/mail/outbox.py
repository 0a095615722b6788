"""The mail outbox: a message is a row written in the same transaction as the change it reports.

Roll back, and the mail never existed. `MailRelay` sends committed rows; each row keeps the
template's name, not its text, so a message is rendered by the template the relay knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID, uuid4

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.mail.templates import MailTemplate
from services.chassis.tracing import current_trace_headers

#: Tables of the mail outbox; a service that sends mail creates them in one of its revisions.
mail_metadata = MetaData()

#: Channel the mail relay LISTENs on; NOTIFY is delivered only when the writer commits.
MAIL_CHANNEL = "convene_mail"

mail_outbox_table = Table(
    "mail_outbox",
    mail_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("message_id", Uuid, nullable=False, unique=True),
    Column("template", String(200), nullable=False),
    Column("to_address", Text, nullable=False),
    # Cleared once the message is sent or has failed: sign-in links must not outlive their use.
    Column("personalisation", JSONB),
    Column("reference", Text),
    Column("trace_headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    #: Set when the message will never be sent (permanent error, or out of attempts).
    Column("failed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("lease_owner", String(200)),
    #: A claim's end or, after a failed try, the time before which nobody may retry.
    Column("lease_until", DateTime(timezone=True)),
    Column("provider_reference", Text),
    Index(
        "ix_mail_outbox_unsent",
        "id",
        postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
    ),
    Index("ix_mail_outbox_created_at", "created_at"),
)


class InvalidMailAddress(ValueError):
    """The address is not one a mail provider would accept."""


async def enqueue_mail(
    session: AsyncSession,
    *,
    template: MailTemplate,
    to: str,
    personalisation: Mapping[str, str],
    reference: str | None = None,
    message_id: UUID | None = None,
) -> UUID:
    """Add a message to the mail outbox in the session's transaction; never commits.

    Checks now what the provider would refuse later, so the caller's request fails instead:
    raises `MissingPersonalisation` for a placeholder without a value, `InvalidMailAddress`
    for an address that is not one, `TypeError` for a value that is not a string.

    The message is sent (at least once) only if the transaction commits. Pass a `message_id`
    derived from what the mail is about (e.g. uuid5 of member and week) to make enqueueing
    idempotent: a second call with the same id adds nothing. `reference` is passed to Notify
    (default: the message id), so support can find the message there.
    """
    for key, value in personalisation.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"personalisation of {template.name!r} must map str to str: {key!r}")
    template.render(personalisation)
    address = to.strip()
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidMailAddress(f"not a valid email address: {exc}") from None
    message_id = message_id or uuid4()
    await session.execute(
        insert(mail_outbox_table)
        .values(
            message_id=message_id,
            template=template.name,
            to_address=address,
            personalisation=dict(personalisation),
            reference=reference,
            trace_headers=current_trace_headers(),
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": MAIL_CHANNEL})
    return message_id


def create_mail_tables(connection: Connection) -> None:
    """For the revision of a service that starts sending mail: the mail outbox table."""
    mail_metadata.create_all(connection)


def drop_mail_tables(connection: Connection) -> None:
    mail_metadata.drop_all(connection)
