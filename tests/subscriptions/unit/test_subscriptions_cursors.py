"""Pull-feed cursors: opaque, and any change to one is noticed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.subscriptions.domain.cursors import CursorSeal, FeedPosition
from services.subscriptions.domain.errors import BadCursor

SEAL = CursorSeal(b"unit-test-key-" * 3)


def test_a_cursor_names_the_position_it_was_made_for() -> None:
    position = FeedPosition(12345, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    assert SEAL.decode(SEAL.encode(position)) == position


@pytest.mark.parametrize("index", [0, 5, 10, 20, -1])
def test_changing_any_character_is_refused(index: int) -> None:
    token = SEAL.encode(FeedPosition(7, datetime.now(UTC)))
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    if index == -1:
        changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(BadCursor):
        SEAL.decode(changed)


def test_another_keys_cursor_and_garbage_are_refused() -> None:
    other = CursorSeal(b"another-key-" * 3).encode(FeedPosition(7, datetime.now(UTC)))
    for token in (other, "", "!!!", "a" * 300):
        with pytest.raises(BadCursor):
            SEAL.decode(token)
