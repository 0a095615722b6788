from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field


class ContentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTENT_", extra="ignore")

    database_url: str = database_url_field("content_")
