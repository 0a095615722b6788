"""Identity's public keys (the JWKS every service verifies tokens with) and their rotation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.chassis.runtime import UnitOfWorkDep
from services.identity.domain import commands
from services.identity.entrypoints.api.dependencies import ProgrammeAdmin, SigningKeysDep
from services.identity.handlers import keys as key_handlers
from services.identity.schemas import KeyRotated

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(keys: SigningKeysDep) -> dict[str, Any]:
    return await keys.jwks()


@router.post("/keys/rotate", summary="Start signing with a new key", status_code=201)
async def rotate_key(uow: UnitOfWorkDep, admin: ProgrammeAdmin, keys: SigningKeysDep) -> KeyRotated:
    kid = await key_handlers.rotate_signing_key(
        commands.RotateSigningKey(admin.subject), uow, keys=keys
    )
    await uow.commit()
    keys.forget()
    return KeyRotated(kid=kid)
