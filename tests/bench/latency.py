"""Latency of a call asked again and again (after one warm-up): p50/p95/p99/max in ms."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any


def _at(samples: list[float], q: float) -> float:
    return round(samples[min(len(samples) - 1, max(0, int(len(samples) * q + 0.5) - 1))], 2)


async def sample(call: Callable[[], Awaitable[Any]], rounds: int) -> tuple[dict[str, float], Any]:
    """Run ``call`` once to warm up, then ``rounds`` times; the percentiles and the last
    result."""
    result = await call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return ({"p50_ms": _at(samples, 0.5), "p95_ms": _at(samples, 0.95),
             "p99_ms": _at(samples, 0.99), "max_ms": round(samples[-1], 2)}, result)
