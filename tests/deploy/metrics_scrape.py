"""Run one real service through the code paths that emit Convene's metrics, then print what a
Prometheus scrape of it returns: `python tests/deploy/metrics_scrape.py < input.json`.

tests/deploy/test_dashboard_metrics.py runs it in a process of its own, because OpenTelemetry
accepts one meter provider per process. Input (JSON): `database_url` (an empty database),
`kafka_bootstrap_servers` (an empty broker) and `environment` (the Deployment's variables; they
decide, for instance, which HTTP semantic conventions the instrumentation follows). Output
(JSON): `exposition` (the Prometheus text format), `metrics` (each OpenTelemetry metric with its
unit, type and attribute keys) and `resource` (the resource attributes).

The service is directory, served by the chassis as in production: an HTTP request, an event
written to the outbox and published by the relay, that event consumed, a poison record
dead-lettered, and the outbox and consumer-lag gauges read.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Histogram,
    InMemoryMetricReader,
    MetricsData,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY, generate_latest

from contracts.events.identity import MemberInvitedV1
from services.chassis.app import create_service_app
from services.chassis.migrations import upgrade_to_head
from services.chassis.runtime import ServiceRuntime
from services.directory.bootstrap import SERVICE

#: What a scrape must show before it is taken: one of each signal the dashboard reads.
WANTED = {
    "http.server.request.duration",
    "convene.events.published",
    "convene.events.consumed",
    "convene.dlq.messages",
    "convene.outbox.backlog",
    "convene.outbox.oldest_age",
    "convene.consumer.lag",
}
COUNTED = {
    "http.server.request.duration",
    "convene.events.published",
    "convene.events.consumed",
    "convene.dlq.messages",
}


def install_providers() -> tuple[InMemoryMetricReader, Resource]:
    """The providers services/chassis/telemetry.py would install, with a Prometheus reader
    (what the collector's exporter serves) and an in-memory one (to see the OTel side)."""
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "directory")})
    trace.set_tracer_provider(TracerProvider(resource=resource))
    memory = InMemoryMetricReader()
    provider = MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader(), memory])
    metrics.set_meter_provider(provider)
    return memory, resource


def describe(data: MetricsData) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource_metrics in data.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                points = list(metric.data.data_points)
                found[metric.name] = {
                    "unit": metric.unit or "",
                    "monotonic": isinstance(metric.data, Sum) and metric.data.is_monotonic,
                    "histogram": isinstance(metric.data, Histogram),
                    "attributes": sorted({key for p in points for key in p.attributes or {}}),
                    "total": sum(getattr(p, "value", getattr(p, "count", 0)) for p in points),
                }
    return found


async def exercise(config: dict[str, Any], memory: InMemoryMetricReader) -> None:
    await asyncio.to_thread(upgrade_to_head, SERVICE.migrations, config["database_url"])
    settings = SERVICE.settings_type(
        database_url=config["database_url"],
        kafka_bootstrap_servers=config["kafka_bootstrap_servers"],
        # The embedded broker has no idempotent producer (docs/architecture.md).
        kafka_enable_idempotence=False,
        # Tansu holds a group join for half of this: a short one starts the consumer sooner.
        kafka_session_timeout_ms=3000,
    )
    app = create_service_app(SERVICE, settings)
    runtime: ServiceRuntime = app.state.runtime
    async with app.router.lifespan_context(app):
        await runtime.wait_until_ready(timeout=60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://directory") as client:
            await client.get(f"/profiles/{uuid.uuid4()}")  # 401: no token; still a request
        now = datetime.now(UTC)
        async with runtime.unit_of_work() as uow:
            await uow.publish(
                MemberInvitedV1(
                    member_id=uuid.uuid4(),
                    invitation_id=uuid.uuid4(),
                    full_name="Ada Lovelace",
                    email="ada.lovelace@example.gov.uk",
                    organisation="Cabinet Office",
                    invited_at=now,
                    expires_at=now + timedelta(days=7),
                )
            )
            await uow.commit()
        assert runtime.producer is not None
        await runtime.producer.send_and_wait(
            MemberInvitedV1.topic, b"not a CloudEvent", key=b"poison"
        )
        async with asyncio.timeout(60):
            while not signals_seen(describe(memory.get_metrics_data())):
                await asyncio.sleep(0.1)


def signals_seen(seen: dict[str, dict[str, Any]]) -> bool:
    """Every wanted metric is there, and each counter and histogram has counted something."""
    if not set(seen) >= WANTED:
        return False
    return all(seen[name]["total"] >= 1 for name in WANTED if name in COUNTED)


def main() -> None:
    config = json.load(sys.stdin)
    memory, resource = install_providers()
    try:
        asyncio.run(exercise(config, memory))
    except TimeoutError:
        seen = describe(memory.get_metrics_data())
        missing = sorted(
            name
            for name in WANTED
            if name not in seen or (name in COUNTED and not seen[name]["total"])
        )
        sys.exit(f"metrics_scrape: nothing emitted within 60 s for {missing}; got {sorted(seen)}")
    json.dump(
        {
            "exposition": generate_latest(REGISTRY).decode(),
            "metrics": describe(memory.get_metrics_data()),
            "resource": {key: str(value) for key, value in resource.attributes.items()},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
