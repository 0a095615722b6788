"""Feedback's HTTP routes, one module per sub-domain: thin, they validate, call a handler or a
view and commit. Every route is under `/campaigns`."""

from __future__ import annotations

from fastapi import APIRouter

from services.feedback.entrypoints.api import campaigns, follow_ups, reports, responses, statements

ROUTERS: list[APIRouter] = [
    campaigns.router,
    responses.router,
    statements.router,
    reports.router,
    follow_ups.router,
]
