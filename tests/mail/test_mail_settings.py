"""Mail settings take the prefix of the service that mixes them in and choose the sender."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field
from services.chassis.database import create_engine
from services.chassis.mail import (
    LocalMailbox,
    MailSettings,
    MailTemplate,
    NotifySender,
    create_mail_relay,
    create_mail_sender,
)

SIGN_IN = MailTemplate(name="sign-in", subject="Sign in", body="((link))")
INVITATION = MailTemplate(name="invitation", subject="Join", body="((link))")
API_KEY = f"convene_live-{uuid.uuid4()}-{uuid.uuid4()}"


class DemoSettings(ServiceSettings, MailSettings):
    """A service's settings, as identity would declare them."""

    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")

    database_url: str = database_url_field("demo_")


@pytest.fixture(autouse=True)
def demo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DATABASE_URL", "postgresql://demo@127.0.0.1/demo")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    for name in ("NOTIFY_API_KEY", "MAILBOX_DIR", "NOTIFY_TEMPLATE_IDS"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_notify_key_mail_goes_to_the_mailbox_under_the_service_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEMO_MAILBOX_DIR", str(tmp_path / "box"))
    monkeypatch.setenv("DEMO_NOTIFY_API_KEY", "")  # an absent optional secret

    settings = DemoSettings()
    sender = create_mail_sender(settings, [SIGN_IN])

    assert settings.notify_api_key is None
    assert isinstance(sender, LocalMailbox)
    assert sender.folder == tmp_path / "box"


def test_default_mailbox_is_the_data_folder() -> None:
    assert DemoSettings().mailbox_dir == Path(".data/mailbox")


def test_with_a_notify_key_and_template_ids_mail_goes_to_notify(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = {"sign-in": str(uuid.uuid4()), "invitation": str(uuid.uuid4())}
    monkeypatch.setenv("DEMO_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("DEMO_NOTIFY_TEMPLATE_IDS", json.dumps(ids))
    monkeypatch.setenv("DEMO_NOTIFY_BASE_URL", "http://127.0.0.1:9")

    settings = DemoSettings()
    sender = create_mail_sender(settings, [SIGN_IN, INVITATION])

    assert isinstance(sender, NotifySender)
    assert sender.template_ids == ids
    assert sender.base_url == "http://127.0.0.1:9"
    assert API_KEY not in repr(settings), "the key shows in logs"


def test_notify_without_an_id_for_every_template_fails_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("DEMO_NOTIFY_TEMPLATE_IDS", json.dumps({"sign-in": str(uuid.uuid4())}))

    with pytest.raises(ValueError, match=r"no Notify template id.*invitation"):
        create_mail_sender(DemoSettings(), [SIGN_IN, INVITATION])


@pytest.mark.parametrize("key", ["NOTIFY-API-KEY", "changeme", str(uuid.uuid4())])
def test_a_placeholder_notify_key_is_refused(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("DEMO_NOTIFY_API_KEY", key)
    with pytest.raises(ValidationError, match=r"not a GOV.UK Notify API key") as raised:
        DemoSettings()
    assert key not in str(raised.value)


async def test_create_mail_relay_takes_its_limits_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEMO_MAIL_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("DEMO_MAIL_RETENTION_HOURS", "48")
    monkeypatch.setenv("DEMO_MAILBOX_DIR", str(tmp_path))
    engine = create_engine("postgresql+asyncpg://demo@127.0.0.1/demo")
    try:
        relay = create_mail_relay(engine, DemoSettings(), [SIGN_IN], service="demo")
    finally:
        await engine.dispose()

    assert isinstance(relay.sender, LocalMailbox)
    assert relay.max_attempts == 4
    assert relay.retention.total_seconds() == 48 * 3600
    assert relay.templates == {"sign-in": SIGN_IN}
