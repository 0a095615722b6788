"""The identity service, assembled: the only place that wires its parts together."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis.app import create_service_app
from services.chassis.cli import ExtraCommand
from services.chassis.config import load_settings
from services.chassis.database import create_engine, create_session_factory, unit_of_work
from services.chassis.mail import mail_relay_worker
from services.chassis.runtime import ServiceDefinition, ServiceRuntime
from services.chassis.tokens import KeySource
from services.identity.adapters.mail_templates import TEMPLATES
from services.identity.adapters.signing_keys import SigningKeys
from services.identity.config import IdentitySettings
from services.identity.domain.access_tokens import issue_access_token
from services.identity.entrypoints.api import ROUTERS
from services.identity.entrypoints.consumers import EVENT_HANDLERS
from services.identity.entrypoints.worker import signing_key_worker


def _key_source(runtime: ServiceRuntime) -> KeySource:
    # Identity verifies tokens against its own key table, not over HTTP against itself.
    return SigningKeys(runtime.sessions)


SERVICE = ServiceDefinition(
    name="identity",
    title="Convene identity",
    description="Invitations, sign-in, access tokens and roles.",
    settings_type=IdentitySettings,
    routers=ROUTERS,
    migrations=Path(__file__).parent / "migrations",
    handlers=EVENT_HANDLERS,
    key_source=_key_source,
    workers=[mail_relay_worker(TEMPLATES.values()), signing_key_worker],
)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE, settings or load_settings(IdentitySettings, "convene-identity")
    )


def _configure_issue_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", required=True, help="member or operator id")
    parser.add_argument("--role", action="append", default=[], help="repeat for several roles")
    parser.add_argument("--minutes", type=int, default=15)


async def operator_token(
    engine: AsyncEngine,
    *,
    subject: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    ttl_seconds: int,
) -> str:
    """Break-glass: an operator with database access mints a token (e.g. the first admin's).

    Creates the first signing key when the service has never run, committing it here (this
    is the command's boundary), so the token verifies once identity serves its JWKS.
    """
    sessions = create_session_factory(engine)
    keys = SigningKeys(sessions, first_key_wait=timedelta(0))
    async with unit_of_work(sessions, SERVICE.source) as uow:
        await keys.create_first_key(uow.session)
        await uow.commit()
    return issue_access_token(
        await keys.active(),
        subject=subject,
        roles=roles,
        issuer=issuer,
        audience=audience,
        ttl_seconds=ttl_seconds,
    )


def _issue_token(args: argparse.Namespace, settings: IdentitySettings) -> None:
    async def run() -> str:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            return await operator_token(
                engine,
                subject=args.subject,
                roles=args.role or ["member"],
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
                ttl_seconds=args.minutes * 60,
            )
        finally:
            await engine.dispose()

    print(asyncio.run(run()))


COMMANDS = {
    "issue-token": ExtraCommand(
        help="mint an access token directly (operators only; needs database access)",
        configure=_configure_issue_token,
        run=_issue_token,
    )
}
