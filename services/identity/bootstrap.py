"""The identity service, assembled: the only place that wires its parts together."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.cli import ExtraCommand
from services.chassis.config import load_settings
from services.chassis.mail import mail_relay_worker
from services.chassis.runtime import ServiceDefinition, ServiceRuntime
from services.chassis.tokens import KeySource
from services.identity.config import IdentitySettings
from services.identity.entrypoints.api import (
    invitations_router,
    keys_router,
    members_router,
    sign_in_router,
)
from services.identity.entrypoints.cohorts import router as cohorts_router
from services.identity.entrypoints.consumers import EVENT_HANDLERS
from services.identity.entrypoints.oidc import oidc_router
from services.identity.entrypoints.service_accounts import router as service_accounts_router
from services.identity.entrypoints.service_accounts import token_router
from services.identity.notifications import TEMPLATES
from services.identity.signing import SigningKeys, issue_access_token


def _key_source(runtime: ServiceRuntime) -> KeySource:
    # Identity verifies tokens against its own key table, not over HTTP against itself.
    return SigningKeys(runtime.sessions)


SERVICE = ServiceDefinition(
    name="identity",
    title="Convene identity",
    description="Invitations, sign-in, access tokens and roles.",
    settings_type=IdentitySettings,
    routers=[
        keys_router,
        invitations_router,
        sign_in_router,
        members_router,
        cohorts_router,
        service_accounts_router,
        token_router,
        oidc_router,
    ],
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    key_source=_key_source,
    workers=[mail_relay_worker(TEMPLATES.values())],
)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(IdentitySettings, "convene-identity")
    )


def _configure_issue_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", required=True, help="member or operator id")
    parser.add_argument("--role", action="append", default=[], help="repeat for several roles")
    parser.add_argument("--minutes", type=int, default=15)


def _issue_token(args: argparse.Namespace, settings: IdentitySettings) -> None:
    """Break-glass: an operator with database access mints a token (e.g. the first admin's)."""
    from services.chassis.database import create_engine, create_session_factory

    async def run() -> str:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            key = await SigningKeys(create_session_factory(engine)).active()
        finally:
            await engine.dispose()
        return issue_access_token(
            key,
            subject=args.subject,
            roles=args.role or ["member"],
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            ttl_seconds=args.minutes * 60,
        )

    print(asyncio.run(run()))


COMMANDS = {
    "issue-token": ExtraCommand(
        help="mint an access token directly (operators only; needs database access)",
        configure=_configure_issue_token,
        run=_issue_token,
    )
}
