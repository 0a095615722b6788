"""The directory service, assembled."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, aclosing
from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.config import load_settings
from services.chassis.runtime import ServiceDefinition, ServiceRuntime
from services.directory.config import DirectorySettings
from services.directory.entrypoints.api import ROUTERS
from services.directory.entrypoints.api.direct_routes import install_direct_routes
from services.directory.entrypoints.api.search import Searching
from services.directory.entrypoints.consumers import EVENT_HANDLERS
from services.directory.entrypoints.worker import maintenance_worker


def _extend_app(app: FastAPI, runtime: ServiceRuntime) -> AbstractAsyncContextManager[object]:
    """Search answered before FastAPI's router, with what it keeps per app (its held
    connection is given back to the pool when the app stops)."""
    install_direct_routes(app)
    searching = Searching.open(runtime)
    app.state.searching = searching
    return aclosing(searching)


SERVICE = ServiceDefinition(
    name="directory",
    title="Convene directory",
    description="Profiles, organisations, search, privacy and contact requests.",
    settings_type=DirectorySettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    workers=[maintenance_worker],
    extend_app=_extend_app,
)


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(DirectorySettings, "convene-directory")
    )
