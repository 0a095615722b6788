"""Identity's audit log: who did what to whom, written in the caller's transaction.

Entries hold ids and actions, never names or addresses, so erasing a member leaves the trail
intact and free of personal data.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.chassis.database import UnitOfWork
from services.identity.adapters.orm import AuditEntry


def audit(uow: UnitOfWork, actor: str, action: str, member_id: UUID | None, **details: Any) -> None:
    uow.session.add(AuditEntry(actor=actor, action=action, member_id=member_id, details=details))
