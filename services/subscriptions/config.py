from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.config import Secret, ServiceSettings, database_url_field


class SubscriptionsSettings(ServiceSettings):
    # Errors never echo what was given: a rejected key may still be a real one.
    model_config = SettingsConfigDict(
        env_prefix="SUBSCRIPTIONS_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = database_url_field("subscriptions_")
    #: HMAC key that seals pull-feed cursors, so a tampered cursor is refused
    #: (SUBSCRIPTIONS_CURSOR_KEY). Changing it invalidates cursors departments hold.
    cursor_key: Secret
    #: Webhook targets allowed to be plain http and private/loopback, as `host` or `host:port`,
    #: comma-separated. Development and tests only; empty in every deployment.
    development_hosts: str = ""
    #: How long a delivery is retried before it is parked in the endpoint's dead-letter list.
    retry_for_seconds: float = Field(default=24 * 3600, gt=0)
    #: First retry delay; each retry doubles it (full jitter), up to `retry_max_delay_seconds`.
    retry_base_seconds: float = Field(default=5, gt=0)
    retry_max_delay_seconds: float = Field(default=900, gt=0)
    #: How long both the new and the previous signing secret sign deliveries after a rotation.
    secret_overlap_hours: float = Field(default=24, ge=0, le=24 * 30)
    #: One POST to an endpoint may take this long (connect + answer).
    delivery_timeout_seconds: float = Field(default=10, gt=0, le=60)
    #: Deliveries in flight at once per dispatcher (different endpoints or keys).
    dispatch_concurrency: int = Field(default=32, ge=1, le=512)
    #: The dispatcher wakes on NOTIFY; this poll catches retries that fall due.
    dispatch_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    #: A claimed delivery is another dispatcher's again after this long (a crashed replica).
    dispatch_lease_seconds: float = Field(default=60, gt=0)
    #: Endpoints one department may register.
    endpoints_per_subscriber: int = Field(default=20, ge=1, le=1000)

    def development_targets(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.development_hosts.split(",") if h.strip())
