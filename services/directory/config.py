from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field


class DirectorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DIRECTORY_", extra="ignore")

    database_url: str = database_url_field("directory_")
