"""The event catalogue for other departments, generated from the public AsyncAPI document.

Open to anyone, signed in or not: it describes what Convene publishes and how to receive it,
never an event itself. Everything shown comes from `contracts/asyncapi-public.yaml`, so the
page cannot promise an event, field or topic the contracts do not define.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from contracts.generate import asyncapi_path, event_schema
from contracts.registry import spec_for
from services.gateway.web.session_cookies import Session
from services.gateway.web.templates import render

router = APIRouter(prefix="/departments", include_in_schema=False)
ASYNCAPI_MEDIA_TYPE = "application/yaml"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class CatalogueEntry:
    event_type: str
    topic: str
    summary: str
    description: str
    key_description: str
    fields: tuple[Field, ...]
    example_headers: dict[str, str]
    example_payload: dict[str, Any]

    @property
    def scope(self) -> str:
        return f"events:{self.event_type}"

    @property
    def owner(self) -> str:
        return self.event_type.split(".", 1)[0]

    def cloudevent(self) -> dict[str, Any]:
        """The example as the pull feed and webhooks carry it: CloudEvents JSON format."""
        headers = self.example_headers
        return {
            "specversion": headers["ce_specversion"],
            "id": headers["ce_id"],
            "source": headers["ce_source"],
            "type": headers["ce_type"],
            "time": headers["ce_time"],
            "subject": headers["ce_subject"],
            "datacontenttype": headers["content-type"],
            "data": self.example_payload,
        }


@cache
def asyncapi_text() -> str:
    return asyncapi_path(public=True).read_text(encoding="utf-8")


@cache
def catalogue() -> dict[str, CatalogueEntry]:
    """Every public event type, in topic then type order."""
    document = yaml.safe_load(asyncapi_text())
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]
    entries: dict[str, CatalogueEntry] = {}
    for topic, channel in sorted(document["channels"].items()):
        for event_type in sorted(channel["messages"]):
            message = messages[event_type]
            (example,) = message["examples"]
            entries[event_type] = CatalogueEntry(
                event_type=event_type,
                topic=topic,
                summary=message["summary"],
                description=message["description"],
                key_description=message["bindings"]["kafka"]["key"]["description"],
                fields=_fields(schemas[event_type]),
                example_headers=example["headers"],
                example_payload=example["payload"],
            )
    return entries


def _fields(schema: dict[str, Any]) -> tuple[Field, ...]:
    required = set(schema.get("required", []))
    return tuple(
        Field(name, _kind(node), name in required, node.get("description", ""))
        for name, node in schema.get("properties", {}).items()
    )


def _kind(node: dict[str, Any]) -> str:
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1].removesuffix("V1") + " (object)"
    if "anyOf" in node:
        kinds = [_kind(choice) for choice in node["anyOf"] if choice.get("type") != "null"]
        return " or ".join(kinds) + (" (optional)" if len(kinds) < len(node["anyOf"]) else "")
    if "enum" in node:
        return "one of " + ", ".join(str(value) for value in node["enum"])
    if node.get("type") == "array":
        return "list of " + _kind(node.get("items", {}))
    kind = str(node.get("format") or node.get("type") or "any")
    readable = {"date-time": "timestamp (RFC 3339)", "uuid": "UUID", "date": "date"}
    return readable.get(kind, kind)


def entry_or_404(event_type: str) -> CatalogueEntry:
    entry = catalogue().get(event_type)
    if entry is None:
        # Internal event types are not secret, but they are not offered, so they are not here.
        raise HTTPException(404, f"No public event type {event_type!r}.")
    return entry


@router.get("/events")
async def event_catalogue(request: Request, session: Session) -> Response:
    by_topic: dict[str, list[CatalogueEntry]] = {}
    for entry in catalogue().values():
        by_topic.setdefault(entry.topic, []).append(entry)
    return render(request, session, "departments/catalogue.html", {"by_topic": by_topic})


@router.get("/events/{event_type}")
async def event_page(request: Request, session: Session, event_type: str) -> Response:
    entry = entry_or_404(event_type)
    schema = event_schema(spec_for(event_type))
    return render(
        request,
        session,
        "departments/event.html",
        {
            "entry": entry,
            "headers_json": json.dumps(entry.example_headers, indent=2),
            "cloudevent_json": json.dumps(entry.cloudevent(), indent=2),
            "schema_json": json.dumps(schema, indent=2, sort_keys=True),
        },
    )


@router.get("/asyncapi.yaml")
async def asyncapi_download() -> Response:
    return Response(
        asyncapi_text(),
        media_type=ASYNCAPI_MEDIA_TYPE,
        headers={"content-disposition": 'inline; filename="convene-public-events.asyncapi.yaml"'},
    )


@router.get("/schemas/{event_type}.json")
async def schema_download(event_type: str) -> Response:
    entry_or_404(event_type)
    # The same document as contracts/schemas/<type>.json, built from the model: the image
    # installs the contracts package without the committed schema files.
    return JSONResponse(event_schema(spec_for(event_type)), media_type="application/schema+json")
