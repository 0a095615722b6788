"""The identity domain: members, roles, invitations, cohorts and one-time secrets. No I/O here."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from services.identity.domain.errors import NotAllowed


class MemberStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    ERASED = "erased"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    REDEEMED = "redeemed"
    REVOKED = "revoked"


class Role(enum.StrEnum):
    MEMBER = "member"
    CURATOR = "curator"
    PROGRAMME_ADMIN = "programme_admin"
    #: Service accounts of other departments (client credentials), never people.
    DEPARTMENT_SUBSCRIBER = "department_subscriber"


#: Roles a person may hold; department_subscriber belongs to service accounts only.
PERSON_ROLES = frozenset({Role.MEMBER, Role.CURATOR, Role.PROGRAMME_ADMIN})


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; we store and look up the lower-case form."""
    return email.strip().lower()


def hash_secret(secret: str) -> str:
    """Links and refresh tokens are stored as SHA-256 hashes, never as issued.

    The secrets carry 256 bits of randomness, so a fast hash is enough (no brute force).
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewInvitation:
    """An invitation as created: the raw token exists only here, to be sent to the invitee."""

    invitation_id: UUID
    token: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


def issue_invitation(now: datetime, valid_for: timedelta) -> NewInvitation:
    token = new_secret()
    return NewInvitation(
        invitation_id=uuid4(),
        token=token,
        token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + valid_for,
    )


def check_cohort_dates(starts_on: date, ends_on: date) -> None:
    if ends_on <= starts_on:
        raise NotAllowed("A cohort must end after it starts.")


def is_alumni_cohort(ends_on: date, today: date) -> bool:
    """Members of a cohort that has ended are its alumni; nothing else changes for them."""
    return ends_on < today
