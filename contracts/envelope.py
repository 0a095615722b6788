"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, the data as the value.

See the CloudEvents Kafka protocol binding. Trace context travels beside the envelope in the
W3C `traceparent`/`tracestate` headers, which the chassis adds and reads.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from contracts.base import IntegrationEvent
from contracts.registry import REGISTRY

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A Kafka record that is not a valid Convene event (for the dead-letter topic)."""


@dataclass(frozen=True)
class Envelope:
    """One event with its CloudEvents attributes."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    data: dict[str, Any]
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def wrap(
        cls,
        event: IntegrationEvent,
        *,
        source: str,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=source,
            type=event.event_type,
            time=time or datetime.now(UTC),
            subject=event.subject(),
            data=event.model_dump(mode="json"),
        )

    def headers(self) -> Headers:
        """The `ce_*` headers of binary mode, plus `content-type`."""
        attrs = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "ce_subject": self.subject,
            "content-type": CONTENT_TYPE,
        }
        return [(k, v.encode()) for k, v in attrs.items()]

    def value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True).encode()

    def key(self) -> bytes:
        return self.subject.encode()

    @classmethod
    def from_kafka(
        cls, headers: Headers | tuple[tuple[str, bytes], ...], value: bytes | None
    ) -> Envelope:
        """Decode a Kafka record; raises EnvelopeError when it is not a CloudEvent we can read."""
        attrs: dict[str, str] = {}
        extra: dict[str, str] = {}
        for name, raw in headers:
            try:
                text = raw.decode() if raw is not None else ""
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name!r} is not UTF-8") from exc
            if name.startswith("ce_"):
                attrs[name[3:]] = text
            else:
                extra[name] = text
        for required in ("specversion", "id", "source", "type"):
            if not attrs.get(required):
                raise EnvelopeError(f"missing CloudEvents header ce_{required}")
        if attrs["specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"unsupported CloudEvents specversion {attrs['specversion']!r}")
        try:
            time = datetime.fromisoformat(attrs.get("time", "").replace("Z", "+00:00"))
        except ValueError as exc:
            raise EnvelopeError("ce_time is not an RFC 3339 timestamp") from exc
        try:
            data = json.loads(value or b"")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EnvelopeError("event data is not JSON") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("event data is not a JSON object")
        return cls(
            id=attrs["id"],
            source=attrs["source"],
            type=attrs["type"],
            time=time,
            subject=attrs.get("subject", ""),
            data=data,
            extra_headers=extra,
        )

    def parse(self) -> IntegrationEvent:
        """The typed event; raises EnvelopeError for an unknown type or data failing its schema."""
        spec = REGISTRY.get(self.type)
        if spec is None:
            raise EnvelopeError(f"unknown event type {self.type!r}")
        try:
            return spec.model.model_validate(self.data)
        except ValidationError as exc:
            raise EnvelopeError(f"{self.type} data failed validation: {exc}") from exc
