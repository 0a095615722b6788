from pydantic import Field, HttpUrl
from pydantic_settings import SettingsConfigDict

from services.chassis.config import AuthSettings


class GatewaySettings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    identity_url: HttpUrl = HttpUrl("http://127.0.0.1:8001")
    directory_url: HttpUrl = HttpUrl("http://127.0.0.1:8002")
    feedback_url: HttpUrl = HttpUrl("http://127.0.0.1:8003")
    content_url: HttpUrl = HttpUrl("http://127.0.0.1:8004")
    upstream_timeout_seconds: float = Field(default=10, gt=0)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    #: Session and CSRF cookies with `Secure` (off only for plain-http local development).
    secure_cookies: bool = True

    def upstreams(self) -> dict[str, str]:
        return {
            "identity": str(self.identity_url).rstrip("/"),
            "directory": str(self.directory_url).rstrip("/"),
            "feedback": str(self.feedback_url).rstrip("/"),
            "content": str(self.content_url).rstrip("/"),
        }
