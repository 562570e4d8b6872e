"""Ports for the processes the tests start (services, Kafka nodes).

A port is chosen here and bound later by another process, so it must stay free in
between. Ports from ``bind(("127.0.0.1", 0))`` come from the kernel's ephemeral range
(``net.ipv4.ip_local_port_range``, 32768-60999 by default), the range every outgoing
connection takes its local port from: a Kafka node retrying its connections to the
controllers of nodes not started yet can take the very port chosen for them (CI saw
``Socket server failed to bind to 127.0.0.1:49192: Address already in use``). So the ports
here come from below that range, where only listeners live, at a random offset so two
test processes rarely pick the same one, and each is checked bindable when chosen."""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 20000


def ephemeral_floor() -> int:
    """The first port of the kernel's ephemeral range (32768 when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports, free right now, below the ephemeral range."""
    top = ephemeral_floor()
    low = LOWEST if top - LOWEST > 1000 else 1024
    candidates = list(range(low, top))
    random.shuffle(candidates)
    chosen = [p for p in candidates[: 50 * n + 200] if bindable(p)][:n]
    if len(chosen) < n:
        raise RuntimeError(f"fewer than {n} free ports in {low}-{top - 1}")
    return chosen


def free_port() -> int:
    return free_ports(1)[0]
