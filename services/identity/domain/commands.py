"""What identity can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID


@dataclass(frozen=True)
class InviteMember:
    full_name: str
    email: str
    organisation: str
    invited_by: str
    #: Set by an admin to invite an address outside the allow-list; recorded in the audit log.
    override_reason: str | None = None


@dataclass(frozen=True)
class RevokeInvitation:
    invitation_id: UUID
    actor: str


@dataclass(frozen=True)
class RequestSignInLink:
    email: str
    client_ip: str


@dataclass(frozen=True)
class RedeemLink:
    token: str


@dataclass(frozen=True)
class SignInWithVerifiedEmail:
    """An external identity provider (OIDC) vouched for this address."""

    email: str
    provider: str


@dataclass(frozen=True)
class RefreshSession:
    refresh_token: str


@dataclass(frozen=True)
class SignOut:
    refresh_token: str


@dataclass(frozen=True)
class ChangeRoles:
    member_id: UUID
    roles: frozenset[str]
    actor: str


@dataclass(frozen=True)
class DeactivateMember:
    member_id: UUID
    actor: str


@dataclass(frozen=True)
class EraseMember:
    member_id: UUID
    actor: str


@dataclass(frozen=True)
class CreateCohort:
    name: str
    year: int
    starts_on: date
    ends_on: date
    actor: str


@dataclass(frozen=True)
class UpdateCohort:
    """Replace a cohort's name, year and dates (its members stay)."""

    cohort_id: UUID
    name: str
    year: int
    starts_on: date
    ends_on: date
    actor: str


@dataclass(frozen=True)
class AddToCohort:
    cohort_id: UUID
    member_id: UUID
    actor: str


@dataclass(frozen=True)
class RemoveFromCohort:
    cohort_id: UUID
    member_id: UUID
    actor: str


@dataclass(frozen=True)
class RotateSigningKey:
    actor: str


@dataclass(frozen=True)
class CreateServiceAccount:
    name: str
    department: str
    scopes: list[str]
    actor: str


@dataclass(frozen=True)
class RotateServiceAccountSecret:
    """A new secret; the previous one keeps working for `overlap`, so a department can switch
    without an outage."""

    account_id: UUID
    actor: str
    overlap: timedelta


@dataclass(frozen=True)
class ChangeServiceAccountScopes:
    account_id: UUID
    scopes: list[str]
    actor: str


@dataclass(frozen=True)
class RevokeServiceAccount:
    account_id: UUID
    actor: str


@dataclass(frozen=True)
class IssueClientToken:
    """The OAuth client-credentials grant (RFC 6749 §4.4); `requested` narrows the scopes."""

    client_id: str
    client_secret: str
    requested: list[str] | None
