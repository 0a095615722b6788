"""The content service, assembled."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.config import load_settings
from services.chassis.mail import mail_relay_worker
from services.chassis.runtime import ServiceDefinition
from services.content.adapters.mail_templates import TEMPLATES
from services.content.config import ContentSettings
from services.content.entrypoints.api import ROUTERS
from services.content.entrypoints.consumers import EVENT_HANDLERS
from services.content.entrypoints.worker import publishing_scheduler, weekly_digests

SERVICE = ServiceDefinition(
    name="content",
    title="Convene content",
    description="Curated articles, events and resources, personalised feeds and digests.",
    settings_type=ContentSettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    workers=[mail_relay_worker(TEMPLATES.values()), publishing_scheduler, weekly_digests],
)


def create_app(settings: ContentSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(ContentSettings, "convene-content")
    )
