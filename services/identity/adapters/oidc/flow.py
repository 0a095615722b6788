"""The sign-in flow at the provider: `begin`, `take_pending`, `verified_identity` (see the
package's docstring for the steps). Pending sign-ins are written in the caller's session; the
caller commits."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.oidc.errors import (
    EmailNotVerified,
    IdentityNotVerified,
    ProviderUnavailable,
    SignInStateNotValid,
)
from services.identity.adapters.oidc.provider import (
    AsyncOAuth2Client,
    OAuthError,
    OidcConfig,
    ProviderDirectory,
    ProviderMetadata,
)
from services.identity.adapters.orm import oidc_states
from services.identity.domain.model import hash_secret

log = logging.getLogger(__name__)

CLOCK_LEEWAY_SECONDS = 60
#: Our client assertions (private_key_jwt) live this long; GOV.UK One Login allows at most 5 min.
CLIENT_ASSERTION_SECONDS = 300


@dataclass(frozen=True)
class Authorisation:
    """Where to send the person, and the value their browser must keep until they return."""

    url: str
    browser_secret: str


@dataclass(frozen=True)
class PendingSignIn:
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class VerifiedIdentity:
    email: str
    subject: str


async def begin(
    session: AsyncSession, config: OidcConfig, directory: ProviderDirectory
) -> Authorisation:
    """Record a pending sign-in and build the provider's authorisation URL. Caller commits.

    Raises ProviderUnavailable when the provider's metadata cannot be read.
    """
    metadata = await directory.metadata(config)
    state, nonce, verifier, browser = (secrets.token_urlsafe(32) for _ in range(4))
    now = datetime.now(UTC)
    # Abandoned attempts are swept here, so the table stays as small as the traffic.
    await session.execute(delete(oidc_states).where(oidc_states.c.expires_at < now))
    await session.execute(
        insert(oidc_states).values(
            state_hash=hash_secret(state),
            browser_hash=hash_secret(browser),
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=config.redirect_url,
            created_at=now,
            expires_at=now + config.state_lifetime,
        )
    )
    async with config.oauth_client(config.redirect_url) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            code_verifier=verifier,
            nonce=nonce,
            **config.authorize_params,
        )
    return Authorisation(url=url, browser_secret=browser)


async def take_pending(
    session: AsyncSession, state: str, browser_secret: str | None
) -> PendingSignIn:
    """Spend the pending sign-in named by `state`. The caller must commit even when this
    raises SignInStateNotValid, so that a presented state can never be used again."""
    if not state or len(state) > 200:
        raise SignInStateNotValid()
    row = (
        await session.execute(
            delete(oidc_states)
            .where(oidc_states.c.state_hash == hash_secret(state))
            .returning(
                oidc_states.c.browser_hash,
                oidc_states.c.nonce,
                oidc_states.c.code_verifier,
                oidc_states.c.redirect_uri,
                oidc_states.c.expires_at,
            )
        )
    ).one_or_none()
    if (
        row is None
        or row.expires_at <= datetime.now(UTC)
        or not browser_secret
        or not hmac.compare_digest(row.browser_hash, hash_secret(browser_secret))
    ):
        raise SignInStateNotValid()
    return PendingSignIn(row.nonce, row.code_verifier, row.redirect_uri)


async def verified_identity(
    config: OidcConfig, directory: ProviderDirectory, pending: PendingSignIn, code: str
) -> VerifiedIdentity:
    """Exchange `code` and return the address the provider verified.

    Raises IdentityNotVerified (a check failed), EmailNotVerified, or ProviderUnavailable.
    """
    metadata = await directory.metadata(config)
    async with config.oauth_client(pending.redirect_uri) as client:
        if config.uses_private_key_jwt:
            client.register_client_auth_method(_client_assertion(config, metadata))
        token = await _exchange(client, metadata, code, pending.code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise IdentityNotVerified("no ID token was returned")
        claims = await _checked_id_token(id_token, config, directory, metadata, pending.nonce)
        if "email" in claims:
            attributes = claims
        elif metadata.userinfo_endpoint:
            attributes = await _userinfo(
                client, metadata.userinfo_endpoint, token.get("access_token"), claims["sub"]
            )
        else:
            raise IdentityNotVerified("the provider did not say which email address you used")
    email = attributes.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise IdentityNotVerified("the provider did not say which email address you used")
    if attributes.get("email_verified") is not True:
        raise EmailNotVerified()
    return VerifiedIdentity(email=email, subject=str(claims["sub"]))


def _client_assertion(config: OidcConfig, metadata: ProviderMetadata) -> PrivateKeyJWT:
    # Built per request: the short `exp` is fixed when the claims are made.
    headers = {"kid": config.private_key_id} if config.private_key_id else None
    claims = {"exp": int(time.time()) + CLIENT_ASSERTION_SECONDS}
    return PrivateKeyJWT(metadata.token_endpoint, claims=claims, headers=headers, alg="RS256")


async def _exchange(
    client: AsyncOAuth2Client, metadata: ProviderMetadata, code: str, verifier: str
) -> dict[str, Any]:
    try:
        token = await client.fetch_token(
            metadata.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
        )
    except OAuthError as exc:
        log.warning("OIDC token endpoint refused the code: %s", exc.error)
        raise IdentityNotVerified(f"the provider refused the code ({exc.error})") from exc
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code >= 500:
            raise ProviderUnavailable() from exc
        raise IdentityNotVerified("the provider refused the code") from exc
    except httpx.HTTPError as exc:
        log.warning("OIDC token endpoint unreachable: %s", exc)
        raise ProviderUnavailable() from exc
    except ValueError as exc:
        raise IdentityNotVerified("the provider's token response was not valid") from exc
    return dict(token)


async def _checked_id_token(
    id_token: str,
    config: OidcConfig,
    directory: ProviderDirectory,
    metadata: ProviderMetadata,
    nonce: str,
) -> dict[str, Any]:
    """OpenID Connect Core §3.1.3.7, for a token received straight from the token endpoint."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise IdentityNotVerified("the ID token is malformed") from exc
    algorithm = header.get("alg")
    if algorithm not in metadata.id_token_algorithms:
        raise IdentityNotVerified(f"the ID token is signed with {algorithm!r}")
    candidates = [
        key
        for key in await directory.signing_keys(metadata, header.get("kid"), config.timeout_seconds)
        if key.algorithm in (None, algorithm)
    ]
    if not candidates:
        raise IdentityNotVerified("the ID token is signed with a key the provider does not publish")
    claims: dict[str, Any] | None = None
    for key in candidates:
        try:
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=[algorithm],
                audience=config.client_id,
                issuer=metadata.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat", "nonce"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise IdentityNotVerified(_why(exc)) from exc
    if claims is None:
        raise IdentityNotVerified("the ID token's signature is not valid")
    if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise IdentityNotVerified("the ID token was not issued for this sign-in (nonce)")
    if "azp" in claims and claims["azp"] != config.client_id:
        raise IdentityNotVerified("the ID token was issued to another client (azp)")
    for name, expected in config.required_claims.items():
        if claims.get(name) != expected:
            raise IdentityNotVerified(f"the ID token's {name} is not {expected}")
    return claims


def _why(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the ID token has expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "the ID token was issued to another client (aud)"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "the ID token comes from another issuer"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the ID token has no {exc.claim} claim"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the ID token is not valid yet"
    return "the ID token is not valid"


async def _userinfo(
    client: AsyncOAuth2Client, url: str, access_token: object, subject: str
) -> dict[str, Any]:
    if not isinstance(access_token, str) or not access_token:
        raise IdentityNotVerified("no access token was returned for the userinfo endpoint")
    try:
        response = await client.request(
            "GET",
            url,
            headers={"accept": "application/json", "authorization": f"Bearer {access_token}"},
            withhold_token=True,  # sent as above, without authlib's expiry bookkeeping
        )
    except httpx.HTTPError as exc:
        log.warning("OIDC userinfo endpoint unreachable: %s", exc)
        raise ProviderUnavailable() from exc
    if response.status_code >= 500:
        raise ProviderUnavailable()
    try:
        document = response.json() if response.status_code == 200 else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise IdentityNotVerified("the provider's userinfo answer was not valid")
    # Core §5.3.2: userinfo about anyone but the ID token's subject must not be used.
    if document.get("sub") != subject:
        raise IdentityNotVerified("the provider's userinfo is about someone else")
    return document
