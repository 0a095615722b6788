"""The OpenID Connect provider as identity sees it: our relying-party settings for a request,
and the provider's metadata and signing keys, fetched on first use and cached per issuer."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
from authlib.deprecate import AuthlibDeprecationWarning

from services.identity.adapters.oidc.errors import OidcNotConfigured, ProviderUnavailable
from services.identity.config import PRIVATE_KEY_JWT, IdentitySettings, is_secure_url

with warnings.catch_warnings():
    # Recent authlib (1.9 here) prefers the httpx2 fork and warns on stderr when given httpx.
    # Convene uses httpx everywhere (traced by its OpenTelemetry instrumentation), and
    # authlib < 2, as pinned, supports it; a warning at every start would only be noise.
    # The flow imports authlib's client from here, so that this filter always applies.
    warnings.filterwarnings(
        "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
    )
    from authlib.integrations.httpx_client import AsyncOAuth2Client as AsyncOAuth2Client
    from authlib.integrations.httpx_client import OAuthError as OAuthError

log = logging.getLogger(__name__)

#: Asymmetric algorithms only: `none` and HMAC (which a public key could forge) are refused.
ID_TOKEN_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
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
