"""The topics Job creates exactly the contract topics (no drift from contracts/), and the
production Kafka settings hold together: replication, min.insync.replicas, partitions, quorum."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from deploy_support import DB_SERVICES, REPO, Rendered, main_container, start_broker

from contracts.registry import dead_letter_topic, topics


def contract_topics() -> set[str]:
    return {name for base in topics() for name in (base, dead_letter_topic(base))}


async def describe(bootstrap: str) -> dict[str, int]:
    """Topic name -> partition count, internal topics left out."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="deploy-test")
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if not name.startswith("__")]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {topic["topic"]: len(topic["partitions"]) for topic in described}


async def test_topics_job_creates_exactly_the_contract_topics(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    """Runs the Job's own command with the Job's own environment against an empty broker."""
    job = rendered["dev"].get("Job", "convene-topics")
    container = main_container(job)
    command = container["command"]
    assert command == ["python", "-m", "services.chassis.topics"]
    env = rendered["dev"].environment(container, pod_name="convene-topics-0")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert {"TOPIC_PARTITIONS", "TOPIC_REPLICATION_FACTOR", "TOPIC_RETENTION_MS"} <= set(env)
    broker = start_broker(tmp_path)
    try:
        env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, *command[1:]],
            cwd=REPO,
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        created = await describe(broker.bootstrap_servers)
    finally:
        broker.stop()
    assert set(created) == contract_topics()
    assert set(created) >= {"identity.member.v1", "identity.member.v1.dlq"}
    assert set(created.values()) == {int(env["TOPIC_PARTITIONS"])}
    assert f"created {len(created)} topics" in result.stdout


def numbers(config: dict[str, str], *names: str) -> list[int]:
    return [int(config[name]) for name in names]


@pytest.mark.parametrize(("overlay", "brokers"), [("dev", 1), ("prod", 3)])
def test_kafka_replication_and_partitions_hold_together(
    rendered: dict[str, Rendered], overlay: str, brokers: int
) -> None:
    cluster = rendered[overlay]
    kafka = cluster.get("StatefulSet", "kafka")
    assert kafka["spec"]["replicas"] == brokers
    config = cluster.config_map("kafka-config")
    voters = config["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert voters == [f"{n}@kafka-{n}.{kafka['spec']['serviceName']}:9093" for n in range(brokers)]
    internal_rf, min_isr = numbers(config, "KAFKA_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS")
    topic_config = cluster.config_map("convene-topics-config")
    partitions, topic_rf = numbers(topic_config, "TOPIC_PARTITIONS", "TOPIC_REPLICATION_FACTOR")
    assert 1 <= topic_rf <= brokers
    assert 1 <= internal_rf <= brokers
    if overlay == "prod":
        # acks=all needs min.insync.replicas copies: with fewer than the replication factor, a
        # broker may be down (a node drain, a rolling restart) and writes still succeed.
        assert min_isr < topic_rf
        assert min_isr < internal_rf
        assert min_isr >= 2, "one broker's disk must never be the only copy of a write"
        disruptions = cluster.get("PodDisruptionBudget", "kafka")["spec"]["maxUnavailable"]
        assert disruptions <= topic_rf - min_isr
    else:
        assert min_isr <= topic_rf
    # A consumer beyond a topic's partition count sits idle: the autoscaler stops before that.
    for service in DB_SERVICES:
        hpa = cluster.get("HorizontalPodAutoscaler", service)
        assert hpa["spec"]["maxReplicas"] <= partitions, (overlay, service)
