from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field
from services.chassis.mail import MailSettings


class IdentitySettings(ServiceSettings, MailSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

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
