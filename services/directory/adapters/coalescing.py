"""Concurrent lookups that share a statement, the way a database groups commits.

On a hot read path the round trip, not the query, is the cost: each statement is a socket
write and a wake-up on both sides, plus the driver's and the ORM's work per call. `Coalescer`
lets every lookup that arrives while one statement is out wait for the next, which fetches
all of their keys at once. An idle service never waits (the first lookup goes straight out);
a busy one makes one statement per round trip instead of one per request. Lookups for the same
key share one row.

The fetch runs in a task of its own (started by the first lookup, so its spans join that
request's trace) and is retried by nobody: if it fails, every lookup in that batch fails with
the same error, as each would have alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[Sequence[K]], Awaitable[Mapping[K, V]]]


class Coalescer(Generic[K, V]):
    """`await get(key)` resolves through `fetch(keys)`, at most `max_batch` keys a statement."""

    def __init__(self, fetch: Fetch[K, V], *, max_batch: int = 100) -> None:
        self._fetch = fetch
        self._max_batch = max_batch
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._draining: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: dict[K, list[asyncio.Future[V]]] = {}
        try:
            while self._waiting:
                keys = list(self._waiting)[: self._max_batch]
                batch = {key: self._waiting.pop(key) for key in keys}
                try:
                    found = await self._fetch(keys)
                except Exception as exc:
                    for futures in batch.values():
                        _fail(futures, exc)
                    continue
                for key, futures in batch.items():
                    if key in found:
                        _resolve(futures, found[key])
                    else:
                        _fail(futures, LookupError(f"the fetch returned nothing for {key!r}"))
                batch = {}
        except asyncio.CancelledError:
            # Shutting down: nobody may be left waiting for a statement that will never run.
            for futures in [*batch.values(), *self._waiting.values()]:
                for future in futures:
                    future.cancel()
            self._waiting.clear()
            raise
        finally:
            self._draining = None


def _resolve(futures: list[asyncio.Future[V]], value: V) -> None:
    for future in futures:
        if not future.done():  # done: its request was cancelled (the caller went away)
            future.set_result(value)


def _fail(futures: list[asyncio.Future[V]], exc: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)
