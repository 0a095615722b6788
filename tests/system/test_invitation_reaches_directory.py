"""The foundation's proof: an invitation made through the gateway becomes a draft profile in
the directory, carried by a real event over the real broker, in one trace."""

from __future__ import annotations

import uuid

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from support import eventually, unique_email


async def test_invited_member_gets_a_draft_profile_in_the_directory(stack) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    email = unique_email("amara")
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        created = await client.post(
            "/api/identity/invitations",
            json={"full_name": "Amara Okafor", "email": email, "organisation": "Cabinet Office"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        invitation = created.json()
        assert invitation["email"] == email
        assert invitation["status"] == "pending"

        async def profile() -> httpx.Response | None:
            response = await client.get(
                f"/api/directory/profiles/{invitation['member_id']}", headers=admin
            )
            return response if response.status_code == 200 else None

        found = (await eventually(profile)).json()
        assert {k: found[k] for k in ("member_id", "full_name", "organisation", "status")} == {
            "member_id": invitation["member_id"],
            "full_name": "Amara Okafor",
            "organisation": "Cabinet Office",
            "status": "draft",
        }


async def test_gateway_request_and_the_event_it_causes_share_one_trace(
    stack, spans: InMemorySpanExporter
) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        created = await client.post(
            "/api/identity/invitations",
            json={
                "full_name": "David Llewellyn",
                "email": unique_email("david"),
                "organisation": "Welsh Government",
            },
            headers=admin,
        )
    assert created.status_code == 201
    member_id = created.json()["member_id"]

    async def consumer_span():  # type: ignore[no-untyped-def]
        return [
            span
            for span in spans.get_finished_spans()
            if span.kind == SpanKind.CONSUMER
            and span.attributes.get("messaging.consumer.group.name") == "directory"
            and span.attributes.get("messaging.kafka.message.key") == member_id
        ]

    handled = await eventually(consumer_span)
    trace_id = handled[0].context.trace_id
    same_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    kinds = {(s.kind, s.name) for s in same_trace}
    gateway_request = [
        s for s in same_trace if s.kind == SpanKind.SERVER and "invitations" in s.name
    ]
    assert gateway_request, f"no server span for the invitation request in the trace: {kinds}"
    assert any(
        s.kind == SpanKind.PRODUCER and s.name == "identity.member.v1 publish" for s in same_trace
    )
    assert any(s.kind == SpanKind.CLIENT for s in same_trace), (
        "the gateway's call to identity is traced"
    )
    # The gateway names API spans per service, never per id (one series per service).
    gateway = [
        s for s in same_trace if s.kind == SpanKind.SERVER and s.name.startswith("POST /api")
    ]
    assert [s.name for s in gateway] == ["POST /api/identity/{path}"], kinds
    assert gateway[0].attributes.get("http.route") == "/api/identity/{path}"


async def test_a_search_through_the_gateway_is_traced_into_the_directory_and_its_database(
    stack, spans: InMemorySpanExporter
) -> None:
    # Search is answered before FastAPI's router (directory/entrypoints/api/direct_routes.py):
    # ops teams must still see it, named by its route, as the child of the gateway's call.
    token = await stack.token(str(uuid.uuid4()))
    marker = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        found = await client.get(
            "/api/directory/profiles",
            params={"q": f"Tracewell {marker}"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert found.status_code == 200, found.text

    async def search_spans() -> list[ReadableSpan]:
        return [
            s
            for s in spans.get_finished_spans()
            if s.kind == SpanKind.SERVER
            and s.name == "GET /profiles"
            and marker in str(s.attributes.get("url.query"))
        ]

    directory = (await eventually(search_spans))[0]
    assert directory.attributes.get("http.route") == "/profiles"
    assert directory.attributes.get("http.response.status_code") == 200
    by_id = {s.context.span_id: s for s in spans.get_finished_spans()}
    assert directory.parent is not None
    call = by_id[directory.parent.span_id]
    assert call.kind == SpanKind.CLIENT
    assert call.name == "GET"
    assert call.attributes.get("http.response.status_code") == 200
    assert str(call.attributes.get("url.full")).endswith(f"/profiles?q=Tracewell+{marker}")
    assert call.parent is not None
    assert by_id[call.parent.span_id].name == "GET /api/directory/{path}"
    # The statement that reads the searcher, sent on the held connection, is in it too.
    statements = [
        s
        for s in spans.get_finished_spans()
        if s.parent is not None
        and s.parent.span_id == directory.context.span_id
        and s.attributes.get("db.system") == "postgresql"
    ]
    assert "SELECT" in [s.name for s in statements]
