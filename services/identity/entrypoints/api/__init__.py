"""Identity's HTTP routes, one module per router: thin, they validate, call a handler and
commit. `dependencies.py` holds what they depend on, `problems.py` how errors answer."""

from __future__ import annotations

from fastapi import APIRouter

from services.identity.entrypoints.api import (
    cohorts,
    invitations,
    keys,
    members,
    oidc,
    service_accounts,
    sign_in,
)

ROUTERS: list[APIRouter] = [
    keys.router,
    invitations.router,
    sign_in.router,
    members.router,
    cohorts.router,
    service_accounts.router,
    service_accounts.token_router,
    oidc.router,
]
