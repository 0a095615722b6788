"""The leased work queue on a tiny table of its own: retries after a doubling delay, gives up
after N tries, gives back what it claimed but did not reach, keeps at most N jobs in flight,
and purges what is done. (The outbox, mail and webhook tests cover its users.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from support import eventually

from services.chassis.leased_queue import LeasedQueue, RetryPolicy, lease_claim

_TABLE = """
CREATE TABLE IF NOT EXISTS queue_jobs (
    id bigserial PRIMARY KEY,
    queue text NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    done_at timestamptz,
    dead_at timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
_CLAIM = lease_claim(
    "queue_jobs",
    """
    SELECT id FROM queue_jobs
    WHERE queue = :queue AND done_at IS NULL AND dead_at IS NULL
      AND (lease_until IS NULL OR lease_until < now())
    ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
    """,
    "queue_jobs.id, queue_jobs.attempts",
)


class TinyQueue(LeasedQueue[Row[Any], int]):
    """Jobs that fail as often as `failures` says, then succeed; work takes `work_seconds`."""

    claim_statement = _CLAIM

    def __init__(
        self,
        engine: AsyncEngine,
        queue: str,
        *,
        retry: RetryPolicy,
        failures: int = 0,
        work_seconds: float = 0,
        lease_seconds: float = 30,
        batch_size: int = 10,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(
            engine,
            name=f"tiny queue {queue}",
            owner=queue,
            channel=f"queue_jobs_{queue}",
            initial_stats=0,
            batch_size=batch_size,
            lease_seconds=lease_seconds,
            sweep_seconds=5,
            retention=timedelta(days=1),
            concurrency=concurrency,
        )
        self.queue = queue
        self.retry = retry
        self.failures = failures
        self.work_seconds = work_seconds
        self.tried: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def claim_parameters(self) -> dict[str, Any]:
        return {"queue": self.queue}

    async def work_one(self, job: Row[Any]) -> bool:
        self.tried.append(job.id)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.work_seconds)
        finally:
            self.in_flight -= 1
        async with self.engine.begin() as conn:
            if self.tried.count(job.id) > self.failures:
                await conn.execute(
                    text("UPDATE queue_jobs SET done_at = now(), lease_until = NULL WHERE id=:id"),
                    {"id": job.id},
                )
                return True
            next_try = self.retry.after_failure(job.attempts)
            if next_try.dead:
                await conn.execute(
                    text("UPDATE queue_jobs SET dead_at = now(), last_error = 'down' WHERE id=:id"),
                    {"id": job.id},
                )
            else:
                await conn.execute(
                    text(
                        "UPDATE queue_jobs SET last_error = 'down',"
                        " lease_until = now() + make_interval(secs => :delay) WHERE id = :id"
                    ),
                    {"id": job.id, "delay": next_try.delay_seconds},
                )
            return False

    async def release(self, conn: AsyncConnection, jobs: Sequence[Row[Any]]) -> None:
        await conn.execute(
            text(
                "UPDATE queue_jobs SET lease_owner = NULL, lease_until = NULL,"
                " attempts = attempts - 1 WHERE id = ANY(:ids)"
            ),
            {"ids": [job.id for job in jobs]},
        )

    async def purge(self, conn: AsyncConnection, before: datetime) -> int:
        result = await conn.execute(
            text("DELETE FROM queue_jobs WHERE queue = :queue AND done_at < :before"),
            {"queue": self.queue, "before": before},
        )
        return int(result.rowcount)

    async def stats(self) -> int:
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT count(*) FROM queue_jobs WHERE queue = :q AND done_at IS NULL"),
                {"q": self.queue},
            )
        return int(found or 0)


@pytest.fixture
async def queue_engine(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('queue_jobs'))"))
        await conn.execute(text(_TABLE))
    return engine


async def add_jobs(engine: AsyncEngine, queue: str, count: int) -> list[int]:
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "INSERT INTO queue_jobs (queue) SELECT :queue FROM generate_series(1, :n)"
                " RETURNING id"
            ),
            {"queue": queue, "n": count},
        )
        return sorted(row.id for row in rows)


async def job(engine: AsyncEngine, job_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT *, extract(epoch FROM lease_until - now()) AS due_in"
                    " FROM queue_jobs WHERE id = :id"
                ),
                {"id": job_id},
            )
        ).one()
    return dict(row._mapping)


def test_the_delay_doubles_from_the_base_up_to_the_max() -> None:
    policy = RetryPolicy(base_seconds=2, max_seconds=20)
    assert [policy.delay(attempt) for attempt in range(1, 7)] == [2, 4, 8, 16, 20, 20]
    jittered = RetryPolicy(base_seconds=2, max_seconds=20, jitter=True)
    assert all(0 <= jittered.delay(3) <= 8 for _ in range(50))


def test_a_job_is_dead_after_max_attempts_or_past_its_retry_time() -> None:
    counted = RetryPolicy(base_seconds=1, max_seconds=1, max_attempts=3)
    assert [counted.after_failure(n).dead for n in (1, 2, 3)] == [False, False, True]
    timed = RetryPolicy(base_seconds=10, max_seconds=10, give_up_after=timedelta(seconds=15))
    now = datetime.now().astimezone()
    assert not timed.after_failure(1, now).dead
    assert timed.after_failure(1, now - timedelta(seconds=10)).dead
    assert not RetryPolicy(base_seconds=1, max_seconds=1).after_failure(1000).dead


async def test_failures_wait_a_doubling_delay_then_the_job_is_dead(queue_engine) -> None:
    queue = uuid.uuid4().hex[:12]
    [job_id] = await add_jobs(queue_engine, queue, 1)
    tiny = TinyQueue(
        queue_engine,
        queue,
        retry=RetryPolicy(base_seconds=100, max_seconds=250, max_attempts=3),
        failures=99,
    )

    delays = []
    for _ in range(3):
        assert await tiny.drain() == 0
        assert await tiny.drain() == 0, "tried again before its delay"
        found = await job(queue_engine, job_id)
        if found["dead_at"] is None:
            delays.append(float(found["due_in"]))
            async with queue_engine.begin() as conn:  # let the delay pass
                await conn.execute(
                    text("UPDATE queue_jobs SET lease_until = now() WHERE id = :id"),
                    {"id": job_id},
                )

    assert tiny.tried == [job_id] * 3
    assert [round(d, -1) for d in delays] == [100, 200]
    found = await job(queue_engine, job_id)
    assert (found["attempts"], found["dead_at"] is not None) == (3, True)
    assert await tiny.drain() == 0
    assert tiny.tried == [job_id] * 3, "a dead job was tried again"


async def test_jobs_not_reached_within_half_the_lease_are_given_back_uncounted(
    queue_engine,
) -> None:
    queue = uuid.uuid4().hex[:12]
    first, second, third = await add_jobs(queue_engine, queue, 3)
    tiny = TinyQueue(
        queue_engine,
        queue,
        retry=RetryPolicy(base_seconds=1, max_seconds=1),
        work_seconds=0.3,
        lease_seconds=0.5,
    )

    assert await tiny.drain() == 3

    # Each batch got one job in before half the lease was gone; the rest went back.
    assert tiny.tried == [first, second, third]
    for job_id in (first, second, third):
        found = await job(queue_engine, job_id)
        assert found["done_at"] is not None
        assert found["attempts"] == 1, "a job given back counted as an attempt"
    assert await tiny.stats() == 0


async def test_with_concurrency_at_most_that_many_jobs_are_in_flight(queue_engine) -> None:
    queue = uuid.uuid4().hex[:12]
    job_ids = await add_jobs(queue_engine, queue, 7)
    tiny = TinyQueue(
        queue_engine,
        queue,
        retry=RetryPolicy(base_seconds=1, max_seconds=1),
        work_seconds=0.1,
        concurrency=3,
    )
    task = asyncio.create_task(tiny.run())
    try:

        async def all_done() -> bool:
            return await tiny.stats() == 0

        await eventually(all_done)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await tiny.close()

    assert sorted(tiny.tried) == job_ids
    assert tiny.most_in_flight == 3


async def test_purge_deletes_only_jobs_done_before_the_retention(queue_engine) -> None:
    queue = uuid.uuid4().hex[:12]
    old, recent, open_ = await add_jobs(queue_engine, queue, 3)
    async with queue_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE queue_jobs SET done_at = CASE WHEN id = :old"
                " THEN now() - interval '2 days' ELSE now() END WHERE id IN (:old, :recent)"
            ),
            {"old": old, "recent": recent},
        )
    tiny = TinyQueue(queue_engine, queue, retry=RetryPolicy(base_seconds=1, max_seconds=1))

    assert await tiny.purge_expired() == 1

    async with queue_engine.connect() as conn:
        left = await conn.scalars(
            text("SELECT id FROM queue_jobs WHERE queue = :q ORDER BY id"), {"q": queue}
        )
        assert list(left) == [recent, open_]
