"""What identity's routes depend on: its settings, its signing keys and token issuer, the
programme-admin check."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from services.chassis.auth import require_role
from services.chassis.runtime import RuntimeDep, settings_dependency
from services.chassis.tokens import Principal
from services.identity.adapters.signing_keys import SigningKeys, TokenIssuer, signing_keys_of
from services.identity.config import IdentitySettings

SettingsDep = Annotated[IdentitySettings, Depends(settings_dependency(IdentitySettings))]
ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]


async def _signing_keys(runtime: RuntimeDep) -> SigningKeys:
    return signing_keys_of(runtime)


SigningKeysDep = Annotated[SigningKeys, Depends(_signing_keys)]


async def _issuer(keys: SigningKeysDep, settings: SettingsDep) -> TokenIssuer:
    return TokenIssuer(
        keys,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        access_lifetime=timedelta(minutes=settings.access_token_minutes),
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
    )


IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
