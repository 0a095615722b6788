from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore")

    database_url: str = database_url_field("feedback_")
