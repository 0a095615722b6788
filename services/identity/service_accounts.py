"""Service accounts: other departments' machine clients, with client-credentials tokens.

Their only role is `department_subscriber`; their scopes name the public event types they may
receive, and every delivery path checks them. Secrets are random and stored hashed; rotating
keeps the previous secret valid for an overlap window so a department can switch without an
outage.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from contracts.registry import REGISTRY
from services.chassis.database import UnitOfWork
from services.identity.adapters.orm import ServiceAccount
from services.identity.domain.errors import IdentityError, NotAllowed
from services.identity.domain.model import Role, hash_secret, new_secret
from services.identity.handlers import audit
from services.identity.signing import TokenIssuer

#: Scope for receiving events of one public type: `events:<event type>`.
SCOPE_PREFIX = "events:"


class ClientNotValid(IdentityError):
    """Unknown client, wrong or expired secret, or revoked: one answer for all (RFC 6749)."""

    def __init__(self) -> None:
        super().__init__("The client id or secret is not valid.")


class UnknownScopes(IdentityError):
    """Scopes that name no public event type."""


class ServiceAccountNotFound(IdentityError):
    def __init__(self) -> None:
        super().__init__("There is no service account with that id.")


def public_scopes() -> set[str]:
    """Every scope a service account may hold: one per public event type in the contracts."""
    return {SCOPE_PREFIX + spec.event_type for spec in REGISTRY.values() if spec.public}


@dataclass(frozen=True)
class IssuedSecret:
    account: ServiceAccount
    client_secret: str


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - public_scopes())
    if unknown:
        raise UnknownScopes(
            f"Not public event scopes: {', '.join(unknown)}. Scopes look like "
            f"'{SCOPE_PREFIX}<public event type>'; see the event catalogue."
        )
    return sorted(set(scopes))


async def create_account(
    uow: UnitOfWork, *, name: str, department: str, scopes: list[str], actor: str
) -> IssuedSecret:
    secret = new_secret()
    account = ServiceAccount(
        id=uuid.uuid4(),
        name=name,
        department=department,
        scopes=_check_scopes(scopes),
        secret_hash=hash_secret(secret),
        created_by=actor,
    )
    uow.session.add(account)
    audit(
        uow,
        actor,
        "service_account.created",
        None,
        service_account_id=str(account.id),
        department=department,
        scopes=account.scopes,
    )
    return IssuedSecret(account, secret)


async def _account(uow: UnitOfWork, account_id: UUID) -> ServiceAccount:
    account = await uow.session.get(ServiceAccount, account_id, with_for_update=True)
    if account is None or account.revoked_at is not None:
        raise ServiceAccountNotFound()
    return account


async def rotate_secret(
    uow: UnitOfWork, account_id: UUID, *, actor: str, overlap: timedelta
) -> IssuedSecret:
    account = await _account(uow, account_id)
    secret = new_secret()
    account.previous_secret_hash = account.secret_hash
    account.previous_valid_until = datetime.now(UTC) + overlap
    account.secret_hash = hash_secret(secret)
    audit(uow, actor, "service_account.rotated", None, service_account_id=str(account.id))
    return IssuedSecret(account, secret)


async def change_scopes(
    uow: UnitOfWork, account_id: UUID, scopes: list[str], *, actor: str
) -> ServiceAccount:
    account = await _account(uow, account_id)
    before, account.scopes = account.scopes, _check_scopes(scopes)
    audit(
        uow,
        actor,
        "service_account.scopes_changed",
        None,
        service_account_id=str(account.id),
        before=before,
        after=account.scopes,
    )
    return account


async def revoke(uow: UnitOfWork, account_id: UUID, *, actor: str) -> ServiceAccount:
    account = await _account(uow, account_id)
    account.revoked_at = datetime.now(UTC)
    audit(uow, actor, "service_account.revoked", None, service_account_id=str(account.id))
    return account


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scopes: list[str]


async def client_credentials_token(
    uow: UnitOfWork,
    issuer: TokenIssuer,
    *,
    client_id: str,
    client_secret: str,
    requested: list[str] | None,
) -> ClientToken:
    """An access token for a service account (RFC 6749 §4.4), narrowed to `requested` scopes."""
    try:
        account = await uow.session.get(ServiceAccount, UUID(client_id))
    except ValueError:
        account = None
    if account is None or account.revoked_at is not None:
        raise ClientNotValid()
    presented = hash_secret(client_secret)
    current = hmac.compare_digest(presented, account.secret_hash)
    previous = (
        account.previous_secret_hash is not None
        and account.previous_valid_until is not None
        and account.previous_valid_until > datetime.now(UTC)
        and hmac.compare_digest(presented, account.previous_secret_hash)
    )
    if not (current or previous):
        raise ClientNotValid()
    granted = sorted(set(account.scopes) & public_scopes())
    if requested is not None:
        if not set(requested) <= set(granted):
            raise NotAllowed("The client asked for scopes it does not hold.")
        granted = sorted(set(requested))
    token = await issuer.access_token(
        f"service-account:{account.id}", [Role.DEPARTMENT_SUBSCRIBER], scopes=granted
    )
    return ClientToken(token, issuer.access_lifetime_seconds, granted)
