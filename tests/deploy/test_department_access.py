"""Departments on Kafka: the brokers' departments listener and the Job that grants access.

There is no Kafka (with ACLs) on this machine, so the scripts run as they would in their pods
with Kafka's command-line tools replaced by recorders: the tests check the exact commands each
script gives Kafka, and that a bad grants file changes nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from deploy_support import BASE, K8S, Rendered, main_container, pod_spec

from contracts.registry import REGISTRY

COMPONENT = K8S / "components" / "department-access"
GRANT_SCRIPT = COMPONENT / "grant-department-access.sh"
START_KAFKA = BASE / "kafka" / "start-kafka.sh"
PASSWORD = "s3cret-Password_of-32-characters"
TOPICS_IN_CLUSTER = [
    "identity.member.v1",
    "public.content.item.v1",
    "public.feedback.campaign.v1",
    "public.feedback.campaign.v1.dlq",
    "__consumer_offsets",
]

RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$(basename "$0")" = kafka-topics.sh ]; then printf '%s\\n' $TOPICS; fi
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]

    def acls(self, action: str, resource: str) -> list[str]:
        return [
            c for c in self.calls if c.startswith("kafka-acls.sh") and action in c and resource in c
        ]


def fake_kafka(folder: Path) -> Path:
    home = folder / "kafka"
    (home / "bin").mkdir(parents=True)
    for tool in ("kafka-acls.sh", "kafka-configs.sh", "kafka-topics.sh"):
        path = home / "bin" / tool
        path.write_text(RECORDER)
        path.chmod(0o755)
    return home


def grant(tmp_path: Path, grants: str, passwords: dict[str, str]) -> Run:
    home = fake_kafka(tmp_path)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    for name, password in passwords.items():
        (credentials / name).write_text(password)
    (tmp_path / "grants.txt").write_text(grants)
    calls = tmp_path / "calls.log"
    calls.touch()
    result = subprocess.run(
        ["sh", str(GRANT_SCRIPT)],
        env={
            "PATH": os.environ["PATH"],
            "KAFKA_HOME": str(home),
            "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
            "DEPARTMENT_GRANTS": str(tmp_path / "grants.txt"),
            "DEPARTMENT_CREDENTIALS": str(credentials),
            "CALLS": str(calls),
            "TOPICS": " ".join(TOPICS_IN_CLUSTER),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = calls.read_text().splitlines()
    # The recorder sees arguments without the common --bootstrap-server kafka:9092.
    return Run(
        result.returncode,
        result.stdout,
        result.stderr,
        [line.replace(" --bootstrap-server kafka:9092", "") for line in lines],
    )


def test_a_department_reads_exactly_its_topics_with_its_own_groups(tmp_path: Path) -> None:
    run = grant(
        tmp_path, "# comment\n\nhmrc-data  public.feedback.campaign.v1\n", {"hmrc-data": PASSWORD}
    )
    assert run.returncode == 0, run.stderr
    assert (
        "kafka-configs.sh --alter --entity-type users --entity-name hmrc-data "
        f"--add-config SCRAM-SHA-512=[iterations=8192,password={PASSWORD}]"
    ) in run.calls
    granted = run.acls("--add", "--topic")
    assert granted == [
        "kafka-acls.sh --add --allow-principal User:hmrc-data --operation Read "
        "--operation Describe --topic public.feedback.campaign.v1"
    ]
    # Every other public topic has those rights taken away; internal topics are never named.
    assert run.acls("--remove", "--topic") == [
        "kafka-acls.sh --remove --force --allow-principal User:hmrc-data --operation Read "
        "--operation Describe --topic public.content.item.v1"
    ]
    assert not [c for c in run.calls if "identity.member.v1" in c or ".dlq" in c]
    assert run.acls("--add", "--group") == [
        "kafka-acls.sh --add --allow-principal User:hmrc-data --operation Read "
        "--group hmrc-data. --resource-pattern-type prefixed"
    ]
    assert "hmrc-data may read public.feedback.campaign.v1" in run.stdout


def test_each_department_gets_its_own_user_and_rights(tmp_path: Path) -> None:
    run = grant(
        tmp_path,
        "hmrc-data public.feedback.campaign.v1\nnhs-england public.content.item.v1 "
        "public.feedback.campaign.v1\n",
        {"hmrc-data": PASSWORD, "nhs-england": PASSWORD.upper()},
    )
    assert run.returncode == 0, run.stderr
    users = [c.split("--entity-name ")[1].split()[0] for c in run.calls if "--add-config" in c]
    assert users == ["hmrc-data", "nhs-england"]
    assert len(run.acls("--add", "User:nhs-england --operation Read --operation Describe")) == 2
    assert run.acls("--add", "--group nhs-england.")


def test_a_revoke_line_removes_every_right_and_the_user(tmp_path: Path) -> None:
    run = grant(tmp_path, "hmrc-data -\n", {})
    assert run.returncode == 0, run.stderr
    assert len(run.acls("--remove", "User:hmrc-data")) == 3  # two public topics and the groups
    assert not run.acls("--add", "")
    assert any("--delete-config SCRAM-SHA-512" in c for c in run.calls)


@pytest.mark.parametrize(
    ("grants", "passwords", "complaint"),
    [
        ("hmrc-data identity.member.v1\n", {"hmrc-data": PASSWORD}, "is not a public topic"),
        ("hmrc-data public.nothing.v1\n", {"hmrc-data": PASSWORD}, "does not exist"),
        ("HMRC public.feedback.campaign.v1\n", {"HMRC": PASSWORD}, "lower-case"),
        ("hmrc-data\n", {"hmrc-data": PASSWORD}, "name its topics"),
        ("hmrc-data public.feedback.campaign.v1\n", {}, "no password"),
        ("hmrc-data public.feedback.campaign.v1\n", {"hmrc-data": "short"}, "24+ characters"),
        ("hmrc-data public.feedback.campaign.v1\n", {"hmrc-data": PASSWORD + ",x]"}, "only A-Z"),
        (
            "hmrc-data public.feedback.campaign.v1\nhmrc-data public.content.item.v1\n",
            {"hmrc-data": PASSWORD},
            "listed twice",
        ),
    ],
)
def test_a_bad_grants_file_changes_nothing(
    tmp_path: Path, grants: str, passwords: dict[str, str], complaint: str
) -> None:
    # A good department first: a later bad line must stop it being granted too.
    good = "nhs-england public.content.item.v1\n"
    run = grant(tmp_path, good + grants, {"nhs-england": PASSWORD, **passwords})
    assert run.returncode != 0
    assert complaint in run.stderr
    assert not [c for c in run.calls if not c.startswith("kafka-topics.sh --list")]


def committed_grants() -> dict[str, list[str]]:
    grants = {}
    for line in (COMPONENT / "grants.txt").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            grants[words[0]] = words[1:]
    return grants


def test_the_committed_grants_name_only_public_contract_topics() -> None:
    public_topics = {spec.topic for spec in REGISTRY.values() if spec.public}
    grants = committed_grants()
    assert grants
    for department, topics in grants.items():
        assert topics == ["-"] or set(topics) <= public_topics, department


# --- the brokers' listener ------------------------------------------------------------------


def start_kafka(
    tmp_path: Path, tls: bool, domain: str | None = "kafka.example.gov.uk"
) -> tuple[subprocess.CompletedProcess[str], str]:
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    for tool in ("kafka-storage.sh", "kafka-server-start.sh"):
        (home / "bin" / tool).write_text('#!/bin/sh\necho "$(basename "$0") $*"\n')
        (home / "bin" / tool).chmod(0o755)
    certificate = tmp_path / "tls"
    if tls:
        certificate.mkdir()
        (certificate / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nkey\n")
        (certificate / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\ncrt\n")
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_HOME": str(home),
        "KAFKA_WORK_DIR": str(tmp_path / "work"),
        "KAFKA_DEPARTMENTS_TLS_DIR": str(certificate),
        "LOG_DIR": str(tmp_path / "logs"),
        "POD_NAME": "kafka-1",
        "POD_NAMESPACE": "convene",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "0@kafka-0.kafka-headless:9093",
        "KAFKA_CLUSTER_ID": "0d7IlSzSR1mzlzL5dvoBVA",
        "KAFKA_NUM_PARTITIONS": "3",
        "KAFKA_REPLICATION_FACTOR": "1",
        "KAFKA_MIN_INSYNC_REPLICAS": "1",
        "KAFKA_LOG_RETENTION_HOURS": "168",
    }
    if domain:
        env["KAFKA_DEPARTMENTS_DOMAIN"] = domain
    result = subprocess.run(
        ["sh", str(START_KAFKA)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    config = tmp_path / "work" / "server.properties"
    return result, config.read_text() if config.exists() else ""


def properties(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_without_a_certificate_there_is_no_departments_listener(tmp_path: Path) -> None:
    result, config = start_kafka(tmp_path, tls=False)
    assert result.returncode == 0, result.stderr
    props = properties(config)
    assert props["listeners"] == "PLAINTEXT://:9092,CONTROLLER://:9093"
    assert "9094" not in config
    # ACLs are enforced everywhere; only the in-cluster anonymous principal is a super user.
    assert (
        props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert props["super.users"] == "User:ANONYMOUS"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert "kafka-server-start.sh" in result.stdout


def test_with_a_certificate_departments_get_an_authenticated_tls_listener(tmp_path: Path) -> None:
    result, config = start_kafka(tmp_path, tls=True)
    assert result.returncode == 0, result.stderr
    props = properties(config)
    assert props["listeners"] == "PLAINTEXT://:9092,CONTROLLER://:9093,DEPARTMENTS://:9094"
    assert props["advertised.listeners"].endswith(
        ",DEPARTMENTS://kafka-1.kafka.example.gov.uk:9094"
    )
    assert "DEPARTMENTS:SASL_SSL" in props["listener.security.protocol.map"].split(",")
    assert props["listener.name.departments.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["listener.name.departments.ssl.keystore.type"] == "PEM"
    keystore = Path(props["listener.name.departments.ssl.keystore.location"])
    assert keystore.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert "BEGIN CERTIFICATE" in keystore.read_text()
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"


def test_a_certificate_without_a_domain_stops_the_broker(tmp_path: Path) -> None:
    result, _ = start_kafka(tmp_path, tls=True, domain=None)
    assert result.returncode != 0
    assert "KAFKA_DEPARTMENTS_DOMAIN" in result.stderr


# --- rendered overlays ----------------------------------------------------------------------


def test_prod_runs_the_listener_and_the_job_dev_does_neither(rendered: dict[str, Rendered]) -> None:
    assert "department-access" not in rendered["dev"].all("Job")
    dev_kafka = main_container(rendered["dev"].get("StatefulSet", "kafka"))
    assert 9094 not in [p["containerPort"] for p in dev_kafka["ports"]]

    prod = rendered["prod"]
    kafka = prod.get("StatefulSet", "kafka")
    container = main_container(kafka)
    assert {"name": "departments", "containerPort": 9094, "protocol": "TCP"} in container["ports"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(kafka)["volumes"]}
    assert (
        volumes[mounts["/etc/kafka/departments-tls"]]["secret"]["secretName"]
        == "kafka-departments-tls"
    )
    assert prod.config_map("kafka-config")["KAFKA_DEPARTMENTS_DOMAIN"]

    job = prod.get("Job", "department-access")
    job_container = main_container(job)
    assert job_container["image"] == container["image"]  # the broker's own tools
    assert job_container["command"] == ["/bin/sh", "/opt/convene/grant-department-access.sh"]
    scripts = prod.config_map("department-access")
    assert scripts["grant-department-access.sh"] == GRANT_SCRIPT.read_text()
    assert scripts["grants.txt"] == (COMPONENT / "grants.txt").read_text()
    services = [s for s in prod.all("Service") if re.fullmatch(r"kafka-departments-\d", s)]
    assert len(services) == prod.get("StatefulSet", "kafka")["spec"]["replicas"]
