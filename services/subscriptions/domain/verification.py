"""Endpoint verification: the challenge sent, and the answer that proves the endpoint is live
and controlled by whoever registered it (it must echo the challenge). No I/O."""

from __future__ import annotations

import secrets
from typing import Any

from services.subscriptions.domain.errors import VerificationFailed


def challenge() -> dict[str, Any]:
    return {"type": "webhook.challenge", "challenge": secrets.token_urlsafe(24)}


def check_challenge_answer(sent: dict[str, Any], status: int, answer: Any) -> None:
    if not 200 <= status < 300:
        raise VerificationFailed(f"The endpoint answered the challenge with HTTP {status}.")
    if not isinstance(answer, dict) or answer.get("challenge") != sent["challenge"]:
        raise VerificationFailed(
            'The endpoint must answer the challenge with JSON {"challenge": "<the value sent>"}.'
        )
