"""Service accounts: other departments' machine clients, with client-credentials tokens.

Secrets are random and stored hashed; rotating keeps the previous secret valid for an
overlap window so a department can switch without an outage. Which scopes an account may
hold is domain/scopes.py.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from services.chassis.database import UnitOfWork
from services.identity.adapters.audit_log import audit
from services.identity.adapters.orm import ServiceAccount
from services.identity.adapters.signing_keys import TokenIssuer
from services.identity.domain import commands
from services.identity.domain.errors import ClientNotValid, NotAllowed, ServiceAccountNotFound
from services.identity.domain.model import Role, hash_secret, new_secret
from services.identity.domain.scopes import checked_scopes, public_scopes


@dataclass(frozen=True)
class IssuedSecret:
    account: ServiceAccount
    client_secret: str


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scopes: list[str]


async def create_service_account(
    command: commands.CreateServiceAccount, uow: UnitOfWork
) -> IssuedSecret:
    secret = new_secret()
    account = ServiceAccount(
        id=uuid.uuid4(),
        name=command.name,
        department=command.department,
        scopes=checked_scopes(command.scopes),
        secret_hash=hash_secret(secret),
        created_by=command.actor,
    )
    uow.session.add(account)
    audit(
        uow,
        command.actor,
        "service_account.created",
        None,
        service_account_id=str(account.id),
        department=command.department,
        scopes=account.scopes,
    )
    return IssuedSecret(account, secret)


async def _account(uow: UnitOfWork, account_id: UUID) -> ServiceAccount:
    account = await uow.session.get(ServiceAccount, account_id, with_for_update=True)
    if account is None or account.revoked_at is not None:
        raise ServiceAccountNotFound()
    return account


async def rotate_service_account_secret(
    command: commands.RotateServiceAccountSecret, uow: UnitOfWork
) -> IssuedSecret:
    account = await _account(uow, command.account_id)
    secret = new_secret()
    account.previous_secret_hash = account.secret_hash
    account.previous_valid_until = datetime.now(UTC) + command.overlap
    account.secret_hash = hash_secret(secret)
    audit(uow, command.actor, "service_account.rotated", None, service_account_id=str(account.id))
    return IssuedSecret(account, secret)


async def change_service_account_scopes(
    command: commands.ChangeServiceAccountScopes, uow: UnitOfWork
) -> ServiceAccount:
    account = await _account(uow, command.account_id)
    before, account.scopes = account.scopes, checked_scopes(command.scopes)
    audit(
        uow,
        command.actor,
        "service_account.scopes_changed",
        None,
        service_account_id=str(account.id),
        before=before,
        after=account.scopes,
    )
    return account


async def revoke_service_account(
    command: commands.RevokeServiceAccount, uow: UnitOfWork
) -> ServiceAccount:
    account = await _account(uow, command.account_id)
    account.revoked_at = datetime.now(UTC)
    audit(uow, command.actor, "service_account.revoked", None, service_account_id=str(account.id))
    return account


async def issue_client_token(
    command: commands.IssueClientToken, uow: UnitOfWork, *, issuer: TokenIssuer
) -> ClientToken:
    """An access token for a service account (RFC 6749 §4.4), narrowed to `requested` scopes."""
    try:
        account = await uow.session.get(ServiceAccount, UUID(command.client_id))
    except ValueError:
        account = None
    if account is None or account.revoked_at is not None:
        raise ClientNotValid()
    presented = hash_secret(command.client_secret)
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
    if command.requested is not None:
        if not set(command.requested) <= set(granted):
            raise NotAllowed("The client asked for scopes it does not hold.")
        granted = sorted(set(command.requested))
    token = await issuer.access_token(
        f"service-account:{account.id}", [Role.DEPARTMENT_SUBSCRIBER], scopes=granted
    )
    return ClientToken(token, issuer.access_lifetime_seconds, granted)
