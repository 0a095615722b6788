"""`python -m services.gateway serve --host --port` (the gateway has no database to migrate)."""

from __future__ import annotations

import argparse
import logging

from services.chassis import serving
from services.chassis.config import load_settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="nothing to do: the gateway keeps no durable state")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "migrate":
        print("convene-gateway: no database, nothing to migrate")
        return
    settings = load_settings(GatewaySettings, "convene-gateway")
    serving.serve(create_app(settings), host=args.host, port=args.port)


main()
