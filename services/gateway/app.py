"""The gateway application."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from services.chassis.health import Check, health_router
from services.chassis.problems import install_problem_handlers
from services.chassis.telemetry import setup_telemetry
from services.chassis.tokens import RemoteJwks, TokenVerifier
from services.gateway.config import GatewaySettings
from services.gateway.proxy import router as proxy_router
from services.gateway.web import router as web_router

SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(settings: GatewaySettings) -> FastAPI:
    setup_telemetry("convene-gateway")
    upstreams = settings.upstreams()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=2.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        ) as client:
            HTTPXClientInstrumentor.instrument_client(client)
            app.state.http = client
            app.state.token_verifier = TokenVerifier(
                RemoteJwks(settings.auth_jwks_url, client=client),
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
            )
            yield

    app = FastAPI(
        title="Convene gateway",
        description="The only public entry to Convene: routes /api/<service>/... to the services.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.upstreams = upstreams
    install_problem_handlers(app)

    @app.middleware("http")
    async def request_id_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request.state.request_id = incoming if 8 <= len(incoming) <= 64 else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["x-request-id"] = request.state.request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def upstream_checks() -> dict[str, Check]:
        def check(name: str, base: str) -> Check:
            async def ready() -> None:
                response = await app.state.http.get(f"{base}/readyz")
                response.raise_for_status()

            return ready

        return {name: check(name, base) for name, base in upstreams.items()}

    app.include_router(health_router(upstream_checks, timeout=3.0))
    app.include_router(proxy_router)
    app.include_router(web_router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app
