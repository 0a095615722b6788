"""Opaque pull-feed cursors: a log position and its time, sealed with an HMAC.

The time lets an expired cursor be told from a tampered one: tampered → 400, older than the
log's retention → 410.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from services.subscriptions.domain.errors import BadCursor

_LAYOUT = ">qd"  # sequence, POSIX time
_MAC_BYTES = 16


@dataclass(frozen=True)
class FeedPosition:
    sequence: int
    time: datetime


class CursorSeal:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, b"feed-cursor:" + body, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, position: FeedPosition) -> str:
        body = struct.pack(_LAYOUT, position.sequence, position.time.timestamp())
        return base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")

    def decode(self, token: str) -> FeedPosition:
        """The position a cursor names; raises BadCursor for anything this seal did not make."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as exc:
            raise BadCursor() from exc
        size = struct.calcsize(_LAYOUT)
        if len(raw) != size + _MAC_BYTES:
            raise BadCursor()
        # base64 ignores the spare bits of the last character, so several texts decode to the
        # same bytes; only the one this seal writes is a cursor.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            raise BadCursor()
        body, mac = raw[:size], raw[size:]
        if not hmac.compare_digest(mac, self._mac(body)):
            raise BadCursor()
        sequence, stamp = struct.unpack(_LAYOUT, body)
        return FeedPosition(sequence, datetime.fromtimestamp(stamp, UTC))
