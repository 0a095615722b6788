"""Identity's API schemas, named for their use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str = Field(min_length=1, max_length=200, examples=["Dame Jane Smith"])
    email: EmailStr = Field(examples=["jane.smith@cabinetoffice.gov.uk"])
    organisation: str = Field(min_length=1, max_length=200, examples=["Cabinet Office"])
    #: Needed to invite an address outside the public-sector allow-list; audited.
    override_reason: str | None = Field(default=None, min_length=10, max_length=500)


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    member_id: UUID
    email: str | None
    status: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


class BulkInvitationRow(BaseModel):
    row: int = Field(description="Line number in the CSV file (the header is line 1)")
    email: str | None = None
    status: Literal["invited", "error"]
    invitation_id: UUID | None = None
    errors: list[str] = Field(default_factory=list)


class BulkInvitationResult(BaseModel):
    invited: int
    failed: int
    rows: list[BulkInvitationRow]


class SignInRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr


class SignInRequestAccepted(BaseModel):
    message: str = (
        "If that address belongs to a Convene member, we have sent a sign-in link to it. "
        "The link works once, for a short time."
    )


class LinkRedeem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=20, max_length=200)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Optional when the refresh cookie is sent instead.
    refresh_token: str | None = Field(default=None, min_length=20, max_length=200)


class TokenResponse(BaseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    access_token: str
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
    member_id: UUID


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str | None
    full_name: str | None
    organisation: str | None
    status: str
    roles: list[str]
    created_at: datetime
    activated_at: datetime | None


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Literal["member", "curator", "programme_admin"]] = Field(max_length=3)


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    member_id: UUID | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    #: Pass as `before` to get older entries; absent on the last page.
    next_before: int | None = None


class KeyRotated(BaseModel):
    kid: str


class CohortCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, examples=["Leadership Programme 2026"])
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date


class CohortRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    year: int
    starts_on: date
    ends_on: date
    #: True once the cohort has ended: its members are alumni.
    ended: bool
    members: int


class ServiceAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, examples=["DfE data platform"])
    department: str = Field(min_length=1, max_length=200, examples=["Department for Education"])
    scopes: list[str] = Field(min_length=1, max_length=50)


class ServiceAccountScopes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[str] = Field(min_length=1, max_length=50)


class ServiceAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The client id")
    name: str
    department: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    previous_valid_until: datetime | None = Field(
        description="After a rotation, when the previous secret stops working"
    )


class ServiceAccountSecret(ServiceAccountRead):
    #: Shown once; store it now. Only a hash is kept.
    client_secret: str


class ClientTokenResponse(BaseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    access_token: str
    expires_in: int
    scope: str
