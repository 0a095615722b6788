"""`convene up`, the first command a newcomer runs: it starts everything, survives a restart
(the memory-only broker is refilled from the outbox) and explains a busy port in one line."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

from devstack.postgres import free_port, port_is_free

CONVENE = [sys.executable, "-m", "devstack.cli", "up"]


def free_port_base() -> int:
    while True:
        base = random.randint(20_000, 40_000)
        if all(port_is_free(base + offset) for offset in range(5)):
            return base


def environment(data_dir: Path, kafka_port: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "BOOTSTRAP_SERVERS"))
    }
    env.update(
        CONVENE_DATA_DIR=str(data_dir),
        CONVENE_PORT_BASE=str(free_port_base()),
        CONVENE_POSTGRES_PORT=str(free_port()),
        CONVENE_KAFKA_PORT=str(kafka_port),
    )
    return env


def test_up_starts_everything_and_a_restart_replays_retained_events(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", free_port())
    first = subprocess.run(
        [*CONVENE, "--smoke"], env=env, capture_output=True, text=True, timeout=240
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "smoke check passed" in first.stdout
    assert "demo data loaded (6 new invitations, 0 already there)" in first.stdout
    assert "directory demo data: 300 synthetic leaders added" in first.stdout
    assert "keeps messages in memory only" in first.stdout

    second = subprocess.run(
        [*CONVENE, "--smoke"], env=env, capture_output=True, text=True, timeout=240
    )
    assert second.returncode == 0, second.stdout + second.stderr
    # Seven events (six demo invitations and the first smoke check) survive in the outbox.
    assert "identity: 7 retained events queued for replay" in second.stdout
    assert "demo data loaded (0 new invitations, 6 already there)" in second.stdout
    assert "directory demo data: 0 synthetic leaders added" in second.stdout


def test_a_busy_broker_port_is_explained_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = subprocess.run(
            [*CONVENE, "--no-demo"],
            env=environment(tmp_path / "data", port),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"port {port} is already in use; set CONVENE_KAFKA_PORT to another port" in result.stderr
    assert "Traceback" not in result.stderr
