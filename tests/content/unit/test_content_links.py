"""Signed links and feed tokens (`domain.links`), without I/O."""

from __future__ import annotations

import uuid

from services.content.domain import links


def test_unsubscribe_tokens_are_single_purpose_and_unforgeable() -> None:
    key, member = b"k" * 32, uuid.uuid4()
    token = links.sign(key, links.UNSUBSCRIBE_DIGEST, member)
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, token) == member
    assert links.verify(key, "delete-account", token) is None
    assert links.verify(b"other" * 8, links.UNSUBSCRIBE_DIGEST, token) is None
    other = uuid.uuid4()
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, other.hex + token[32:]) is None
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, "nonsense") is None
