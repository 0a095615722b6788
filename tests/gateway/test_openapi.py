"""One OpenAPI document for the whole public API, merged from the services'."""

from __future__ import annotations

import json

import httpx

from devstack.postgres import free_port
from services.gateway.openapi import MergedOpenApi, namespaced
from services.gateway.upstream.resilience import Upstream


async def test_the_merged_document_prefixes_paths_and_namespaces_schemas(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "x-convene-missing" not in document
    assert "/api/identity/invitations" in document["paths"]
    assert "/api/identity/healthz" not in document["paths"]
    assert "/healthz" in document["paths"]
    schemas = document["components"]["schemas"]
    assert "identity.InvitationCreate" in schemas
    refs = {
        value
        for value in json.dumps(document).split('"')
        if value.startswith("#/components/schemas/")
    }
    assert refs, "no references at all"
    for ref in refs:
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    operation_ids = [
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_two_services_with_the_same_schema_name_do_not_clash() -> None:
    page = {
        "paths": {
            "/things": {
                "get": {
                    "operationId": "list",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page"}
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Page": {"type": "object"}}},
    }
    one, two = namespaced("directory", page), namespaced("content", page)
    assert set(one["schemas"]) == {"directory.Page"}
    assert set(two["schemas"]) == {"content.Page"}
    ref = one["paths"]["/api/directory/things"]["get"]["responses"]["200"]["content"]
    assert ref["application/json"]["schema"]["$ref"] == "#/components/schemas/directory.Page"


async def test_a_service_that_is_down_is_left_out_and_named(stack) -> None:
    app = stack.apps["gateway"]
    upstreams = dict(app.state.upstreams)
    upstreams["content"] = Upstream("content", f"http://127.0.0.1:{free_port()}")
    merged = await MergedOpenApi().document(app.state.http, upstreams)
    assert merged["x-convene-missing"] == ["content"]
    assert "/api/identity/invitations" in merged["paths"]


async def test_the_docs_page_lists_the_routes_without_javascript(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        page = await client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/identity/invitations" in page.text
    assert "cdn" not in page.text.lower()
