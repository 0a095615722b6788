"""Each service's Deployment probes paths its app really serves, on the port `serve` really
listens on; and a service that cannot reach its database or broker shows as NotReady (it keeps
answering /healthz and says why on /readyz) instead of being restarted in a loop.

The app is the one `python -m services.<name> serve` builds from the Deployment's own arguments
and environment: the command line runs for real, with the start of uvicorn's server replaced
by a recorder.
"""

from __future__ import annotations

import json
import re
import runpy
import secrets
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from deploy_support import (
    DB_SERVICES,
    DOCKERFILE,
    OVERLAYS,
    SERVICES,
    Doc,
    Rendered,
    container_port,
    main_container,
)
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


@dataclass(frozen=True)
class Served:
    app: FastAPI
    host: str
    port: int

    async def get(self, path: str) -> int:
        """The status of GET `path` (the app is not started: its database and broker are out
        of reach, so /readyz answers 503; an unknown path 404)."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pod") as client:
            return (await client.get(path)).status_code


def serve(
    service: str, args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Served:
    """Run `python -m services.<service> ARGS` in this process with `env`, up to the moment
    uvicorn's server would start listening."""
    calls: list[uvicorn.Config] = []

    def started(server: uvicorn.Server, *_: Any, **__: Any) -> None:
        calls.append(server.config)
        server.started = True

    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "argv", [f"services.{service}", *args])
        patch.setattr(uvicorn.Server, "run", started)
        runpy.run_module(f"services.{service}", run_name="__main__", alter_sys=True)
    assert len(calls) == 1, f"{service} {args} did not start a server"
    config = calls[0]
    return Served(config.app, config.host, config.port)


def secret_value(name: str, key: str) -> str:
    """What an operator's Secret would hold (README, section 2); nothing connects to it."""
    if key == "database-url":
        return "postgresql+asyncpg://convene:password@127.0.0.1:1/convene"
    return secrets.token_urlsafe(48)


def deployment_environment(rendered: Rendered, service: str, container: Doc) -> dict[str, str]:
    """The container's environment, required Secrets filled in: a setting the service needs
    and the Deployment does not give makes `serve` exit here, as it would in the pod."""
    return rendered.environment(container, pod_name=f"{service}-0", secrets=secret_value)


@pytest.fixture(scope="module")
def served(
    rendered: dict[str, Rendered], spans: InMemorySpanExporter
) -> dict[tuple[str, str], Served]:
    """(overlay, service) -> what the Deployment's container serves. Uses the session's tracer
    provider (`spans`) so building apps leaves the process's telemetry as other tests expect."""
    found = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for overlay in OVERLAYS:
            for service in SERVICES:
                container = main_container(rendered[overlay].get("Deployment", service))
                env = deployment_environment(rendered[overlay], service, container)
                found[overlay, service] = serve(service, container["args"], env, monkeypatch)
    return found


@pytest.mark.parametrize("overlay", list(OVERLAYS))
@pytest.mark.parametrize("service", SERVICES)
async def test_probes_and_ports_are_what_the_service_serves(
    rendered: dict[str, Rendered],
    served: dict[tuple[str, str], Served],
    overlay: str,
    service: str,
) -> None:
    container = main_container(rendered[overlay].get("Deployment", service))
    app = served[overlay, service]
    # The kubelet probes the pod's IP: a server on loopback would never become ready.
    assert app.host in ("0.0.0.0", "::"), f"{service} listens on {app.host} only"
    assert container_port(container, "http") == app.port
    for name in PROBES:
        if name in container:
            get = container[name]["httpGet"]
            status = await app.get(get["path"])
            assert status not in (404, 405), f"{service} {name} {get['path']}: no such route"
            if get["path"] == "/healthz":
                assert status == 200, f"{service} {name}: /healthz answers {status}"
            assert container_port(container, get["port"]) == app.port, f"{service} {name}"
    for port in rendered[overlay].get("Service", service)["spec"]["ports"]:
        assert container_port(container, port["targetPort"]) == app.port


async def test_the_image_default_command_serves_on_the_exposed_port(
    rendered: dict[str, Rendered], monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter
) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    exposed = int(re.search(r"^EXPOSE (\d+)$", text, re.M).group(1))  # type: ignore[union-attr]
    health = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", text)
    assert health, "HEALTHCHECK fetches no local URL"
    container = main_container(rendered["dev"].get("Deployment", "identity"))
    app = serve(
        "identity", cmd, deployment_environment(rendered["dev"], "identity", container), monkeypatch
    )
    assert app.host == "0.0.0.0"
    assert app.port == exposed == int(health.group(1))
    assert await app.get(health.group(2)) == 200


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_the_migrate_init_container_has_every_setting_it_needs(
    rendered: dict[str, Rendered], monkeypatch: pytest.MonkeyPatch, overlay: str
) -> None:
    """`migrate` reads the service's whole settings first: a setting missing from the init
    container would leave the pod in Init:CrashLoopBackOff."""
    import services.chassis.migrations

    for service in DB_SERVICES:
        deployment = rendered[overlay].get("Deployment", service)
        init = deployment["spec"]["template"]["spec"]["initContainers"][0]
        migrated: list[str] = []
        with monkeypatch.context() as patch:
            patch.setattr(
                services.chassis.migrations,
                "upgrade_to_head",
                lambda _migrations, url, migrated=migrated: migrated.append(url),
            )
            for name, value in deployment_environment(rendered[overlay], service, init).items():
                patch.setenv(name, value)
            patch.setattr(sys, "argv", [f"services.{service}", *init["args"]])
            runpy.run_module(f"services.{service}", run_name="__main__", alter_sys=True)
        assert migrated == [secret_value(f"{service}-secrets", "database-url")], service


# --- a misconfigured service shows as NotReady ------------------------------------------------


def probe(container: Doc, name: str) -> Doc:
    found: Doc = container.get(name, {})
    assert found, f"{container['name']}: no {name}"
    return found


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_an_unreachable_dependency_shows_as_not_ready_not_as_restarts(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """Services answer /healthz whatever their dependencies, and /readyz with 503 and the reason
    while the database or broker is unreachable (services/chassis/runtime.py): readiness must
    watch /readyz and react within half a minute; liveness and startup must watch /healthz only,
    or a database outage turns into a restart loop."""
    for service in SERVICES:
        container = main_container(rendered[overlay].get("Deployment", service))
        liveness = probe(container, "livenessProbe")
        readiness = probe(container, "readinessProbe")
        assert liveness["httpGet"]["path"] == "/healthz", service
        if "startupProbe" in container:
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz", service
        # The gateway has no database or broker of its own; see its deployment.yaml.
        expected = "/readyz" if service in DB_SERVICES else "/healthz"
        assert readiness["httpGet"]["path"] == expected, service
        if expected == "/readyz":
            # /readyz checks the database, then the broker, each for up to 2 s: a probe that
            # gives up sooner reports a bare timeout instead of the 503 that names the problem.
            assert readiness.get("timeoutSeconds", 1) >= 5, service
        assert readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3) <= 30
        assert readiness.get("successThreshold", 1) == 1, service
        # Liveness tolerates a slow moment (30 s and more) before it restarts anything.
        assert liveness.get("periodSeconds", 10) * liveness.get("failureThreshold", 3) >= 30
        assert liveness.get("timeoutSeconds", 1) >= 2, service
