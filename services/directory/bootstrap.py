"""The directory service, assembled."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from fastapi import FastAPI

from services.chassis.app import create_service_app
from services.chassis.cli import ExtraCommand
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


def _configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=int, default=300, help="how many leaders (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same leaders")
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="do not publish profile events (the benchmark's 100,000)",
    )


def _seed_demo(args: argparse.Namespace, settings: DirectorySettings) -> None:
    """Synthetic published leaders, idempotent per seed (run after `migrate`)."""
    from services.chassis.database import create_engine
    from services.directory.demo import seed_demo

    async def run() -> int:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            return await seed_demo(
                engine, args.count, seed=args.seed, publish_events=not args.no_events
            )
        finally:
            await engine.dispose()

    added = asyncio.run(run())
    print(f"convene-directory: {added} demo leaders added ({args.count} requested)")


COMMANDS = {
    "seed-demo": ExtraCommand(
        help="add realistic synthetic leaders (Faker en_GB) for development or benchmarks",
        configure=_configure_seed_demo,
        run=_seed_demo,
    )
}
