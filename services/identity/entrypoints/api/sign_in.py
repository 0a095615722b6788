"""Sign-in routes: one-time links by email, refreshing and ending sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Request, Response, status

from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.identity.config import IdentitySettings
from services.identity.domain import commands
from services.identity.domain.errors import RefreshNotValid
from services.identity.entrypoints.api.dependencies import IssuerDep, SettingsDep
from services.identity.entrypoints.api.problems import as_problem, run
from services.identity.handlers import sign_in
from services.identity.handlers.sign_in import TokenPair
from services.identity.schemas import (
    LinkRedeem,
    RefreshRequest,
    SignInRequestAccepted,
    SignInRequestCreate,
    TokenResponse,
)

REFRESH_COOKIE = "convene_refresh"

router = APIRouter(tags=["sign-in"])


def _client_ip(request: Request) -> str:
    # Services are reachable only from the gateway, which sets X-Forwarded-For to the caller.
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    return forwarded or (request.client.host if request.client else "unknown")


@router.post(
    "/sign-in",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a one-time sign-in link (same answer whether or not the address is known)",
    responses={429: {"description": "Too many requests for this address or network"}},
)
async def request_sign_in(
    body: SignInRequestCreate, request: Request, uow: UnitOfWorkDep, settings: SettingsDep
) -> SignInRequestAccepted:
    await run(
        sign_in.request_sign_in_link(
            commands.RequestSignInLink(email=str(body.email), client_ip=_client_ip(request)),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    return SignInRequestAccepted()


def token_response(
    pair: TokenPair, response: Response, settings: IdentitySettings
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


@router.post(
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
    pair = await run(sign_in.redeem_link(commands.RedeemLink(body.token), uow, issuer=issuer))
    await uow.commit()
    return token_response(pair, response, settings)


def _refresh_value(body: RefreshRequest | None, cookie: str | None) -> str:
    value = (body.refresh_token if body else None) or cookie
    if not value:
        raise Problem(401, "Session ended", "No refresh token was sent.", "session-ended")
    return value


@router.post("/tokens/refresh", summary="Rotate the refresh token; get a new access token")
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
        pair = await sign_in.refresh_session(command, uow, issuer=issuer)
    except RefreshNotValid as exc:
        await uow.commit()  # a detected reuse revokes the family: that must stick
        raise as_problem(exc) from exc
    await uow.commit()
    return token_response(pair, response, settings)


@router.post("/sign-out", status_code=204, summary="End this session everywhere it was refreshed")
async def sign_out(
    uow: UnitOfWorkDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    convene_refresh: Annotated[str | None, Cookie()] = None,
) -> Response:
    await sign_in.sign_out(commands.SignOut(_refresh_value(body, convene_refresh)), uow)
    await uow.commit()
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path="/")
    return response
