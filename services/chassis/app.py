"""The FastAPI application every service is built into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

from services.chassis.config import ServiceSettings
from services.chassis.direct_routes import install_direct_routes
from services.chassis.health import health_router
from services.chassis.heap import freeze_startup_heap
from services.chassis.problems import install_problem_handlers
from services.chassis.runtime import ServiceDefinition, ServiceRuntime
from services.chassis.telemetry import (
    FASTAPI_OWN_TELEMETRY_OFF,
    setup_telemetry,
    telemetry_enabled,
)


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    """An app whose lifespan starts the runtime (outbox relay, consumer) and stops it cleanly.

    Migrations are not run here: they are an explicit step before start (`<svc> migrate`).
    """
    setup_telemetry(f"convene-{definition.name}")
    runtime = ServiceRuntime(definition, settings)
    if telemetry_enabled():
        SQLAlchemyInstrumentor().instrument(engine=runtime.engine.sync_engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        freeze_startup_heap()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        telemetry=FASTAPI_OWN_TELEMETRY_OFF,
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    app.include_router(health_router(runtime.readiness_checks))
    for router in definition.routers:
        app.include_router(router)
    install_direct_routes(app)
    if telemetry_enabled():
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app
