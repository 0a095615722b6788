"""Sign-in through an OpenID Connect provider, such as GOV.UK One Login.

The provider only proves that the person controls an email address; whether that address
may sign in is still decided by `handlers.sign_in_with_verified_email` (invitation only).

The flow is the authorization code flow with PKCE (S256), `state` and `nonce`:

1. `begin` stores a pending sign-in in `oidc_states` (the state, hashed; the nonce; the PKCE
   verifier; the hash of a random value that the person's browser keeps in a cookie) and
   returns the provider's authorisation URL.
2. `take_pending` deletes that row when the person comes back, so a state works once, only
   before it expires and only in the browser that started it.
3. `verified_identity` exchanges the code (authlib), checks the ID token (signature against
   the provider's published keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, any required
   claims) and returns the address if the provider says it is verified. Providers that keep
   the email out of the ID token (GOV.UK One Login) are asked at their userinfo endpoint.

Settings are read per request (`OidcConfig.from_settings`), so switching the provider on or
changing it needs no code; provider metadata and keys are cached per issuer by
`ProviderDirectory`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import oidc_states
from services.identity.config import PRIVATE_KEY_JWT, IdentitySettings, is_secure_url
from services.identity.domain.model import hash_secret

with warnings.catch_warnings():
    # Recent authlib (1.9 here) prefers the httpx2 fork and warns on stderr when given httpx.
    # Convene uses httpx everywhere (traced by its OpenTelemetry instrumentation), and
    # authlib < 2, as pinned, supports it; a warning at every start would only be noise.
    warnings.filterwarnings(
        "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
    )
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

log = logging.getLogger(__name__)

#: Asymmetric algorithms only: `none` and HMAC (which a public key could forge) are refused.
ID_TOKEN_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
CLOCK_LEEWAY_SECONDS = 60
#: Our client assertions (private_key_jwt) live this long; GOV.UK One Login allows at most 5 min.
CLIENT_ASSERTION_SECONDS = 300


# -- errors --------------------------------------------------------------------------------


class OidcError(Exception):
    """Sign-in through the provider failed; the message is safe to show to the person."""


class OidcNotConfigured(OidcError):
    def __init__(self) -> None:
        super().__init__("Sign-in with an identity provider is not switched on here.")


class ProviderUnavailable(OidcError):
    def __init__(
        self, detail: str = "The sign-in provider did not answer. Try again soon."
    ) -> None:
        super().__init__(detail)


class ProviderRefused(OidcError):
    """The provider sent the person back with an `error` (e.g. access_denied)."""

    def __init__(self, error: str) -> None:
        code = error if error.replace("_", "").isalnum() and len(error) <= 60 else "error"
        super().__init__(f"The sign-in provider did not sign you in ({code}). Try again.")
        self.error = code


class SignInStateNotValid(OidcError):
    def __init__(self) -> None:
        super().__init__(
            "This sign-in attempt has expired, was already used or was started in another "
            "browser. Start signing in again."
        )


class IdentityNotVerified(OidcError):
    """The code exchange or the ID token (or userinfo) failed a check."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The sign-in provider's answer could not be verified: {reason}.")
        self.reason = reason


class EmailNotVerified(OidcError):
    def __init__(self) -> None:
        super().__init__(
            "The sign-in provider has not verified this email address. Verify it with the "
            "provider, then sign in again."
        )


# -- configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class OidcConfig:
    """The relying party's settings for one request; build with `from_settings`."""

    issuer: str
    client_id: str
    token_auth_method: str
    client_secret: str | None
    private_key_pem: str | None
    private_key_id: str | None
    scopes: str
    redirect_url: str
    provider_name: str
    authorize_params: Mapping[str, str]
    required_claims: Mapping[str, str]
    state_lifetime: timedelta
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> OidcConfig:
        """Raises OidcNotConfigured while `oidc_issuer` (or the client id) is unset."""
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise OidcNotConfigured()
        secret, key = settings.oidc_client_secret, settings.oidc_private_key
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            token_auth_method=settings.oidc_token_auth_method,
            client_secret=secret.get_secret_value() if secret else None,
            private_key_pem=key.get_secret_value() if key else None,
            private_key_id=settings.oidc_private_key_id,
            scopes=settings.oidc_scopes,
            redirect_url=settings.oidc_callback_url,
            provider_name=settings.oidc_provider_name,
            authorize_params=dict(settings.oidc_authorize_params),
            required_claims=dict(settings.oidc_required_claims),
            state_lifetime=timedelta(minutes=settings.oidc_state_minutes),
            timeout_seconds=settings.oidc_timeout_seconds,
        )

    @property
    def uses_private_key_jwt(self) -> bool:
        return self.token_auth_method == PRIVATE_KEY_JWT

    def oauth_client(self, redirect_uri: str) -> AsyncOAuth2Client:
        """An authlib client that authenticates to the token endpoint as configured."""
        credential = self.private_key_pem if self.uses_private_key_jwt else self.client_secret
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=credential,
            token_endpoint_auth_method=self.token_auth_method,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout_seconds,
        )


# -- provider metadata and keys ------------------------------------------------------------


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_algorithms: frozenset[str]


@dataclass(frozen=True)
class PublicKey:
    #: The JWK's own `alg`, if it names one.
    algorithm: str | None
    key: Any


@dataclass
class _Keys:
    by_kid: dict[str | None, list[PublicKey]] = field(default_factory=dict)
    fetched_at: float = 0.0


class ProviderDirectory:
    """Provider metadata and signing keys, fetched on first use and cached per issuer.

    Metadata is refetched after `metadata_seconds`; keys after `keys_seconds`, or sooner when
    a token names a key we do not have (at most every `min_refetch_seconds`), so the
    provider's key rotation is picked up without letting forged key ids flood it. A failed
    fetch is not cached: the next sign-in tries again.
    """

    def __init__(
        self,
        metadata_seconds: float = 3600,
        keys_seconds: float = 3600,
        min_refetch_seconds: float = 30,
    ) -> None:
        self.metadata_seconds = metadata_seconds
        self.keys_seconds = keys_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._metadata: dict[str, tuple[float, ProviderMetadata]] = {}
        self._keys: dict[str, _Keys] = {}
        self._lock = asyncio.Lock()

    async def metadata(self, config: OidcConfig) -> ProviderMetadata:
        cached = self._metadata.get(config.issuer)
        if cached and time.monotonic() - cached[0] < self.metadata_seconds:
            return cached[1]
        async with self._lock:
            cached = self._metadata.get(config.issuer)
            if cached and time.monotonic() - cached[0] < self.metadata_seconds:
                return cached[1]
            url = f"{config.issuer.rstrip('/')}/.well-known/openid-configuration"
            document = await _get_json(url, config.timeout_seconds)
            metadata = _parse_metadata(document, config.issuer)
            self._metadata[config.issuer] = (time.monotonic(), metadata)
            return metadata

    async def signing_keys(
        self, metadata: ProviderMetadata, kid: str | None, timeout_seconds: float
    ) -> list[PublicKey]:
        """The provider's public keys with this `kid` (those without a kid if it is None)."""
        keys = self._keys.get(metadata.jwks_uri)
        if keys is None or self._stale(keys, kid):
            async with self._lock:
                keys = self._keys.get(metadata.jwks_uri)
                if keys is None or self._stale(keys, kid):
                    keys = _parse_jwks(await _get_json(metadata.jwks_uri, timeout_seconds))
                    self._keys[metadata.jwks_uri] = keys
        return keys.by_kid.get(kid, [])

    def _stale(self, keys: _Keys, kid: str | None) -> bool:
        age = time.monotonic() - keys.fetched_at
        return age > self.keys_seconds or (
            kid not in keys.by_kid and age > self.min_refetch_seconds
        )


async def _get_json(url: str, timeout_seconds: float) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds) as client:
            response = await client.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("OIDC provider document %s could not be read: %s", url, exc)
        raise ProviderUnavailable() from exc
    if not isinstance(document, dict):
        log.warning("OIDC provider document %s is not a JSON object", url)
        raise ProviderUnavailable()
    return document


def _parse_metadata(document: dict[str, Any], issuer: str) -> ProviderMetadata:
    misconfigured = ProviderUnavailable("The sign-in provider is misconfigured. Try again later.")

    def endpoint(name: str) -> str:
        value = document.get(name)
        if not isinstance(value, str) or not is_secure_url(value):
            log.error("OIDC provider metadata: %s is missing or not an https URL", name)
            raise misconfigured
        return value

    # OpenID Connect Discovery §4.3: the metadata must name the issuer we asked (the ID
    # token's `iss` is then compared with it exactly). A trailing slash is forgiven here only.
    published = document.get("issuer")
    if not isinstance(published, str) or published.rstrip("/") != issuer.rstrip("/"):
        log.error("OIDC provider metadata names issuer %r, expected %r", published, issuer)
        raise misconfigured
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    usable = ID_TOKEN_ALGORITHMS.intersection(a for a in algorithms if isinstance(a, str))
    if not usable:
        log.error("OIDC provider signs ID tokens only with %s", algorithms)
        raise misconfigured
    return ProviderMetadata(
        issuer=published,
        authorization_endpoint=endpoint("authorization_endpoint"),
        token_endpoint=endpoint("token_endpoint"),
        jwks_uri=endpoint("jwks_uri"),
        userinfo_endpoint=endpoint("userinfo_endpoint")
        if document.get("userinfo_endpoint") is not None
        else None,
        id_token_algorithms=frozenset(usable),
    )


def _parse_jwks(document: dict[str, Any]) -> _Keys:
    keys = _Keys(fetched_at=time.monotonic())
    for entry in document.get("keys") or []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue  # a key type we cannot use; the others still work
        alg = entry.get("alg") if isinstance(entry.get("alg"), str) else None
        keys.by_kid.setdefault(entry.get("kid"), []).append(PublicKey(alg, key))
    return keys


# -- the flow ------------------------------------------------------------------------------


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
