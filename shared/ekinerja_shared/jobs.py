"""Periodic background jobs of a service, run by its lifespan and stopped cleanly.

A job is an async function without arguments (a closure over the service's runtime). It
runs every ``interval_s`` seconds; a failed pass is logged and retried at the next interval.
With ``again_when_busy`` the job runs again at once while it reports work done (a truthy
result), so a backlog drains without waiting an interval per batch. ``interval_s <= 0``
disables the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], Awaitable[object]]
    interval_s: float
    again_when_busy: bool = False

    async def loop(self) -> None:
        if self.interval_s <= 0:
            return
        while True:
            result: object = None
            try:
                result = await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failed pass is retried next interval
                log.exception("background job %s failed", self.name)
            if not (self.again_when_busy and result):
                await asyncio.sleep(self.interval_s)


class JobRunner:
    """Starts jobs as tasks and stops them: cancel, then wait for each to finish."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        self._jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(job.loop(), name=job.name) for job in self._jobs]

    async def stop(self, timeout_s: float = 10.0) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout_s)
        self._tasks = []
