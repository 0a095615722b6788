"""GOV.UK Notify, through its official client (synchronous, so it runs in a worker thread)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Mapping
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from services.chassis.mail.sending import OutgoingMail, PermanentMailError

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_API_KEY = re.compile(rf"(?:.*-)?({_UUID})-({_UUID})")

# Statuses worth trying again: our own configuration (403: a revoked or wrong key, fixed by
# the operator), a timeout, rate limits, and Notify's or the network's trouble. Any other 4xx
# (400: bad address, unknown template, missing personalisation, trial-mode recipient) is final.
_RETRYABLE_4XX = frozenset({403, 408, 429})


def is_notify_api_key(value: str) -> bool:
    """Whether `value` has the shape of a Notify API key: `<name>-<service id>-<secret>`."""
    return _API_KEY.fullmatch(value) is not None


class NotifySender:
    """A `MailSender` that sends through GOV.UK Notify.

    `template_ids` maps each `MailTemplate.name` to the id of the Notify template with the same
    text. Messages go with `reference` set to the message's reference, or its message id.
    """

    def __init__(
        self,
        api_key: str,
        template_ids: Mapping[str, str],
        base_url: str | None = None,
        *,
        timeout_seconds: float = 10,
    ) -> None:
        if not is_notify_api_key(api_key):
            # Never echo the value: it may be a real key with a typo.
            raise ValueError("not a GOV.UK Notify API key (expected <name>-<uuid>-<uuid>)")
        self.template_ids = dict(template_ids)
        self.base_url = base_url or NOTIFY_BASE_URL
        client: Any = NotificationsAPIClient
        self._client: Any = client(api_key, base_url=self.base_url, timeout=timeout_seconds)
        # The client's requests.Session is not thread-safe; one request at a time.
        self._lock = threading.Lock()

    async def send(self, message: OutgoingMail) -> str:
        template_id = self.template_ids.get(message.template.name)
        if template_id is None:
            raise PermanentMailError(f"no Notify template id for {message.template.name!r}")
        try:
            response = await asyncio.to_thread(
                self._send_email,
                email_address=message.to,
                template_id=template_id,
                personalisation=dict(message.personalisation),
                reference=message.reference or str(message.message_id),
            )
        except APIError as exc:
            status = int(exc.status_code)
            description = f"Notify answered {status}: {_describe(exc.message)}"
            if 400 <= status < 500 and status not in _RETRYABLE_4XX:
                raise PermanentMailError(description) from exc
            raise ConnectionError(description) from exc
        # Accepted: the message is on its way even if the answer lacks the usual id.
        return str(response.get("id", "")) if isinstance(response, dict) else ""

    def _send_email(self, **notification: Any) -> Any:
        with self._lock:
            return self._client.send_email_notification(**notification)


def _describe(message: object) -> str:
    """Notify's errors: `[{"error": "BadRequestError", "message": "..."}]`, or a string."""
    if isinstance(message, list):
        return "; ".join(
            f"{item.get('error', 'Error')}: {item.get('message', '')}"
            if isinstance(item, dict)
            else str(item)
            for item in message
        )
    return str(message)
