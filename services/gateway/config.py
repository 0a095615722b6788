from pathlib import Path

from pydantic import Field, HttpUrl
from pydantic_settings import SettingsConfigDict

from services.chassis.config import AuthSettings, Secret

PACKAGED_ASSETS = Path(__file__).parent / "static"


class GatewaySettings(AuthSettings):
    # A refused secret may be a real one: never echo it in the error.
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="ignore", hide_input_in_errors=True
    )

    identity_url: HttpUrl = HttpUrl("http://127.0.0.1:8001")
    directory_url: HttpUrl = HttpUrl("http://127.0.0.1:8002")
    feedback_url: HttpUrl = HttpUrl("http://127.0.0.1:8003")
    content_url: HttpUrl = HttpUrl("http://127.0.0.1:8004")
    subscriptions_url: HttpUrl = HttpUrl("http://127.0.0.1:8005")
    #: Longest wait for a service's answer before the caller gets 504.
    upstream_timeout_seconds: float = Field(default=10, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2, gt=0)
    #: Extra attempts for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) that could not
    #: reach the service; other methods are sent once.
    upstream_retries: int = Field(default=2, ge=0, le=5)
    #: Consecutive failures (unreachable, timeout, 502/503/504) that open a service's circuit.
    breaker_failure_threshold: int = Field(default=5, ge=1)
    #: How long an open circuit refuses calls before letting one trial call through.
    breaker_reset_seconds: float = Field(default=30, gt=0)
    #: Requests per minute and burst for one client address (every route but health and assets).
    rate_limit_per_ip_per_minute: int = Field(default=1200, ge=1)
    rate_limit_per_ip_burst: int = Field(default=200, ge=1)
    #: Requests per minute and burst for one signed-in member (API and pages).
    rate_limit_per_member_per_minute: int = Field(default=600, ge=1)
    rate_limit_per_member_burst: int = Field(default=100, ge=1)
    #: Proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: none, the
    #: socket address is the client; 1: one load balancer appends the client's address).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    #: Comma-separated origins allowed to call the API from a browser (CORS), e.g.
    #: `https://admin.example.gov.uk`; empty allows none. Never `*`: the API takes credentials.
    cors_origins: str = ""
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    #: How long the merged OpenAPI document is reused before the services are asked again.
    openapi_cache_seconds: float = Field(default=30, ge=0)
    #: Session and CSRF cookies with `Secure` (off only for plain-http local development).
    secure_cookies: bool = True
    #: Lifetime of the refresh cookie; match identity's IDENTITY_REFRESH_TOKEN_DAYS.
    refresh_cookie_days: int = Field(default=30, ge=1, le=90)
    #: Signs CSRF tokens. Random per process when unset; set it when running several replicas
    #: (a placeholder or a short value is refused).
    csrf_secret: Secret | None = None
    #: GOV.UK Frontend's built assets, served at /assets (copied by scripts/bootstrap.sh).
    assets_dir: Path = PACKAGED_ASSETS

    def upstreams(self) -> dict[str, str]:
        return {
            "identity": str(self.identity_url).rstrip("/"),
            "directory": str(self.directory_url).rstrip("/"),
            "feedback": str(self.feedback_url).rstrip("/"),
            "content": str(self.content_url).rstrip("/"),
            "subscriptions": str(self.subscriptions_url).rstrip("/"),
        }

    def allowed_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]
