"""The gateway's settings: the CSRF key is a secret like every other, and optional."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.config import GatewaySettings


def test_without_a_csrf_secret_the_gateway_draws_its_own() -> None:
    assert GatewaySettings().csrf_secret is None


@pytest.mark.parametrize("value", ["change-me", "csrf-example-key-0123456789abcdefghijkl"])
def test_a_placeholder_csrf_secret_is_refused_without_being_echoed(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        GatewaySettings(csrf_secret=value)
    assert value not in str(refused.value)


def test_a_random_csrf_secret_is_kept() -> None:
    key = "q8ZtN3v0Lr5xW2cYp7HfJ4sKd9Gm1Ub6Ea0Io3Rn8Tw"
    settings = GatewaySettings(csrf_secret=key)
    assert settings.csrf_secret is not None
    assert settings.csrf_secret.get_secret_value() == key
