"""Events published by the identity service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from contracts.base import IntegrationEvent

MEMBER_TOPIC = "identity.member.v1"


class MemberInvitedV1(IntegrationEvent):
    """A programme admin invited a person to join Convene.

    Internal: carries the invitee's name and email, which only Convene services may hold.
    """

    event_type: ClassVar[str] = "identity.member.invited.v1"
    topic: ClassVar[str] = MEMBER_TOPIC
    subject_field: ClassVar[str] = "member_id"

    member_id: UUID = Field(description="The member id the invitee will have once they sign in.")
    invitation_id: UUID
    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    organisation: str = Field(min_length=1, max_length=200)
    invited_at: datetime
    expires_at: datetime
