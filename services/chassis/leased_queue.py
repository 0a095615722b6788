"""One leased work queue: rows of a table claimed with a lease, worked, then done or tried later.

The outbox relay, the mail relay and the webhook dispatcher are its users. Each names its table's
rules (which rows are eligible, what a claim returns, how an outcome is written); the queue owns
the rest: the owner id, waking on NOTIFY when a writer commits plus a sweep for what a crashed
worker left behind, claiming batches with a lease (`FOR UPDATE SKIP LOCKED`, so several workers
share a table), handing the claimed rows to the user's `work`, giving back rows claimed but not
tried, purging done rows after a retention, stats, and a loop that never raises for an outage.
`RetryPolicy` says when a failed row is tried again and when it is given up (dead).

A claim is a lease, not a lock held while working: a worker that dies mid-job leaves rows that
another worker takes once the lease ends, so work is at least once and must be idempotent
downstream (events keep their ids, mail its message id, webhooks their `webhook-id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.chassis.wakeup import CommitWakeup

log = logging.getLogger(__name__)

Job = TypeVar("Job")
Stats = TypeVar("Stats")

#: How often done rows past their retention are deleted.
PURGE_EVERY_SECONDS = 60.0
#: The longest wait after a failed round (an outage): the next round tries again this soon.
RETRY_ROUND_SECONDS = 1.0


def lease_claim(table: str, candidates: str, returning: str) -> TextClause:
    """The claim statement of a table with `id`, `lease_owner`, `lease_until` and `attempts`.

    `candidates` is the user's eligibility rule: a SELECT of `id`s ending in
    `ORDER BY ... LIMIT :limit FOR UPDATE SKIP LOCKED`. The chosen rows are leased to `:owner`
    for `:lease` seconds and their attempt is counted at claim time, so a row whose every try
    ended its worker still runs out of attempts. `returning` lists what the claim hands back.
    """
    # The pieces are the caller's constants, never input: no injection.
    return text(
        f"""
        WITH candidates AS ({candidates})
        UPDATE {table} SET lease_owner = :owner,
                           lease_until = now() + make_interval(secs => :lease),
                           attempts = {table}.attempts + 1
        FROM candidates WHERE {table}.id = candidates.id
        RETURNING {returning}
        """  # noqa: S608
    )


@dataclass(frozen=True)
class NextTry:
    """What follows a failed try: another one after `delay_seconds` (at `at`), unless `dead`."""

    delay_seconds: float
    at: datetime
    dead: bool


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed job is tried again, and when it is given up.

    The delay after failed try number n (1 for the first) is `base_seconds * 2**(n-1)`, at most
    `max_seconds`; with `jitter`, a random delay between 0 and that (full jitter, so workers
    that failed together do not retry together). A job is dead after `max_attempts` tries, or
    once its next try would fall later than `give_up_after` from its first; with neither, it is
    tried for ever.
    """

    base_seconds: float
    max_seconds: float
    jitter: bool = False
    max_attempts: int | None = None
    give_up_after: timedelta | None = None

    def delay(self, attempt: int) -> float:
        ceiling = min(self.base_seconds * 2 ** (attempt - 1), self.max_seconds)
        return random.uniform(0, ceiling) if self.jitter else ceiling

    def after_failure(self, attempt: int, first_attempt_at: datetime | None = None) -> NextTry:
        """The next try after failed try number `attempt` of a job first tried at
        `first_attempt_at` (None: now)."""
        now = datetime.now(UTC)
        delay = self.delay(attempt)
        at = now + timedelta(seconds=delay)
        dead = self.max_attempts is not None and attempt >= self.max_attempts
        if self.give_up_after is not None:
            dead = dead or at > (first_attempt_at or now) + self.give_up_after
        return NextTry(delay, at, dead)


class LeasedQueue(ABC, Generic[Job, Stats]):
    """Works the rows of one table that its `claim` finds due. Start `run()` as a task (a
    `runtime.Worker`); `drain()` works what is due now.

    A user implements `claim` (usually with `lease_claim`), `purge` and `stats`, and either
    `work` (a whole claimed batch at once) or `work_one` (one job; by default the jobs of a
    batch are tried one at a time, and those not reached within half the lease are given back
    with `release`, so no other worker takes a row this one is still working through). With
    `concurrency`, each job runs in its own task, at most that many at once, and the queue
    claims only as many as there is room for.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        name: str,
        owner: str,
        channel: str,
        initial_stats: Stats,
        batch_size: int,
        lease_seconds: float,
        sweep_seconds: float,
        retention: timedelta,
        concurrency: int | None = None,
    ) -> None:
        self.engine = engine
        #: What the logs call this queue, e.g. "outbox relay of identity".
        self.name = name
        #: Written into `lease_owner`: which process holds a lease, for whoever investigates.
        self.owner = f"{owner}@{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.sweep_seconds = sweep_seconds
        self.retention = retention
        self.concurrency = concurrency
        self.last_stats = initial_stats
        self._wakeup = CommitWakeup(engine, channel)
        self._in_flight: set[asyncio.Task[None]] = set()
        #: Whether `work` gave back part of the batch it was handed (then drain claims again).
        self._cut_short = False

    # -- what a user says ----------------------------------------------------------------------

    #: The claim statement `claim` runs by default (see `lease_claim`).
    claim_statement: TextClause | None = None

    def claim_parameters(self) -> Mapping[str, Any]:
        """Parameters of `claim_statement` besides `limit`, `owner` and `lease`."""
        return {}

    async def claim(self, conn: AsyncConnection, limit: int) -> Sequence[Job]:
        """Lease up to `limit` due jobs in `conn`'s transaction; returns them in `id` order."""
        if self.claim_statement is None:
            raise TypeError(f"{type(self).__name__} sets no claim_statement and overrides no claim")
        parameters = {
            **self.claim_parameters(),
            "limit": limit,
            "owner": self.owner,
            "lease": self.lease_seconds,
        }
        rows = (await conn.execute(self.claim_statement, parameters)).all()
        return cast("list[Job]", sorted(rows, key=lambda r: r.id))

    async def work(self, jobs: Sequence[Job], *, claimed_at: float) -> int:
        """Work a claimed batch (claimed at `claimed_at`, event-loop time); returns how many
        jobs were done. By default one `work_one` at a time while half the lease lasts."""
        loop = asyncio.get_running_loop()
        done = 0
        for position, job in enumerate(jobs):
            if loop.time() - claimed_at > self.lease_seconds / 2:
                async with self.engine.begin() as conn:
                    await self.release(conn, jobs[position:])
                self._cut_short = True
                break
            done += await self.work_one(job)
        return done

    async def work_one(self, job: Job) -> bool:
        """Work one claimed job and record its outcome; True when it is done."""
        raise TypeError(f"{type(self).__name__} overrides neither work nor work_one")

    async def release(self, conn: AsyncConnection, jobs: Sequence[Job]) -> None:
        """Give back jobs claimed but not tried. By default their leases simply run out."""

    @abstractmethod
    async def purge(self, conn: AsyncConnection, before: datetime) -> int:
        """Delete the rows done before `before`; returns how many."""

    @abstractmethod
    async def stats(self) -> Stats:
        """What the queue's gauges show; refreshed into `last_stats` after each round."""

    def next_due_seconds(self) -> float | None:
        """Seconds until a delayed job falls due, from `last_stats` (None: the sweep will do)."""
        return None

    # -- what the queue does ------------------------------------------------------------------

    def wake(self) -> None:
        """Start the next round now (e.g. from this process, without a NOTIFY round trip)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Work until cancelled. Never raises for a database or downstream outage: it retries."""
        loop = asyncio.get_running_loop()
        purged_at = 0.0
        while True:
            timeout = self.sweep_seconds
            try:
                await self._wakeup.listen()
                await self.drain()
                self.last_stats = await self.stats()
                due = self.next_due_seconds()
                if due is not None:
                    timeout = min(timeout, max(due, 0.05))
                if loop.time() - purged_at > PURGE_EVERY_SECONDS:
                    await self.purge_expired()
                    purged_at = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; retrying", self.name)
                timeout = min(timeout, RETRY_ROUND_SECONDS)
            await self._wakeup.wait(timeout)

    async def drain(self) -> int:
        """Work every job that is due now; returns how many were done (with `concurrency`:
        how many were started)."""
        loop = asyncio.get_running_loop()
        total = 0
        while True:
            limit = self._room()
            if limit <= 0:
                return total
            claimed_at = loop.time()
            self._cut_short = False
            async with self.engine.begin() as conn:
                jobs = await self.claim(conn, limit)
            if not jobs:
                return total
            if self.concurrency is None:
                total += await self.work(jobs, claimed_at=claimed_at)
            else:
                for job in jobs:
                    task = asyncio.create_task(self._work_in_flight(job))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                total += len(jobs)
            if len(jobs) < limit and not self._cut_short:
                return total

    def _room(self) -> int:
        if self.concurrency is None:
            return self.batch_size
        return self.concurrency - len(self._in_flight)

    async def _work_in_flight(self, job: Job) -> None:
        try:
            await self.work_one(job)
        except Exception:
            # The lease runs out and the job is tried again.
            log.exception("%s: a job failed to run", self.name)
        finally:
            # Outcomes may be written in batches, so many jobs finish at once, before any
            # done-callback has run: count this one out here, or none of them sees room.
            self._in_flight.discard(asyncio.current_task())
            # Claiming costs a scan of the due rows: refill in batches, not one by one.
            if len(self._in_flight) <= (self.concurrency or 0) // 2:
                self.wake()

    async def purge_expired(self) -> int:
        """Delete rows done longer ago than the retention period; returns how many."""
        async with self.engine.begin() as conn:
            return await self.purge(conn, datetime.now(UTC) - self.retention)

    async def close(self) -> None:
        for task in list(self._in_flight):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._wakeup.close()
