"""What the deploy tests share: where deploy/ lives, its deploy tools, and rendered overlays.

Importable as `deploy_support`: pytest puts tests/deploy on sys.path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.broker import EmbeddedBroker, EmbeddedBrokerError
from devstack.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = {name: K8S / "overlays" / name for name in ("dev", "prod")}
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "convene-red.json"
ALERT_RULES = BASE / "observability" / "prometheus" / "convene-alerts.yml"
CHECKOV_CONFIG = DEPLOY / "checkov.yaml"
INSTALL_TOOLS = REPO / "scripts" / "install-deploy-tools.sh"
TOOL_SCRIPTS = Path(__file__).resolve().parent / "tools"

SERVICES = ("identity", "directory", "feedback", "content", "subscriptions", "gateway")
DB_SERVICES = ("identity", "directory", "feedback", "content", "subscriptions")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")

Doc = dict[str, Any]


@dataclass(frozen=True)
class DeployTools:
    """The tools scripts/install-deploy-tools.sh installs (layout defined there)."""

    root: Path

    @property
    def kubectl(self) -> Path:
        return self.root / "python" / "bin" / "kubectl"

    @property
    def python(self) -> Path:
        """The tools' own interpreter: kubernetes-validate is importable here, not in .venv."""
        return self.root / "python" / "bin" / "python"

    @property
    def checkov(self) -> Path:
        return self.root / "python" / "bin" / "checkov"

    @property
    def node_modules(self) -> Path:
        return self.root / "npm" / "node_modules"


@dataclass(frozen=True)
class Rendered:
    """One overlay as `kubectl kustomize` renders it: what `kubectl apply -k` would send."""

    overlay: str
    path: Path
    docs: tuple[Doc, ...]

    def all(self, kind: str) -> dict[str, Doc]:
        return {d["metadata"]["name"]: d for d in self.docs if d["kind"] == kind}

    def get(self, kind: str, name: str) -> Doc:
        found = self.all(kind)
        assert name in found, f"{self.overlay}: no {kind} {name} (have {sorted(found)})"
        return found[name]

    def config_map(self, name: str) -> dict[str, str]:
        """A generated ConfigMap's data, by the name before kustomize added its hash suffix."""
        for doc in self.docs:
            if doc["kind"] == "ConfigMap" and generated_name_matches(doc["metadata"]["name"], name):
                data: dict[str, str] = doc.get("data", {})
                return data
        raise AssertionError(f"{self.overlay}: no ConfigMap {name}")

    def environment(
        self,
        container: Doc,
        pod_name: str = "pod-0",
        secrets: Callable[[str, str], str] | None = None,
    ) -> dict[str, str]:
        """The variables a container starts with: envFrom ConfigMaps, then `env` with `$(VAR)`
        expanded as the kubelet does. A required Secret key's value is `secrets(name, key)`
        (left out without `secrets`); optional Secret keys are left out, as when absent."""
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            env.update(self.config_map(source["configMapRef"]["name"]))
        fields = {"metadata.name": pod_name, "metadata.namespace": "convene"}
        for entry in container.get("env", []):
            source = entry.get("valueFrom", {})
            if "value" in entry:
                env[entry["name"]] = re.sub(
                    r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                    lambda m: env.get(m.group(1), m.group(0)),
                    entry["value"],
                )
            elif "fieldRef" in source:
                env[entry["name"]] = fields[source["fieldRef"]["fieldPath"]]
            elif (
                "secretKeyRef" in source and secrets and not source["secretKeyRef"].get("optional")
            ):
                env[entry["name"]] = secrets(
                    source["secretKeyRef"]["name"], source["secretKeyRef"]["key"]
                )
        return env


def start_broker(folder: Path) -> EmbeddedBroker:
    """An empty embedded broker of this test's own. Other processes on the machine may take
    the free port found before the broker binds it, so a few ports are tried."""
    for attempt in range(3):
        broker = EmbeddedBroker(free_port(), folder / f"broker-{attempt}.log")
        try:
            broker.start()
        except EmbeddedBrokerError:
            if attempt == 2:
                raise
            continue
        return broker
    raise AssertionError("unreachable")


def generated_name_matches(rendered: str, name: str) -> bool:
    """kustomize names generated ConfigMaps `<name>-<10-character hash>`."""
    return (
        rendered == name or re.fullmatch(re.escape(name) + r"-[a-z0-9]{10}", rendered) is not None
    )


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Doc) -> list[Doc]:
    """Init containers first, then the main ones."""
    spec = pod_spec(workload)
    found: list[Doc] = spec.get("initContainers", []) + spec["containers"]
    return found


def main_container(workload: Doc) -> Doc:
    first: Doc = pod_spec(workload)["containers"][0]
    return first


def workloads(docs: tuple[Doc, ...] | list[Doc]) -> list[Doc]:
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS]


def container_port(container: Doc, port: int | str) -> int:
    """A probe's or Service's port (a number or a container port's name) as a number."""
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in named, f"container {container['name']} has no port named {port}"
    return int(named[port])
