"""The gateway application: the JSON API for other clients and the web pages for people."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from starlette.middleware.cors import CORSMiddleware

from services.chassis.health import Check, health_router
from services.chassis.heap import freeze_startup_heap
from services.chassis.problems import install_problem_handlers
from services.chassis.telemetry import (
    FASTAPI_OWN_TELEMETRY_OFF,
    setup_telemetry,
    telemetry_enabled,
)
from services.chassis.tokens import RemoteJwks, TokenVerifier
from services.gateway.config import GatewaySettings
from services.gateway.edge import EdgeMiddleware
from services.gateway.openapi import MergedOpenApi
from services.gateway.pages import ROUTERS
from services.gateway.rate_limits import RateLimits, TokenBuckets
from services.gateway.telemetry import blank_participants, span_details_for
from services.gateway.upstream.client import UpstreamClient
from services.gateway.upstream.forwarding import ApiFastPath
from services.gateway.upstream.forwarding import router as forwarding_router
from services.gateway.upstream.resilience import CircuitBreaker, Upstream
from services.gateway.web.csrf import csrf_key
from services.gateway.web.error_pages import error_page, install_page_errors
from services.gateway.web.session_refresh import RefreshOnce

log = logging.getLogger(__name__)


def build_upstreams(settings: GatewaySettings) -> dict[str, Upstream]:
    return {
        name: Upstream(
            name,
            base,
            timeout=settings.upstream_timeout_seconds,
            retries=settings.upstream_retries,
            breaker=CircuitBreaker(
                settings.breaker_failure_threshold, settings.breaker_reset_seconds
            ),
        )
        for name, base in settings.upstreams().items()
    }


def build_rate_limits(settings: GatewaySettings) -> RateLimits:
    return RateLimits(
        per_ip=TokenBuckets(
            settings.rate_limit_per_ip_per_minute, settings.rate_limit_per_ip_burst
        ),
        per_member=TokenBuckets(
            settings.rate_limit_per_member_per_minute, settings.rate_limit_per_member_burst
        ),
    )


def create_app(settings: GatewaySettings) -> FastAPI:
    setup_telemetry("convene-gateway")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Members' requests go to the services over UpstreamClient (the hot path, see
        # upstream/client.py); the gateway's own occasional calls (JWKS, readiness, OpenAPI) use
        # httpx.
        upstream_client = UpstreamClient(
            connect_timeout=settings.upstream_connect_timeout_seconds,
            traced=telemetry_enabled(),
        )
        async with (
            aclosing(upstream_client),
            httpx.AsyncClient(
                timeout=httpx.Timeout(
                    settings.upstream_timeout_seconds,
                    connect=settings.upstream_connect_timeout_seconds,
                ),
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            ) as client,
        ):
            if telemetry_enabled():
                HTTPXClientInstrumentor.instrument_client(client)
            app.state.upstream_client = upstream_client
            app.state.http = client
            app.state.token_verifier = TokenVerifier(
                RemoteJwks(settings.auth_jwks_url, client=client),
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
            )
            freeze_startup_heap()
            yield

    app = FastAPI(
        title="Convene gateway",
        description="The only public entry to Convene: routes /api/<service>/... to the services.",
        lifespan=lifespan,
        # The public API's document is merged from the services: /api/openapi.json, /api/docs.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_OWN_TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.upstreams = build_upstreams(settings)
    app.state.rate_limits = build_rate_limits(settings)
    app.state.openapi = MergedOpenApi(ttl_seconds=settings.openapi_cache_seconds)
    app.state.refreshes = RefreshOnce()
    app.state.csrf_secret = csrf_key(settings.csrf_secret)
    install_problem_handlers(app)
    install_page_errors(app)

    def upstream_checks() -> dict[str, Check]:
        def check(upstream: Upstream) -> Check:
            async def ready() -> None:
                response = await app.state.http.get(f"{upstream.base_url}/readyz")
                response.raise_for_status()

            return ready

        return {name: check(upstream) for name, upstream in app.state.upstreams.items()}

    app.include_router(health_router(upstream_checks, timeout=3.0))
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(forwarding_router)
    if settings.assets_dir.is_dir():
        app.mount("/assets", StaticFiles(directory=settings.assets_dir), name="assets")
    else:
        log.warning(
            "no web assets in %s: run scripts/bootstrap.sh (pages will have no styles)",
            settings.assets_dir,
        )
    # Innermost first: the API fast path (upstream/forwarding.py), then CORS, which answers
    # preflights inside the edge, so they carry its headers too.
    app.add_middleware(ApiFastPath)
    origins = settings.allowed_origins()
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id", "traceparent"],
            expose_headers=["x-request-id", "retry-after", "location"],
            max_age=600,
        )
    app.add_middleware(
        EdgeMiddleware,
        per_ip=lambda: app.state.rate_limits.per_ip,
        max_body_bytes=settings.max_body_bytes,
        trusted_proxy_hops=settings.trusted_proxy_hops,
        html_error=error_page,
    )
    # Outermost: the server span and HTTP metrics for every request, named without walking
    # every route for API calls (telemetry.py).
    if telemetry_enabled():
        app.add_middleware(
            OpenTelemetryMiddleware,
            excluded_urls="healthz,readyz,assets",
            default_span_details=span_details_for(set(app.state.upstreams)),
            server_request_hook=blank_participants,
        )
    return app
