"""Mail settings for a service to mix into its own, and the factories that use them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis.mail.mailbox import LocalMailbox
from services.chassis.mail.notify import NotifySender, is_notify_api_key
from services.chassis.mail.relay import MailRelay
from services.chassis.mail.sending import MailSender
from services.chassis.mail.templates import MailTemplate
from services.chassis.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class MailSettings(BaseSettings):
    """How a service sends mail. Plain fields, so they take the service's `env_prefix`:
    mixed into identity's settings they are IDENTITY_NOTIFY_API_KEY, IDENTITY_MAILBOX_DIR, …
    """

    # Hiding inputs in errors keeps a mistyped key out of logs; it applies to the whole
    # settings class this is mixed into (a database URL with a password benefits too).
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    #: Set: mail goes through GOV.UK Notify. Unset (or empty): to the local mailbox folder.
    notify_api_key: SecretStr | None = None
    #: Notify's API address; only tests and Notify's own stubs change it.
    notify_base_url: str | None = None
    #: MailTemplate name -> Notify template id, as JSON: {"sign-in": "<uuid>", ...}.
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
    notify_timeout_seconds: float = Field(default=10, gt=0, le=60)
    #: Where the development mailbox writes messages and its index.html.
    mailbox_dir: Path = Path(".data/mailbox")
    #: Tries before a message is marked failed (the delay between tries doubles, 10 s to 10 min).
    mail_max_attempts: int = Field(default=8, ge=1, le=50)
    #: How long sent and failed messages are kept (addresses and outcomes, for support).
    mail_retention_hours: float = Field(default=24 * 7, gt=0)

    @field_validator("notify_api_key", mode="before")
    @classmethod
    def _empty_key_means_none(cls, value: object) -> object:
        # An optional Kubernetes secret that is absent arrives as an empty variable.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("notify_api_key")
    @classmethod
    def _looks_like_a_notify_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not is_notify_api_key(value.get_secret_value().strip()):
            raise ValueError(
                "is not a GOV.UK Notify API key (<key name>-<service id>-<secret>);"
                " leave it unset to use the local mailbox"
            )
        return value


def create_mail_sender(settings: MailSettings, templates: Iterable[MailTemplate]) -> MailSender:
    """Notify when an API key is set (every template must have a Notify id), else the mailbox.

    Raises `ValueError` naming the templates without an id, so a misconfigured service fails
    at start rather than at its first sign-in.
    """
    if settings.notify_api_key is None:
        mailbox = LocalMailbox(settings.mailbox_dir)
        log.info("mail goes to the local mailbox: open %s", mailbox.index.resolve())
        return mailbox
    missing = sorted({t.name for t in templates} - set(settings.notify_template_ids))
    if missing:
        raise ValueError(
            "GOV.UK Notify is configured but these mail templates have no Notify template id"
            f" in NOTIFY_TEMPLATE_IDS: {', '.join(missing)}"
        )
    return NotifySender(
        settings.notify_api_key.get_secret_value().strip(),
        settings.notify_template_ids,
        settings.notify_base_url,
        timeout_seconds=settings.notify_timeout_seconds,
    )


def create_mail_relay(
    engine: AsyncEngine,
    settings: MailSettings,
    templates: Iterable[MailTemplate],
    *,
    service: str,
    sweep_seconds: float = 5,
) -> MailRelay:
    """The relay a service runs for its mail, with the sender its settings choose."""
    templates = tuple(templates)
    return MailRelay(
        engine,
        create_mail_sender(settings, templates),
        templates,
        service=service,
        sweep_seconds=sweep_seconds,
        max_attempts=settings.mail_max_attempts,
        retention=timedelta(hours=settings.mail_retention_hours),
    )


def mail_relay_worker(
    templates: Iterable[MailTemplate],
) -> Callable[[ServiceRuntime], MailRelay]:
    """A `ServiceDefinition.workers` entry: the service's mail relay, built from its runtime
    (whose settings must mix in `MailSettings`)."""
    templates = tuple(templates)

    def build(runtime: ServiceRuntime) -> MailRelay:
        settings = runtime.settings
        if not isinstance(settings, MailSettings):
            raise TypeError(f"{runtime.definition.name}'s settings do not mix in MailSettings")
        return create_mail_relay(
            runtime.engine,
            settings,
            templates,
            service=runtime.definition.name,
            sweep_seconds=runtime.settings.outbox_sweep_seconds,
        )

    return build
