"""What the subscriptions tests share: departments with real client-credentials tokens, a real
webhook receiver that verifies every signature with the `standardwebhooks` library, and public
events put on their real topics."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import Envelope
from contracts.events.feedback import CampaignFollowUpPostedV1

REPORTS = "feedback.campaign.report_published.v1"
FOLLOW_UPS = "feedback.campaign.follow_up_posted.v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Department:
    """A department's service account and its current token."""

    account_id: str
    client_secret: str
    headers: dict[str, str]


async def department(
    client: httpx.AsyncClient, admin: dict[str, str], types: list[str]
) -> Department:
    """A service account created by a programme admin, with a client-credentials token."""
    created = await client.post(
        "/api/identity/service-accounts",
        json={
            "name": f"platform {uuid.uuid4().hex[:6]}",
            "department": "Department for Education",
            "scopes": [f"events:{t}" for t in types],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    account = created.json()
    found = Department(account["id"], account["client_secret"], {})
    await refresh_token(client, found)
    return found


async def refresh_token(client: httpx.AsyncClient, found: Department) -> None:
    issued = await client.post(
        "/api/identity/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": found.account_id,
            "client_secret": found.client_secret,
        },
    )
    assert issued.status_code == 200, issued.text
    found.headers = bearer(issued.json()["access_token"])


@dataclass
class Receiver:
    """A department's webhook endpoint: a real HTTP server on a loopback port.

    Every message is verified with `standardwebhooks` against `secrets` (any one may match);
    one that fails verification is answered 401 and kept in `refused`.
    """

    port: int
    secrets: list[str] = field(default_factory=list)
    #: "ok" answers 204; "fail" answers 500 to every event (challenges still answered).
    mode: str = "ok"
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def verified(self, body: bytes, headers: dict[str, str]) -> Any | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return None

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        payload = self.verified(body, headers)
        if payload is None:
            self.refused.append(headers.get("webhook-id", "?"))
            return Response(status_code=401)
        if payload.get("type") == "webhook.challenge":
            return JSONResponse({"challenge": payload["challenge"]})
        if self.mode == "fail":
            return Response(status_code=500)
        self.received.append(payload)
        self.headers.append(headers)
        return Response(status_code=204)

    async def start(self) -> Receiver:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    def ids(self) -> list[str]:
        return [event["id"] for event in self.received]


async def register(
    client: httpx.AsyncClient, found: Department, receiver: Receiver, types: list[str]
) -> str:
    """Register and verify an endpoint; the receiver learns its secret. Returns its id."""
    created = await client.post(
        "/api/subscriptions/endpoints",
        json={"url": receiver.url, "event_types": types, "description": "test receiver"},
        headers=found.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["endpoint"]["status"] == "pending"
    receiver.secrets = [created.json()["secret"]]
    endpoint_id: str = created.json()["endpoint"]["id"]
    verified = await client.post(
        f"/api/subscriptions/endpoints/{endpoint_id}/verify", headers=found.headers
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "active"
    return endpoint_id


def follow_up(campaign_id: uuid.UUID, n: int) -> CampaignFollowUpPostedV1:
    return CampaignFollowUpPostedV1(
        campaign_id=campaign_id,
        follow_up_id=uuid.uuid4(),
        title=f"Campaign {campaign_id.hex[:6]}",
        you_said=f"point {n}",
        we_did=f"action {n}",
        posted_at=datetime.now(UTC),
    )


async def publish_as_feedback(stack, events: list[Any]) -> list[str]:  # type: ignore[no-untyped-def]
    """Put public events on their real topics as feedback's relay would; returns their ids."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.infrastructure.kafka_bootstrap)
    await producer.start()
    ids = []
    try:
        for event in events:
            envelope = Envelope.wrap(event, source="/convene/feedback")
            await producer.send_and_wait(
                event.topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
            )
            ids.append(envelope.id)
    finally:
        await producer.stop()
    return ids


def by_key(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    keyed: dict[str, list[str]] = {}
    for event in events:
        keyed.setdefault(event["subject"], []).append(event["id"])
    return keyed


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
