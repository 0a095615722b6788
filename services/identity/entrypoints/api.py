"""Identity's HTTP routes: thin, they validate, call a handler and commit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Cookie, Depends, Query, Request, Response, status
from pydantic import ValidationError

from services.chassis.auth import CurrentPrincipal, require_role
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.problems import DomainProblems, Problem
from services.chassis.runtime import UnitOfWorkDep
from services.chassis.tokens import Principal
from services.identity import handlers, views
from services.identity.config import IdentitySettings
from services.identity.domain import commands
from services.identity.domain.errors import (
    AlreadyInvited,
    CohortExists,
    CohortNotFound,
    DomainNotAllowed,
    IdentityError,
    InvitationNotFound,
    LinkNotValid,
    MemberNotFound,
    NotAllowed,
    RateLimited,
    RefreshNotValid,
)
from services.identity.schemas import (
    AuditEntryRead,
    AuditPage,
    BulkInvitationResult,
    BulkInvitationRow,
    InvitationCreate,
    InvitationRead,
    KeyRotated,
    LinkRedeem,
    MemberRead,
    RefreshRequest,
    RolesUpdate,
    SignInRequestAccepted,
    SignInRequestCreate,
    TokenResponse,
)
from services.identity.service_accounts import ServiceAccountNotFound, UnknownScopes
from services.identity.signing import SigningKeys, TokenIssuer

REFRESH_COOKIE = "convene_refresh"
T = TypeVar("T")


async def _settings(request: Request) -> IdentitySettings:
    settings: IdentitySettings = request.app.state.runtime.settings
    return settings


def _signing_keys(request: Request) -> SigningKeys:
    keys: SigningKeys = request.app.state.token_verifier.keys
    return keys


async def _issuer(request: Request) -> TokenIssuer:
    from datetime import timedelta

    settings = await _settings(request)
    return TokenIssuer(
        _signing_keys(request),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        access_lifetime=timedelta(minutes=settings.access_token_minutes),
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
    )


SettingsDep = Annotated[IdentitySettings, Depends(_settings)]
IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]

# Domain error -> (status, title, problem code). One table, so every route answers alike.
PROBLEMS = DomainProblems(
    IdentityError,
    {
        RateLimited: (429, "Too many requests", "rate-limited"),
        AlreadyInvited: (409, "Already invited", "already-invited"),
        DomainNotAllowed: (422, "Email domain not allowed", "domain-not-allowed"),
        LinkNotValid: (400, "Link not valid", "link-not-valid"),
        RefreshNotValid: (401, "Session ended", "session-ended"),
        MemberNotFound: (404, "Not found", "member-not-found"),
        InvitationNotFound: (404, "Not found", "invitation-not-found"),
        CohortNotFound: (404, "Not found", "cohort-not-found"),
        CohortExists: (409, "Cohort exists", "cohort-exists"),
        ServiceAccountNotFound: (404, "Not found", "service-account-not-found"),
        UnknownScopes: (422, "Unknown scopes", "unknown-scopes"),
        NotAllowed: (409, "Not allowed", "not-allowed"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run


keys_router = APIRouter(tags=["keys"])
invitations_router = APIRouter(prefix="/invitations", tags=["invitations"])
sign_in_router = APIRouter(tags=["sign-in"])
members_router = APIRouter(tags=["members"])


@keys_router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(request: Request) -> dict[str, Any]:
    return await _signing_keys(request).jwks()


@keys_router.post("/keys/rotate", summary="Start signing with a new key", status_code=201)
async def rotate_key(request: Request, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> KeyRotated:
    kid = await _signing_keys(request).rotate()
    handlers.audit(uow, admin.subject, "keys.rotated", None, kid=kid)
    await uow.commit()
    return KeyRotated(kid=kid)


# -- invitations ---------------------------------------------------------------------------


@invitations_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a person to join Convene",
    responses={
        409: {"description": "Already invited or a member"},
        422: {"description": "Invalid, or a domain outside the allow-list"},
    },
)
async def create_invitation(
    body: InvitationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin, settings: SettingsDep
) -> InvitationRead:
    invitation = await run(
        handlers.invite_member(
            commands.InviteMember(
                full_name=body.full_name,
                email=str(body.email),
                organisation=body.organisation,
                invited_by=admin.subject,
                override_reason=body.override_reason,
            ),
            uow,
            settings,
        )
    )
    await uow.commit()
    return InvitationRead.model_validate(invitation)


@invitations_router.post(
    "/bulk",
    summary="Invite a cohort from a CSV file (full_name,email,organisation)",
    description=(
        "Each valid row is invited; each bad row is reported with its line number and reasons. "
        "A row is written whole or not at all."
    ),
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def bulk_invite(
    request: Request, uow: UnitOfWorkDep, admin: ProgrammeAdmin, settings: SettingsDep
) -> BulkInvitationResult:
    text = await _csv_text(request)
    reader = csv.DictReader(io.StringIO(text))
    expected = {"full_name", "email", "organisation"}
    if reader.fieldnames is None or not expected.issubset({f.strip() for f in reader.fieldnames}):
        raise Problem(
            422,
            "Invalid CSV",
            "The first line must name the columns full_name,email,organisation.",
            "invalid-csv",
        )
    rows: list[BulkInvitationRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        record = {
            k.strip(): (v or "").strip() for k, v in raw.items() if k and k.strip() in expected
        }
        try:
            body = InvitationCreate.model_validate(record)
        except ValidationError as exc:
            errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            rows.append(
                BulkInvitationRow(
                    row=line, email=record.get("email"), status="error", errors=errors
                )
            )
            continue
        email = str(body.email).lower()
        if email in seen:
            rows.append(
                BulkInvitationRow(
                    row=line,
                    email=email,
                    status="error",
                    errors=["this address appears earlier in the file"],
                )
            )
            continue
        seen.add(email)
        try:
            async with uow.session.begin_nested():  # one savepoint per row: whole or nothing
                invitation = await handlers.invite_member(
                    commands.InviteMember(
                        full_name=body.full_name,
                        email=email,
                        organisation=body.organisation,
                        invited_by=admin.subject,
                    ),
                    uow,
                    settings,
                )
        except IdentityError as exc:
            rows.append(BulkInvitationRow(row=line, email=email, status="error", errors=[str(exc)]))
            continue
        rows.append(
            BulkInvitationRow(row=line, email=email, status="invited", invitation_id=invitation.id)
        )
    if not rows:
        raise Problem(422, "Invalid CSV", "The file has no rows after the header.", "invalid-csv")
    await uow.commit()
    invited = sum(1 for row in rows if row.status == "invited")
    return BulkInvitationResult(invited=invited, failed=len(rows) - invited, rows=rows)


async def _csv_text(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "text/plain"):
        raise Problem(
            415, "Unsupported media type", "Send the file as text/csv.", "unsupported-media-type"
        )
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(422, "Invalid CSV", "The file must be UTF-8 text.", "invalid-csv") from exc


@invitations_router.get("", summary="List invitations, newest first")
async def list_invitations(
    uow: UnitOfWorkDep, _: ProgrammeAdmin, limit: PageSize = 25, cursor: PageCursor = None
) -> Page[InvitationRead]:
    rows = await views.list_invitations(
        uow.session, limit=limit + 1, after=Cursor.decode(cursor) if cursor else None
    )
    return page_of(rows, limit, InvitationRead.model_validate)


@invitations_router.post("/{invitation_id}/revoke", summary="Revoke a pending invitation")
async def revoke_invitation(
    invitation_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> InvitationRead:
    invitation = await run(
        handlers.revoke_invitation(commands.RevokeInvitation(invitation_id, admin.subject), uow)
    )
    await uow.commit()
    return InvitationRead.model_validate(invitation)


def page_of(rows: Sequence[Any], limit: int, read: Callable[[Any], T]) -> Page[T]:
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return Page(
        items=[read(row) for row in rows[:limit]],
        next_cursor=Cursor(last.created_at, last.id).encode() if last is not None else None,
    )


# -- sign-in -------------------------------------------------------------------------------


def _client_ip(request: Request) -> str:
    # Services are reachable only from the gateway, which sets X-Forwarded-For to the caller.
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    return forwarded or (request.client.host if request.client else "unknown")


@sign_in_router.post(
    "/sign-in",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a one-time sign-in link (same answer whether or not the address is known)",
    responses={429: {"description": "Too many requests for this address or network"}},
)
async def request_sign_in(
    body: SignInRequestCreate, request: Request, uow: UnitOfWorkDep, settings: SettingsDep
) -> SignInRequestAccepted:
    await run(
        handlers.request_sign_in_link(
            commands.RequestSignInLink(email=str(body.email), client_ip=_client_ip(request)),
            uow,
            settings,
        )
    )
    await uow.commit()
    return SignInRequestAccepted()


def _token_response(
    pair: handlers.TokenPair, response: Response, settings: IdentitySettings
) -> TokenResponse:
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=settings.refresh_token_days * 86400,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
    )
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        member_id=pair.member_id,
    )


@sign_in_router.post(
    "/sign-in/redeem",
    summary="Exchange a sign-in or invitation link for tokens (a first sign-in activates)",
    responses={400: {"description": "Unknown, used or expired link"}},
)
async def redeem(
    body: LinkRedeem,
    response: Response,
    uow: UnitOfWorkDep,
    issuer: IssuerDep,
    settings: SettingsDep,
) -> TokenResponse:
    pair = await run(handlers.redeem_link(commands.RedeemLink(body.token), uow, issuer))
    await uow.commit()
    return _token_response(pair, response, settings)


def _refresh_value(body: RefreshRequest | None, cookie: str | None) -> str:
    value = (body.refresh_token if body else None) or cookie
    if not value:
        raise Problem(401, "Session ended", "No refresh token was sent.", "session-ended")
    return value


@sign_in_router.post("/tokens/refresh", summary="Rotate the refresh token; get a new access token")
async def refresh(
    response: Response,
    uow: UnitOfWorkDep,
    issuer: IssuerDep,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    convene_refresh: Annotated[str | None, Cookie()] = None,
) -> TokenResponse:
    command = commands.RefreshSession(_refresh_value(body, convene_refresh))
    try:
        pair = await handlers.refresh_session(command, uow, issuer)
    except RefreshNotValid as exc:
        await uow.commit()  # a detected reuse revokes the family: that must stick
        raise as_problem(exc) from exc
    await uow.commit()
    return _token_response(pair, response, settings)


@sign_in_router.post(
    "/sign-out", status_code=204, summary="End this session everywhere it was refreshed"
)
async def sign_out(
    uow: UnitOfWorkDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    convene_refresh: Annotated[str | None, Cookie()] = None,
) -> Response:
    await handlers.sign_out(commands.SignOut(_refresh_value(body, convene_refresh)), uow)
    await uow.commit()
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path="/")
    return response


# -- members -------------------------------------------------------------------------------


@members_router.get("/me", summary="The signed-in member")
async def me(caller: CurrentPrincipal, uow: UnitOfWorkDep) -> MemberRead:
    from services.identity.adapters.orm import Member

    try:
        member = await uow.session.get(Member, UUID(caller.subject))
    except ValueError:
        member = None
    if member is None:
        raise Problem(
            404, "Not found", "This token does not belong to a member.", "member-not-found"
        )
    return MemberRead.model_validate(member)


@members_router.get("/members", summary="List members, newest first")
async def list_members(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    status_filter: Annotated[
        Literal["invited", "active", "deactivated", "erased"] | None, Query(alias="status")
    ] = None,
    limit: PageSize = 25,
    cursor: PageCursor = None,
) -> Page[MemberRead]:
    rows = await views.list_members(
        uow.session,
        status=status_filter,
        limit=limit + 1,
        after=Cursor.decode(cursor) if cursor else None,
    )
    return page_of(rows, limit, MemberRead.model_validate)


@members_router.get("/members/{member_id}", summary="One member")
async def read_member(member_id: UUID, uow: UnitOfWorkDep, _: ProgrammeAdmin) -> MemberRead:
    from services.identity.adapters.orm import Member

    member = await uow.session.get(Member, member_id)
    if member is None:
        raise as_problem(MemberNotFound())
    return MemberRead.model_validate(member)


@members_router.put(
    "/members/{member_id}/roles", summary="Set a member's roles (member is implied)"
)
async def set_roles(
    member_id: UUID, body: RolesUpdate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> MemberRead:
    member = await run(
        handlers.change_roles(
            commands.ChangeRoles(member_id, frozenset(body.roles), admin.subject), uow
        )
    )
    await uow.commit()
    return MemberRead.model_validate(member)


@members_router.post("/members/{member_id}/deactivate", summary="Stop a member signing in")
async def deactivate(member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> MemberRead:
    member = await run(
        handlers.deactivate_member(commands.DeactivateMember(member_id, admin.subject), uow)
    )
    await uow.commit()
    return MemberRead.model_validate(member)


@members_router.post(
    "/members/{member_id}/erasure",
    summary="Erase a member's personal data everywhere (UK GDPR)",
    description="Identity erases now; every other service erases on the MemberErased event.",
)
async def erase(member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> MemberRead:
    member = await run(handlers.erase_member(commands.EraseMember(member_id, admin.subject), uow))
    await uow.commit()
    return MemberRead.model_validate(member)


@members_router.get("/audit", summary="The audit log, newest first")
async def audit_log(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    member_id: UUID | None = None,
    limit: PageSize = 50,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> AuditPage:
    rows = await views.audit_entries(
        uow.session, member_id=member_id, limit=limit + 1, before=before
    )
    items = [AuditEntryRead.model_validate(row) for row in rows[:limit]]
    return AuditPage(items=items, next_before=items[-1].id if len(rows) > limit else None)
