"""Webhook fan-out: public events delivered to many endpoints on loopback.

    .venv/bin/python bench/webhook_fanout.py [--events 10000] [--endpoints 20] [--keys 500]

Starts embedded PostgreSQL and the broker, runs the subscriptions service as its own process
(`python -m services.subscriptions serve`: consumer, log and dispatcher, as deployed),
registers `--endpoints` verified endpoints directly in its database (one department holding
the scope), starts that many minimal HTTP receivers in this process, then produces `--events`
follow-up events to their public topic as feedback's relay would, each carrying its publish
time in `posted_at`. Prints deliveries per second (first publish to last receipt), the delay
from publish to receipt (p50/p95/p99/max) and the dispatcher process's memory (peak and end).
Receivers answer 204 without verifying signatures (the tests do that); this measures Convene.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from contracts import Envelope
from contracts.events.feedback import CampaignFollowUpPostedV1
from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, free_port
from services.subscriptions.domain import signatures

SUBSCRIBER = "service-account:bench"
EVENT_TYPE = CampaignFollowUpPostedV1.event_type


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Receivers:
    """Minimal HTTP/1.1 servers (keep-alive, Content-Length bodies) recording arrival times."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.ids: set[tuple[int, str]] = set()
        self.duplicates = 0
        self.last_receipt = 0.0
        self.done = asyncio.Event()
        self.expected = 0
        self.servers: list[asyncio.Server] = []

    async def start(self, port: int, index: int) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    body = await reader.readexactly(length)
                    self.record(index, body)
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
                # A closed connection, or the bench shutting down: nothing more to read.
                writer.close()

        self.servers.append(await asyncio.start_server(handle, "127.0.0.1", port))

    def record(self, index: int, body: bytes) -> None:
        now = time.time()
        event = json.loads(body)
        if (index, event["id"]) in self.ids:
            self.duplicates += 1
            return
        self.ids.add((index, event["id"]))
        posted = datetime.fromisoformat(event["data"]["posted_at"]).timestamp()
        self.delays.append(now - posted)
        self.last_receipt = now
        if len(self.ids) >= self.expected:
            self.done.set()

    def close(self) -> None:
        for server in self.servers:
            server.close()


async def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit("subscriptions exited at start")
            try:
                if (await client.get(url + "/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise SystemExit("subscriptions was not ready in time")


async def report_progress(database: str, receivers: Receivers) -> None:
    """Every 5 s: events in the log, deliveries by state, receipts (where a slowdown sits)."""
    conn = await asyncpg.connect(database)
    try:
        while True:
            await asyncio.sleep(5)
            logged = await conn.fetchval("SELECT count(*) FROM public_events")
            states = await conn.fetch("SELECT state, count(*) FROM deliveries GROUP BY state")
            by_state = ", ".join(f"{row[0]} {row[1]}" for row in states)
            print(f"  logged {logged}; deliveries {by_state}; received {len(receivers.ids)}")
    finally:
        await conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace, root: Path) -> None:
    postgres = EmbeddedPostgres(root / "postgres", free_port())
    broker = EmbeddedBroker(free_port(), root / "broker.log")
    postgres.start()
    broker.start()
    process: subprocess.Popen[bytes] | None = None
    receivers = Receivers()
    try:
        server = postgres.url().rsplit("/", 1)[0]
        admin = await asyncpg.connect(f"{server}/postgres")
        await admin.execute('CREATE DATABASE "convene_subscriptions"')
        await admin.close()
        database = f"{server}/convene_subscriptions"
        port = free_port()
        env = {
            **os.environ,
            "SUBSCRIPTIONS_DATABASE_URL": database,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "SUBSCRIPTIONS_CURSOR_KEY": "bench-only-Kq7Zr2Lm9Xw4Pt8Vb3Nc6Hd1Jf5Gs0A",
            "SUBSCRIPTIONS_DEVELOPMENT_HOSTS": "127.0.0.1",
            "AUTH_JWKS_URL": "http://127.0.0.1:9/jwks",
            "OTEL_SDK_DISABLED": "true",
        }
        python = sys.executable
        await asyncio.to_thread(
            subprocess.run, [python, "-m", "services.subscriptions", "migrate"], env=env, check=True
        )
        ports = [free_port() for _ in range(args.endpoints)]
        conn = await asyncpg.connect(database)
        await conn.execute(
            "INSERT INTO subscribers (subject, scopes) VALUES ($1, $2)",
            SUBSCRIBER,
            [f"events:{EVENT_TYPE}"],
        )
        for receiver_port in ports:
            await conn.execute(
                "INSERT INTO endpoints (id, subscriber, url, description, event_types, status,"
                " secret, verified_at) VALUES ($1, $2, $3, 'bench', $4, 'active', $5, now())",
                uuid.uuid4(),
                SUBSCRIBER,
                f"http://127.0.0.1:{receiver_port}/hook",
                [EVENT_TYPE],
                signatures.new_secret(),
            )
        await conn.close()
        for index, receiver_port in enumerate(ports):
            await receivers.start(receiver_port, index)
        receivers.expected = args.events * args.endpoints
        log = (root / "subscriptions.log").open("wb")
        process = subprocess.Popen(  # noqa: ASYNC220 - starting it is instant; it runs apart
            [python, "-m", "services.subscriptions", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        await wait_ready(f"http://127.0.0.1:{port}", process)
        idle_rss = proc_status_kib(process.pid, "VmRSS")
        idle_cpu = cpu_seconds(process.pid)
        peak_rss = 0

        async def sample_memory() -> None:
            nonlocal peak_rss
            assert process is not None
            while True:
                peak_rss = max(peak_rss, proc_status_kib(process.pid, "VmRSS") or 0)
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample_memory())
        keys = [uuid.uuid4() for _ in range(args.keys)]
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, linger_ms=5)
        await producer.start()
        started = time.time()
        for n in range(args.events):
            event = CampaignFollowUpPostedV1(
                campaign_id=keys[n % len(keys)],
                follow_up_id=uuid.uuid4(),
                title="Bench",
                you_said="x",
                we_did="y",
                posted_at=datetime.now(UTC),
            )
            envelope = Envelope.wrap(event, source="/convene/feedback")
            await producer.send(
                event.topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
            )
        await producer.flush()
        published = time.time() - started
        await producer.stop()
        progress = asyncio.create_task(report_progress(database, receivers))
        try:
            await asyncio.wait_for(receivers.done.wait(), timeout=args.timeout)
        except TimeoutError:
            print(f"timed out after {args.timeout:.0f} s")
        sampler.cancel()
        progress.cancel()
        busy_cpu = cpu_seconds(process.pid) - idle_cpu
        received = len(receivers.ids)
        elapsed = (receivers.last_receipt or time.time()) - started
        print(f"events {args.events}  endpoints {args.endpoints}  keys {args.keys}")
        print(f"published in {published:.2f} s ({args.events / published:,.0f} events/s)")
        print(
            f"delivered {received:,} of {receivers.expected:,} in {elapsed:.1f} s: "
            f"{received / elapsed:,.0f} deliveries/s; duplicates {receivers.duplicates}"
        )
        if receivers.delays:
            d = receivers.delays
            print(
                f"publish -> receipt: p50 {statistics.median(d) * 1000:,.0f} ms"
                f"  p95 {percentile(d, 0.95) * 1000:,.0f} ms"
                f"  p99 {percentile(d, 0.99) * 1000:,.0f} ms  max {max(d) * 1000:,.0f} ms"
            )
        print(
            f"subscriptions process CPU: {busy_cpu:.1f} s "
            f"({busy_cpu * 1000 / max(received, 1):.1f} ms per delivery, ingest included); "
            f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(
            f"dispatcher process RSS: idle {idle_rss or 0:,} KiB, peak {peak_rss:,} KiB, "
            f"end {proc_status_kib(process.pid, 'VmRSS') or 0:,} KiB"
        )
    finally:
        receivers.close()
        if os.environ.get("BENCH_KEEP_LOG") and (root / "subscriptions.log").exists():
            print((root / "subscriptions.log").read_text()[-5000:])
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.stop()
        postgres.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--keys", type=int, default=500, help="distinct campaign ids (keys)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convene-bench-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
