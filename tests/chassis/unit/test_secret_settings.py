"""Every secret setting refuses values pasted from examples and short keys."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from services.chassis.config import Secret


class _Keyed(BaseModel):
    key: Secret


@pytest.mark.parametrize(
    "value",
    [
        "change-me-change-me-change-me-change-me",
        "my-example-key-0123456789abcdefghijklmnop",
        "a-secret-0123456789abcdefghijklmnopqrstuvw",
        "short-but-random-9f3k",
        "a" * 40,
        "abababababababababababababababababab",
    ],
)
def test_placeholders_and_weak_keys_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        _Keyed(key=value)


def test_a_random_key_is_accepted_and_kept_out_of_its_repr() -> None:
    key = "q8ZtN3v0Lr5xW2cYp7HfJ4sKd9Gm1Ub6Ea0Io3Rn8Tw"
    settings = _Keyed(key=key)
    assert settings.key.get_secret_value() == key
    assert key not in repr(settings)
