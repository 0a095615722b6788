"""One OpenAPI document for the public API, merged from every service's own.

Each service's paths are prefixed with `/api/<service>` (as the gateway routes them), its
component schemas are renamed `<service>.<Name>` so two services may both have a `Page`, and
operation ids get the same prefix. A service that does not answer is left out and named in
`x-convene-missing`; a complete document is cached for `openapi_cache_seconds`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from typing import Any

import httpx

from services.gateway.upstream.resilience import Upstream

#: Each service's own probes are for the platform, not the public API.
PRIVATE_PATHS = {"/healthz", "/readyz"}
GATEWAY_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "tags": ["gateway"],
            "summary": "Liveness of the gateway",
            "operationId": "gateway_healthz",
            "responses": {"200": {"description": "The gateway is running"}},
        }
    },
    "/readyz": {
        "get": {
            "tags": ["gateway"],
            "summary": "Readiness of every service behind the gateway",
            "operationId": "gateway_readyz",
            "responses": {
                "200": {"description": "Every service is ready"},
                "503": {"description": "At least one service is not ready"},
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "tags": ["gateway"],
            "summary": "This document",
            "operationId": "gateway_openapi",
            "responses": {"200": {"description": "The merged OpenAPI document"}},
        }
    },
}


def namespaced(service: str, document: dict[str, Any]) -> dict[str, Any]:
    """`document` with paths under /api/<service> and schemas renamed `<service>.<Name>`."""
    prefix = "#/components/schemas/"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith(prefix):
                    out[key] = f"{prefix}{service}.{value[len(prefix) :]}"
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    paths: dict[str, Any] = {}
    for path, item in (document.get("paths") or {}).items():
        if path in PRIVATE_PATHS:
            continue
        item = rewrite(copy.deepcopy(item))
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                if "operationId" in operation:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
                operation["tags"] = [service] + [
                    f"{service}: {tag}" for tag in operation.get("tags", [])
                ]
        paths[f"/api/{service}{path}"] = item
    schemas = {
        f"{service}.{name}": rewrite(schema)
        for name, schema in ((document.get("components") or {}).get("schemas") or {}).items()
    }
    return {"paths": paths, "schemas": schemas}


def merge(documents: dict[str, dict[str, Any]], missing: list[str]) -> dict[str, Any]:
    paths: dict[str, Any] = dict(GATEWAY_PATHS)
    schemas: dict[str, Any] = {}
    for service, document in documents.items():
        part = namespaced(service, document)
        paths.update(part["paths"])
        schemas.update(part["schemas"])
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Convene API",
            "version": "1",
            "description": (
                "The public API of Convene, through its gateway. Send an access token from "
                "identity as `Authorization: Bearer <token>`. Errors are RFC 9457 problem "
                "documents (`application/problem+json`)."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{}, {"bearer": []}],
        "tags": [{"name": "gateway"}] + [{"name": name} for name in documents],
    }
    if missing:
        merged["x-convene-missing"] = missing
    return merged


@dataclass
class MergedOpenApi:
    """The merged document, fetched from the services at most every `ttl_seconds`."""

    ttl_seconds: float = 30.0
    fetch_timeout: float = 3.0
    _cached: dict[str, Any] | None = None
    _cached_at: float = 0.0

    async def document(
        self, client: httpx.AsyncClient, upstreams: dict[str, Upstream]
    ) -> dict[str, Any]:
        if self._cached is not None and time.monotonic() - self._cached_at < self.ttl_seconds:
            return self._cached
        names = list(upstreams)
        fetched = await asyncio.gather(
            *(self._fetch(client, upstreams[name]) for name in names), return_exceptions=True
        )
        documents = {
            name: doc for name, doc in zip(names, fetched, strict=True) if isinstance(doc, dict)
        }
        missing = [name for name in names if name not in documents]
        merged = merge(documents, missing)
        if not missing:  # a gap is not remembered: the next call asks the service again
            self._cached, self._cached_at = merged, time.monotonic()
        return merged

    async def _fetch(self, client: httpx.AsyncClient, upstream: Upstream) -> dict[str, Any]:
        response = await client.get(
            f"{upstream.base_url}/openapi.json", timeout=min(self.fetch_timeout, upstream.timeout)
        )
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("not an OpenAPI document")
        return document
