"""Offline checks of deploy/: what an operator relies on when they apply the manifests.

Reads the YAML, JSON and Dockerfile as files (PyYAML only). What the overlays render to, and
what the tools say about that, is in test_rendered_manifests.py; probes in test_probes.py;
Kafka topics in test_kafka_topics.py; the dashboard's metrics in test_dashboard_metrics.py.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import (
    BASE,
    DASHBOARD,
    DB_SERVICES,
    DEPLOY,
    DOCKERFILE,
    K8S,
    OVERLAYS,
    REPO,
    SERVICES,
    Doc,
    containers,
    pod_spec,
    workloads,
)

README = DEPLOY / "README.md"
PLACEHOLDER = "change-me"

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _parse(path: Path) -> tuple[Any, ...]:
    with path.open(encoding="utf-8") as f:
        return tuple(doc for doc in yaml.load_all(f, Loader=Loader) if doc is not None)


def load_docs(path: Path) -> list[Doc]:
    """The documents of a YAML file (parsed once per run; callers must not modify them)."""
    return list(_parse(path.resolve()))


def kustomization_file(directory: Path) -> Path | None:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / name).is_file():
            return directory / name
    return None


def kustomization(directory: Path) -> Doc:
    kfile = kustomization_file(directory)
    assert kfile is not None, f"{directory} has no kustomization.yaml"
    return load_docs(kfile)[0]


def kustomizations() -> list[Path]:
    roots = [K8S, DEPLOY / "grafana"]
    return sorted(p for root in roots for p in root.rglob("kustomization.yaml"))


def generator_sources(entry: Doc) -> Iterator[str]:
    for source in entry.get("files", []):
        # "key=path" names the key; the file is after the "=".
        yield source.split("=", 1)[1] if "=" in source else source
    yield from entry.get("envs", [])
    if "env" in entry:
        yield entry["env"]


def referenced_paths(kustomization: Path) -> Iterator[tuple[str, Path]]:
    """(what, path) for every file or directory a kustomization names."""
    spec = load_docs(kustomization)[0]
    here = kustomization.parent
    for key in ("resources", "components", "bases", "crds", "patchesStrategicMerge"):
        for entry in spec.get(key, []):
            yield key, here / entry
    for patch in spec.get("patches", []) + spec.get("patchesJson6902", []):
        if "path" in patch:
            yield "patches", here / patch["path"]
    for key in ("configMapGenerator", "secretGenerator"):
        for entry in spec.get(key, []):
            for source in generator_sources(entry):
                yield key, here / source


def resource_files(root: Path, seen: set[Path] | None = None) -> list[Path]:
    """Every manifest file a kustomization includes as a resource (not patches), recursively."""
    seen = set() if seen is None else seen
    spec = kustomization(root)
    files: list[Path] = []
    for entry in spec.get("resources", []) + spec.get("components", []):
        target = (root / entry).resolve()
        if target in seen:
            continue
        seen.add(target)
        if target.is_dir():
            files += resource_files(target, seen)
        else:
            files.append(target)
    return files


def resources(root: Path) -> list[Doc]:
    return [doc for path in resource_files(root) for doc in load_docs(path)]


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def unique_files() -> list[Path]:
    """Every resource file of either overlay (base included), each once."""
    return sorted({p for overlay in OVERLAYS.values() for p in resource_files(overlay)})


@functools.cache
def all_resources() -> list[Doc]:
    """The resources of both overlays and base, each file read once (do not modify)."""
    return [doc for path in unique_files() for doc in load_docs(path)]


def generated_config_maps(root: Path) -> dict[str, dict[str, str]]:
    """ConfigMap name -> literal values, from every configMapGenerator reachable from root,
    with overlay `behavior: merge` applied (the overlay is read last)."""
    merged: dict[str, dict[str, str]] = {}

    def visit(directory: Path, seen: set[Path]) -> None:
        kfile = kustomization_file(directory)
        if kfile is None:
            return
        spec = load_docs(kfile)[0]
        for entry in spec.get("resources", []) + spec.get("components", []):
            target = (directory / entry).resolve()
            if target.is_dir() and target not in seen:
                seen.add(target)
                visit(target, seen)
        for entry in spec.get("configMapGenerator", []):
            values = merged.setdefault(entry["name"], {})
            for literal in entry.get("literals", []):
                key, value = literal.split("=", 1)
                values[key] = value
            for source in entry.get("files", []):
                key = source.split("=", 1)[0] if "=" in source else Path(source).name
                values[key] = "<file>"

    visit(root, set())
    return merged


def strategic_patches(overlay: Path) -> list[Doc]:
    spec = kustomization(overlay)
    docs = []
    for patch in spec.get("patches", []):
        if "path" in patch and "target" not in patch:
            docs += load_docs(overlay / patch["path"])
    return docs


# --- files and references -------------------------------------------------------------------


def test_every_manifest_parses() -> None:
    files = sorted(K8S.rglob("*.yaml")) + sorted((DEPLOY / "grafana").rglob("*.yaml"))
    assert len(files) > 30
    for path in files:
        docs = load_docs(path)
        assert docs, f"{path} is empty"
        for doc in docs:
            assert isinstance(doc, (dict, list)), f"{path}: not a mapping or list"


def test_every_kustomization_reference_exists() -> None:
    found = kustomizations()
    assert len(found) >= 15
    for kfile in found:
        for what, path in referenced_paths(kfile):
            assert path.exists(), f"{kfile.relative_to(REPO)}: {what} {path} does not exist"
            if what in ("resources", "components", "bases") and path.is_dir():
                assert kustomization_file(path), (
                    f"{path} is listed by {kfile} but has no kustomization"
                )


def test_every_manifest_file_is_used() -> None:
    """A YAML file under deploy/k8s that no kustomization names is dead (or forgotten)."""
    named = {kfile for kfile in kustomizations()}
    for kfile in kustomizations():
        named |= {path.resolve() for _, path in referenced_paths(kfile)}
    for path in K8S.rglob("*.yaml"):
        assert path.resolve() in named, f"{path.relative_to(REPO)} is not part of any kustomization"


def test_overlays_build_on_base_and_pick_their_database() -> None:
    dev = kustomization(OVERLAYS["dev"])
    prod = kustomization(OVERLAYS["prod"])
    assert "../../base" in dev["resources"]
    assert "../../base" in prod["resources"]
    assert "../../components/postgres" in dev.get("components", [])
    assert not any("postgres" in entry for entry in prod.get("components", []) + prod["resources"])
    assert "StatefulSet" not in {
        d["kind"] for d in resources(OVERLAYS["prod"]) if d["metadata"]["name"] == "postgres"
    }


# --- secrets ---------------------------------------------------------------------------------


def test_no_secret_is_committed_outside_example_files() -> None:
    for path in DEPLOY.rglob("*"):
        if not path.is_file() or ".example" in path.name:
            continue
        if path.suffix in (".yaml", ".yml"):
            for doc in load_docs(path):
                if isinstance(doc, dict):
                    assert doc.get("kind") != "Secret", f"{path}: commit a *.example file instead"
    for kfile in kustomizations():
        spec = load_docs(kfile)[0]
        assert "secretGenerator" not in spec, f"{kfile}: secrets are created by operators"


def test_secret_examples_hold_placeholders_only() -> None:
    examples = sorted(DEPLOY.rglob("*.yaml.example"))
    secrets = [doc for path in examples for doc in load_docs(path) if doc.get("kind") == "Secret"]
    assert secrets, "ship an example of every Secret operators must create"
    for secret in secrets:
        name = secret["metadata"]["name"]
        assert "data" not in secret, f"{name}: use stringData so placeholders stay readable"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value or (key == "admin-user" and value == "admin"), (
                f"secret {name} key {key} holds a value that is not a {PLACEHOLDER} placeholder"
            )


def secret_refs() -> set[tuple[str, str]]:
    refs = set()
    for workload in workloads(all_resources()):
        for container in containers(workload):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
    return refs


def test_every_referenced_secret_is_documented_and_exemplified() -> None:
    readme = README.read_text(encoding="utf-8")
    examples = {
        (doc["metadata"]["name"], key)
        for path in DEPLOY.rglob("*.yaml.example")
        for doc in load_docs(path)
        if doc.get("kind") == "Secret"
        for key in doc["stringData"]
    }
    refs = secret_refs()
    assert ("identity-secrets", "database-url") in refs
    assert ("identity-secrets", "notify-api-key") in refs
    for name, key in refs:
        assert name in readme, f"README must tell operators to create secret {name}"
        assert (name, key) in examples, f"no example for secret {name} key {key}"


def test_services_read_their_database_url_from_a_secret() -> None:
    deployments = by_kind(all_resources(), "Deployment")
    for service in DB_SERVICES:
        for container in containers(deployments[service]):
            env = {e["name"]: e for e in container.get("env", [])}
            url = env[f"{service.upper()}_DATABASE_URL"]
            assert "value" not in url
            assert url["valueFrom"]["secretKeyRef"] == {
                "name": f"{service}-secrets",
                "key": "database-url",
            }


# --- workloads -------------------------------------------------------------------------------


def test_every_container_is_non_root_read_only_and_bounded() -> None:
    found = workloads(all_resources())
    assert len(found) >= 11
    for workload in found:
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        assert spec.get("automountServiceAccountToken") is False, name
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("runAsNonRoot") is True, name
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert not spec.get("hostNetwork"), name
        assert not spec.get("hostPID"), name
        for container in containers(workload):
            where = f"{name} container {container['name']}"
            security = container.get("securityContext", {})
            assert security.get("runAsNonRoot") is True, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not security.get("capabilities", {}).get("add"), where
            assert security.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
            assert security.get("privileged") is not True, where
            resources_ = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources_.get(bound, {})), f"{where}: {bound}"
            assert ":" in container["image"] or container["image"].startswith("convene-"), (
                f"{where}: pin third-party images to a version"
            )
            assert not container["image"].endswith(":latest"), where


def test_writable_paths_are_volumes() -> None:
    """With a read-only root filesystem, /tmp must be a volume for every Convene container."""
    for workload in workloads(all_resources()):
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        for container in pod_spec(workload)["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{workload['metadata']['name']}: no /tmp volume"
            volume = volumes.get(mounts["/tmp"])
            assert volume is not None
            assert "emptyDir" in volume


def test_one_deployment_service_hpa_and_pdb_per_service() -> None:
    deployments = by_kind(all_resources(), "Deployment")
    service_objects = by_kind(all_resources(), "Service")
    hpas = by_kind(all_resources(), "HorizontalPodAutoscaler")
    pdbs = by_kind(all_resources(), "PodDisruptionBudget")
    for service in SERVICES:
        deployment = deployments[service]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert "replicas" not in deployment["spec"], f"{service}: the HPA owns the replica count"

        svc = service_objects[service]
        assert svc["spec"]["selector"].items() <= pod_labels.items()
        assert [p["port"] for p in svc["spec"]["ports"]] == [8080]

        hpa = hpas[service]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]

        pdb = pdbs[service]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_database_services_migrate_before_serving() -> None:
    deployments = by_kind(all_resources(), "Deployment")
    for service in SERVICES:
        spec = pod_spec(deployments[service])
        init = spec.get("initContainers", [])
        if service not in DB_SERVICES:
            assert not init, "gateway has no database to migrate"
            continue
        assert [c["name"] for c in init] == ["migrate"]
        assert init[0]["args"] == ["migrate"]
        assert init[0]["image"] == spec["containers"][0]["image"] == f"convene-{service}"
        assert init[0]["envFrom"] == spec["containers"][0]["envFrom"]


def test_services_get_platform_settings_and_telemetry_names() -> None:
    platform = generated_config_maps(BASE)["convene-platform"]
    assert platform["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert platform["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert platform["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    maps = generated_config_maps(BASE)
    for service in SERVICES:
        assert maps[f"{service}-config"]["OTEL_SERVICE_NAME"] == service
    gateway = maps["gateway-config"]
    for service in DB_SERVICES:
        assert gateway[f"GATEWAY_{service.upper()}_URL"] == f"http://{service}:8080"
    for overlay, environment in (("dev", "dev"), ("prod", "prod")):
        merged = generated_config_maps(OVERLAYS[overlay])["convene-platform"]
        assert merged["CONVENE_ENVIRONMENT"] == environment


def test_config_map_references_resolve() -> None:
    for overlay in OVERLAYS.values():
        names = set(generated_config_maps(overlay))
        for workload in workloads(resources(overlay)):
            spec = pod_spec(workload)
            refs = [
                source["configMapRef"]["name"]
                for container in containers(workload)
                for source in container.get("envFrom", [])
                if "configMapRef" in source
            ] + [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
            for ref in refs:
                assert ref in names, f"{workload['metadata']['name']} uses unknown ConfigMap {ref}"


# --- Kafka and topics ------------------------------------------------------------------------


def test_kafka_runs_kraft_with_persistent_storage() -> None:
    kafka = by_kind(resources(BASE), "StatefulSet")["kafka"]
    container = pod_spec(kafka)["containers"][0]
    assert container["image"].startswith("apache/kafka:")
    assert kafka["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert {"name": "data", "mountPath": "/var/lib/kafka/data"} in container["volumeMounts"]
    headless = next(
        s
        for s in by_kind(resources(BASE), "Service").values()
        if s["metadata"]["name"] == kafka["spec"]["serviceName"]
    )
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    script = (BASE / "kafka" / "start-kafka.sh").read_text(encoding="utf-8")
    assert "process.roles=broker,controller" in script
    assert 'kafka-storage.sh" format --ignore-formatted' in script


# --- network policies ------------------------------------------------------------------------


def policies(overlay: str) -> dict[str, Doc]:
    docs = resources(OVERLAYS[overlay])
    found = by_kind(docs, "NetworkPolicy")
    for patch in strategic_patches(OVERLAYS[overlay]):
        if patch["kind"] == "NetworkPolicy":
            found[patch["metadata"]["name"]] = {
                **found[patch["metadata"]["name"]],
                "spec": {**found[patch["metadata"]["name"]]["spec"], **patch["spec"]},
            }
    return found


def selected_names(selector: Doc, known: set[str]) -> set[str]:
    if not selector:
        return set(known)
    names: set[str] = set()
    if "app.kubernetes.io/name" in selector.get("matchLabels", {}):
        names.add(selector["matchLabels"]["app.kubernetes.io/name"])
    for expression in selector.get("matchExpressions", []):
        assert expression["key"] == "app.kubernetes.io/name"
        assert expression["operator"] == "In"
        names |= set(expression["values"])
    return names


def workload_names(overlay: str) -> set[str]:
    return {
        pod_labels["app.kubernetes.io/name"]
        for w in workloads(resources(OVERLAYS[overlay]))
        for pod_labels in [w["spec"]["template"]["metadata"]["labels"]]
    }


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_namespace_default_denies_all_traffic(overlay: str) -> None:
    deny = policies(overlay)["default-deny"]
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_every_workload_has_its_own_policy_and_peers_exist(overlay: str) -> None:
    known = workload_names(overlay)
    covered: set[str] = set()
    for name, policy in policies(overlay).items():
        spec = policy["spec"]
        if spec["podSelector"]:
            covered |= selected_names(spec["podSelector"], known)
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    unknown = selected_names(peer["podSelector"], known) - known
                    assert not unknown, f"{overlay} policy {name} names unknown pods {unknown}"
    assert known <= covered, f"{overlay}: no policy for {known - covered}"


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_only_the_gateway_accepts_traffic_from_outside_the_namespace(overlay: str) -> None:
    """...and, in prod, the brokers' departments listener (authenticated, TLS, ACLs) from the
    government network's addresses only."""
    known = workload_names(overlay)
    for name, policy in policies(overlay).items():
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                target = selected_names(policy["spec"]["podSelector"], known)
                if "ipBlock" in peer:
                    assert (overlay, target) == ("prod", {"kafka"}), (
                        f"{overlay} policy {name} lets outside traffic reach {target}"
                    )
                    assert [p["port"] for p in rule["ports"]] == [9094]
                    assert not peer["ipBlock"]["cidr"].endswith("/0"), "not the whole internet"
                elif "namespaceSelector" in peer:
                    assert target == {"gateway"}, (
                        f"{overlay} policy {name} lets outside traffic reach other pods"
                    )
                    assert peer["namespaceSelector"]["matchLabels"] == {
                        "convene.gov.uk/gateway-controller": "true"
                    }


def egress_targets(overlay: str, workload: str) -> set[tuple[str, int]]:
    known = workload_names(overlay)
    targets = set()
    for policy in policies(overlay).values():
        if workload not in selected_names(policy["spec"]["podSelector"], known):
            continue
        for rule in policy["spec"].get("egress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            for peer in rule.get("to", []):
                if "namespaceSelector" in peer:
                    label = "dns" if 53 in ports else "other-namespace"
                elif "ipBlock" in peer:
                    label = f"ip:{peer['ipBlock']['cidr']}"
                else:
                    label = "|".join(sorted(selected_names(peer["podSelector"], known)))
                targets |= {(label, port) for port in ports}
    return targets


def test_services_reach_only_their_dependencies() -> None:
    dns = {("dns", 53)}
    collector = {("otel-collector", 4317), ("otel-collector", 4318)}
    kafka = {("kafka", 9092)}
    jwks = {("identity", 8080)}
    dev = {s: egress_targets("dev", s) for s in SERVICES}
    assert dev["identity"] == dns | collector | kafka | {("postgres", 5432)}
    for service in ("directory", "feedback", "content"):
        assert dev[service] == dns | collector | kafka | jwks | {("postgres", 5432)}
    # Webhooks go to departments' HTTPS endpoints on the internet, not to private ranges.
    assert dev["subscriptions"] == dns | collector | kafka | jwks | {("postgres", 5432)} | {
        ("ip:0.0.0.0/0", 443)
    }
    assert dev["gateway"] == dns | collector | {
        ("content|directory|feedback|identity|subscriptions", 8080)
    }
    prod_db = {t for t in egress_targets("prod", "directory") if t[1] == 5432}
    assert prod_db
    assert all(label.startswith("ip:") for label, _ in prod_db)


@pytest.mark.parametrize(("target", "port"), [("kafka", 9092), ("postgres", 5432)])
def test_data_stores_accept_only_their_clients(target: str, port: int) -> None:
    known = workload_names("dev")
    policy = policies("dev")[target]
    clients: set[str] = set()
    for rule in policy["spec"]["ingress"]:
        if port in [p["port"] for p in rule["ports"]]:
            for peer in rule["from"]:
                assert "namespaceSelector" not in peer
                assert "ipBlock" not in peer
                clients |= selected_names(peer["podSelector"], known)
    expected = set(DB_SERVICES) | ({"convene-topics", "kafka"} if target == "kafka" else set())
    assert clients == expected


# --- public entry ----------------------------------------------------------------------------


def test_gateway_is_published_through_an_httproute() -> None:
    routes = by_kind(resources(BASE), "HTTPRoute")
    gateways = by_kind(resources(BASE), "Gateway")
    backends = {
        ref["name"]
        for route in routes.values()
        for rule in route["spec"]["rules"]
        for ref in rule.get("backendRefs", [])
    }
    assert backends == {"gateway"}
    for route in routes.values():
        for parent in route["spec"]["parentRefs"]:
            assert parent["name"] in gateways
    assert (BASE / "gateway-api" / "ingress.yaml.example").is_file()


# --- observability ---------------------------------------------------------------------------


def test_collector_routes_each_signal() -> None:
    config = load_docs(BASE / "observability" / "otel-collector" / "config.yaml")[0]
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert config["exporters"]["prometheus"]["endpoint"] == "0.0.0.0:8889"
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["otlp/jaeger"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    assert pipelines["logs"]["exporters"] == ["debug"]
    for pipeline in pipelines.values():
        assert pipeline["receivers"] == ["otlp"]
        for processor in pipeline["processors"]:
            assert processor in config["processors"]


def test_prometheus_scrapes_the_collector_exporter() -> None:
    config = load_docs(BASE / "observability" / "prometheus" / "prometheus.yml")[0]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    convene = jobs["convene"]
    assert convene["honor_labels"] is True
    assert convene["dns_sd_configs"][0]["port"] == 8889
    headless = by_kind(resources(BASE), "Service")[convene["dns_sd_configs"][0]["names"][0]]
    assert headless["spec"]["clusterIP"] == "None"
    rules = load_docs(BASE / "observability" / "prometheus" / "convene-alerts.yml")[0]
    assert {rule["alert"] for group in rules["groups"] for rule in group["rules"]} >= {
        "ConveneHighErrorRate",
        "ConveneOutboxStuck",
        "ConveneDeadLetters",
    }


def test_grafana_provisions_both_datasources_and_the_dashboard() -> None:
    grafana = DEPLOY / "grafana"
    datasources = load_docs(grafana / "provisioning" / "datasources.yaml")[0]["datasources"]
    by_uid = {ds["uid"]: ds for ds in datasources}
    assert by_uid["prometheus"]["url"] == "http://prometheus:9090"
    assert by_uid["jaeger"]["url"] == "http://jaeger:16686"
    provider = load_docs(grafana / "provisioning" / "dashboards.yaml")[0]["providers"][0]
    deployment = by_kind(resources(BASE), "Deployment")["grafana"]
    mounts = {
        m["mountPath"]: m["name"] for m in pod_spec(deployment)["containers"][0]["volumeMounts"]
    }
    volume = {v["name"]: v for v in pod_spec(deployment)["volumes"]}[
        mounts[provider["options"]["path"]]
    ]
    assert volume["configMap"]["name"] == "grafana-dashboards"
    generator = load_docs(grafana / "kustomization.yaml")[0]["configMapGenerator"]
    dashboards = next(g for g in generator if g["name"] == "grafana-dashboards")
    assert dashboards["files"] == ["dashboards/convene-red.json"]


def dashboard_panels() -> list[Doc]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_dashboard_is_valid_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "convene-red"
    assert dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard_panels():
        assert panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "service"} <= variables


@pytest.mark.parametrize(
    ("signal", "title_word", "metric"),
    [
        ("rate", "Rate", "http_server_request_duration_seconds_count"),
        ("errors", "Errors", 'http_response_status_code=~"5.."'),
        ("duration", "Duration", "http_server_request_duration_seconds_bucket"),
        ("consumer lag", "lag", "convene_consumer_lag"),
        ("outbox backlog", "Outbox backlog", "convene_outbox_backlog"),
        ("outbox age", "outbox event age", "convene_outbox_oldest_age_seconds"),
        ("dead letters", "Dead-lettered", "convene_dlq_messages_total"),
    ],
)
def test_dashboard_has_a_panel_for(signal: str, title_word: str, metric: str) -> None:
    matching = [
        p
        for p in dashboard_panels()
        if title_word.lower() in p["title"].lower()
        and any(metric in t["expr"] for t in p["targets"])
    ]
    assert matching, f"no {signal} panel using {metric}"


def test_dashboard_groups_red_metrics_per_service() -> None:
    for panel in dashboard_panels():
        if panel["title"].startswith(("Rate:", "Errors:", "Duration:")):
            for target in panel["targets"]:
                assert "by (service_name" in target["expr"], panel["title"]


# --- images ----------------------------------------------------------------------------------


def dockerfile_stages() -> list[list[str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_builds_a_slim_non_root_image_with_a_healthcheck() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: build tools stay out of the runtime image"
    # Every stage starts from the pinned ARG (why deploy/checkov.yaml accepts CKV_DOCKER_7).
    assert {stage[0].split()[1] for stage in stages} == {"${PYTHON_IMAGE}"}
    runtime = stages[-1]
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users
    assert users[-1].split(":")[0] == "10001"
    health = [line for line in runtime if line.upper().startswith("HEALTHCHECK ")]
    assert health
    assert "urllib" in health[0]
    assert "/healthz" in health[0]
    entrypoint = next(line for line in runtime if line.upper().startswith("ENTRYPOINT "))
    assert "python -m" in entrypoint
    assert "services.${CONVENE_SERVICE}" in entrypoint
    cmd = json.loads(next(line for line in runtime if line.upper().startswith("CMD "))[4:])
    assert cmd[0] == "serve"
    assert any(line == "ARG SERVICE" for line in runtime)
    assert any(line.startswith("COPY --from=build /opt/venv") for line in runtime)
    assert not any(line.startswith("COPY services") for line in runtime), (
        "runtime copies the venv only"
    )


def test_dockerfile_keeps_only_the_chosen_service() -> None:
    build = " ".join(dockerfile_stages()[0])
    assert 'chassis|"${SERVICE}") ;; *) rm -rf "$dir"' in build
    assert "pip install --no-deps ." in build
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    allowed = [line for line in ignore.splitlines() if line.startswith("!")]
    assert sorted(allowed) == ["!contracts/", "!pyproject.toml", "!services/"]


def test_build_script_tags_every_service_image_the_manifests_use() -> None:
    result = subprocess.run(
        ["bash", str(DEPLOY / "build-images.sh"), "--dry-run", "--push"],
        env={**os.environ, "VERSION": "1.2.3", "REGISTRY": "registry.example/convene"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    builds = [line for line in result.stdout.splitlines() if " build " in line]
    pushes = [line for line in result.stdout.splitlines() if " push " in line]
    assert len(builds) == len(pushes) == len(SERVICES)
    for service, line in zip(SERVICES, builds, strict=True):
        assert f"SERVICE={service}" in line
        assert f"--tag registry.example/convene/convene-{service}:1.2.3" in line
        assert "deploy/docker/Dockerfile" in line
    images = {
        c["image"]
        for w in workloads(resources(BASE))
        for c in containers(w)
        if c["image"].startswith("convene-")
    }
    assert images == {f"convene-{service}" for service in SERVICES}
