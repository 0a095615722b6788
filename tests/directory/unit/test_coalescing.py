"""Coalescer: lookups made while a statement is out share the next one; each gets its own row."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from services.directory.adapters.coalescing import Coalescer


class Table:
    """A fetch that records each statement's keys and holds it open until released."""

    def __init__(self, rows: Mapping[str, int]) -> None:
        self.rows = dict(rows)
        self.statements: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_next: Exception | None = None

    async def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        self.statements.append(list(keys))
        await self.release.wait()
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        return {key: self.rows[key] for key in keys if key in self.rows}


async def test_an_idle_lookup_goes_out_at_once() -> None:
    table = Table({"a": 1})
    table.release.set()
    assert await Coalescer(table.fetch).get("a") == 1
    assert table.statements == [["a"]]


async def test_lookups_arriving_while_one_is_out_share_the_next_statement() -> None:
    table = Table({"a": 1, "b": 2, "c": 3})
    lookups = Coalescer(table.fetch)
    first = asyncio.create_task(lookups.get("a"))
    await asyncio.sleep(0)  # the first statement is now out
    later = [asyncio.create_task(lookups.get(key)) for key in ("b", "c", "b")]
    await asyncio.sleep(0)
    table.release.set()

    assert await first == 1
    assert [await task for task in later] == [2, 3, 2]
    assert table.statements == [["a"], ["b", "c"]]


async def test_a_batch_is_at_most_max_batch_keys() -> None:
    table = Table({str(n): n for n in range(5)})
    table.release.set()
    lookups = Coalescer(table.fetch, max_batch=2)
    found = await asyncio.gather(*(lookups.get(str(n)) for n in range(5)))
    assert found == [0, 1, 2, 3, 4]
    assert [len(keys) for keys in table.statements] == [2, 2, 1]


async def test_a_failed_statement_fails_its_lookups_and_the_next_one_still_runs() -> None:
    table = Table({"a": 1, "b": 2})
    lookups = Coalescer(table.fetch)
    table.fail_next = ConnectionError("database went away")
    failing = asyncio.create_task(lookups.get("a"))
    await asyncio.sleep(0)
    table.release.set()
    with pytest.raises(ConnectionError):
        await failing
    assert await lookups.get("b") == 2


async def test_a_key_the_fetch_did_not_return_is_a_lookup_error() -> None:
    table = Table({"a": 1})
    table.release.set()
    with pytest.raises(LookupError):
        await Coalescer(table.fetch).get("missing")


async def test_a_cancelled_lookup_leaves_the_others_in_its_batch_alone() -> None:
    table = Table({"a": 1, "b": 2})
    lookups = Coalescer(table.fetch)
    blocker = asyncio.create_task(lookups.get("a"))
    await asyncio.sleep(0)
    gone = asyncio.create_task(lookups.get("b"))
    kept = asyncio.create_task(lookups.get("b"))
    await asyncio.sleep(0)
    gone.cancel()
    table.release.set()
    assert await kept == 2
    assert await blocker == 1
    assert gone.cancelled()
