"""Identity's API schemas, named for their use."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str = Field(min_length=1, max_length=200, examples=["Dame Jane Smith"])
    email: EmailStr = Field(examples=["jane.smith@cabinetoffice.gov.uk"])
    organisation: str = Field(min_length=1, max_length=200, examples=["Cabinet Office"])


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    member_id: UUID
    email: str
    status: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
