"""FastAPI dependencies that authenticate the caller and check roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from services.chassis.problems import Problem
from services.chassis.tokens import InvalidToken, Principal, TokenVerifier


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Unauthorised",
            "Sign in to continue.",
            "unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def current_principal(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return await verifier.verify(_bearer(request))
    except InvalidToken as exc:
        raise Problem(
            401,
            "Unauthorised",
            str(exc),
            "invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def member_id_of(principal: Principal) -> UUID:
    """The caller's member id; 403 `not-a-member` for a caller that is no member (a department's
    service account, an operator's token), which has no profile, feed or answers of its own."""
    try:
        return UUID(principal.subject)
    except ValueError:
        raise Problem(
            403, "Forbidden", "Only Convene members can do this.", "not-a-member"
        ) from None


async def current_member(principal: CurrentPrincipal) -> UUID:
    return member_id_of(principal)


CurrentMember = Annotated[UUID, Depends(current_member)]
"""The signed-in member's id (403 for a caller that is no member)."""


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers holding one of `roles` (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Problem(
                403, "Forbidden", f"This needs the role {' or '.join(roles)}.", "forbidden"
            )
        return principal

    return check
