"""Start the four services as real processes (``python -m <service>``) against the real
Kafka and PostgreSQL, the way the local runner and docker-compose do."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from ekinerja_shared.topics import DIRECTORY
from tests.support import infra
from tests.support.apps import from_now_on
from tests.support.ports import free_port

SERVICES = ("attendance", "activity", "scoring", "gateway")
# the name of a service's consumer instance beside its HTTP instance (``EK_CONSUMERS_IN_PROCESS``)
CONSUMERS = "-consumers"
# the gateway's break-glass operator credential in the system under test
ADMIN_TOKEN = "e2e-operator-token"
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class System:
    urls: dict[str, str]
    group_prefix: str
    bootstrap: str
    logs: dict[str, Path] = field(default_factory=dict)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def log_tail(self, service: str, lines: int = 60) -> str:
        text = self.logs[service].read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def spawn(self, service: str) -> None:
        """Start ``python -m <service>`` (its log appended to, across restarts); a
        ``<service>-consumers`` process is the service's consumer instance."""
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", service.removesuffix(CONSUMERS)], env=self.envs[service],
            stdout=self.logs[service].open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )

    def kill(self, service: str) -> None:
        """SIGKILL the service's process (no shutdown: a crash)."""
        proc = self.procs[service]
        proc.kill()
        proc.wait()

    async def healthy(self, service: str, timeout: float = 120) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            deadline = time.monotonic() + timeout
            while True:
                if self.procs[service].poll() is not None:
                    raise AssertionError(f"{service} exited:\n{self.log_tail(service)}")
                try:
                    if (await client.get(f"{self.urls[service]}/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{service} not healthy:\n{self.log_tail(service)}")
                await asyncio.sleep(0.5)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def from_now_on_everywhere(bootstrap: str, prefix: str) -> None:
    """The system's consumer groups (named by its prefix) read only what is published from
    now on: a system starts with empty databases and is seeded through its gateway, so the
    shared topics' history (every earlier test's events; minutes of replay on a busy
    machine) is none of its business. The groups are the ones each service registers."""
    for svc in SERVICES:
        app = importlib.import_module(f"{svc}.app").create_app(
            importlib.import_module(f"{svc}.settings").Settings(
                database_url="sqlite+aiosqlite://", kafka_bootstrap=bootstrap,
                consumer_group_prefix=prefix))
        await from_now_on(app)
        await app.state.runtime.engine.dispose()


def _die_with_parent() -> None:
    """In the child, before the service starts (Linux): SIGTERM when the process that
    started it dies, even by SIGKILL or ``timeout``. A bench stopped early left its four
    services running for an hour, consuming the shared broker: an attendance among them
    answered every new test regency with its own calendar and broke a scoring test."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.asynccontextmanager
async def running_system(bootstrap: str, log_dir: Path,
                         extra_env: dict[str, str] | None = None,
                         consumer_instances: tuple[str, ...] = ()) -> AsyncIterator[System]:
    """The four services, one process each; each service in ``consumer_instances`` runs as
    two: its HTTP instance without the durable consumers, and ``<service>-consumers`` with
    them (on a port nobody routes to)."""
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
        **(extra_env or {}),
    }
    await from_now_on_everywhere(bootstrap, prefix)
    try:
        for svc in SERVICES:
            # the service connects as its application role (row-level security applies)
            # and migrates as the tables' owner
            system.envs[svc] = {**common, "EK_HTTP_PORT": str(ports[svc]),
                                "EK_DATABASE_URL": infra.pg_app_url(svc),
                                "EK_MIGRATION_DATABASE_URL": infra.pg_url(svc)}
            system.logs[svc] = log_dir / f"{svc}.log"
            if svc in consumer_instances:
                worker = f"{svc}{CONSUMERS}"
                system.envs[svc]["EK_CONSUMERS_IN_PROCESS"] = "false"
                system.envs[worker] = {**system.envs[svc], "EK_CONSUMERS_IN_PROCESS": "true",
                                       "EK_HTTP_PORT": str(free_port())}
                system.urls[worker] = f"http://127.0.0.1:{system.envs[worker]['EK_HTTP_PORT']}"
                system.logs[worker] = log_dir / f"{worker}.log"
                system.spawn(worker)
            system.spawn(svc)
        for svc in system.procs:
            await system.healthy(svc)
        yield system
    finally:
        system.stop_all()


async def register_regency(gw: httpx.AsyncClient, tenant_id: str, roster: str
                           ) -> dict[str, Any]:
    """The platform operator registers a regency (WITA) and loads its roster (the
    roster upload's answer)."""
    r = await gw.put(f"/api/tenants/{tenant_id}", headers=OPERATOR, json={
        "name": "Pemerintah Kabupaten Uji", "timezone": "WITA",
        "policy_preset": "performance60_discipline40"})
    assert r.status_code in (200, 201), r.text
    r = await gw.post(f"/api/tenants/{tenant_id}/roster", content=roster,
                      headers={**OPERATOR, "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def sign_in(gw: httpx.AsyncClient, tenant_id: str, nip: str,
                  roles: tuple[str, ...] = (), new_password: str | None = None
                  ) -> dict[str, str]:
    """A one-time password set by the operator (as HR would), changed at the first
    sign-in; returns the headers of the signed-in person."""
    if roles:
        r = await gw.put(f"/api/tenants/{tenant_id}/accounts/{nip}/roles",
                         json={"roles": list(roles)}, headers=OPERATOR)
        assert r.status_code == 200, r.text
    r = await gw.put(f"/api/tenants/{tenant_id}/accounts/{nip}/password", headers=OPERATOR)
    assert r.status_code == 200, r.text
    otp = r.json()["one_time_password"]
    r = await gw.post("/api/auth/login", json={"tenant": tenant_id, "nip": nip,
                                               "password": otp, "session": "token"})
    assert r.status_code == 200 and r.json()["status"] == "password_change_required", r.text
    r = await gw.post("/api/auth/password", json={
        "current_password": otp, "new_password": new_password or f"kata-sandi-baru-{nip[-6:]}-Uji"},
        headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


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

    async def lags(self) -> dict[str, int]:
        """Every consumer group of this run: records behind the end of the topics it has
        committed on (0 = caught up)."""
        lags: dict[str, int] = {}
        for group in [g[0] for g in await self._admin.list_consumer_groups()
                      if g[0].startswith(f"{self._prefix}-")]:
            committed = await self._admin.list_consumer_group_offsets(group)
            topics = sorted({tp.topic for tp in committed})
            parts = [TopicPartition(t, p["partition"])
                     for d in await self._admin.describe_topics(topics) for t in [d["topic"]]
                     for p in d["partitions"]]
            ends = await self._offsets.end_offsets(parts)
            lags[group] = sum(ends[tp] - (committed[tp].offset if tp in committed else 0)
                              for tp in parts)
        return lags

async def directory_everywhere(system: System, timeout: float = 60) -> None:
    """Waits until attendance, activity and scoring have their local copy of the directory
    (their consumer groups have read the directory topic to its end)."""
    from tests.support.apps import eventually

    async with GroupLag(system.bootstrap, system.group_prefix) as lag:
        for svc in ("attendance", "activity", "scoring"):
            await eventually(lambda svc=svc: lag.caught_up(svc, DIRECTORY.name),
                             timeout=timeout)
