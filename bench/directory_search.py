"""Directory search under load: figures, not a test (it asserts nothing).

Starts embedded PostgreSQL and the broker, identity, directory and the gateway as their own
processes (as `convene up` does), seeds 100,000 synthetic leaders, then for each target runs 16
concurrent clients for 20 s and prints p50/p99 latency and requests/s:

  bare      a bare FastAPI `async def` endpoint (the same machine, the same run: the yardstick)
  direct    GET /profiles?q=... on the directory itself
  gateway   GET /api/directory/profiles?q=... through the gateway (two hops)
  uncached  the same as direct, on a second directory process that keeps no answers in memory
            (DIRECTORY_SEARCH_CACHE_ENTRIES=0): what a search costs when nobody asked it since
            the directory last changed

Queries rotate through names, organisations, common words, typos and filters. The load
generator shares the two cores with the servers, so whatever CPU it spends per request is taken
from them, and most from the two-hop gateway target (four processes on two cores). It is
`raw` by default: each client one kept-alive connection writing a request encoded once and
reading the answer with httptools (uvicorn's parser), as wrk or h2load would, at ~0.03 ms of
CPU per request. `--client aiohttp` (~0.1 ms; the figures of 7 December 2026, 10:00-16:00)
and `--client httpx` (~0.7 ms; before that) reproduce the earlier figures. Usage:

  python bench/directory_search.py [--profiles 100000] [--clients 16] [--seconds 20]
      [--targets bare,direct,gateway] [--client raw|aiohttp|httpx] [--hold]

`--hold` keeps the stack running after the figures (its addresses and a token are written to
`hold.json` in the work folder) so a profiler can be attached: `py-spy top --pid <directory>`,
then measure again with `python bench/directory_search.py --against <work>/hold.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httptools
import httpx
import yarl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES: list[dict[str, str]] = [
    {"q": "Chelmsford"},
    {"q": "Chelmsfrod"},
    {"q": "director"},
    {"q": "chief executive"},
    {"q": "permanent secretary"},
    {"q": "smith"},
    {"q": "net zero"},
    {"q": "digital", "sector": "central_government"},
    {"q": "health", "region": "london"},
    {"q": "police scotland"},
    {"q": "housing", "sector": "local_government"},
    {"q": "Manchester"},
    {"q": "data ai"},
    {"q": "Welsh Government"},
    {"q": "resilience", "limit": "10"},
    {"q": "Jones"},
]

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
"""


class _KeptAlive(asyncio.Protocol):
    """One connection answering one request at a time: `await exchange(request)` is the status.

    The body is parsed (to know where the answer ends) and dropped: nothing is copied or decoded.
    """

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(exc)

    def on_message_complete(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionError("the server closed the connection"))

    def fail(self, exc: BaseException) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes) -> int:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


def encoded_requests(url: str, token: str) -> tuple[str, int, list[bytes]]:
    """Every query's GET request as it goes on the wire, and where to send it."""
    parsed = yarl.URL(url)
    assert parsed.host is not None
    assert parsed.port is not None
    requests = [
        (
            f"GET {parsed.with_query(params).raw_path_qs} HTTP/1.1\r\n"
            f"Host: {parsed.host}:{parsed.port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        for params in QUERIES
    ]
    return parsed.host, parsed.port, requests


def _client_process(  # type: ignore[no-untyped-def]
    url: str, token: str, seconds: float, clients: int, client_kind: str, queue
) -> None:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}

    async def run(get: Callable[[int], Awaitable[int]], offset: int) -> None:
        """Query after query from `offset` until the time is up; `get(i)` answers a status."""
        nonlocal errors
        deadline = time.perf_counter() + seconds
        index = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = await get(index % len(QUERIES))
            latencies.append(time.perf_counter() - started)
            index += 1
            if status != 200:
                errors += 1

    async def with_httpx(offset: int) -> None:
        async with httpx.AsyncClient(timeout=10, headers=headers) as client:

            async def get(i: int) -> int:
                return (await client.get(url, params=QUERIES[i])).status_code

            await run(get, offset)

    async def with_aiohttp(offset: int) -> None:
        # Encoded once: the figures are the server's, not the load generator's URL building.
        urls = [yarl.URL(url).with_query(params) for params in QUERIES]
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as client:

            async def get(i: int) -> int:
                async with client.get(urls[i]) as response:
                    await response.read()
                    return response.status

            await run(get, offset)

    async def with_raw(offset: int) -> None:
        host, port, requests = encoded_requests(url, token)
        loop = asyncio.get_running_loop()
        connection: _KeptAlive | None = None

        async def get(i: int) -> int:
            nonlocal connection
            if (
                connection is None
                or connection.transport is None
                or connection.transport.is_closing()
            ):
                _, connection = await loop.create_connection(_KeptAlive, host, port)
            try:
                async with asyncio.timeout(10):
                    return await connection.exchange(requests[i])
            except (OSError, TimeoutError, httptools.HttpParserError):
                connection.fail(ConnectionError("abandoned"))
                connection = None
                return 0

        try:
            await run(get, offset)
        finally:
            if connection is not None and connection.transport is not None:
                connection.transport.close()

    one_client = {"raw": with_raw, "aiohttp": with_aiohttp, "httpx": with_httpx}[client_kind]

    async def main() -> None:
        await asyncio.gather(*(one_client(i * 3) for i in range(clients)))

    asyncio.run(main())
    queue.put((latencies, errors))


def load(
    url: str,
    token: str,
    *,
    clients: int,
    seconds: float,
    processes: int,
    client_kind: str = "raw",
) -> dict[str, float]:
    """`clients` concurrent clients spread over `processes` load-generator processes."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    per_process = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    workers = [
        multiprocessing.Process(
            target=_client_process,
            args=(url, token, seconds, n, client_kind, queue),
        )
        for n in per_process
        if n
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        got, failed = queue.get()
        latencies += got
        errors += failed
    for worker in workers:
        worker.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
    }


def measure(targets: dict[str, str], token: str, args: argparse.Namespace) -> None:
    """Each chosen target in turn, then the ratios to the bare endpoint."""
    chosen = [name for name in args.targets.split(",") if name]
    # The machine may be shared: the load average says how far the figures can be trusted.
    load_before = os.getloadavg()
    results = {}
    for name in chosen:
        results[name] = load(
            targets[name],
            token,
            clients=args.clients,
            seconds=args.seconds,
            processes=args.processes,
            client_kind=args.client,
        )
        r = results[name]
        print(
            f"{name:8} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:6.1f} ms   "
            f"p99 {r['p99_ms']:6.1f} ms   ({r['requests']} requests, {r['errors']} errors)"
        )
    if "bare" in results:
        bare = results["bare"]["rps"]
        ratios = ", ".join(f"{n} {results[n]['rps'] / bare:.2f}" for n in results if n != "bare")
        print(f"ratio to bare: {ratios}   (targets: direct >= 0.50, gateway >= 0.33, p99 <= 25 ms)")
    print(
        f"machine: {os.cpu_count()} CPUs; {args.clients} {args.client} clients over "
        f"{args.processes} load processes on the same machine; load average before "
        f"{' '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"bench: {url} not ready after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--client",
        choices=("raw", "aiohttp", "httpx"),
        default="raw",
        help="the load generator's HTTP client (aiohttp, httpx: earlier figures; see above)",
    )
    parser.add_argument("--targets", default="bare,direct,gateway,uncached")
    parser.add_argument("--hold", action="store_true", help="keep the stack running after")
    parser.add_argument("--against", type=Path, help="measure a held stack (its hold.json)")
    args = parser.parse_args()
    if args.against:
        held = json.loads(args.against.read_text())
        measure(held["targets"], held["token"], args)
        return

    from devstack.broker import EmbeddedBroker
    from devstack.postgres import EmbeddedPostgres, free_port

    # Stopped by `kill` (or run in the background, where Ctrl-C's SIGINT is ignored), the bench
    # must still stop its processes, broker and database: exit through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    postgres = EmbeddedPostgres(work / "postgres", free_port())
    broker = EmbeddedBroker(free_port(), work / "broker.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        broker.start()
        server = postgres.url().rsplit("/", 1)[0]
        ports = {
            name: free_port() for name in ("identity", "directory", "gateway", "bare", "uncached")
        }
        env = dict(os.environ)
        env.update(
            {
                "IDENTITY_DATABASE_URL": f"{server}/convene_identity",
                "DIRECTORY_DATABASE_URL": f"{server}/convene_directory",
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "AUTH_JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
                "GATEWAY_IDENTITY_URL": f"http://127.0.0.1:{ports['identity']}",
                "GATEWAY_DIRECTORY_URL": f"http://127.0.0.1:{ports['directory']}",
                "IDENTITY_MAILBOX_DIR": str(work / "mail"),
                "IDENTITY_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
                # All the load is one member from one address: lift the gateway's limits, or
                # the gateway figures would be fast 429s.
                "GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE": "100000000",
                "GATEWAY_RATE_LIMIT_PER_IP_BURST": "100000000",
                "GATEWAY_RATE_LIMIT_PER_MEMBER_PER_MINUTE": "100000000",
                "GATEWAY_RATE_LIMIT_PER_MEMBER_BURST": "100000000",
                "OTEL_SDK_DISABLED": "true",
                # The embedded broker answers a waiting fetch only when the wait expires, so at
                # the 10 ms default every idle consumer polls 100 times a second (~5% of a core
                # per process, and the broker's own ~9%). Apache Kafka answers when records
                # arrive, so idle consumers cost nothing there; nothing here waits for events.
                "KAFKA_FETCH_MAX_WAIT_MS": "500",
                "PYTHONPATH": str(ROOT),
            }
        )
        import asyncpg

        async def create_databases() -> None:
            conn = await asyncpg.connect(f"{server}/postgres")
            for name in ("convene_identity", "convene_directory"):
                await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create_databases())
        for service in ("identity", "directory"):
            subprocess.run([python, "-m", f"services.{service}", "migrate"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [
                python,
                "-m",
                "devstack.cli",
                "seed-demo",
                "--count",
                str(args.profiles),
                "--no-events",
            ],
            env=env,
            check=True,
        )
        print(f"bench: seeded {args.profiles} profiles in {time.perf_counter() - started:.0f} s")

        async def vacuum() -> None:
            # A live database has been vacuumed and analysed; a just-seeded one has neither
            # statistics nor a visibility map, and would be measured in a state nobody runs.
            conn = await asyncpg.connect(f"{server}/convene_directory")
            await conn.execute("VACUUM ANALYZE")
            # The seed's writes flushed now, so no checkpoint lands in a target's 20 seconds.
            await conn.execute("CHECKPOINT")
            await conn.close()

        asyncio.run(vacuum())
        log = (work / "services.log").open("wb")
        for service in ("identity", "directory"):
            processes.append(
                subprocess.Popen(
                    [python, "-m", f"services.{service}", "serve", "--port", str(ports[service])],
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
        processes.append(
            subprocess.Popen(
                [python, "-m", "services.gateway", "serve", "--port", str(ports["gateway"])],
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        processes.append(
            subprocess.Popen(
                [python, "-m", "services.directory", "serve", "--port", str(ports["uncached"])],
                env=env | {"DIRECTORY_SEARCH_CACHE_ENTRIES": "0"},
                stdout=log,
                stderr=log,
            )
        )
        (work / "bare_app.py").write_text(BARE_APP)
        processes.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "bare_app:app",
                    "--port",
                    str(ports["bare"]),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=work,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        for name in ("identity", "directory", "uncached"):
            wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
        # The gateway's readiness also wants feedback and content, which this bench leaves out.
        wait_ready(f"http://127.0.0.1:{ports['gateway']}/healthz")
        wait_ready(f"http://127.0.0.1:{ports['bare']}/hello")
        token = (
            subprocess.run(
                [
                    python,
                    "-m",
                    "services.identity",
                    "issue-token",
                    "--subject",
                    "00000000-0000-4000-8000-0000000be7c4",
                    "--minutes",
                    # Held stacks are profiled for a while: the token must outlive them.
                    "480" if args.hold else "30",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )

        targets = {
            "bare": f"http://127.0.0.1:{ports['bare']}/hello",
            "direct": f"http://127.0.0.1:{ports['directory']}/profiles",
            "gateway": f"http://127.0.0.1:{ports['gateway']}/api/directory/profiles",
            "uncached": f"http://127.0.0.1:{ports['uncached']}/profiles",
        }
        held = {
            "targets": targets,
            "token": token,
            "pids": {
                name: p.pid
                for name, p in zip(
                    ("identity", "directory", "gateway", "uncached", "bare"),
                    processes,
                    strict=True,
                )
            },
            "database": server,
            "ports": ports,
            "env": {k: v for k, v in env.items() if k not in os.environ or os.environ[k] != v},
        }
        (work / "hold.json").write_text(json.dumps(held, indent=2))
        # Warm caches and connection pools, then measure each target in turn.
        for warm in ("gateway", "uncached"):
            load(targets[warm], token, clients=4, seconds=3, processes=1)
        measure(targets, token, args)
        if args.hold:
            print(f"bench: holding the stack; details in {work / 'hold.json'}; Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.stop()
        postgres.destroy()


if __name__ == "__main__":
    main()
