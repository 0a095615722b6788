"""Outcomes are written in batches: those that finish during one write go in the next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.subscriptions.entrypoints.worker import OutcomeRecorder


class FakeSession:
    def __init__(self, writes: list[dict[str, list[Any]]], fail: bool) -> None:
        self.writes = writes
        self.fail = fail

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def execute(self, statement: object, parameters: dict[str, list[Any]]) -> None:
        await asyncio.sleep(0.01)  # a round trip, during which more outcomes arrive
        if self.fail:
            raise ConnectionError("database went away")
        self.writes.append(parameters)

    async def commit(self) -> None:
        return None


def outcome(delivery_id: int) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "endpoint_id": None,
        "event_id": f"e{delivery_id}",
        "event_type": "t",
        "attempt": 1,
        "status": 204,
        "latency": 1,
        "error": None,
        "state": "delivered",
        "first": None,
        "next": None,
    }


async def test_outcomes_that_finish_together_are_written_in_one_statement() -> None:
    writes: list[dict[str, list[Any]]] = []
    recorder = OutcomeRecorder(lambda: FakeSession(writes, False), asyncio.Semaphore(1))  # type: ignore[arg-type]
    await recorder.record(outcome(1))
    first = asyncio.create_task(recorder.record(outcome(2)))
    await asyncio.sleep(0.005)  # the write of outcome 2 is under way
    await asyncio.gather(first, *(recorder.record(outcome(i)) for i in range(3, 12)))
    assert [w["id"] for w in writes] == [[1], [2], list(range(3, 12))]
    assert writes[2]["event_id"] == [f"e{i}" for i in range(3, 12)]


async def test_a_failed_write_fails_every_outcome_in_it() -> None:
    recorder = OutcomeRecorder(lambda: FakeSession([], True), asyncio.Semaphore(1))  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(recorder.record(outcome(i)) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    with pytest.raises(ConnectionError):
        await recorder.record(outcome(9))
