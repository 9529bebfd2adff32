"""The scheduler: runs due work from durable queues (relay deliveries, send retries, ...) on the clock.

Each queue offers ``claim_due(now)`` (atomically marks items in progress), ``run(item)``, ``on_crash(item)`` and
``next_due_at()``. The loop sleeps until the next due time (at most ``max_sleep``) or until woken: new work
(``wake()``) or a clock advance in test mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from reference.clock import Clock

log = logging.getLogger("reference.dispatcher")


@dataclass
class WorkQueue:
    name: str
    claim_due: Callable[[float], list[Any]]
    run: Callable[[Any], Awaitable[None]]
    next_due_at: Callable[[], float | None]
    on_crash: Callable[[Any], None]
    release_stuck: Callable[[], None]


class Dispatcher:
    def __init__(self, clock: Clock, queues: list[WorkQueue] | None = None, max_sleep: float = 0.5) -> None:
        self.clock = clock
        self.queues: list[WorkQueue] = list(queues or [])
        self.max_sleep = max_sleep
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    def add_queue(self, queue: WorkQueue) -> None:
        self.queues.append(queue)

    def wake(self) -> None:
        """Thread-safe: ask the loop to look for due work now."""
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        for queue in self.queues:
            queue.release_stuck()
        self.clock.add_listener(self.wake)
        self._task = asyncio.create_task(self._main(), name="reference-dispatcher")

    async def stop(self) -> None:
        self.clock.remove_listener(self.wake)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            self._task = None
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        self._inflight.clear()
        self._loop = None
        self._event = None

    def _spawn_due(self) -> int:
        now = self.clock.now()
        count = 0
        for queue in self.queues:
            for item in queue.claim_due(now):
                task = asyncio.create_task(self._run_one(queue, item))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
                count += 1
        return count

    async def _run_one(self, queue: WorkQueue, item: Any) -> None:
        try:
            await queue.run(item)
        except asyncio.CancelledError:
            queue.on_crash(item)
            raise
        except Exception:  # one bad item must not stop the scheduler
            log.exception("work item of queue %s crashed", queue.name)
            queue.on_crash(item)
        finally:
            if self._event is not None:
                self._event.set()

    def _sleep_for(self) -> float:
        now = self.clock.now()
        due = [t for t in (q.next_due_at() for q in self.queues) if t is not None]
        if not due:
            return self.max_sleep
        return min(self.max_sleep, max(0.0, min(due) - now))

    async def _main(self) -> None:
        assert self._event is not None
        while True:
            try:
                self._event.clear()
                self._spawn_due()
                delay = self._sleep_for()
                if delay > 0:
                    try:
                        await asyncio.wait_for(self._event.wait(), timeout=delay)
                    except asyncio.TimeoutError:
                        pass
                else:
                    await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher loop error")
                await asyncio.sleep(self.max_sleep)

    async def run_due_now(self) -> int:
        """Run everything due now to completion (tests, and the harness after a clock move)."""
        total = 0
        while True:
            spawned = self._spawn_due()
            pending = list(self._inflight)
            if not spawned and not pending:
                return total
            total += spawned
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
