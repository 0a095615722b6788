"""Our Standard Webhooks signatures, checked by the reference library."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.subscriptions.domain import signatures


def test_the_reference_library_verifies_our_signature() -> None:
    secret = signatures.new_secret()
    body = json.dumps({"type": "x", "data": {"n": 1}}).encode()

    headers = signatures.headers([secret], "evt_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "x", "data": {"n": 1}}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"1", b"2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signatures.new_secret()).verify(body, headers)


def test_during_an_overlap_either_secret_verifies() -> None:

    new, old = signatures.new_secret(), signatures.new_secret()
    body = b'{"a":1}'
    headers = signatures.headers([new, old], "evt_2", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers) == {"a": 1}
    assert Webhook(old).verify(body, headers) == {"a": 1}


def test_an_old_timestamp_is_refused_by_receivers() -> None:
    secret = signatures.new_secret()
    body = b"{}"
    headers = signatures.headers([secret], "evt_3", 1_000_000_000, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)
