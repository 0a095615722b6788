"""Missing or bad configuration gives one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "BOOTSTRAP_SERVERS"))
    }
    return subprocess.run(
        [sys.executable, "-m", module, "serve"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", ["identity", "directory", "feedback", "content"])
def test_a_missing_database_url_names_the_variable(service: str) -> None:
    result = run(f"services.{service}", {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode == 2
    variable = f"{service.upper()}_DATABASE_URL"
    lines = result.stderr.strip().splitlines()
    # One line per missing setting (feedback also misses its pseudonym key), nothing else.
    assert f"convene-{service}: missing required setting {variable} (or DATABASE_URL)" in lines
    assert all(line.startswith(f"convene-{service}: missing required setting ") for line in lines)


def test_a_missing_broker_address_names_the_variable() -> None:
    result = run("services.identity", {"IDENTITY_DATABASE_URL": "postgresql://x@127.0.0.1/x"})
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "convene-identity: missing required setting KAFKA_BOOTSTRAP_SERVERS"
    )


def test_a_bad_value_names_the_variable() -> None:
    result = run(
        "services.directory",
        {
            "DATABASE_URL": "postgresql://x@127.0.0.1/x",
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "KAFKA_FETCH_MAX_WAIT_MS": "soon",
        },
    )
    assert result.returncode == 2
    assert "bad setting KAFKA_FETCH_MAX_WAIT_MS" in result.stderr
    assert "Traceback" not in result.stderr
