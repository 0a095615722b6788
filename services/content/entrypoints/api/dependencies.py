"""What content's routes depend on: typed settings, the roles curation needs, the link key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.chassis.auth import require_role
from services.chassis.runtime import UnitOfWorkDep, settings_dependency
from services.chassis.tokens import Principal
from services.content.adapters import link_keys
from services.content.config import ContentSettings
from services.content.domain.model import Actor

SettingsDep = Annotated[ContentSettings, Depends(settings_dependency(ContentSettings))]
Curator = Annotated[Principal, Depends(require_role("curator", "programme_admin"))]
ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]
Limit = Annotated[int, Query(ge=1, le=100)]


def actor_of(principal: Principal) -> Actor:
    """The caller as the curation workflow sees them: an id and roles."""
    return Actor(principal.subject, principal.roles)


async def _link_signing_key(uow: UnitOfWorkDep, settings: SettingsDep) -> bytes:
    # The route's own unit of work (FastAPI gives one per request), so a key made now is
    # committed with the route's change.
    return await link_keys.signing_key(uow.session, settings)


LinkSigningKey = Annotated[bytes, Depends(_link_signing_key)]
"""The key that signs and verifies content's links (`domain.links`)."""
