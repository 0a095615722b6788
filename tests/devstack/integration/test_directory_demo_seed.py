"""Directory demo leaders (devstack/directory_demo.py): seeded once per seed, searchable
through the gateway, announced as events."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid

import httpx
from sqlalchemy import text

from devstack.directory_demo import generate_leaders, seed_demo


async def test_seeding_is_idempotent_searchable_and_published(stack) -> None:
    runtime = stack.runtime("directory")
    seed = random.randint(10_000, 1_000_000)
    assert await seed_demo(runtime.engine, 25, seed=seed) == 25
    assert await seed_demo(runtime.engine, 25, seed=seed) == 0
    leaders = [leader.values for leader in generate_leaders(25, seed=seed)]
    async with runtime.engine.connect() as conn:
        published = await conn.scalar(
            text(
                "SELECT count(*) FROM outbox WHERE event_type = 'directory.profile.published.v1' "
                "AND key = ANY(:keys)"
            ),
            {"keys": [str(r["member_id"]) for r in leaders]},
        )
    assert published == 25
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        # Any member may search: one with no profile of their own is enough here.
        viewer = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
        target = leaders[3]
        found = await client.get(
            "/api/directory/profiles",
            params={"q": target["full_name"], "limit": 100},
            headers=viewer,
        )
        assert str(target["member_id"]) in [c["member_id"] for c in found.json()["items"]]


def test_the_seed_demo_command(stack) -> None:
    env = dict(os.environ)
    env["DIRECTORY_DATABASE_URL"] = stack.infrastructure.database_url("convene_directory")
    env["KAFKA_BOOTSTRAP_SERVERS"] = stack.infrastructure.kafka_bootstrap
    seed = str(random.randint(1_000_001, 2_000_000))
    command = [sys.executable, "-m", "devstack.cli", "seed-demo", "--count", "5"]
    done = subprocess.run(
        [*command, "--seed", seed, "--no-events"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "5 demo leaders added" in done.stdout
