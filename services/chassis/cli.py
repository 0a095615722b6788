"""The command line every service shares: `python -m services.<svc> migrate|serve|replay`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import OperationalError

from services.chassis.config import ServiceSettings, load_settings
from services.chassis.runtime import ServiceDefinition


def _timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ExtraCommand:
    """A service-specific command beside migrate/serve/replay."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Any], None]


def run_service_cli(
    definition: ServiceDefinition,
    argv: list[str] | None = None,
    extra: Mapping[str, ExtraCommand] | None = None,
) -> None:
    program = f"convene-{definition.name}"
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{definition.name}", description=definition.description
    )
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply database migrations (run before serve)")
    migrate.add_argument(
        "--wait-seconds", type=float, default=120, help="how long to wait for the database"
    )
    serve = commands.add_parser("serve", help="serve the HTTP API, outbox relay and consumers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    replay_cmd = commands.add_parser("replay", help="send retained outbox events again")
    replay_cmd.add_argument("--since", type=_timestamp, required=True, help="ISO 8601 time")
    replay_cmd.add_argument(
        "--until", type=_timestamp, default=None, help="ISO 8601 time (default now)"
    )
    for name, command in (extra or {}).items():
        command.configure(commands.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings: ServiceSettings = load_settings(definition.settings_type, program)

    if args.command == "migrate":
        from services.chassis.migrations import upgrade_to_head

        # A database that is still starting (or briefly away) is waited for, with one line a
        # try, so an init container logs why it waits instead of crash-looping.
        deadline = time.monotonic() + args.wait_seconds
        while True:
            try:
                upgrade_to_head(definition.migrations, settings.sqlalchemy_url)
                break
            except (OSError, OperationalError) as exc:
                if time.monotonic() >= deadline:
                    sys.exit(f"{program}: cannot reach the database ({type(exc).__name__}: {exc})")
                print(
                    f"{program}: waiting for the database ({type(exc).__name__})", file=sys.stderr
                )
                time.sleep(2)
        print(f"{program}: database is at the latest revision")
    elif args.command == "serve":
        from services.chassis import serving
        from services.chassis.app import create_service_app

        serving.serve(create_service_app(definition, settings), host=args.host, port=args.port)
    elif args.command == "replay":
        from services.chassis.database import create_engine
        from services.chassis.relay import replay

        async def run() -> int:
            engine = create_engine(settings.sqlalchemy_url)
            try:
                return await replay(engine, args.since, args.until or datetime.now(UTC))
            finally:
                await engine.dispose()

        count = asyncio.run(run())
        print(f"{program}: {count} events marked for sending again")
    else:
        (extra or {})[args.command].run(args, settings)
