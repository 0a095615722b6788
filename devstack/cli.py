"""`convene up`: the whole platform on one machine, with embedded PostgreSQL and broker.

Starts (or reuses, when DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set) the database server and
the broker, migrates each service's database, starts every service and the gateway as its own
process, waits until each is ready, loads demo data and prints where to go. Ctrl-C stops all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devstack.broker import EmbeddedBroker, EmbeddedBrokerError
from devstack.postgres import EmbeddedPostgres, EmbeddedPostgresError, port_is_free
from services.chassis.runtime import ServiceDefinition

SERVICES = ("identity", "directory", "feedback", "content", "subscriptions")


def service_definitions() -> list[ServiceDefinition]:
    from services.content.bootstrap import SERVICE as CONTENT
    from services.directory.bootstrap import SERVICE as DIRECTORY
    from services.feedback.bootstrap import SERVICE as FEEDBACK
    from services.identity.bootstrap import SERVICE as IDENTITY
    from services.subscriptions.bootstrap import SERVICE as SUBSCRIPTIONS

    return [IDENTITY, DIRECTORY, FEEDBACK, CONTENT, SUBSCRIPTIONS]


DEMO_ADMIN = "00000000-0000-4000-8000-00000000a001"


@dataclass
class Stack:
    """Where things are, from the environment and defaults; read once."""

    data_dir: Path
    postgres_port: int
    kafka_port: int
    #: The gateway listens here; the services on the next five ports.
    port_base: int
    database_url: str | None
    kafka_bootstrap: str | None

    @property
    def gateway_port(self) -> int:
        return self.port_base

    @property
    def service_ports(self) -> dict[str, int]:
        return {name: self.port_base + 1 + index for index, name in enumerate(SERVICES)}

    @classmethod
    def from_environment(cls) -> Stack:
        env = os.environ
        return cls(
            data_dir=Path(env.get("CONVENE_DATA_DIR", ".data")).resolve(),
            postgres_port=int(env.get("CONVENE_POSTGRES_PORT", "54329")),
            kafka_port=int(env.get("CONVENE_KAFKA_PORT", "19092")),
            port_base=int(env.get("CONVENE_PORT_BASE", "8000")),
            database_url=env.get("DATABASE_URL"),
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS"),
        )


def say(message: str) -> None:
    print(f"convene: {message}", flush=True)


def database_url_for(server_url: str, service: str) -> str:
    """The per-service database on the same server: `convene_<service>`."""
    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url.rstrip("/")
    return f"{base}/convene_{service}"


async def _create_databases(server_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        for service in SERVICES:
            name = f"convene_{service}"
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


class Supervisor:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = stack.data_dir / "logs"
        self.mailbox_dir = stack.data_dir / "mailbox"

    def local_secret(self, name: str) -> str:
        """A secret made once for this machine and kept in the data folder (development only).

        Kept, not regenerated: feedback's pseudonyms must stay stable across restarts.
        """
        path = self.stack.data_dir / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def service_env(self, server_url: str, bootstrap: str) -> dict[str, str]:
        env = dict(os.environ)
        for service, port in self.stack.service_ports.items():
            env[f"{service.upper()}_DATABASE_URL"] = database_url_for(server_url, service)
            env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.pop("DATABASE_URL", None)
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        gateway = f"http://127.0.0.1:{self.stack.gateway_port}"
        # Plain http on loopback: cookies cannot be `Secure` here (they are in any deployment).
        env.setdefault("IDENTITY_SECURE_COOKIES", "false")
        env.setdefault("GATEWAY_SECURE_COOKIES", "false")
        env.setdefault("IDENTITY_PUBLIC_BASE_URL", gateway)
        env.setdefault("IDENTITY_MAILBOX_DIR", str(self.mailbox_dir))
        env.setdefault("FEEDBACK_PSEUDONYM_KEY", self.local_secret("feedback_pseudonym_key"))
        env.setdefault("SUBSCRIPTIONS_CURSOR_KEY", self.local_secret("subscriptions_cursor_key"))
        # Development only: webhook receivers on this machine may be plain http on loopback.
        env.setdefault("SUBSCRIPTIONS_DEVELOPMENT_HOSTS", "localhost,127.0.0.1")
        identity = self.stack.service_ports["identity"]
        env["AUTH_JWKS_URL"] = f"http://127.0.0.1:{identity}/.well-known/jwks.json"
        return env

    def start_infrastructure(self) -> tuple[str, str, bool]:
        """Returns (server URL, bootstrap servers, whether the broker is new and empty)."""
        if self.stack.database_url:
            server_url = self.stack.database_url
            say("using the PostgreSQL server from DATABASE_URL")
        else:
            say(f"starting PostgreSQL 18 (embedded) on 127.0.0.1:{self.stack.postgres_port}")
            self.postgres = EmbeddedPostgres(
                self.stack.data_dir / "postgres", self.stack.postgres_port
            )
            self.postgres.start()
            server_url = self.postgres.url()
        asyncio.run(_create_databases(server_url))
        if self.stack.kafka_bootstrap:
            say("using the Kafka cluster from KAFKA_BOOTSTRAP_SERVERS")
            return server_url, self.stack.kafka_bootstrap, False
        self.broker = EmbeddedBroker(self.stack.kafka_port, self.log_dir / "broker.log")
        self.broker.start()
        say(
            f"started the Tansu broker (embedded) on {self.broker.bootstrap_servers}. It keeps "
            "messages in memory only: retained outbox events are replayed into it at start."
        )
        return server_url, self.broker.bootstrap_servers, True

    def prepare_databases(self, env: dict[str, str], *, replay_all: bool) -> None:
        """Migrate each service's database; after a broker restart, queue retained events."""
        from services.chassis.database import create_engine
        from services.chassis.migrations import upgrade_to_head
        from services.chassis.relay import replay

        for definition in service_definitions():
            url = env[f"{definition.name.upper()}_DATABASE_URL"].replace(
                "postgresql://", "postgresql+asyncpg://", 1
            )
            upgrade_to_head(definition.migrations, url)
            if replay_all:

                async def replay_retained(url: str = url) -> int:
                    engine = create_engine(url)
                    try:
                        return await replay(
                            engine, datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC)
                        )
                    finally:
                        await engine.dispose()

                count = asyncio.run(replay_retained())
                if count:
                    say(f"{definition.name}: {count} retained events queued for replay")

    def start_process(self, name: str, port: int, env: dict[str, str]) -> None:
        if not port_is_free(port):
            raise SystemExit(
                f"convene: port {port} for {name} is already in use; stop what uses it"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log(name).open("ab")
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                f"services.{name}",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env={**env, "OTEL_SERVICE_NAME": f"convene-{name}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, name: str, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise SystemExit(f"convene: {name} exited at start; see {self.log(name)}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    say(f"{name} is ready on http://127.0.0.1:{port}")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(
            f"convene: {name} was not ready after {timeout:.0f} s; see {self.log(name)}"
        )

    def up(self, *, demo: bool, smoke: bool = False) -> None:
        try:
            server_url, bootstrap, fresh_broker = self.start_infrastructure()
        except (EmbeddedPostgresError, EmbeddedBrokerError) as exc:
            raise SystemExit(f"convene: {exc}") from None
        env = self.service_env(server_url, bootstrap)
        self.prepare_databases(env, replay_all=fresh_broker)
        say("databases migrated")
        if demo:
            self.seed_directory(env)
        for service, port in self.stack.service_ports.items():
            self.start_process(service, port, env)
        self.start_process("gateway", self.stack.gateway_port, env)
        for service, port in self.stack.service_ports.items():
            self.wait_ready(service, port)
        self.wait_ready("gateway", self.stack.gateway_port)
        token = self.admin_token(env)
        if demo:
            self.load_demo_data(token)
        if smoke:
            self.smoke_check(token)
            return
        gateway = f"http://127.0.0.1:{self.stack.gateway_port}"
        say(f"Convene is running at {gateway}/")
        say(f"  to sign in: open {self.mailbox_dir / 'index.html'} and follow an invitation link")
        say(f"  API documentation: {gateway}/api/docs   logs: {self.log_dir}")
        say(f"  a programme admin token for trying the API (valid 12 h):\n{token}")
        say("press Ctrl-C to stop everything")

    def seed_directory(self, env: dict[str, str], count: int = 300) -> None:
        """A few hundred synthetic published leaders, the same ones every time (idempotent)."""
        from devstack.directory_demo import seed_demo
        from services.chassis.database import create_engine

        async def seed() -> int:
            url = env["DIRECTORY_DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
            engine = create_engine(url)
            try:
                return await seed_demo(engine, count)
            finally:
                await engine.dispose()

        say(f"directory demo data: {asyncio.run(seed())} synthetic leaders added ({count} in all)")

    def admin_token(self, env: dict[str, str]) -> str:
        """A programme admin token for the demo admin, minted as `identity issue-token` does."""
        from services.chassis.database import create_engine
        from services.identity.bootstrap import operator_token

        async def mint() -> str:
            url = env["IDENTITY_DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
            engine = create_engine(url)
            try:
                return await operator_token(
                    engine,
                    subject=DEMO_ADMIN,
                    roles=["programme_admin", "member"],
                    issuer=env.get("AUTH_ISSUER", "convene-identity"),
                    audience=env.get("AUTH_AUDIENCE", "convene"),
                    ttl_seconds=12 * 3600,
                )
            finally:
                await engine.dispose()

        return asyncio.run(mint())

    def smoke_check(self, token: str) -> None:
        """Invite a throwaway member and wait for the directory to show the draft profile."""
        headers = {"Authorization": f"Bearer {token}"}
        email = f"smoke-{uuid.uuid4().hex[:8]}@example.gov.uk"
        with httpx.Client(
            base_url=f"http://127.0.0.1:{self.stack.gateway_port}", timeout=10
        ) as client:
            created = client.post(
                "/api/identity/invitations",
                json={"full_name": "Smoke Check", "email": email, "organisation": "Convene"},
                headers=headers,
            )
            if created.status_code != 201:
                raise SystemExit(f"convene: smoke check: invitation refused: {created.text}")
            path = f"/api/directory/profiles/{created.json()['member_id']}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if client.get(path, headers=headers).status_code == 200:
                    say("smoke check passed: an invitation reached the directory through Kafka")
                    return
                time.sleep(0.2)
        raise SystemExit("convene: smoke check failed: no draft profile within 30 s")

    def load_demo_data(self, token: str) -> None:
        members = json.loads((Path(__file__).parent / "demo_members.json").read_text())
        created = existing = 0
        with httpx.Client(
            base_url=f"http://127.0.0.1:{self.stack.gateway_port}", timeout=10
        ) as client:
            for member in members:
                response = client.post(
                    "/api/identity/invitations",
                    json=member,
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code == 201:
                    created += 1
                elif response.status_code == 409:
                    existing += 1
                else:
                    say(f"demo data: {member['email']} was refused: {response.text}")
        say(f"demo data loaded ({created} new invitations, {existing} already there)")

    def watch(self) -> None:
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    say(f"{name} stopped (exit {process.returncode}); see {self.log(name)}")
                    return
            time.sleep(0.5)

    def down(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time; killing it")
                process.kill()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
        say("stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convene", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the whole platform and wait (Ctrl-C stops it)")
    up.add_argument("--no-demo", action="store_true", help="do not load demo data")
    up.add_argument(
        "--smoke", action="store_true", help="start everything, check one event end to end, stop"
    )
    seed = commands.add_parser(
        "seed-demo",
        help="add realistic synthetic leaders (Faker en_GB) to the directory database "
        "DIRECTORY_DATABASE_URL names, for development or benchmarks (run after migrate)",
    )
    seed.add_argument("--count", type=int, default=300, help="how many leaders (default 300)")
    seed.add_argument("--seed", type=int, default=2026, help="same seed, same leaders")
    seed.add_argument(
        "--no-events",
        action="store_true",
        help="do not publish profile events (the benchmark's many leaders)",
    )
    args = parser.parse_args(argv)
    if args.command == "seed-demo":
        from devstack.directory_demo import seed_demo_command

        seed_demo_command(args.count, seed=args.seed, publish_events=not args.no_events)
        return

    supervisor = Supervisor(Stack.from_environment())
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        supervisor.up(demo=not args.no_demo, smoke=args.smoke)
        if not args.smoke:
            supervisor.watch()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.down()


if __name__ == "__main__":
    main()
