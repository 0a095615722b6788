"""Content at scale: 5,000 members x 10,000 published items.

    .venv/bin/python bench/content_feed.py [--members 5000] [--items 10000] [--requests 2000]

Starts embedded PostgreSQL and the broker, the identity and content services and the gateway
(in this process, on loopback ports), seeds the content database directly (COPY), then:

1. feed requests through the gateway (`GET /api/content/feed?limit=20`) for random members,
   `--concurrency` at a time: p50/p95/p99 latency and throughput;
2. search requests (`GET /api/content/search?q=...`): p50/p99;
3. the time to build every member's weekly digest (`build_weekly_digests`, the function the
   digest worker and `POST /digests/runs` use): ranking, recording and queueing each mail in
   the outbox. Sending is not timed (the mail relay is left out here).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import uvicorn

from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, free_port
from services.chassis.app import create_service_app
from services.chassis.migrations import upgrade_to_head
from services.chassis.runtime import ServiceRuntime
from services.content.bootstrap import SERVICE as CONTENT
from services.content.domain.digests import iso_week
from services.content.entrypoints.worker import build_weekly_digests
from services.gateway.app import create_app as create_gateway
from services.gateway.config import GatewaySettings
from services.identity.adapters.signing_keys import SigningKeys
from services.identity.bootstrap import SERVICE as IDENTITY
from services.identity.domain.access_tokens import issue_access_token

SECTORS = [
    "local-government", "health", "education", "defence", "justice", "transport",
    "treasury", "home-office", "environment", "digital", "welfare", "housing",
]  # fmt: skip
REGIONS = [
    "london", "north-west", "north-east", "yorkshire", "midlands", "south-west",
    "south-east", "east", "wales", "scotland", "northern-ireland",
]  # fmt: skip
EXPERTISE = [
    "finance", "digital", "net-zero", "workforce", "procurement", "policy", "data",
    "commercial", "legal", "operations", "communications", "security", "ai", "estates",
]  # fmt: skip
TOPICS = [f"topic-{n}" for n in range(30)]
WORDS = [
    "leadership", "reform", "budget", "spending", "review", "productivity", "workforce",
    "resilience", "digital", "services", "devolution", "partnership", "skills", "funding",
    "innovation", "accountability", "delivery", "governance", "strategy", "evidence",
    "outcomes", "transformation", "citizens", "regulation",
]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def serve(app, port):  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server, task


async def create_database(server: str, name: str) -> str:
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def seed(dsn: str, members: int, items: int, rng: random.Random) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    cohorts = [uuid.uuid4() for _ in range(10)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO topics (slug, name, description, created_by) VALUES ($1, $1, '', 'bench')",
            [(t,) for t in TOPICS],
        )
        await conn.executemany(
            "INSERT INTO cohorts (cohort_id, name) VALUES ($1, $2)",
            [(c, f"Cohort {n}") for n, c in enumerate(cohorts)],
        )
        item_rows, item_ids = [], []
        for n in range(items):
            item_id = uuid.uuid4()
            item_ids.append(item_id)
            audience = rng.choices(["everyone", "cohorts", "sectors"], [8, 1, 1])[0]
            published = now - timedelta(days=rng.uniform(0, 365))
            body = " ".join(rng.choices(WORDS, k=80))
            title = " ".join(rng.choices(WORDS, k=5))
            item_rows.append(
                (
                    item_id, "article", "published", f"Item {n}: {title}",
                    " ".join(rng.choices(WORDS, k=20)), body, f"<p>{body}</p>", body,
                    rng.sample(TOPICS, 2), rng.sample(SECTORS, rng.randint(0, 2)),
                    rng.sample(EXPERTISE, rng.randint(0, 3)),
                    rng.sample(REGIONS, rng.randint(0, 1)),
                    audience, [rng.choice(cohorts)] if audience == "cohorts" else [],
                    rng.sample(SECTORS, 2) if audience == "sectors" else [],
                    "bench", published, published, published, 1,
                )
            )  # fmt: skip
        await conn.copy_records_to_table(
            "items",
            records=item_rows,
            columns=[
                "id", "kind", "status", "title", "summary", "body_markdown", "body_html",
                "body_text", "topics", "sectors", "expertise", "regions", "audience",
                "audience_cohort_ids", "audience_sectors", "author_id", "published_at",
                "updated_at", "created_at", "version",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "published_items",
            records=[
                (r[0], r[16], r[8], r[9], r[10], r[11], r[12], r[13], r[14]) for r in item_rows
            ],
            columns=[
                "id", "published_at", "topics", "sectors", "expertise", "regions", "audience",
                "audience_cohort_ids", "audience_sectors",
            ],
        )  # fmt: skip
        member_ids = [uuid.uuid4() for _ in range(members)]
        await conn.copy_records_to_table(
            "members",
            records=[
                (
                    m, f"Leader {n}", f"leader{n}@example.gov.uk", True, rng.choice(SECTORS),
                    rng.choice(REGIONS), rng.sample(EXPERTISE, 2), "member", True,
                )
                for n, m in enumerate(member_ids)
            ],
            columns=[
                "member_id", "full_name", "email", "active", "sector", "region", "expertise",
                "profile_source", "digest_weekly",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "member_cohorts",
            records=[(m, rng.choice(cohorts)) for m in member_ids if rng.random() < 0.3],
            columns=["member_id", "cohort_id"],
        )
        reads = {(m, i) for m in member_ids for i in rng.sample(item_ids, 20)}
        await conn.copy_records_to_table(
            "reads", records=list(reads), columns=["member_id", "item_id"]
        )
        prefs = {
            (m, t): rng.choice(["follow", "follow", "mute"])
            for m in member_ids
            for t in rng.sample(TOPICS, 2)
        }
        await conn.copy_records_to_table(
            "topic_preferences",
            records=[(m, t, mode) for (m, t), mode in prefs.items()],
            columns=["member_id", "topic", "mode"],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return member_ids


async def timed_requests(client, paths, concurrency):  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    queue = list(paths)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while queue:
            path, headers = queue.pop()
            start = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, errors


def report(name: str, latencies: list[float], elapsed: float, errors: int) -> None:
    print(
        f"{name}: {len(latencies)} requests, {len(latencies) / elapsed:.0f} req/s, "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, errors {errors}"
    )


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="convene-bench-") as tmp:
        root = Path(tmp)
        postgres = EmbeddedPostgres(root / "postgres", free_port())
        broker = EmbeddedBroker(free_port(), root / "broker.log")
        postgres.start()
        broker.start()
        servers = []
        try:
            server_url = postgres.url().rsplit("/", 1)[0]
            ports = {name: free_port() for name in ("identity", "content", "gateway")}
            jwks = f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json"
            apps = {}
            # The mail relay is left out: this measures building digests, not sending them.
            content = dataclasses.replace(CONTENT, workers=[])
            for definition in (IDENTITY, content):
                url = await create_database(server_url, f"convene_{definition.name}")
                await asyncio.to_thread(upgrade_to_head, definition.migrations, url)
                settings = definition.settings_type(
                    database_url=url,
                    kafka_bootstrap_servers=broker.bootstrap_servers,
                    auth_jwks_url=jwks,
                    mailbox_dir=root / "mailbox",
                )
                apps[definition.name] = create_service_app(definition, settings)
            unused = "http://127.0.0.1:9"
            apps["gateway"] = create_gateway(
                GatewaySettings(
                    auth_jwks_url=jwks,
                    identity_url=f"http://127.0.0.1:{ports['identity']}",
                    content_url=f"http://127.0.0.1:{ports['content']}",
                    directory_url=unused,
                    feedback_url=unused,
                )
            )
            for name in ("identity", "content", "gateway"):
                servers.append(await serve(apps[name], ports[name]))

            started = time.perf_counter()
            dsn = f"{server_url}/convene_content"
            member_ids = await seed(dsn, args.members, args.items, rng)
            print(
                f"seeded {args.members} members, {args.items} published items, "
                f"{args.members * 20} reads in {time.perf_counter() - started:.1f} s"
            )
            keys = apps["identity"].state.runtime.token_verifier.keys
            assert isinstance(keys, SigningKeys)
            key = await keys.active()
            sample = rng.sample(member_ids, min(500, len(member_ids)))
            tokens = {
                m: {
                    "Authorization": "Bearer "
                    + issue_access_token(
                        key,
                        subject=str(m),
                        roles=["member"],
                        issuer="convene-identity",
                        audience="convene",
                        ttl_seconds=3600,
                    )
                }
                for m in sample
            }
            gateway = f"http://127.0.0.1:{ports['gateway']}/api/content"
            async with httpx.AsyncClient(
                base_url=gateway, timeout=60, limits=httpx.Limits(max_connections=64)
            ) as client:
                warm = [("/feed?limit=20", tokens[m]) for m in sample[:50]]
                await timed_requests(client, warm, args.concurrency)
                feed = [
                    ("/feed?limit=20", tokens[rng.choice(sample)]) for _ in range(args.requests)
                ]
                report("feed", *(await timed_requests(client, feed, args.concurrency)))
                single = [("/feed?limit=20", tokens[rng.choice(sample)]) for _ in range(200)]
                report("feed, one at a time", *(await timed_requests(client, single, 1)))
                search = [
                    (
                        f"/search?q={'+'.join(rng.sample(WORDS, 2))}&limit=20",
                        tokens[rng.choice(sample)],
                    )
                    for _ in range(args.requests // 2)
                ]
                report("search", *(await timed_requests(client, search, args.concurrency)))

            runtime: ServiceRuntime = apps["content"].state.runtime
            week = iso_week(datetime.now(UTC))
            started = time.perf_counter()
            run = await build_weekly_digests(runtime, week)
            elapsed = time.perf_counter() - started
            print(
                f"weekly digests: {run.members} members considered, {run.queued} queued in "
                f"{elapsed:.1f} s ({elapsed / max(run.members, 1) * 1000:.1f} ms per member)"
            )
        finally:
            for server, _ in reversed(servers):
                server.should_exit = True
            await asyncio.gather(*(task for _, task in servers), return_exceptions=True)
            broker.stop()
            postgres.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=6)
    asyncio.run(main(parser.parse_args()))
