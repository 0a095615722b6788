"""Directory's API schemas, named for their use."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: UUID
    full_name: str
    organisation: str
    status: str
    created_at: datetime
