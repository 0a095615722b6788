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
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.broker import EmbeddedBroker, EmbeddedBrokerError
from devstack.postgres import EmbeddedPostgres, EmbeddedPostgresError, port_is_free

SERVICES = {"identity": 8001, "directory": 8002, "feedback": 8003, "content": 8004}
DEMO_ADMIN = "00000000-0000-4000-8000-00000000a001"


@dataclass
class Stack:
    """Where things are, from the environment and defaults; read once."""

    data_dir: Path
    postgres_port: int
    kafka_port: int
    gateway_port: int
    database_url: str | None
    kafka_bootstrap: str | None

    @classmethod
    def from_environment(cls) -> Stack:
        env = os.environ
        return cls(
            data_dir=Path(env.get("CONVENE_DATA_DIR", ".data")).resolve(),
            postgres_port=int(env.get("CONVENE_POSTGRES_PORT", "54329")),
            kafka_port=int(env.get("CONVENE_KAFKA_PORT", "19092")),
            gateway_port=int(env.get("CONVENE_GATEWAY_PORT", "8000")),
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

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def service_env(self, server_url: str, bootstrap: str) -> dict[str, str]:
        env = dict(os.environ)
        for service, port in SERVICES.items():
            env[f"{service.upper()}_DATABASE_URL"] = database_url_for(server_url, service)
            env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.pop("DATABASE_URL", None)
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        env["AUTH_JWKS_URL"] = f"http://127.0.0.1:{SERVICES['identity']}/.well-known/jwks.json"
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

    def run_step(self, service: str, args: list[str], env: dict[str, str]) -> None:
        result = subprocess.run(
            [sys.executable, "-m", f"services.{service}", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"convene: {service} {args[0]} failed:\n{result.stderr[-2000:]}")

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

    def up(self, *, demo: bool) -> None:
        try:
            server_url, bootstrap, fresh_broker = self.start_infrastructure()
        except (EmbeddedPostgresError, EmbeddedBrokerError) as exc:
            raise SystemExit(f"convene: {exc}") from None
        env = self.service_env(server_url, bootstrap)
        for service in SERVICES:
            self.run_step(service, ["migrate"], env)
            if fresh_broker:
                self.run_step(service, ["replay", "--since", "1970-01-01T00:00:00+00:00"], env)
        say("databases migrated" + (", retained events queued for replay" if fresh_broker else ""))
        for service, port in SERVICES.items():
            self.start_process(service, port, env)
        self.start_process("gateway", self.stack.gateway_port, env)
        for service, port in SERVICES.items():
            self.wait_ready(service, port)
        self.wait_ready("gateway", self.stack.gateway_port)
        token = self.admin_token(env)
        if demo:
            self.load_demo_data(token)
        gateway = f"http://127.0.0.1:{self.stack.gateway_port}"
        say(f"Convene is running at {gateway}")
        say(f"  API (via the gateway): {gateway}/api/<service>/...   logs: {self.log_dir}")
        say(f"  a programme admin token for trying the API (valid 12 h):\n{token}")
        say("press Ctrl-C to stop everything")

    def admin_token(self, env: dict[str, str]) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.identity",
                "issue-token",
                "--subject",
                DEMO_ADMIN,
                "--role",
                "programme_admin",
                "--role",
                "member",
                "--minutes",
                "720",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

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
    up.add_argument("--smoke", action="store_true", help="start everything, then stop (a check)")
    args = parser.parse_args(argv)

    supervisor = Supervisor(Stack.from_environment())
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        supervisor.up(demo=not args.no_demo)
        if not args.smoke:
            supervisor.watch()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.down()


if __name__ == "__main__":
    main()
