"""The FastAPI application every service is built into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

from services.chassis.config import ServiceSettings
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
    """An app whose lifespan starts the runtime (outbox relay, consumer) and stops it cleanly,
    with what the service's `extend_app` added (held open between the two).

    Migrations are not run here: they are an explicit step before start (`<svc> migrate`).
    """
    setup_telemetry(f"convene-{definition.name}")
    runtime = ServiceRuntime(definition, settings)
    if telemetry_enabled():
        SQLAlchemyInstrumentor().instrument(engine=runtime.engine.sync_engine)

    #: What `definition.extend_app` returned, if anything, held open while the app runs.
    extension: AbstractAsyncContextManager[object] | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            async with extension or nullcontext():
                freeze_startup_heap()
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
    if definition.extend_app is not None:
        extension = definition.extend_app(app, runtime)
    if telemetry_enabled():
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls="healthz,readyz", server_request_hook=definition.server_span_hook
        )
    return app
