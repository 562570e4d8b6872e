"""The gateway's live score stream (Server-Sent Events) read in the background, as a
dashboard reads it: the ``score`` payloads with the moment each arrived, and the
heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx


class ScoreStream:
    def __init__(self, client: httpx.AsyncClient, url: str,
                 headers: dict[str, str] | None = None) -> None:
        self._client, self._url, self._headers = client, url, headers or {}
        self.scores: list[dict[str, Any]] = []
        # per NIP, (time.perf_counter() at arrival, payload)
        self.arrived: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.pings = 0
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self._client.stream("GET", self._url, timeout=None,
                                       headers=self._headers) as resp:
            assert resp.status_code == 200, resp.status_code
            assert resp.headers["content-type"].startswith("text/event-stream")
            self.connected.set()
            event = None
            async for line in resp.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "score":
                    score = json.loads(line.split(":", 1)[1])
                    self.scores.append(score)
                    self.arrived.setdefault(score["nip"], []).append(
                        (time.perf_counter(), score))
                elif line.startswith(":"):
                    self.pings += 1

    async def __aenter__(self) -> ScoreStream:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self._task
