"""The feedback service, assembled."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.config import load_settings
from services.chassis.runtime import ServiceDefinition
from services.feedback.config import FeedbackSettings
from services.feedback.entrypoints.api import ROUTERS
from services.feedback.entrypoints.api.spans import blank_participants
from services.feedback.entrypoints.consumers import EVENT_HANDLERS
from services.feedback.entrypoints.worker import campaign_clock

SERVICE = ServiceDefinition(
    name="feedback",
    title="Convene feedback",
    description=(
        "Group feedback campaigns and anonymous, aggregated reports for the Prime Minister."
    ),
    settings_type=FeedbackSettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    workers=[campaign_clock],
    server_span_hook=blank_participants,
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(FeedbackSettings, "convene-feedback")
    )
