"""What the directory can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class CreateDraftProfile:
    member_id: UUID
    full_name: str
    organisation: str


@dataclass(frozen=True)
class RemoveProfile:
    """Erasure: everything the directory holds about the member goes."""

    member_id: UUID
