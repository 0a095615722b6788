"""Rotating identity's signing key, which an admin starts (the first key: entrypoints/worker.py)."""

from __future__ import annotations

from services.chassis.database import UnitOfWork
from services.identity.adapters.audit_log import audit
from services.identity.adapters.signing_keys import SigningKeys
from services.identity.domain import commands


async def rotate_signing_key(
    command: commands.RotateSigningKey, uow: UnitOfWork, *, keys: SigningKeys
) -> str:
    """Start a new key (it signs once published long enough); returns its id. After
    committing, the caller calls `keys.forget()` so this process reads it at once."""
    kid = await keys.rotate(uow.session)
    audit(uow, command.actor, "keys.rotated", None, kid=kid)
    return kid
