"""The pseudonym key must be a real secret, and never shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.feedback.config import FeedbackSettings

BASE = {"database_url": "postgresql://x/y", "kafka_bootstrap_servers": "127.0.0.1:9092"}
GOOD = "q8Zr1mK2vX9pL4sW7nB3yT6cH0gJ5dFaQe"


def test_a_random_key_is_accepted_and_never_printed() -> None:
    settings = FeedbackSettings(**BASE, pseudonym_key=GOOD)
    assert settings.pseudonym_key.get_secret_value() == GOOD
    assert GOOD not in repr(settings)
    assert GOOD not in str(settings.model_dump())


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "change-me-change-me-change-me-change-me",
        "a" * 40,
        "CHANGEME" + GOOD,
        "secret" + GOOD,
    ],
)
def test_placeholders_and_short_keys_are_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(ValidationError) as raised:
        FeedbackSettings(**BASE, pseudonym_key=key)
    assert key not in str(raised.value)


def test_the_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDBACK_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ValidationError, match="pseudonym_key"):
        FeedbackSettings(**BASE)
