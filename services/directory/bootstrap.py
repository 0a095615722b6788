"""The directory service, assembled."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.config import load_settings
from services.chassis.runtime import ServiceDefinition, ServiceRuntime, Worker
from services.directory.config import DirectorySettings
from services.directory.entrypoints.api import ROUTERS
from services.directory.entrypoints.consumers import EVENT_HANDLERS
from services.directory.entrypoints.worker import MaintenanceWorker


def _maintenance(runtime: ServiceRuntime) -> Worker:
    return MaintenanceWorker(runtime)


SERVICE = ServiceDefinition(
    name="directory",
    title="Convene directory",
    description="Profiles, organisations, search, privacy and contact requests.",
    settings_type=DirectorySettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    workers=[_maintenance],
)


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(DirectorySettings, "convene-directory")
    )
