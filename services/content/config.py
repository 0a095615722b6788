from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.config import Secret, ServiceSettings, database_url_field
from services.chassis.mail import MailSettings


class ContentSettings(ServiceSettings, MailSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONTENT_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = database_url_field("content_")
    #: Where people open the links we email (the gateway's public address).
    public_base_url: str = "http://127.0.0.1:8000"
    #: How often the scheduler looks for scheduled items that are due.
    scheduler_interval_seconds: float = Field(default=5, gt=0, le=3600)
    #: Build weekly digests on their own (off: only `POST /digests/runs` builds them).
    weekly_digest_automatic: bool = True
    #: Digests for an ISO week go out from this weekday (0 = Monday) and hour, UK time.
    digest_weekday: int = Field(default=0, ge=0, le=6)
    digest_hour: int = Field(default=7, ge=0, le=23)
    digest_interval_seconds: float = Field(default=300, gt=0)
    #: Items in one digest.
    digest_size: int = Field(default=5, ge=1, le=20)
    #: A digest picks from items published in this many days before it is built.
    digest_lookback_days: int = Field(default=28, ge=1, le=366)
    #: Signs unsubscribe links; unset: a key made once and kept in the database.
    link_signing_key: Secret | None = None
    #: Largest document a curator may upload (the gateway also caps bodies at 1 MB).
    document_max_bytes: int = Field(default=900_000, ge=1024)
