from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.config import Secret, ServiceSettings, database_url_field


class FeedbackSettings(ServiceSettings):
    # Errors never echo what was given: a rejected key may still be a real one.
    model_config = SettingsConfigDict(
        env_prefix="FEEDBACK_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = database_url_field("feedback_")
    #: HMAC key for per-campaign pseudonyms of anonymous respondents (FEEDBACK_PSEUDONYM_KEY).
    #: Held only by this service: without it nothing in the database links an answer to a
    #: member. Changing it orphans every open campaign's answers, so rotate only between
    #: campaigns. Generate with `python -c "import secrets; print(secrets.token_urlsafe(48))"`.
    pseudonym_key: Secret
    #: How often the campaign clock opens and closes campaigns whose time has come.
    campaign_clock_seconds: float = Field(default=2.0, gt=0, le=300)
    #: Statements one member may submit to one campaign.
    statements_per_member: int = Field(default=10, ge=1, le=100)
