"""Event latency benchmark: raw Kafka round trip versus the outbox -> relay -> inbox path.

Run:  .venv/bin/python bench/event_latency.py [--duration 15] [--rates 200,500,1000,2000]
          [--fetch-max-wait-ms 10] [--topology split|service] [--json results.json]

It starts an embedded PostgreSQL 18 (temp dir, free port) and the embedded Tansu broker (free
port) unless these are given:

* CONVENE_BENCH_DATABASE_URL: a PostgreSQL URL whose user may create databases; the bench
  creates a scratch database ``convene_bench_<hex>`` on that server and drops it afterwards.
* KAFKA_BOOTSTRAP_SERVERS: a broker; the bench creates ``bench-<hex>...`` topics there and
  deletes them afterwards.

What it measures (every stamp is ``time.perf_counter()``, which is CLOCK_MONOTONIC on Linux,
so stamps taken in different processes on one machine are comparable):

1. Raw aiokafka round trip: one message at a time through a producer and a consumer built by
   the chassis factories (acks=all, linger 0; fetch_max_wait_ms from the option);
   latency = consume time - send time, both in this process.
2. The chassis path, laid out as two services: a child process is the producing service,
   running business transactions (the chassis unit of work: ``append_to_outbox`` then commit)
   at a paced, open-loop rate and the ``OutboxRelay`` (``run()`` task, woken by NOTIFY) on one
   event loop, as a service process does; this process is the consuming service
   (``EventConsumer`` with its inbox). ``--topology split`` runs the writers and the relay in
   two processes instead, to see the relay without the business load on its event loop.
   Latency = handler time - commit time (when ``commit()`` returned to the writer). A short
   light-load phase and a steady phase at 200 events/s give figures and a per-stage breakdown
   (commit -> relay send -> broker ack -> consumer getmany -> handler) with the CPU each
   process used; then rate steps find the highest sustainable rate (all delivered, writers keep
   the rate, p99 under --p99-limit-ms, backlog not growing).
3. The ratio of end-to-end p99 at 200 events/s to raw p99, next to the target (<= 3x).

CPU per process comes from /proc, including "other processes" (the machine's busy time not
used by the bench): on a shared machine, read latencies together with that line.

Both sides run with the service telemetry set-up (SDK tracer provider, SQLAlchemy
instrumentation) as a service does; ``--no-telemetry`` turns that off. The bench publishes a
real registry event type (``identity.member.invited.v1``, parsed by the consumer with the
registry model) on a topic of its own: a subclass of the model only overrides the ``topic``
ClassVar, so the outbox rows, headers and payload are the production ones.

Benchmarks print figures; they never assert timings. Exit status is 0 unless the bench
itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import logging
import math
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from contracts import Envelope
from contracts.events.identity import MemberInvitedV1
from services.chassis.config import KafkaSettings
from services.chassis.consumer import EventConsumer
from services.chassis.database import create_engine, create_session_factory, unit_of_work
from services.chassis.inbox import inbox_table  # noqa: F401  (registers the inbox table)
from services.chassis.kafka import create_consumer, create_producer, ensure_topics, start_client
from services.chassis.outbox import append_to_outbox, messaging_metadata
from services.chassis.relay import OutboxRelay

SOURCE = "/convene/bench"
log = logging.getLogger("bench")


class BenchMemberInvitedV1(MemberInvitedV1):
    """The registry's MemberInvitedV1 with only its topic changed (set per run)."""

    topic: ClassVar[str] = "bench-unset.v1"


def make_event(now: datetime | None = None) -> BenchMemberInvitedV1:
    now = now or datetime.now(UTC)
    return BenchMemberInvitedV1(
        member_id=uuid.uuid4(),
        invitation_id=uuid.uuid4(),
        full_name="Bench Member",
        email="bench.member@cabinetoffice.gov.uk",
        organisation="Cabinet Office",
        invited_at=now,
        expires_at=now + timedelta(days=7),
    )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when empty)."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    values = sorted(values_s)
    if not values:
        return {"n": 0, "p50_ms": math.nan, "p90_ms": math.nan, "p99_ms": math.nan}
    return {
        "n": len(values),
        "mean_ms": 1000 * sum(values) / len(values),
        "p50_ms": 1000 * percentile(values, 0.50),
        "p90_ms": 1000 * percentile(values, 0.90),
        "p99_ms": 1000 * percentile(values, 0.99),
        "max_ms": 1000 * values[-1],
    }


def vm_rss_kib(pid: int | str = "self") -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str:
    for key, value in headers or ():
        if key == name:
            return value.decode()
    return ""


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------------
# The producing service (child process): business transactions + the outbox relay
# --------------------------------------------------------------------------------------------


class TimedProducer:
    """Wraps the relay's producer: records, per event id, when send() was called and acked."""

    def __init__(self, producer: AIOKafkaProducer, sink: list[tuple[str, float, float]]) -> None:
        self._producer = producer
        self._sink = sink

    async def send(self, topic: str, value: bytes, **kwargs: Any) -> asyncio.Future[Any]:
        started = time.perf_counter()
        future: asyncio.Future[Any] = await self._producer.send(topic, value, **kwargs)
        event_id = header(kwargs.get("headers"), "ce_id")
        future.add_done_callback(
            lambda _f: self._sink.append((event_id, started, time.perf_counter()))
        )
        return future

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


class InstrumentedRelay(OutboxRelay):
    """The chassis relay, unchanged, with timings around its own methods."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drains: list[tuple[float, float, int]] = []  # (start, end, published)
        self.publishes: list[tuple[float, float, int]] = []  # (start, end, rows)

    async def drain(self) -> int:
        started = time.perf_counter()
        published = await super().drain()
        self.drains.append((started, time.perf_counter(), published))
        return published

    async def _publish(self, rows: Sequence[Any], *args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        published = await super()._publish(rows, *args, **kwargs)
        self.publishes.append((started, time.perf_counter(), len(rows)))
        return published


def _install_statement_timer(engine: Any, sink: dict[str, list[float]]) -> None:
    """Time each SQL statement on `engine` by kind (claim, mark-sent, inbox, ...)."""

    def kind(statement: str) -> str:
        head = " ".join(statement.split())[:60].upper()
        if head.startswith("WITH CANDIDATES"):
            return "relay claim"
        if head.startswith("UPDATE OUTBOX SET SENT_AT"):
            return "relay mark-sent"
        if head.startswith("INSERT INTO INBOX"):
            return "inbox insert"
        if head.startswith("INSERT INTO OUTBOX"):
            return "outbox insert"
        if head.startswith("INSERT INTO BENCH_INVITATIONS"):
            return "business insert"
        if "PG_NOTIFY" in head:
            return "notify"
        return "other"

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info["bench_t0"].pop()
        sink.setdefault(kind(statement), []).append(time.perf_counter() - started)


@contextlib.contextmanager
def profiled(directory: str | None, name: str) -> Iterator[None]:
    """cProfile this process into `<directory>/<name>.prof` when a directory is given."""
    if not directory:
        yield
        return
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        Path(directory).mkdir(parents=True, exist_ok=True)
        profile.dump_stats(str(Path(directory) / f"{name}.prof"))


def child_main(commands: Any, results: Any, config: dict[str, Any]) -> None:
    """Entry point of a producing-service child process (writers, relay, or both)."""
    logging.basicConfig(level=logging.WARNING, format="%(processName)s %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    try:
        with profiled(config.get("profile"), config["name"]):
            asyncio.run(_child(commands, results, config))
    except Exception:
        results.send(("error", config["name"], traceback.format_exc()))
        raise


async def _child(commands: Any, results: Any, config: dict[str, Any]) -> None:
    BenchMemberInvitedV1.topic = config["topic"]
    engine = create_engine(config["db_url"])
    if config["telemetry"]:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        from services.chassis.telemetry import setup_telemetry

        setup_telemetry(f"convene-bench-{config['name']}")
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
    statements: dict[str, list[float]] = {}
    _install_statement_timer(engine, statements)
    sessions = create_session_factory(engine)
    sends: list[tuple[str, float, float]] = []
    producer = relay = relay_task = None
    if "relay" in config["roles"]:
        settings = KafkaSettings(kafka_bootstrap_servers=config["bootstrap"])
        producer = create_producer(settings, client_id=f"bench-{config['name']}")
        await start_client(producer, config["bootstrap"])
        relay = InstrumentedRelay(
            engine,
            TimedProducer(producer, sends),  # type: ignore[arg-type]
            service="bench",
            batch_size=config["batch_size"],
        )
        relay_task = asyncio.create_task(relay.run(), name="bench-relay")
    results.send(("ready", config["name"], {"pid": os.getpid()}))
    try:
        while True:
            command = await asyncio.to_thread(commands.recv)
            if command[0] == "stop":
                break
            if command[0] == "load":
                _, tag, rate, duration = command
                stats = await _offer_load(sessions, rate, duration, config["writers"])
                results.send(("loaded", tag, stats))
            elif command[0] == "collect":
                payload = {
                    "sends": list(sends),
                    "drains": list(relay.drains) if relay else [],
                    "publishes": list(relay.publishes) if relay else [],
                    "statements": {k: list(v) for k, v in statements.items()},
                    "rss_kib": vm_rss_kib(),
                }
                sends.clear()
                statements.clear()
                if relay is not None:
                    relay.drains.clear()
                    relay.publishes.clear()
                results.send(("collected", command[1], payload))
    finally:
        if relay_task is not None:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
        if relay is not None:
            await relay.close()
        if producer is not None:
            await producer.stop()
        await engine.dispose()
        results.send(("stopped", config["name"], None))


async def _offer_load(sessions: Any, rate: float, duration: float, writers: int) -> dict[str, Any]:
    """Open-loop load: event i is due at t0 + i/rate; up to `writers` transactions at once.

    Each business transaction is the chassis unit of work with one append_to_outbox() and a
    commit; its commit time is the start of the end-to-end latency.
    """
    total = max(1, int(rate * duration))
    due: asyncio.Queue[float | None] = asyncio.Queue()
    commits: list[tuple[str, float]] = []
    lateness: list[float] = []
    txn_times: list[float] = []
    t0 = time.perf_counter() + 0.05

    async def pacer() -> None:
        i = 0
        while i < total:
            now = time.perf_counter()
            while i < total and t0 + i / rate <= now:
                due.put_nowait(t0 + i / rate)
                i += 1
            if i < total:
                await asyncio.sleep(max(0.001, t0 + i / rate - time.perf_counter()))
        for _ in range(writers):
            due.put_nowait(None)

    # A machine too slow for the rate must not stretch the phase: past the cut-off, due
    # transactions are dropped (the phase then reports a lower achieved rate).
    cutoff = t0 + duration * 1.5 + 2
    dropped = 0

    async def writer() -> None:
        nonlocal dropped
        while (target := await due.get()) is not None:
            started = time.perf_counter()
            if started > cutoff:
                dropped += 1
                continue
            lateness.append(started - target)
            async with unit_of_work(sessions, SOURCE) as uow:
                event_id = await append_to_outbox(uow.session, make_event(), source=SOURCE)
                await uow.commit()
            committed = time.perf_counter()
            commits.append((event_id, committed))
            txn_times.append(committed - started)

    await asyncio.gather(pacer(), *(writer() for _ in range(writers)))
    elapsed = max(t for _, t in commits) - t0 if commits else 0.0
    return {
        "offered_rate": rate,
        "events": len(commits),
        "achieved_rate": len(commits) / elapsed if elapsed > 0 else 0.0,
        "dropped": dropped,
        "start": t0,
        "end": t0 + total / rate,
        "commits": commits,
        "lateness": summary_ms(lateness),
        "business_txn": summary_ms(txn_times),
        "rss_kib": vm_rss_kib(),
    }


# --------------------------------------------------------------------------------------------
# The consuming service (this process) and the orchestration
# --------------------------------------------------------------------------------------------


class ChildProcess:
    """A producing-service child process and the thread that turns its replies into futures."""

    def __init__(self, config: dict[str, Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.name = config["name"]
        self._cmd_recv, self._cmd_send = ctx.Pipe(duplex=False)
        self._res_recv, self._res_send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=child_main,
            args=(self._cmd_recv, self._res_send, config),
            name=f"bench-{self.name}",
            daemon=True,
        )
        self.pid: int | None = None
        self._waiters: dict[tuple[str, str | None], asyncio.Future[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._requests = 0

    def _future(self, kind: str, tag: str | None) -> asyncio.Future[Any]:
        assert self._loop is not None
        return self._waiters.setdefault((kind, tag), self._loop.create_future())

    def _deliver(self, kind: str, tag: str | None, payload: Any) -> None:
        if kind == "error":
            for waiter in self._waiters.values():
                if not waiter.done():
                    waiter.set_exception(RuntimeError(f"{self.name} failed:\n{payload}"))
            return
        future = self._future(kind, tag)
        if not future.done():
            future.set_result(payload)

    def _read(self) -> None:
        assert self._loop is not None
        while True:
            try:
                kind, tag, payload = self._res_recv.recv()
            except (EOFError, OSError):
                return
            self._loop.call_soon_threadsafe(self._deliver, kind, tag, payload)
            if kind in ("stopped", "error"):
                return

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        ready = self._future("ready", self.name)
        self.process.start()
        threading.Thread(target=self._read, name=f"bench-{self.name}", daemon=True).start()
        async with asyncio.timeout(60):
            info = await ready
        self.pid = int(info["pid"])

    async def load(self, tag: str, rate: float, duration: float) -> dict[str, Any]:
        loaded = self._future("loaded", tag)
        self._cmd_send.send(("load", tag, rate, duration))
        async with asyncio.timeout(duration * 1.5 + 60):
            stats: dict[str, Any] = await loaded
        return stats

    async def collect(self) -> dict[str, Any]:
        self._requests += 1
        tag = f"collect-{self._requests}"
        collected = self._future("collected", tag)
        self._cmd_send.send(("collect", tag))
        async with asyncio.timeout(30):
            payload: dict[str, Any] = await collected
        return payload

    async def stop(self) -> None:
        if self._loop is None or not self.process.is_alive():
            return
        stopped = self._future("stopped", self.name)
        with contextlib.suppress(OSError):
            self._cmd_send.send(("stop",))
        with contextlib.suppress(TimeoutError, RuntimeError):
            async with asyncio.timeout(15):
                await stopped
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.terminate()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU of one process (all its threads), 0 when it cannot be read."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_pids(postmaster: int | None) -> list[int]:
    if not postmaster:
        return []
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(entry.name))
    return pids


def machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU seconds per component between two snapshots (Linux /proc; zeros elsewhere)."""

    components: dict[str, int | None]
    postmaster: int | None

    def snapshot(self) -> dict[str, float]:
        snap = {name: process_cpu_seconds(pid) for name, pid in self.components.items()}
        if self.postmaster:
            snap["postgres (all backends)"] = sum(
                process_cpu_seconds(pid) for pid in postgres_pids(self.postmaster)
            )
        snap["machine (all processes)"] = machine_busy_seconds()
        snap["wall"] = time.perf_counter()
        return snap

    @staticmethod
    def report(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, Any]:
        wall = after["wall"] - before["wall"]
        report: dict[str, Any] = {"wall_s": wall, "cpus": os.cpu_count()}
        used = {
            name: max(0.0, after.get(name, 0.0) - value)
            for name, value in before.items()
            if name != "wall"
        }
        machine = used.pop("machine (all processes)")
        used["other processes (not this bench)"] = max(0.0, machine - sum(used.values()))
        used["machine (all processes)"] = machine
        for name, cpu_s in used.items():
            report[name] = {
                "cpu_s": cpu_s,
                "core_pct": 100 * cpu_s / wall if wall else math.nan,
                "ms_per_event": 1000 * cpu_s / events if events else math.nan,
            }
        return report


@dataclass
class ConsumerSide:
    """Stamps of the consuming service, by CloudEvents id."""

    delivered: dict[str, float] = field(default_factory=dict)  # getmany() returned it
    handled: dict[str, float] = field(default_factory=dict)  # the handler ran (latency point)
    applied: dict[str, float] = field(default_factory=dict)  # the inbox transaction committed
    statements: dict[str, list[float]] = field(default_factory=dict)


class BenchEventConsumer(EventConsumer):
    """The chassis consumer, unchanged, stamping when each record's unit of work is done."""

    stamps: ConsumerSide

    async def handle(self, record: Any) -> None:
        await super().handle(record)
        self.stamps.applied[header(record.headers, "ce_id")] = time.perf_counter()


def time_getmany(consumer: AIOKafkaConsumer, stamps: ConsumerSide) -> None:
    """Stamp records when getmany() hands them to the consumer loop (instance-level wrap)."""
    original = consumer.getmany

    async def getmany(*partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> Any:
        batches = await original(*partitions, timeout_ms=timeout_ms, max_records=max_records)
        now = time.perf_counter()
        for records in batches.values():
            for record in records:
                stamps.delivered[header(record.headers, "ce_id")] = now
        return batches

    consumer.getmany = getmany  # type: ignore[method-assign]


@dataclass
class Infra:
    db_url: str  # SQLAlchemy (asyncpg) URL of the scratch database
    bootstrap: str
    broker_pid: int | None
    postmaster_pid: int | None
    cleanup: list[Any]


async def start_infra(workdir: Path) -> Infra:
    from devstack.broker import EmbeddedBroker
    from devstack.postgres import EmbeddedPostgres, free_port

    cleanup: list[Any] = []
    postmaster_pid = None
    server_url = os.environ.get("CONVENE_BENCH_DATABASE_URL")
    if server_url:
        server_url = server_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    else:
        postgres = EmbeddedPostgres(workdir / "postgres", free_port())
        await asyncio.to_thread(postgres.start)
        cleanup.append(postgres.destroy)
        server_url = postgres.url()
        postmaster_pid = int((postgres.pgdata / "postmaster.pid").read_text().split()[0])
    name = f"convene_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    if os.environ.get("CONVENE_BENCH_DATABASE_URL"):

        async def drop() -> None:
            conn = await asyncpg.connect(server_url)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        cleanup.append(drop)
    db_url = (
        make_url(server_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker_pid = None
    if not bootstrap:
        broker = EmbeddedBroker(free_port(), workdir / "broker.log")
        await asyncio.to_thread(broker.start)
        cleanup.append(broker.stop)
        bootstrap = broker.bootstrap_servers
        broker_pid = broker.process.pid if broker.process else None
    return Infra(db_url, bootstrap, broker_pid, postmaster_pid, cleanup)


async def run_cleanup(actions: list[Any]) -> None:
    for action in reversed(actions):
        try:
            result = action()
            if asyncio.iscoroutine(result):
                await result
        except Exception as exc:
            print(f"bench: cleanup step failed: {exc}", file=sys.stderr)


async def raw_round_trip(
    bootstrap: str, topic: str, messages: int, fetch_max_wait_ms: int
) -> dict[str, Any]:
    """One message at a time: send, wait until our consumer sees it, repeat."""
    settings = KafkaSettings(
        kafka_bootstrap_servers=bootstrap, kafka_fetch_max_wait_ms=fetch_max_wait_ms
    )
    producer = create_producer(settings, client_id="bench-raw-producer")
    consumer = create_consumer(settings, f"bench-raw-{uuid.uuid4().hex[:8]}", [topic])
    await start_client(producer, bootstrap)
    await start_client(consumer, bootstrap)
    waiting: dict[str, asyncio.Future[float]] = {}

    async def consume() -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=200)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    future = waiting.pop(header(record.headers, "ce_id"), None)
                    if future is not None and not future.done():
                        future.set_result(now)

    consuming = asyncio.create_task(consume())
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():
                await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        round_trips: list[float] = []
        acks: list[float] = []
        for i in range(messages + 50):  # the first 50 warm up connections and are dropped
            envelope = Envelope.wrap(make_event(), source=SOURCE)
            received = waiting[envelope.id] = loop.create_future()
            sent = time.perf_counter()
            await producer.send_and_wait(
                topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
            )
            acked = time.perf_counter()
            async with asyncio.timeout(10):
                consumed = await received
            if i >= 50:
                round_trips.append(consumed - sent)
                acks.append(acked - sent)
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        await consumer.stop()
        await producer.stop()
    return {"round_trip": summary_ms(round_trips), "send_ack": summary_ms(acks)}


def analyse_phase(
    stats: dict[str, Any], side: ConsumerSide, drain_deadline: float
) -> dict[str, Any]:
    """Latencies, backlog series and a sustainability verdict for one load phase."""
    commits: list[tuple[str, float]] = stats["commits"]
    latencies = []
    missing = 0
    for event_id, committed in commits:
        handled = side.handled.get(event_id)
        if handled is None:
            missing += 1
        else:
            latencies.append(handled - committed)
    commit_times = sorted(t for _, t in commits)
    handled_times = sorted(side.handled[e] for e, _ in commits if e in side.handled)
    start, end = stats["start"], stats["end"]
    series: list[tuple[float, float]] = []
    t = start
    while t <= end:
        backlog = bisect.bisect_right(commit_times, t) - bisect.bisect_right(handled_times, t)
        series.append((t - start, float(backlog)))
        t += 0.25
    second_half = [p for p in series if p[0] >= (end - start) / 2]
    drain = max(handled_times) - max(commit_times) if not missing and handled_times else math.nan
    return {
        "offered_rate": stats["offered_rate"],
        "achieved_rate": stats["achieved_rate"],
        "events": len(commits),
        "delivered": len(latencies),
        "undelivered_after_wait": missing,
        "latency": summary_ms(latencies),
        "backlog_max": max((b for _, b in series), default=0.0),
        "backlog_slope_per_s": slope(second_half),
        "drain_after_load_s": drain,
        "drain_deadline_s": drain_deadline,
        "business_txn": stats["business_txn"],
        "writer_lateness": stats["lateness"],
        "writer_dropped": stats["dropped"],
    }


def verdict(phase: dict[str, Any], p99_limit_ms: float) -> tuple[bool, str]:
    """Sustainable when every criterion holds; otherwise every failed criterion is named."""
    rate = phase["offered_rate"]
    failed = []
    if phase["writer_dropped"] or phase["achieved_rate"] < 0.95 * rate:
        failed.append(f"writers committed only {phase['achieved_rate']:.0f}/s")
    if phase["undelivered_after_wait"]:
        failed.append(f"{phase['undelivered_after_wait']} events not delivered in time")
    if phase["latency"]["p99_ms"] > p99_limit_ms:
        failed.append(f"p99 above {p99_limit_ms:.0f} ms")
    if phase["backlog_slope_per_s"] > max(0.05 * rate, 5):
        failed.append("backlog grows")
    return (not failed), "; ".join(failed) or "ok"


def merge_collected(payloads: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"sends": [], "drains": [], "publishes": [], "statements": {}}
    for payload in payloads:
        for key in ("sends", "drains", "publishes"):
            merged[key].extend(payload[key])
        for name, values in payload["statements"].items():
            merged["statements"].setdefault(name, []).extend(values)
    return merged


def breakdown(stats: dict[str, Any], relay: dict[str, Any], side: ConsumerSide) -> dict[str, Any]:
    """Per-stage latencies of each event, and per-operation timings on both sides."""
    sends = {event_id: (sent, acked) for event_id, sent, acked in relay["sends"]}
    stages: dict[str, list[float]] = {
        "commit -> relay send() called": [],
        "send() -> broker ack (acks=all)": [],
        "broker ack -> consumer getmany() returns": [],
        "getmany() -> handler runs": [],
        "(after) handler -> inbox commit done": [],
    }
    for event_id, committed in stats["commits"]:
        if event_id not in sends or event_id not in side.handled:
            continue
        sent, acked = sends[event_id]
        delivered = side.delivered.get(event_id, math.nan)
        handled = side.handled[event_id]
        applied = side.applied.get(event_id, math.nan)
        values = (
            sent - committed,
            acked - sent,
            delivered - acked,
            handled - delivered,
            applied - handled,
        )
        for name, value in zip(stages, values, strict=True):
            if not math.isnan(value):
                stages[name].append(value)
    drains = relay["drains"]
    publishes = relay["publishes"]
    operations = {
        "relay drain() (claim txn, publish, loop)": summary_ms([e - s for s, e, _ in drains]),
        "relay _publish() (sends, acks, mark-sent)": summary_ms([e - s for s, e, _ in publishes]),
    }
    for name, values in sorted(relay["statements"].items()):
        operations[f"producer SQL: {name}"] = summary_ms(values)
    for name, values in sorted(side.statements.items()):
        operations[f"consumer SQL: {name}"] = summary_ms(values)
    operations["business txn (append_to_outbox+commit)"] = stats["business_txn"]
    batch_sizes = [n for _, _, n in publishes]
    return {
        "stages": {name: summary_ms(values) for name, values in stages.items()},
        "operations": operations,
        "relay_drains": len(drains),
        "relay_batches": len(batch_sizes),
        "relay_batch_mean": sum(batch_sizes) / len(batch_sizes) if batch_sizes else 0.0,
        "relay_batch_max": max(batch_sizes, default=0),
    }


async def wait_delivered(
    commits: list[tuple[str, float]], side: ConsumerSide, timeout: float
) -> None:
    deadline = time.perf_counter() + timeout
    pending = [event_id for event_id, _ in commits]
    while time.perf_counter() < deadline:
        pending = [event_id for event_id in pending if event_id not in side.handled]
        if not pending:
            return
        await asyncio.sleep(0.01)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    infra = await start_infra(workdir)
    infra.cleanup.insert(0, lambda: shutil.rmtree(workdir, ignore_errors=True))
    run = uuid.uuid4().hex[:8]
    raw_topic, e2e_topic = f"bench-{run}-raw.v1", f"bench-{run}.v1"
    telemetry = not args.no_telemetry
    results: dict[str, Any] = {
        "config": {
            "duration_s": args.duration,
            "steady_rate": args.steady_rate,
            "light_rate": args.light_rate,
            "light_duration_s": args.light_duration,
            "step_duration_s": args.step_duration,
            "rates": args.rates,
            "fetch_max_wait_ms": args.fetch_max_wait_ms,
            "raw_messages": args.raw_messages,
            "topology": args.topology,
            "writers": args.writers,
            "relay_batch_size": args.batch_size,
            "partitions": args.partitions,
            "telemetry": telemetry,
            "p99_limit_ms": args.p99_limit_ms,
            "embedded_postgres": infra.postmaster_pid is not None,
            "embedded_broker": infra.broker_pid is not None,
        },
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    busy = machine_busy_seconds()
    await asyncio.sleep(1)
    results["environment"]["background_cpu_pct_before_run"] = 100 * (machine_busy_seconds() - busy)
    memory: dict[str, Any] = {"broker_rss_kib_start": vm_rss_kib(infra.broker_pid or 0)}
    results["memory"] = memory
    children: list[ChildProcess] = []
    consumer_task: asyncio.Task[None] | None = None
    engine = None
    kafka_consumer = dlq_producer = None
    if infra.broker_pid is None:

        async def delete_topics() -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap)
            await admin.start()
            try:
                await admin.delete_topics([raw_topic, e2e_topic])
            finally:
                await admin.close()

        infra.cleanup.append(delete_topics)
    try:
        await ensure_topics(infra.bootstrap, [raw_topic, e2e_topic], partitions=args.partitions)
        engine = create_engine(infra.db_url)
        async with engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)

        progress(f"raw aiokafka round trip, {args.raw_messages} messages one at a time")
        results["raw"] = await raw_round_trip(
            infra.bootstrap, raw_topic, args.raw_messages, args.fetch_max_wait_ms
        )

        # The consuming service: the chassis consumer and inbox, in this process.
        if telemetry:
            from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

            from services.chassis.telemetry import setup_telemetry

            setup_telemetry("convene-bench-consumer")
            SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
        side = ConsumerSide()
        _install_statement_timer(engine, side.statements)
        settings = KafkaSettings(
            kafka_bootstrap_servers=infra.bootstrap,
            kafka_fetch_max_wait_ms=args.fetch_max_wait_ms,
        )
        group = f"bench-{run}-consumer"
        kafka_consumer = create_consumer(settings, group, [e2e_topic])
        dlq_producer = create_producer(settings, client_id=f"{group}-dlq")
        await start_client(kafka_consumer, infra.bootstrap)
        await start_client(dlq_producer, infra.bootstrap)
        time_getmany(kafka_consumer, side)

        async def on_invited(uow: Any, event_: Any, envelope: Envelope) -> None:
            side.handled[envelope.id] = time.perf_counter()

        consumer = BenchEventConsumer(
            name=group,
            handlers={MemberInvitedV1.event_type: on_invited},
            consumer=kafka_consumer,
            producer=dlq_producer,
            sessions=create_session_factory(engine),
            source=SOURCE,
        )
        consumer.stamps = side
        consumer_task = asyncio.create_task(consumer.run(), name="bench-consumer")
        await consumer.wait_until_assigned()

        # The producing side, in child processes.
        base = {
            "db_url": infra.db_url,
            "bootstrap": infra.bootstrap,
            "topic": e2e_topic,
            "telemetry": telemetry,
            "writers": args.writers,
            "batch_size": args.batch_size,
            "profile": str(args.profile) if args.profile else None,
        }
        if args.topology == "service":
            writer = relay = ChildProcess(
                {**base, "name": "producer-service", "roles": ["writer", "relay"]}
            )
            children = [writer]
        else:
            writer = ChildProcess({**base, "name": "writers", "roles": ["writer"]})
            relay = ChildProcess({**base, "name": "relay", "roles": ["relay"]})
            children = [writer, relay]
        for child in children:
            await child.start()
        components: dict[str, int | None] = {"consumer service (bench main)": os.getpid()}
        if args.topology == "service":
            components["producer service (writers+relay)"] = writer.pid
        else:
            components["writers (business txns)"] = writer.pid
            components["relay"] = relay.pid
        components["broker"] = infra.broker_pid
        meter = CpuMeter(components, infra.postmaster_pid)

        async def phase(tag: str, rate: float, duration: float) -> tuple[dict[str, Any], Any]:
            for child in children:
                await child.collect()  # resets the relay's and the statements' records
            side.statements.clear()
            before = meter.snapshot()
            stats = await writer.load(tag, rate, duration)
            deadline = max(5.0, args.p99_limit_ms / 1000 * 2)
            await wait_delivered(stats["commits"], side, deadline)
            after = meter.snapshot()
            # Whatever is still in flight must not spill into the next phase's figures.
            await wait_delivered(stats["commits"], side, 60)
            collected = [await child.collect() for child in children]
            result = analyse_phase(stats, side, deadline)
            result["cpu"] = CpuMeter.report(before, after, len(stats["commits"]))
            result["sustainable"], result["verdict"] = verdict(result, args.p99_limit_ms)
            memory["producer_side_rss_kib"] = {
                child.name: payload["rss_kib"]
                for child, payload in zip(children, collected, strict=True)
            }
            return result, breakdown(stats, merge_collected(collected), side)

        progress("warm-up: 2 s at 100 events/s")
        await phase("warmup", 100, 2)

        if args.light_rate > 0:
            progress(f"light load: {args.light_duration:g} s at {args.light_rate:g} events/s")
            light, light_breakdown = await phase("light", args.light_rate, args.light_duration)
            results["light"] = light
            results["breakdown_light"] = light_breakdown

        rate = args.steady_rate
        progress(f"steady: {args.duration:g} s at {rate:g} events/s")
        steady, steady_breakdown = await phase("steady", rate, args.duration)
        results["steady"] = steady
        results["breakdown_steady"] = steady_breakdown

        steps: list[dict[str, Any]] = []
        for rate in args.rates:
            if rate == args.steady_rate and args.step_duration <= args.duration:
                result = dict(steady)
            else:
                progress(f"step: {args.step_duration:g} s at {rate:g} events/s")
                await asyncio.sleep(0.5)
                result, _ = await phase(f"step-{rate:g}", rate, args.step_duration)
            steps.append(result)
            if not result["sustainable"]:
                break
        results["steps"] = steps
        sustained = [s for s in steps if s["sustainable"]]
        best = max(sustained, key=lambda s: s["offered_rate"]) if sustained else None
        results["max_sustainable"] = (
            {
                "rate": best["offered_rate"],
                "p50_ms": best["latency"]["p50_ms"],
                "p99_ms": best["latency"]["p99_ms"],
                "tested_up_to": steps[-1]["offered_rate"],
                "first_unsustainable": None if steps[-1]["sustainable"] else steps[-1]["verdict"],
            }
            if best
            else None
        )
        raw_p99 = results["raw"]["round_trip"]["p99_ms"]
        ratio = steady["latency"]["p99_ms"] / raw_p99 if raw_p99 else math.nan
        results["ratio"] = {
            "rate": args.steady_rate,
            "e2e_p99_ms": steady["latency"]["p99_ms"],
            "raw_p99_ms": raw_p99,
            "ratio": ratio,
            "target": 3.0,
            "meets_target": ratio <= 3.0,
        }
        if "light" in results:
            light_p99 = results["light"]["latency"]["p99_ms"]
            results["ratio"]["light_rate"] = args.light_rate
            results["ratio"]["light_e2e_p99_ms"] = light_p99
            results["ratio"]["light_ratio"] = light_p99 / raw_p99 if raw_p99 else math.nan
        memory["broker_rss_kib_end"] = vm_rss_kib(infra.broker_pid or 0)
        memory["consumer_service_rss_kib"] = vm_rss_kib()
    finally:
        for child in children:
            await child.stop()
        if consumer_task is not None:
            consumer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer_task
        if kafka_consumer is not None:
            await kafka_consumer.stop()
        if dlq_producer is not None:
            await dlq_producer.stop()
        if engine is not None:
            await engine.dispose()
        await run_cleanup(infra.cleanup)
    return results


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    cfg = results["config"]
    env = results["environment"]
    out: list[str] = []
    width = 104
    out.append("")
    out.append(
        f"Convene event latency  (python {env['python']}, {env['cpus']} cpus, "
        f"topology={cfg['topology']}, fetch_max_wait_ms={cfg['fetch_max_wait_ms']}, "
        f"partitions={cfg['partitions']}, telemetry={'on' if cfg['telemetry'] else 'off'})"
    )
    out.append(
        f"background CPU before the run: "
        f"{env.get('background_cpu_pct_before_run', math.nan):.0f}% of a core"
    )
    out.append("=" * width)
    row = "{:<50} {:>7} {:>9} {:>9} {:>9} {:>9}"
    out.append(row.format("latency (ms)", "n", "p50", "p90", "p99", "max"))
    out.append("-" * width)

    def line(label: str, s: dict[str, Any]) -> None:
        out.append(
            row.format(
                label[:50],
                s["n"],
                fmt(s.get("p50_ms"), 2),
                fmt(s.get("p90_ms"), 2),
                fmt(s.get("p99_ms"), 2),
                fmt(s.get("max_ms"), 2),
            )
        )

    line("1. raw aiokafka produce -> consume", results["raw"]["round_trip"])
    line("   (raw send -> ack)", results["raw"]["send_ack"])
    steady = results["steady"]
    rate = f"@{steady['offered_rate']:g}/s"
    line(f"2. e2e commit -> handler {rate}", steady["latency"])
    light = results.get("light")
    if light:
        line(
            f"   e2e commit -> handler @{light['offered_rate']:g}/s (light load)", light["latency"]
        )
    out.append("")
    phases = [("steady", steady, results["breakdown_steady"])]
    if light:
        phases.insert(0, ("light", light, results["breakdown_light"]))
    head = "   where the time goes, per event (p50 / p99 ms)"
    trow = "     {:<44}" + " {:>22}" * len(phases)
    out.append(
        f"{head:<49}"
        + "".join(f" {'@' + format(p['offered_rate'], 'g') + '/s':>22}" for _, p, _ in phases)
    )
    for name in phases[0][2]["stages"]:
        cells = [
            f"{fmt(b['stages'][name].get('p50_ms'), 2)} / {fmt(b['stages'][name].get('p99_ms'), 2)}"
            for _, _, b in phases
        ]
        out.append(trow.format(name, *cells))
    out.append(
        "     (commit time = when commit() returned in the writers process; when that process "
        "is short\n      of CPU the relay can send first, so the first stage can be negative)"
    )
    out.append("   operations (p50 / p99 ms)")
    for name in phases[-1][2]["operations"]:
        cells = []
        for _, _, b in phases:
            op = b["operations"].get(name, {})
            cells.append(f"{fmt(op.get('p50_ms'), 2)} / {fmt(op.get('p99_ms'), 2)}")
        out.append(trow.format(name[:44], *cells))
    cells = [
        f"{b['relay_batches']} x {b['relay_batch_mean']:.1f} (max {b['relay_batch_max']})"
        for _, _, b in phases
    ]
    out.append(trow.format("relay batches x mean size", *cells))
    out.append("")
    out.append("   CPU per component (% of one core / CPU ms per event)")
    out.append(trow.format("", *(f"@{p['offered_rate']:g}/s" for _, p, _ in phases)))
    for name, value in steady["cpu"].items():
        if isinstance(value, dict):
            cells = []
            for _, p, _ in phases:
                v = p["cpu"].get(name, {})
                cells.append(f"{fmt(v.get('core_pct'), 0)}% / {fmt(v.get('ms_per_event'), 2)}")
            out.append(trow.format(name, *cells))
    for label, p, _ in phases:
        other = p["cpu"].get("other processes (not this bench)", {}).get("core_pct", 0.0)
        if other > 15:
            out.append(
                f"     WARNING ({label}): processes outside the bench used {other:.0f}% of a "
                "core; latencies include CPU contention"
            )
    if not steady["sustainable"]:
        out.append(
            f"     NOTE: {rate} was not sustainable here ({steady['verdict']}): its latencies "
            "are mostly queueing"
        )
    out.append("")
    out.append(
        "   rate steps (sustainable: all delivered, writers keep up, p99 bounded, no backlog "
        "growth)"
    )
    srow = "{:>8} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6} {:>6}  {}"
    out.append(
        srow.format(
            "offered",
            "achieved",
            "events",
            "p50 ms",
            "p99 ms",
            "max ms",
            "backlog",
            "slope/s",
            "drain s",
            "cpu %",
            "other%",
            "verdict",
        )
    )
    for s in results["steps"]:
        machine = s["cpu"].get("machine (all processes)", {})
        busy = machine.get("core_pct", math.nan) / max(1, s["cpu"]["cpus"] or 1)
        out.append(
            srow.format(
                f"{s['offered_rate']:g}",
                fmt(s["achieved_rate"], 0),
                s["events"],
                fmt(s["latency"]["p50_ms"], 1),
                fmt(s["latency"]["p99_ms"], 1),
                fmt(s["latency"].get("max_ms"), 1),
                f"{s['backlog_max']:.0f}",
                fmt(s["backlog_slope_per_s"], 1),
                fmt(s["drain_after_load_s"], 2),
                fmt(busy, 0),
                fmt(s["cpu"].get("other processes (not this bench)", {}).get("core_pct"), 0),
                s["verdict"],
            )
        )
    best = results["max_sustainable"]
    if best:
        tail = (
            f"next step failed: {best['first_unsustainable']}"
            if best["first_unsustainable"]
            else f"every step up to {best['tested_up_to']:g}/s sustained"
        )
        out.append(
            f"   highest sustainable rate: {best['rate']:g} events/s  (p50 {best['p50_ms']:.1f} "
            f"ms, p99 {best['p99_ms']:.1f} ms); {tail}"
        )
    else:
        out.append("   no tested rate was sustainable")
    out.append(
        "   (cpu % = whole machine busy; other% = CPU of processes outside the bench, in % of a "
        "core; backlog = committed - handled, max over the step)"
    )
    ratio = results["ratio"]
    out.append("")
    out.append(
        f"3. e2e p99 / raw p99 @{ratio['rate']:g}/s = {ratio['e2e_p99_ms']:.2f} / "
        f"{ratio['raw_p99_ms']:.2f} = {ratio['ratio']:.2f}x   (target <= {ratio['target']:.0f}x: "
        f"{'met' if ratio['meets_target'] else 'MISSED'})"
    )
    if "light_ratio" in ratio:
        out.append(
            f"   for reference @{ratio['light_rate']:g}/s: {ratio['light_e2e_p99_ms']:.2f} / "
            f"{ratio['raw_p99_ms']:.2f} = {ratio['light_ratio']:.2f}x"
        )
    mem = results["memory"]

    def mib(kib: int | None) -> str:
        return f"{kib / 1024:.1f} MiB" if kib else "n/a"

    producer_side = ", ".join(
        f"{name} {mib(kib)}" for name, kib in mem.get("producer_side_rss_kib", {}).items()
    )
    out.append(
        f"memory (RSS): broker {mib(mem.get('broker_rss_kib_start'))} -> "
        f"{mib(mem.get('broker_rss_kib_end'))}; {producer_side}; consumer service "
        f"{mib(mem.get('consumer_service_rss_kib'))}"
    )
    out.append(f"bench took {results.get('bench_seconds', math.nan):.0f} s")
    print("\n".join(out), flush=True)


def no_nan(value: Any) -> Any:
    """JSON has no NaN: unknown figures become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [no_nan(v) for v in value]
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="steady phase, s")
    parser.add_argument("--steady-rate", type=float, default=200, help="events/s")
    parser.add_argument(
        "--light-rate",
        type=float,
        default=20,
        help="events/s of a short light-load reference phase (0 skips it)",
    )
    parser.add_argument("--light-duration", type=float, default=5)
    parser.add_argument("--step-duration", type=float, default=8, help="each rate step, s")
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",") if x.strip()],
        default=[50.0, 100.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0],
        help="comma-separated events/s to step through; stops at the first unsustainable",
    )
    parser.add_argument(
        "--fetch-max-wait-ms", type=int, default=10, choices=range(1, 501), metavar="1..500"
    )
    parser.add_argument("--raw-messages", type=int, default=2000)
    parser.add_argument(
        "--topology",
        choices=["service", "split"],
        default="service",
        help="service (default): the business writers share the relay's process and event "
        "loop, as in one service process; split: writers and relay in separate processes",
    )
    parser.add_argument("--writers", type=int, default=8, help="concurrent business txns")
    parser.add_argument("--batch-size", type=int, default=200, help="relay batch size")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--p99-limit-ms", type=float, default=1000)
    parser.add_argument(
        "--no-telemetry",
        action="store_true",
        help="skip the service telemetry set-up (SDK tracer provider, SQLAlchemy spans)",
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument(
        "--profile",
        type=Path,
        help="cProfile every bench process into DIR/<process>.prof (slows everything down)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    started = time.perf_counter()
    with profiled(str(args.profile) if args.profile else None, "consumer-service"):
        results = asyncio.run(bench(args))
    results["bench_seconds"] = time.perf_counter() - started
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(no_nan(results), indent=2, default=str) + "\n")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
