"""The periodic worker keeps ticking through failures and stops when cancelled."""

from __future__ import annotations

import asyncio

import pytest

from services.chassis.periodic import PeriodicWorker


async def test_a_failing_tick_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks: list[int] = []
    third = asyncio.Event()

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise ConnectionRefusedError("database gone")
        if len(ticks) == 3:
            third.set()

    worker = PeriodicWorker("test sweep", tick, interval_seconds=0.01)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(third.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await worker.close()
    assert ticks[:3] == [0, 1, 2]
    assert "test sweep failed" in caplog.text


async def test_ticks_never_overlap() -> None:
    running = 0
    most = 0
    done = asyncio.Event()
    count = 0

    async def slow_tick() -> None:
        nonlocal running, most, count
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1
        count += 1
        if count == 3:
            done.set()

    task = asyncio.create_task(PeriodicWorker("slow", slow_tick, 0.001).run())
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert most == 1
