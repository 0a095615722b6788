"""The overlays as `kubectl apply -k` would send them: rendered by kubectl's own kustomize, then
checked against the Kubernetes and Gateway API schemas and scanned by checkov, all offline.

The tools come from scripts/install-deploy-tools.sh (the `deploy_tools` fixture runs it).
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from deploy_support import (
    CHECKOV_CONFIG,
    DB_SERVICES,
    DEPLOY,
    DOCKERFILE,
    OVERLAYS,
    TOOL_SCRIPTS,
    DeployTools,
    Doc,
    Rendered,
    containers,
    pod_spec,
    workloads,
)

#: The oldest Kubernetes deploy/README.md supports; every object is also checked against the
#: newest schemas kubernetes-validate ships.
MIN_KUBERNETES = "1.27"

#: Kinds kubernetes-validate has no schema for (it ships the built-in API only), with why.
CRD_KINDS = {
    kind: "a Gateway API CRD: checked against the CRD's schema by tools/validate_gateway_api.mjs"
    for kind in ("Gateway", "HTTPRoute")
}


def run_json(command: list[str], payload: Any, **kwargs: Any) -> Any:
    result = subprocess.run(
        command,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, f"{command[:2]} failed:\n{result.stderr}"
    return json.loads(result.stdout)


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_overlay_renders_into_one_namespace_with_its_references_resolved(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    docs = rendered[overlay].docs
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "StatefulSet", "Job", "NetworkPolicy", "HTTPRoute"} <= kinds
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "convene", doc["metadata"]["name"]
    config_maps = set(rendered[overlay].all("ConfigMap"))
    claims = set(rendered[overlay].all("PersistentVolumeClaim"))
    accounts = set(rendered[overlay].all("ServiceAccount")) | {"default"}
    for workload in workloads(docs):
        spec = pod_spec(workload)
        assert spec.get("serviceAccountName", "default") in accounts
        for container in containers(workload):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, volume
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, volume
    postgres = rendered[overlay].all("StatefulSet").get("postgres")
    assert (postgres is not None) == (overlay == "dev")


def test_emailed_links_point_at_the_public_entry(rendered: dict[str, Rendered]) -> None:
    """A service that emails links (its settings have `public_base_url`) is told where people
    reach the gateway: the prod Gateway's host; in dev the `kubectl port-forward svc/gateway
    8080:8080` of deploy/README.md. The default, 127.0.0.1:8000, is nobody's address."""
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "port-forward svc/gateway 8080:8080" in readme
    routes = rendered["prod"].all("HTTPRoute").values()
    hosts = {host for route in routes for host in route["spec"].get("hostnames", [])}
    emailing = []
    for service in DB_SERVICES:
        settings = importlib.import_module(f"services.{service}.bootstrap").SERVICE.settings_type
        if "public_base_url" in settings.model_fields:
            emailing.append(service)
            variable = f"{settings.model_config.get('env_prefix', '').upper()}PUBLIC_BASE_URL"
            prod = rendered["prod"].config_map(f"{service}-config").get(variable)
            assert prod in {f"https://{host}" for host in hosts}, (service, variable, prod)
            dev = rendered["dev"].config_map(f"{service}-config").get(variable)
            assert dev == "http://localhost:8080", (service, variable, dev)
    assert "identity" in emailing


# --- schemas ---------------------------------------------------------------------------------


def broken_deployment(docs: tuple[Doc, ...]) -> Doc:
    """A canary: the first Deployment with a misspelt field and a bad port."""
    canary = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    canary["metadata"]["name"] = "canary"
    container = canary["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe", {})
    return canary


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_every_object_matches_the_kubernetes_schemas(
    deploy_tools: DeployTools, rendered: dict[str, Rendered], overlay: str
) -> None:
    docs = rendered[overlay].docs
    results = run_json(
        [
            str(deploy_tools.python),
            str(TOOL_SCRIPTS / "validate_kubernetes.py"),
            MIN_KUBERNETES,
            "latest",
        ],
        [*docs, broken_deployment(docs)],
    )
    assert {r["version"] for r in results} >= {MIN_KUBERNETES}
    assert len({r["version"] for r in results}) == 2
    canaries = [r for r in results if r["name"] == "canary"]
    assert canaries
    assert all(r["status"] == "invalid" for r in canaries), "the validator accepts anything"
    problems = [
        f"{r['kind']}/{r['name']} (Kubernetes {r['version']}): {r['message']}"
        for r in results
        if r["name"] != "canary" and r["status"] == "invalid"
    ]
    assert not problems, "\n".join(problems)
    unchecked = {r["kind"] for r in results if r["status"] == "no-schema"}
    assert unchecked == set(CRD_KINDS), (
        f"kinds without a schema: {sorted(unchecked)}; list each in CRD_KINDS with how it is "
        "checked instead"
    )


def test_gateway_api_objects_match_the_crd_schemas(
    deploy_tools: DeployTools, rendered: dict[str, Rendered]
) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed (scripts/install-deploy-tools.sh installs it)"
    crds = [d for r in rendered.values() for d in r.docs if d["kind"] in CRD_KINDS]
    assert {d["kind"] for d in crds} == set(CRD_KINDS)
    route = next(d for d in crds if d["kind"] == "HTTPRoute")
    canary = copy.deepcopy(route)
    canary["metadata"]["name"] = "canary"
    canary["spec"]["rules"][0]["backendRefs"][0]["port"] = 70000
    results = run_json(
        [node, str(TOOL_SCRIPTS / "validate_gateway_api.mjs"), str(deploy_tools.node_modules)],
        [*crds, canary],
    )
    assert results[-1]["status"] == "invalid", "the validator accepts anything"
    problems = [f"{r['kind']}/{r['name']}: {r['status']} {r['message']}" for r in results[:-1]]
    assert all(r["status"] == "valid" for r in results[:-1]), "\n".join(problems)


def test_minimum_kubernetes_version_is_the_documented_one() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"Kubernetes {MIN_KUBERNETES}+" in readme


# --- checkov ---------------------------------------------------------------------------------


def accepted_exceptions() -> dict[str, str]:
    """Check id -> reason, from deploy/checkov.yaml's `skip-check` list (`- ID  # reason`)."""
    skipped = yaml.safe_load(CHECKOV_CONFIG.read_text(encoding="utf-8"))["skip-check"]
    reasons = {}
    for line in CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*-\s*(CKV2?_[A-Z0-9_]+)\s*#\s*(.*\S)", line)
        if match:
            reasons[match.group(1)] = match.group(2)
    assert sorted(reasons) == sorted(skipped), "every skipped check needs `# reason` on its line"
    return reasons


def test_every_accepted_checkov_exception_says_why() -> None:
    for check, reason in accepted_exceptions().items():
        assert len(reason) >= 40, f"{check}: say why it is accepted, in a sentence"


def test_checkov_finds_nothing_beyond_the_accepted_exceptions(
    deploy_tools: DeployTools,
    rendered: dict[str, Rendered],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    accepted_exceptions()
    scanned = tmp_path_factory.mktemp("checkov")
    # checkov finds a Dockerfile by its name.
    shutil.copy(DOCKERFILE, scanned / "Dockerfile")
    files = [scanned / "Dockerfile", *(r.path for r in rendered.values())]
    result = subprocess.run(
        [str(deploy_tools.checkov), "--config-file", str(CHECKOV_CONFIG), "--output", "json"]
        + [arg for path in files for arg in ("--file", str(path))],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        # Offline: no Prisma Cloud policy metadata and no check for a newer checkov.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    by_type = {report["check_type"]: report for report in reports}
    assert set(by_type) == {"kubernetes", "dockerfile"}, result.stderr
    objects = sum(len(r.docs) for r in rendered.values())
    assert by_type["kubernetes"]["summary"]["resource_count"] >= objects * 0.9
    assert by_type["kubernetes"]["summary"]["passed"] > 1000
    assert by_type["dockerfile"]["summary"]["passed"] > 10
    failures = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} "
        f"({os.path.basename(check['file_path'])})"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failures, "checkov failures (fix them, or accept one in deploy/checkov.yaml):\n" + (
        "\n".join(sorted(set(failures)))
    )
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["check_type"]
    assert result.returncode == 0, result.stderr
