"""Service accounts for other departments, and the OAuth client-credentials token endpoint."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, status

from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.identity import views
from services.identity.domain import commands
from services.identity.domain.errors import ClientNotValid, IdentityError
from services.identity.entrypoints.api.dependencies import IssuerDep, ProgrammeAdmin, SettingsDep
from services.identity.entrypoints.api.problems import run
from services.identity.handlers import service_accounts
from services.identity.schemas import (
    ClientTokenResponse,
    ServiceAccountCreate,
    ServiceAccountRead,
    ServiceAccountScopes,
    ServiceAccountSecret,
)

#: How long a rotated-away secret keeps working, so a department can switch without an outage.
SECRET_OVERLAP = timedelta(days=1)
router = APIRouter(prefix="/service-accounts", tags=["service accounts"])
token_router = APIRouter(tags=["service accounts"])


def _with_secret(issued: service_accounts.IssuedSecret) -> ServiceAccountSecret:
    read = ServiceAccountRead.model_validate(issued.account)
    return ServiceAccountSecret(**read.model_dump(), client_secret=issued.client_secret)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a department's client")
async def create(
    body: ServiceAccountCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> ServiceAccountSecret:
    issued = await run(
        service_accounts.create_service_account(
            commands.CreateServiceAccount(body.name, body.department, body.scopes, admin.subject),
            uow,
        )
    )
    await uow.commit()
    return _with_secret(issued)


@router.get("", summary="Every service account, newest first")
async def list_accounts(uow: UnitOfWorkDep, _: ProgrammeAdmin) -> list[ServiceAccountRead]:
    rows = await views.service_accounts(uow.session)
    return [ServiceAccountRead.model_validate(row) for row in rows]


@router.post("/{account_id}/rotate", summary="New secret; the old one works for a day more")
async def rotate(
    account_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> ServiceAccountSecret:
    issued = await run(
        service_accounts.rotate_service_account_secret(
            commands.RotateServiceAccountSecret(
                account_id, admin.subject, overlap=timedelta(days=1)
            ),
            uow,
        )
    )
    await uow.commit()
    return _with_secret(issued)


@router.put("/{account_id}/scopes", summary="Replace the public event types it may receive")
async def set_scopes(
    account_id: UUID, body: ServiceAccountScopes, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> ServiceAccountRead:
    account = await run(
        service_accounts.change_service_account_scopes(
            commands.ChangeServiceAccountScopes(account_id, body.scopes, admin.subject), uow
        )
    )
    await uow.commit()
    return ServiceAccountRead.model_validate(account)


@router.post("/{account_id}/revoke", summary="Stop the client getting tokens")
async def revoke(account_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> ServiceAccountRead:
    account = await run(
        service_accounts.revoke_service_account(
            commands.RevokeServiceAccount(account_id, admin.subject), uow
        )
    )
    await uow.commit()
    return ServiceAccountRead.model_validate(account)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return client_id, secret


def _oauth_error(status_code: int, error: str, detail: str) -> Problem:
    # Problem details with RFC 6749's `error` member, so OAuth client libraries understand it.
    return Problem(
        status_code, "Token request refused", detail, error.replace("_", "-"), error=error
    )


@token_router.post("/oauth/token", summary="Client-credentials token for a service account")
async def token(
    request: Request,
    uow: UnitOfWorkDep,
    issuer: IssuerDep,
    _: SettingsDep,
    grant_type: Annotated[str, Form(max_length=50)],
    client_id: Annotated[str | None, Form(max_length=100)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=5000)] = None,
) -> ClientTokenResponse:
    if grant_type != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    credentials = _basic_credentials(request) or (
        (client_id, client_secret) if client_id and client_secret else None
    )
    if credentials is None:
        raise _oauth_error(401, "invalid_client", "Send the client id and secret.")
    try:
        issued = await service_accounts.issue_client_token(
            commands.IssueClientToken(
                client_id=credentials[0],
                client_secret=credentials[1],
                requested=scope.split() if scope else None,
            ),
            uow,
            issuer=issuer,
        )
    except ClientNotValid as exc:
        raise _oauth_error(401, "invalid_client", str(exc)) from exc
    except IdentityError as exc:
        raise _oauth_error(400, "invalid_scope", str(exc)) from exc
    return ClientTokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=" ".join(issued.scopes),
    )
