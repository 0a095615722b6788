"""The event catalogue departments read: every public event, nothing internal, files to download."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from contracts.generate import asyncapi_path, schema_path
from contracts.registry import REGISTRY

PUBLIC = sorted(t for t, spec in REGISTRY.items() if spec.public)
INTERNAL = sorted(t for t, spec in REGISTRY.items() if not spec.public)
PAGE = {"accept": "text/html"}


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


async def test_the_catalogue_lists_every_public_event_and_no_internal_one(client) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/departments/events", headers=PAGE)
    assert page.status_code == 200
    assert "Events you can receive from Convene" in page.text
    for event_type in PUBLIC:
        assert f'href="/departments/events/{event_type}"' in page.text
        assert REGISTRY[event_type].topic in page.text
    for event_type in INTERNAL:
        assert f'href="/departments/events/{event_type}"' not in page.text


async def test_an_event_page_shows_meaning_topic_scope_fields_and_a_valid_example(client) -> None:  # type: ignore[no-untyped-def]
    for event_type in PUBLIC:
        spec = REGISTRY[event_type]
        page = await client.get(f"/departments/events/{event_type}", headers=PAGE)
        assert page.status_code == 200, event_type
        text = page.text
        assert f'<h1 class="govuk-heading-l app-break-words">{event_type}</h1>' in text
        assert spec.description.split("\n", 1)[0].replace("'", "&#39;") in text
        assert f"<code>{spec.topic}</code>" in text
        assert f"<code>events:{event_type}</code>" in text
        for field in spec.model.model_fields:
            assert f"<code>{field}</code>" in text, (event_type, field)
        example = text.split('aria-label="Example event in CloudEvents JSON format"><code>', 1)[1]
        example = example.split("</code>", 1)[0].replace("&#34;", '"').replace("&#39;", "'")
        event = json.loads(example.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
        assert event["type"] == event_type
        assert event["specversion"] == "1.0"
        spec.model.model_validate(event["data"])


async def test_internal_and_unknown_types_are_not_in_the_catalogue(client) -> None:  # type: ignore[no-untyped-def]
    for event_type in [INTERNAL[0], "no.such.event.v1", "../../etc/passwd"]:
        page = await client.get(f"/departments/events/{event_type}", headers=PAGE)
        assert page.status_code == 404, event_type
        assert "Page not found" in page.text
        schema = await client.get(f"/departments/schemas/{event_type}.json")
        assert schema.status_code == 404
        assert schema.headers["content-type"] == "application/problem+json"


async def test_the_files_to_download_are_the_committed_contracts(client) -> None:  # type: ignore[no-untyped-def]
    document = await client.get("/departments/asyncapi.yaml")
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(document.text) == yaml.safe_load(
        asyncapi_path(public=True).read_text(encoding="utf-8")
    )
    for event_type in PUBLIC:
        schema = await client.get(f"/departments/schemas/{event_type}.json")
        assert schema.status_code == 200
        assert schema.headers["content-type"] == "application/schema+json"
        assert schema.json() == json.loads(schema_path(event_type).read_text(encoding="utf-8"))
