"""Sign-in through an OpenID Connect provider: `/oidc/login` and `/oidc/callback`.

Both are browser navigations, so both answer with redirects; every failure is a problem
document (400 for anything the person or the provider got wrong, 503 when the provider does
not answer, 404 while OIDC is switched off). The flow itself is in adapters/oidc/.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request
from fastapi.responses import RedirectResponse

from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.identity.adapters import oidc
from services.identity.domain import commands
from services.identity.domain.errors import IdentityError, LinkNotValid
from services.identity.entrypoints.api.dependencies import IssuerDep, SettingsDep
from services.identity.entrypoints.api.problems import as_problem
from services.identity.entrypoints.api.sign_in import token_response
from services.identity.handlers import sign_in

#: Holds the random value that ties a pending sign-in to the browser that started it.
BROWSER_COOKIE = "convene_oidc"
BROWSER_COOKIE_PATH = "/api/identity/oidc"
#: The gateway's web session cookie (gateway web/session_cookies.py): the access token itself.
SESSION_COOKIE = "convene_session"
#: Longer values are not a code or state any provider issues.
MAX_PARAM_LENGTH = 4096

router = APIRouter(prefix="/oidc", tags=["sign-in"])

# Error -> (status, title, problem code).
_PROBLEMS: dict[type[oidc.OidcError], tuple[int, str, str]] = {
    oidc.OidcNotConfigured: (404, "Not found", "oidc-not-configured"),
    oidc.ProviderUnavailable: (503, "Sign-in provider unavailable", "oidc-provider-unavailable"),
    oidc.ProviderRefused: (400, "Sign-in was not completed", "oidc-provider-error"),
    oidc.SignInStateNotValid: (400, "Sign-in attempt not valid", "oidc-state-not-valid"),
    oidc.IdentityNotVerified: (400, "Sign-in could not be verified", "oidc-not-verified"),
    oidc.EmailNotVerified: (400, "Email address not verified", "oidc-email-not-verified"),
}


def _problem(exc: oidc.OidcError) -> Problem:
    status, title, code = _PROBLEMS[type(exc)]
    headers = {"Retry-After": "30"} if status == 503 else None
    return Problem(status, title, str(exc), code, headers=headers)


async def _config(settings: SettingsDep) -> oidc.OidcConfig:
    # Read per request, so that changed settings (or a test's) apply at once.
    try:
        return oidc.OidcConfig.from_settings(settings)
    except oidc.OidcNotConfigured as exc:
        raise _problem(exc) from exc


async def _directory(request: Request) -> oidc.ProviderDirectory:
    directory: oidc.ProviderDirectory | None = getattr(request.app.state, "oidc_providers", None)
    if directory is None:
        directory = request.app.state.oidc_providers = oidc.ProviderDirectory()
    return directory


ConfigDep = Annotated[oidc.OidcConfig, Depends(_config)]
DirectoryDep = Annotated[oidc.ProviderDirectory, Depends(_directory)]


@router.get(
    "/login",
    status_code=303,
    response_class=RedirectResponse,
    summary="Start signing in at the identity provider (redirects there)",
    responses={
        303: {"description": "To the provider's authorisation endpoint"},
        404: {"description": "OIDC sign-in is not switched on"},
        503: {"description": "The provider's metadata could not be read"},
    },
)
async def login(
    uow: UnitOfWorkDep, config: ConfigDep, directory: DirectoryDep, settings: SettingsDep
) -> RedirectResponse:
    try:
        start = await oidc.begin(uow.session, config, directory)
    except oidc.OidcError as exc:
        raise _problem(exc) from exc
    await uow.commit()
    response = RedirectResponse(start.url, status_code=303)
    response.headers["cache-control"] = "no-store"
    response.set_cookie(
        BROWSER_COOKIE,
        start.browser_secret,
        max_age=int(config.state_lifetime.total_seconds()),
        path=BROWSER_COOKIE_PATH,
        httponly=True,
        secure=settings.secure_cookies,
        # Lax, not Strict: the provider's redirect back is a cross-site top-level navigation.
        samesite="lax",
    )
    return response


@router.get(
    "/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Finish signing in: the provider redirects here with a code and the state",
    responses={
        303: {"description": "Signed in: session and refresh cookies set, redirected home"},
        400: {"description": "Refused, expired, replayed, unverified or not invited"},
        404: {"description": "OIDC sign-in is not switched on"},
        503: {"description": "The provider did not answer"},
    },
)
async def callback(
    uow: UnitOfWorkDep,
    issuer: IssuerDep,
    settings: SettingsDep,
    config: ConfigDep,
    directory: DirectoryDep,
    code: str = "",
    state: str = "",
    error: str = "",
    convene_oidc: Annotated[str | None, Cookie()] = None,
) -> RedirectResponse:
    try:
        # Spent first, and committed whatever follows: a state is never accepted twice.
        pending = await oidc.take_pending(uow.session, state, convene_oidc)
    except oidc.SignInStateNotValid as exc:
        await uow.commit()
        raise _problem(oidc.ProviderRefused(error) if error else exc) from exc
    await uow.commit()
    try:
        if error:
            raise oidc.ProviderRefused(error)
        if not code or len(code) > MAX_PARAM_LENGTH:
            raise oidc.IdentityNotVerified("the provider sent no authorisation code")
        identity = await oidc.verified_identity(config, directory, pending, code)
    except oidc.OidcError as exc:
        raise _problem(exc) from exc
    try:
        pair = await sign_in.sign_in_with_verified_email(
            commands.SignInWithVerifiedEmail(identity.email, config.provider_name),
            uow,
            issuer=issuer,
        )
    except LinkNotValid as exc:
        raise Problem(
            400,
            "No invitation for this email address",
            "Convene is by invitation only. The sign-in provider confirmed your email address, "
            "but it has no current invitation or membership here. Ask the Convene team to "
            "invite you.",
            "oidc-not-invited",
        ) from exc
    except IdentityError as exc:
        raise as_problem(exc) from exc
    await uow.commit()
    response = RedirectResponse(f"{settings.public_base_url.rstrip('/')}/", status_code=303)
    response.headers["cache-control"] = "no-store"
    token_response(pair, response, settings)  # the refresh cookie, exactly as other sign-ins
    response.set_cookie(
        SESSION_COOKIE,
        pair.access_token,
        max_age=pair.expires_in,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH)
    return response
