from ipaddress import ip_address
from typing import Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from services.chassis.config import Secret, ServiceSettings, database_url_field
from services.chassis.mail import MailSettings

OidcTokenAuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
PRIVATE_KEY_JWT = "private_key_jwt"
#: Authorisation request parameters that the OIDC flow sets itself; settings may not replace them.
OIDC_PROTOCOL_PARAMS = frozenset(
    {
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "nonce",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    }
)


def is_secure_url(url: str) -> bool:
    """https, or plain http to this machine (a development or test provider)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class IdentitySettings(ServiceSettings, MailSettings):
    # A rejected secret may be a real one: keep values out of validation errors (and logs).
    model_config = SettingsConfigDict(
        env_prefix="IDENTITY_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = database_url_field("identity_")
    #: Where people open the links we email (the gateway's public address).
    public_base_url: str = "http://127.0.0.1:8000"
    invitation_valid_days: int = Field(default=14, ge=1, le=90)
    sign_in_link_minutes: int = Field(default=15, ge=1, le=60)
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=90)
    #: Sign-in link requests allowed per address and per client IP in each window.
    sign_in_limit_per_email: int = Field(default=5, ge=1)
    sign_in_limit_per_ip: int = Field(default=30, ge=1)
    sign_in_limit_window_minutes: int = Field(default=15, ge=1)
    #: Send refresh cookies with `Secure` (turn off only for plain-http local development).
    secure_cookies: bool = True

    # -- sign-in through an OpenID Connect provider (e.g. GOV.UK One Login) ----------------
    # Off while `oidc_issuer` is unset. The provider only proves an email address: membership
    # is still by invitation (services/identity/adapters/oidc/).

    #: The provider's issuer; its metadata is read from <issuer>/.well-known/openid-configuration.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = Field(default=None, validate_default=True)
    #: How we authenticate to the token endpoint (GOV.UK One Login wants private_key_jwt).
    oidc_token_auth_method: OidcTokenAuthMethod = "client_secret_basic"  # noqa: S105 (a name)
    #: For client_secret_basic and client_secret_post.
    oidc_client_secret: Secret | None = Field(default=None, validate_default=True)
    #: For private_key_jwt: our RSA private key, PEM; the provider holds its public half. Not a
    #: `Secret`: it must parse as an RSA key (below), which no placeholder does, and a check
    #: for placeholder words could refuse a real key whose base64 happens to spell one.
    oidc_private_key: SecretStr | None = Field(default=None, validate_default=True)
    #: The `kid` header of our client assertions, if the provider asks for one.
    oidc_private_key_id: str | None = None
    oidc_scopes: str = "openid email"
    #: Where the provider sends people back; default <public_base_url>/api/identity/oidc/callback.
    oidc_redirect_url: str | None = None
    #: The sign-in method recorded in the audit log and on MemberActivated's audit entry.
    oidc_provider_name: str = Field(default="oidc", min_length=1, max_length=40)
    #: Extra authorisation request parameters, JSON: {"vtr": "[\"Cl.Cm\"]", "ui_locales": "en"}.
    oidc_authorize_params: dict[str, str] = Field(default_factory=dict)
    #: Claims the ID token must carry with exactly these values, JSON: {"vot": "Cl.Cm"}.
    oidc_required_claims: dict[str, str] = Field(default_factory=dict)
    #: How long a person may take at the provider between starting and finishing sign-in.
    oidc_state_minutes: int = Field(default=10, ge=1, le=60)
    oidc_timeout_seconds: float = Field(default=10, gt=0, le=60)

    @property
    def oidc_callback_url(self) -> str:
        return (
            self.oidc_redirect_url
            or f"{self.public_base_url.rstrip('/')}/api/identity/oidc/callback"
        )

    @field_validator(
        "oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_private_key", mode="before"
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # An optional Kubernetes secret or config entry that is absent arrives as "".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("oidc_issuer", "oidc_redirect_url")
    @classmethod
    def _secure_url(cls, value: str | None) -> str | None:
        if value is not None and not is_secure_url(value):
            raise ValueError("must be an https URL (plain http only to localhost)")
        return value

    @field_validator("oidc_client_id")
    @classmethod
    def _client_id_when_on(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("oidc_issuer") and not value:
            raise ValueError("is required when IDENTITY_OIDC_ISSUER is set")
        return value

    @field_validator("oidc_client_secret")
    @classmethod
    def _secret_when_used(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        method = info.data.get("oidc_token_auth_method")
        if info.data.get("oidc_issuer") and method != PRIVATE_KEY_JWT and value is None:
            raise ValueError(f"is required when IDENTITY_OIDC_TOKEN_AUTH_METHOD is {method}")
        return value

    @field_validator("oidc_private_key")
    @classmethod
    def _rsa_key_when_used(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None:
            try:
                key = serialization.load_pem_private_key(
                    value.get_secret_value().encode(), password=None
                )
            except (ValueError, TypeError):
                key = None
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("must be an unencrypted RSA private key in PEM form")
        elif info.data.get("oidc_issuer") and (
            info.data.get("oidc_token_auth_method") == PRIVATE_KEY_JWT
        ):
            raise ValueError("is required when IDENTITY_OIDC_TOKEN_AUTH_METHOD is private_key_jwt")
        return value

    @field_validator("oidc_scopes")
    @classmethod
    def _openid_scope(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid")
        return value

    @field_validator("oidc_authorize_params")
    @classmethod
    def _no_protocol_params(cls, value: dict[str, str]) -> dict[str, str]:
        clash = OIDC_PROTOCOL_PARAMS.intersection(value)
        if clash:
            raise ValueError(f"may not set {', '.join(sorted(clash))} (the flow sets them)")
        return value
