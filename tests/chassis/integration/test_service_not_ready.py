"""A service whose database or broker is missing keeps answering and says why it is not ready,
instead of crash-looping (what a Kubernetes readiness probe needs to show)."""

from __future__ import annotations

import httpx
from support import eventually

from devstack.postgres import free_port
from services.chassis.app import create_service_app
from services.directory.bootstrap import SERVICE
from services.directory.config import DirectorySettings


async def readiness(settings: DirectorySettings) -> tuple[int, int, dict]:  # type: ignore[type-arg]
    app = create_service_app(SERVICE, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            alive = await client.get("/healthz")

            async def explained() -> httpx.Response | None:
                response = await client.get("/readyz")
                return None if "starting" in response.text else response

            ready = await eventually(explained, timeout=10)
    return alive.status_code, ready.status_code, ready.json()


async def test_an_unreachable_broker_is_named_in_readiness(infrastructure, spans) -> None:
    url = await infrastructure.create_database("not_ready_broker")
    settings = DirectorySettings(
        database_url=url, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"
    )
    alive, ready, body = await readiness(settings)
    assert alive == 200
    assert ready == 503
    assert "KAFKA_BOOTSTRAP_SERVERS" in body["checks"]["broker"]
    assert body["checks"]["database"] == "ok"


async def test_an_unreachable_database_is_named_in_readiness(infrastructure, spans) -> None:
    settings = DirectorySettings(
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/nothing",
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
    )
    alive, ready, body = await readiness(settings)
    assert alive == 200
    assert ready == 503
    assert body["checks"]["database"].startswith("unavailable")
    assert "DATABASE_URL" in body["checks"]["broker"]  # nothing else starts before the database
