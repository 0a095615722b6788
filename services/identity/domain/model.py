"""The identity domain: members and their invitations. No I/O here."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4


class MemberStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    REDEEMED = "redeemed"
    REVOKED = "revoked"


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; we store and look up the lower-case form."""
    return email.strip().lower()


def hash_token(token: str) -> str:
    """Invitation and sign-in tokens are stored as SHA-256 hashes, never as issued."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvitation:
    """An invitation as created: the raw token exists only here, to be sent to the invitee."""

    invitation_id: UUID
    member_id: UUID
    token: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


def issue_invitation(now: datetime, valid_for: timedelta) -> NewInvitation:
    token = secrets.token_urlsafe(32)
    return NewInvitation(
        invitation_id=uuid4(),
        member_id=uuid4(),
        token=token,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + valid_for,
    )
