from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    database_url: str = database_url_field("identity_")
    invitation_valid_days: int = 14
