"""What a mail sender is given and what it may raise: the contract between relay and provider."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.chassis.mail.templates import MailTemplate


class PermanentMailError(Exception):
    """Sending this message can never succeed (bad address, unknown template): do not retry."""


@dataclass(frozen=True)
class OutgoingMail:
    """One message as the relay hands it to a sender."""

    message_id: UUID
    template: MailTemplate
    to: str
    personalisation: Mapping[str, str]
    reference: str | None
    #: When `enqueue_mail` wrote it (UTC).
    created_at: datetime
    #: 1 for the first try.
    attempt: int


class MailSender(Protocol):
    """Hands one message to a mail provider.

    Returns the provider's reference for the message. Raises `PermanentMailError` when the
    message can never be sent; any other exception means "try again later".
    """

    async def send(self, message: OutgoingMail) -> str: ...
