"""NotifySender speaks GOV.UK Notify's API: a stand-in Notify on 127.0.0.1 checks what arrives.

The stand-in implements POST /v2/notifications/email as Notify documents it: a bearer JWT signed
HS256 with the API key's secret and `iss` = the service id (verified here with PyJWT), a JSON
body, a 201 with the notification's id, and `{"status_code", "errors": [...]}` on failure.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from mail_support import commit_mail, mail_row, sign_in_template, sign_in_values
from support import unique_email

from services.chassis.mail import (
    MailRelay,
    MailTemplate,
    NotifySender,
    OutgoingMail,
    PermanentMailError,
)

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"convene_test-{SERVICE_ID}-{SECRET}"


@dataclass
class StandInNotify:
    """What the stand-in received, and what it should answer next."""

    url: str
    template_ids: set[str]
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    #: (status, body) answers to give before behaving normally again.
    scripted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def answer(self, authorization: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        scheme, _, token = authorization.partition(" ")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                SECRET,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": True},
            )
        except jwt.PyJWTError as exc:
            return error(403, "AuthError", f"Invalid token: {exc}")
        if scheme != "Bearer" or header != {"typ": "JWT", "alg": "HS256"}:
            return error(403, "AuthError", "Invalid token: header")
        if claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
            return error(403, "AuthError", "Invalid token: iss or iat")
        self.tokens.append(claims)
        self.requests.append(body)
        if self.scripted:
            return self.scripted.pop(0)
        if body.get("template_id") not in self.template_ids:
            return error(400, "BadRequestError", "Template not found")
        if "@" not in body.get("email_address", ""):
            return error(400, "ValidationError", "email_address Not a valid email address")
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": {
                "subject": "Sign in to Convene",
                "body": "…",
                "from_email": "convene@notifications.service.gov.uk",
                "one_click_unsubscribe_url": None,
            },
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": body["template_id"],
                "version": 1,
                "uri": f"{self.url}/services/{SERVICE_ID}/templates/{body['template_id']}",
            },
            "scheduled_for": None,
        }


def error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": kind, "message": message}]}


@pytest.fixture
def notify() -> Iterator[StandInNotify]:
    state: StandInNotify

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v2/notifications/email":
                status, body = 404, {"status_code": 404, "errors": []}
            else:
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, body = state.answer(self.headers.get("Authorization", ""), payload)
            encoded = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = StandInNotify(f"http://127.0.0.1:{server.server_port}", template_ids=set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def outgoing(template: MailTemplate, to: str = "jane.smith@example.gov.uk") -> OutgoingMail:
    return OutgoingMail(
        message_id=uuid.uuid4(),
        template=template,
        to=to,
        personalisation=sign_in_values(),
        reference=None,
        created_at=datetime.now(UTC),
        attempt=1,
    )


def sender_for(notify: StandInNotify, template: MailTemplate) -> NotifySender:
    template_id = str(uuid.uuid4())
    notify.template_ids.add(template_id)
    return NotifySender(API_KEY, {template.name: template_id}, notify.url)


async def test_relay_sends_through_notify_with_a_signed_token(
    notify, mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    sender = sender_for(notify, template)
    to = unique_email()
    values = sign_in_values()
    message_id = await commit_mail(
        mail_sessions, template, to=to, personalisation=values, reference="invite-42"
    )

    assert await MailRelay(mail_engine, sender, [template], service="test").drain() == 1

    [request] = notify.requests
    assert request == {
        "email_address": to,
        "template_id": sender.template_ids[template.name],
        "personalisation": values,
        "reference": "invite-42",
    }
    [claims] = notify.tokens
    assert claims["iss"] == SERVICE_ID
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["sent_at"] is not None
    assert uuid.UUID(row["provider_reference"]), "the Notify notification id is kept"


async def test_the_message_id_is_the_reference_when_the_caller_gave_none(notify) -> None:
    template = sign_in_template()
    message = outgoing(template)

    notification_id = await sender_for(notify, template).send(message)

    assert uuid.UUID(notification_id)
    assert notify.requests[0]["reference"] == str(message.message_id)


async def test_an_invalid_address_is_a_permanent_error(notify) -> None:
    template = sign_in_template()
    with pytest.raises(PermanentMailError, match=r"400.*Not a valid email address"):
        await sender_for(notify, template).send(outgoing(template, to="not-an-address"))


async def test_an_unknown_notify_template_is_a_permanent_error(notify) -> None:
    template = sign_in_template()
    sender = NotifySender(API_KEY, {template.name: str(uuid.uuid4())}, notify.url)
    with pytest.raises(PermanentMailError, match="Template not found"):
        await sender.send(outgoing(template))


async def test_a_template_without_a_notify_id_is_a_permanent_error(notify) -> None:
    sender = NotifySender(API_KEY, {}, notify.url)
    with pytest.raises(PermanentMailError, match="no Notify template id"):
        await sender.send(outgoing(sign_in_template()))
    assert notify.requests == []


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "RateLimitError"), (500, "Exception"), (503, "Exception"), (403, "AuthError")],
)
async def test_rate_limits_outages_and_key_trouble_are_retried(notify, status, kind) -> None:
    template = sign_in_template()
    sender = sender_for(notify, template)
    notify.scripted.append(error(status, kind, "try later"))

    with pytest.raises(Exception, match=f"Notify answered {status}") as raised:
        await sender.send(outgoing(template))
    assert not isinstance(raised.value, PermanentMailError)

    assert uuid.UUID(await sender.send(outgoing(template))), "the retry goes through"


async def test_a_refused_connection_is_retried(notify) -> None:
    template = sign_in_template()
    sender = NotifySender(API_KEY, {template.name: str(uuid.uuid4())}, "http://127.0.0.1:9")
    with pytest.raises(ConnectionError, match="Notify answered 503"):
        await sender.send(outgoing(template))


async def test_a_relay_retries_a_notify_outage_then_delivers(
    notify, mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    sender = sender_for(notify, template)
    notify.scripted.append(error(500, "Exception", "Internal server error"))
    message_id = await commit_mail(mail_sessions, template)
    relay = MailRelay(mail_engine, sender, [template], service="test", retry_base_seconds=0)

    assert await relay.drain() == 0
    assert await relay.drain() == 1

    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert (row["attempts"], row["failed_at"]) == (2, None)
    assert len(notify.requests) == 2


@pytest.mark.parametrize(
    "key", ["", "NOTIFY-API-KEY", SECRET, f"name-{SERVICE_ID}", f"{API_KEY}\nx"]
)
def test_a_key_that_is_not_a_notify_key_is_refused_without_echoing_it(key) -> None:
    with pytest.raises(ValueError, match=r"not a GOV.UK Notify API key") as raised:
        NotifySender(key, {}, "http://127.0.0.1:9")
    assert not key or key not in str(raised.value)


async def test_the_stand_in_refuses_a_token_signed_with_another_secret(notify) -> None:
    template = sign_in_template()
    template_id = str(uuid.uuid4())
    notify.template_ids.add(template_id)
    wrong_key = f"convene_test-{SERVICE_ID}-{uuid.uuid4()}"
    sender = NotifySender(wrong_key, {template.name: template_id}, notify.url)

    with pytest.raises(ConnectionError, match=r"403.*Invalid token"):
        await sender.send(outgoing(template))
    assert notify.requests == []
