"""The subscriptions service, assembled."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.config import load_settings
from services.chassis.runtime import ServiceDefinition
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.entrypoints.api import ROUTERS
from services.subscriptions.entrypoints.consumers import EVENT_HANDLERS
from services.subscriptions.entrypoints.worker import webhook_dispatcher

SERVICE = ServiceDefinition(
    name="subscriptions",
    title="Convene subscriptions",
    description=(
        "Public events for other departments: signed webhooks, a pull feed and replay, "
        "each limited to the event types a department's scopes grant."
    ),
    settings_type=SubscriptionsSettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    workers=[webhook_dispatcher],
)


def create_app(settings: SubscriptionsSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(SubscriptionsSettings, "convene-subscriptions")
    )
