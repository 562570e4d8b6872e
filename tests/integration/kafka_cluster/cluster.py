"""A three-node Kafka cluster on this machine, driven through ``deploy/kafka/kafka.sh``
(``KAFKA_NODES=3``) on its own free ports and run dir: never the shared broker."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
NODES = 3


@dataclass
class LocalCluster:
    run_dir: Path
    ports: list[int]
    controller_ports: list[int]
    heap: str = "-Xms128m -Xmx512m"
    nodes: int = NODES  # 1: the single broker of the default profile
    start_timeout_s: int = 120
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def node_of_port(self, port: int) -> int:
        return self.ports.index(port) + 1

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "EK_RUN_DIR": str(self.run_dir),
            "KAFKA_NODES": str(self.nodes),
            "KAFKA_PORTS": ",".join(map(str, self.ports)),
            "KAFKA_CONTROLLER_PORTS": ",".join(map(str, self.controller_ports)),
            "KAFKA_HEAP_OPTS": self.heap,
            "KAFKA_START_TIMEOUT": str(self.start_timeout_s),
            "KAFKA_STOP_TIMEOUT": "15",
        }

    def sh(self, *args: str, timeout: float = 300) -> str:
        """Runs ``kafka.sh <args>``; raises with its output when it fails."""
        proc = subprocess.run(
            ["bash", str(KAFKA_SH), *args], env=self.env(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"kafka.sh {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc.stdout + proc.stderr

    def timed(self, name: str, *args: str) -> str:
        t0 = time.monotonic()
        out = self.sh(*args)
        self.timings[name] = round(time.monotonic() - t0, 1)
        return out

    def pids(self) -> list[int]:
        """Pids in the nodes' pid files whose process is still this cluster's broker."""
        found = []
        for n in range(1, self.nodes + 1):
            node = (self.run_dir / "kafka" / "cluster" / f"node{n}" if self.nodes > 1
                    else self.run_dir / "kafka")
            try:
                pid = int((node / "kafka.pid").read_text().strip())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, ValueError):
                continue
            if f"kafka.Kafka {node}/server.properties".encode() in cmdline:
                found.append(pid)
        return found
