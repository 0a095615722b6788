"""Settings shared by every service, read once from the environment."""

from __future__ import annotations

import sys
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)

#: Values people paste from examples; a secret containing one of these is refused.
PLACEHOLDER_WORDS = ("change-me", "changeme", "changethis", "placeholder", "example", "secret")
MIN_SECRET_LENGTH = 32


def _refuse_placeholder(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if len(raw) < MIN_SECRET_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters of random data")
    lowered = raw.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS) or len(set(raw)) < 10:
        raise ValueError("looks like a placeholder; generate a random key")
    return value


Secret = Annotated[SecretStr, AfterValidator(_refuse_placeholder)]
"""A secret setting: at least 32 characters of what looks like random data, never an example
value. Settings holding one set `hide_input_in_errors=True`: a rejected value may be real.
Generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`."""


class KafkaSettings(BaseSettings):
    """How to reach the broker. Plain names: every service of one deployment shares a broker."""

    model_config = SettingsConfigDict(extra="ignore")

    # Aliases bypass a subclass's env_prefix: these names are the same for every service.
    kafka_bootstrap_servers: str = Field(min_length=1, validation_alias="kafka_bootstrap_servers")
    #: The embedded broker answers a waiting fetch only when this expires, so it bounds latency.
    kafka_fetch_max_wait_ms: int = Field(
        default=10, ge=1, le=500, validation_alias="kafka_fetch_max_wait_ms"
    )
    #: Tansu holds a group join for half of this, so it also sets how fast consumers start.
    #: 6 s is Apache Kafka's default minimum (group.min.session.timeout.ms).
    kafka_session_timeout_ms: int = Field(
        default=6000, ge=1000, le=300_000, validation_alias="kafka_session_timeout_ms"
    )
    #: Apache Kafka supports the idempotent producer; the embedded Tansu broker rejects it.
    kafka_enable_idempotence: bool = Field(
        default=False, validation_alias="kafka_enable_idempotence"
    )


class AuthSettings(BaseSettings):
    """Which tokens to accept: the same issuer and audience for every service."""

    model_config = SettingsConfigDict(extra="ignore")

    auth_issuer: str = Field(default="convene-identity", validation_alias="auth_issuer")
    auth_audience: str = Field(default="convene", validation_alias="auth_audience")
    #: Identity's JWKS; identity itself reads its keys from its own database instead.
    auth_jwks_url: str = Field(
        default="http://127.0.0.1:8001/.well-known/jwks.json", validation_alias="auth_jwks_url"
    )


class ServiceSettings(KafkaSettings, AuthSettings):
    """The settings every service with a database has.

    Subclasses set `env_prefix` and declare `database_url = database_url_field("<svc>_")`.
    """

    database_url: str
    #: How long sent outbox rows are kept so that a time range can be replayed.
    outbox_retention_hours: float = Field(default=24 * 7, gt=0)
    outbox_lease_seconds: float = Field(default=30, gt=0)
    #: The relay wakes on NOTIFY; this sweep only catches what a crashed relay left behind.
    outbox_sweep_seconds: float = Field(default=5, gt=0)
    outbox_batch_size: int = Field(default=200, ge=1, le=10_000)
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    #: Connections kept open per process. Keep it at the requests one process serves at once:
    #: an overflow connection is closed when returned, and its replacement prepares every
    #: statement again. The sum over all pods must stay under the server's max_connections.
    database_pool_size: int = Field(default=20, ge=1, le=500)
    database_max_overflow: int = Field(default=10, ge=0, le=500)

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the asyncpg driver, whatever flavour the operator wrote."""
        url = self.database_url
        for prefix in (
            "postgresql+asyncpg://",
            "postgresql+psycopg://",
            "postgresql://",
            "postgres://",
        ):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        return url


def database_url_field(env_prefix: str) -> Any:
    """`<SVC>_DATABASE_URL`, or plain `DATABASE_URL` for a process that runs one service only."""
    return Field(
        min_length=1,
        validation_alias=AliasChoices(f"{env_prefix}database_url", "database_url"),
    )


def load_settings(cls: type[S], program: str) -> S:
    """Build settings, or exit with one line per missing or bad variable (no traceback)."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]).upper()
            variable = name if name.startswith((prefix, "KAFKA_")) else f"{prefix}{name}"
            if error["type"] == "missing":
                hint = " (or DATABASE_URL)" if name.endswith("DATABASE_URL") else ""
                print(f"{program}: missing required setting {variable}{hint}", file=sys.stderr)
            else:
                print(f"{program}: bad setting {variable}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
