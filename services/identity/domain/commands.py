"""What identity can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InviteMember:
    full_name: str
    email: str
    organisation: str
    invited_by: str
