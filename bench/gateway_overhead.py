"""What the gateway adds to a request: a proxied GET through the gateway versus the same GET
straight to the service, in the same run. Figures only; asserts nothing.

The service is identity's JWKS (`GET /.well-known/jwks.json`: no database, so the figure is the
gateway's own cost), served by a real identity app on embedded PostgreSQL and the embedded
broker; the gateway and the service each run in their own uvicorn process on loopback, and the
load generator in this one. `python bench/gateway_overhead.py [--requests 3000] [--concurrency 8]`

Besides wall-clock latency it reports the CPU time each server process spent per request (from
/proc): on a shared, busy machine latency measures the queue for the CPU, while CPU per request
is the gateway's own cost and stays comparable between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.postgres import EmbeddedPostgres, free_port  # noqa: E402


async def measure(url: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        for _ in range(50):  # warm-up: connections, caches
            (await client.get(url)).raise_for_status()
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(url: str, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    postgres = EmbeddedPostgres(work / "postgres", free_port())
    broker = EmbeddedBroker(free_port(), work / "broker.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        broker.start()
        identity_port, gateway_port = free_port(), free_port()
        database = postgres.url().rsplit("/", 1)[0] + "/postgres"
        env = {
            **os.environ,
            "IDENTITY_DATABASE_URL": database,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "IDENTITY_MAILBOX_DIR": str(work / "mailbox"),
            "GATEWAY_IDENTITY_URL": f"http://127.0.0.1:{identity_port}",
            "AUTH_JWKS_URL": f"http://127.0.0.1:{identity_port}/.well-known/jwks.json",
            # The load comes from one address: lift the per-address limit for the run.
            "GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE": "100000000",
            "GATEWAY_RATE_LIMIT_PER_IP_BURST": "100000000",
            "OTEL_SDK_DISABLED": "true",
        }
        python = sys.executable
        subprocess.run([python, "-m", "services.identity", "migrate"], env=env, check=True)
        for module, port in (
            ("services.identity", identity_port),
            ("services.gateway", gateway_port),
        ):
            processes.append(
                subprocess.Popen(
                    [python, "-m", module, "serve", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(work / f"{module}.log", "wb"),  # noqa: SIM115
                )
            )
        direct = f"http://127.0.0.1:{identity_port}/.well-known/jwks.json"
        via_gateway = f"http://127.0.0.1:{gateway_port}/api/identity/.well-known/jwks.json"
        wait_ready(direct)
        wait_ready(via_gateway)
        rows = []
        own = f"http://127.0.0.1:{gateway_port}/healthz"
        service_pid, gateway_pid = (process.pid for process in processes)
        for name, url in (("direct", direct), ("gateway", via_gateway), ("healthz", own)):
            before = cpu_seconds(service_pid), cpu_seconds(gateway_pid)
            rate, latencies = asyncio.run(measure(url, args.requests, args.concurrency))
            after = cpu_seconds(service_pid), cpu_seconds(gateway_pid)
            # The warm-up requests are counted too: 50 more than measured.
            count = args.requests + 50
            cpu = [(b - a) * 1000 / count for a, b in zip(before, after, strict=True)]
            rows.append((name, rate, percentile(latencies, 50), percentile(latencies, 99), *cpu))
        print(f"{args.requests} GETs, {args.concurrency} concurrent, loopback, one process each")
        print("healthz = the gateway answering by itself (no service call), for scale")
        print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"{'path':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'service CPU ms/req':>19} {'gateway CPU ms/req':>19}"
        )
        for name, rate, p50, p99, service_cpu, gateway_cpu in rows:
            print(
                f"{name:<8} {rate:8.0f} {p50:8.2f} {p99:8.2f} "
                f"{service_cpu:19.3f} {gateway_cpu:19.3f}"
            )
        (_, d_rate, d50, d99, _, _), (_, g_rate, g50, g99, _, g_cpu) = rows[:2]
        print(
            f"gateway adds {g50 - d50:.2f} ms at p50 and {g99 - d99:.2f} ms at p99; "
            f"throughput ratio gateway/direct = {g_rate / d_rate:.2f}; "
            f"the gateway's own CPU per proxied request: {g_cpu:.2f} ms"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        broker.stop()
        postgres.destroy()


if __name__ == "__main__":
    main()
