"""Start the four services as real processes (``python -m <service>``) against the real
Kafka and PostgreSQL, the way the local runner and docker-compose do."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from ekinerja_shared.topics import DIRECTORY
from tests.support import infra

SERVICES = ("attendance", "activity", "scoring", "gateway")
# the gateway's break-glass operator credential in the system under test
ADMIN_TOKEN = "e2e-operator-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class System:
    urls: dict[str, str]
    group_prefix: str
    bootstrap: str
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def log_tail(self, service: str, lines: int = 60) -> str:
        text = self.logs[service].read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@contextlib.asynccontextmanager
async def running_system(bootstrap: str, log_dir: Path) -> AsyncIterator[System]:
    ports = {svc: free_port() for svc in SERVICES}
    urls = {svc: f"http://127.0.0.1:{p}" for svc, p in ports.items()}
    prefix = infra.unique("e2e")
    system = System(urls, prefix, bootstrap)
    for svc in SERVICES:
        await infra.reset_database(infra.pg_url(svc))
    common = {
        **os.environ,
        "EK_KAFKA_BOOTSTRAP": bootstrap,
        "EK_CONSUMER_GROUP_PREFIX": prefix,
        "EK_HTTP_HOST": "127.0.0.1",
        "EK_OUTBOX_POLL_INTERVAL_S": "0.2",
        "EK_ATTENDANCE_URL": urls["attendance"],
        "EK_ACTIVITY_URL": urls["activity"],
        "EK_SCORING_URL": urls["scoring"],
        "EK_GATEWAY_URL": urls["gateway"],
        # who is calling: every service verifies the gateway's tokens against its JWKS
        "EK_AUTH_JWKS_URL": f"{urls['gateway']}/.well-known/jwks.json",
        "EK_AUTH_PUBLIC_URL": urls["gateway"],
        "EK_ADMIN_TOKEN": ADMIN_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for svc in SERVICES:
            # the service connects as its application role (row-level security applies)
            # and migrates as the tables' owner
            env = {**common, "EK_HTTP_PORT": str(ports[svc]),
                   "EK_DATABASE_URL": infra.pg_app_url(svc),
                   "EK_MIGRATION_DATABASE_URL": infra.pg_url(svc)}
            log = log_dir / f"{svc}.log"
            system.logs[svc] = log
            procs[svc] = subprocess.Popen(
                [sys.executable, "-m", svc], env=env, stdout=log.open("wb"),
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        async with httpx.AsyncClient(timeout=5) as client:
            for svc in SERVICES:
                deadline = time.monotonic() + 120
                while True:
                    if procs[svc].poll() is not None:
                        raise AssertionError(f"{svc} exited:\n{system.log_tail(svc)}")
                    try:
                        if (await client.get(f"{urls[svc]}/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{svc} not healthy:\n{system.log_tail(svc)}")
                    await asyncio.sleep(0.5)
        yield system
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for svc, proc in procs.items():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class GroupLag:
    """Tells whether the consumer groups of a service (in this run) have processed a topic
    to its end: committed offset == end offset on every partition."""

    def __init__(self, bootstrap: str, group_prefix: str) -> None:
        self._bootstrap, self._prefix = bootstrap, group_prefix

    async def __aenter__(self) -> "GroupLag":
        from aiokafka import AIOKafkaConsumer

        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await self._admin.start()
        self._offsets = AIOKafkaConsumer(bootstrap_servers=self._bootstrap,
                                         enable_auto_commit=False)
        await self._offsets.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin.close()
        # aiokafka's group-less coordinator may raise CancelledError from its own
        # background routine while stopping; nothing of ours is cancelled here
        with contextlib.suppress(asyncio.CancelledError):
            await self._offsets.stop()

    async def caught_up(self, service: str, topic: str) -> bool:
        groups = [g[0] for g in await self._admin.list_consumer_groups()
                  if g[0].startswith(f"{self._prefix}-{service}-")]
        parts = [TopicPartition(topic, p) for p in range(
            len((await self._admin.describe_topics([topic]))[0]["partitions"]))]
        ends = await self._offsets.end_offsets(parts)
        relevant = 0
        for group in groups:
            committed: dict[TopicPartition, OffsetAndMetadata] = (
                await self._admin.list_consumer_group_offsets(group)
            )
            mine = {tp: om for tp, om in committed.items() if tp.topic == topic}
            if not mine:
                continue
            relevant += 1
            for tp in parts:
                if ends[tp] > 0 and (tp not in mine or mine[tp].offset < ends[tp]):
                    return False
        return relevant > 0


async def directory_everywhere(system: System, timeout: float = 60) -> None:
    """Waits until attendance, activity and scoring have their local copy of the directory
    (their consumer groups have read the directory topic to its end)."""
    from tests.support.apps import eventually

    async with GroupLag(system.bootstrap, system.group_prefix) as lag:
        for svc in ("attendance", "activity", "scoring"):
            await eventually(lambda svc=svc: lag.caught_up(svc, DIRECTORY.name),
                             timeout=timeout)
