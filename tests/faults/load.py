"""A steady load through the gateway, as real clients behave while parts of the system fail:
a fingerprint device pushes ATTLOG lines and resends a batch until it gets ``OK``; staff log
activities and their supervisor approves them, each request retried until its outcome is
known. What was acknowledged is kept for the checks after the faults."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

log = logging.getLogger(__name__)

HEAD = "197001011995031001"
STAFF = {f"19850315201001100{i}": str(10 + i) for i in range(1, 5)}  # NIP -> device PIN
ROSTER = (
    "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin\n"
    f"{HEAD},Hj. Siti Aminah,umum,Bagian Umum,Kepala Bagian Umum,,6000000,PNS,1\n"
    + "".join(f"{nip},Pegawai {pin},umum,Bagian Umum,Pelaksana,{HEAD},4500000,PNS,{pin}\n"
              for nip, pin in STAFF.items())
)
PASSWORD = "kata-sandi-uji-gangguan-1"


@dataclass
class Person:
    """A signed-in person whose access token is renewed when it is refused (it lives 10
    minutes; the gateway may also have restarted)."""

    tenant_id: str
    nip: str
    token: str = ""

    async def sign_in(self, gw: httpx.AsyncClient) -> None:
        r = await gw.post("/api/auth/login", json={"tenant": self.tenant_id, "nip": self.nip,
                                                   "password": PASSWORD, "session": "token"})
        r.raise_for_status()
        self.token = r.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def persist(what: str, attempt: Callable[[], Awaitable[bool]],
                  pause: float = 0.5) -> None:
    """Runs ``attempt`` until it reports success; transport errors and 5xx are faults of
    the moment (a service or the broker is away), tried again."""
    for n in itertools.count(1):
        try:
            if await attempt():
                return
        except (httpx.HTTPError, RetryLater) as exc:
            if n % 20 == 0:
                log.warning("%s still failing after %d attempts: %r", what, n, exc)
        await asyncio.sleep(pause)


class RetryLater(Exception):
    pass


def retry_on_5xx(r: httpx.Response) -> httpx.Response:
    if r.status_code >= 500 or r.status_code == 401:
        raise RetryLater(f"{r.status_code} {r.text[:200]}")
    return r


@dataclass
class Load:
    gw: httpx.AsyncClient
    tenant_id: str
    serial: str
    days: list[dt.date]
    head: Person
    staff: dict[str, Person]
    punches: set[tuple[str, dt.datetime]] = field(default_factory=set)  # (pin, local time)
    approved: dict[uuid.UUID, int] = field(default_factory=dict)  # entry -> minutes
    batches: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    # --- the device -------------------------------------------------------------------

    def _punch(self, k: int) -> tuple[str, dt.datetime]:
        pins = sorted(STAFF.values())
        day = self.days[(k // len(pins)) % len(self.days)]
        moment = dt.datetime.combine(day, dt.time(7, 0)) + dt.timedelta(seconds=37 * k)
        return pins[k % len(pins)], moment

    async def device(self, pace: float) -> None:
        for k in itertools.count():
            if self.stop.is_set():
                return
            punch = self._punch(k)
            pin, moment = punch
            body = f"{pin}\t{moment:%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\t0\t0\t0\t0\r\n"

            async def push() -> bool:
                r = await self.gw.post("/iclock/cdata", content=body, params={
                    "SN": self.serial, "table": "ATTLOG", "Stamp": str(k + 1)})
                return r.status_code == 200 and r.text.startswith("OK")

            await persist(f"ATTLOG batch {k}", push)
            self.punches.add(punch)
            self.batches += 1
            await asyncio.sleep(pace)

    # --- activities and approvals ----------------------------------------------------

    async def _signed(self, person: Person, method: str, url: str,
                      **kwargs: object) -> httpx.Response:
        r = await self.gw.request(method, url, headers=person.headers, **kwargs)  # type: ignore[arg-type]
        if r.status_code == 401:
            await person.sign_in(self.gw)
        return retry_on_5xx(r)

    async def _find(self, person: Person, day: dt.date, start: dt.time) -> dict | None:
        r = await self._signed(person, "GET", f"/api/activity/{self.tenant_id}/entries",
                               params={"nip": person.nip, "period": f"{day:%Y-%m}"})
        r.raise_for_status()
        return next((e for e in r.json() if e["work_date"] == str(day)
                     and e["start"].startswith(f"{start:%H:%M}")), None)

    async def _log_and_approve(self, person: Person, day: dt.date, start: dt.time) -> None:
        end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=10)).time()
        entry: dict | None = None

        async def create() -> bool:
            nonlocal entry
            # a lost answer may hide a created entry: look before creating again
            entry = await self._find(person, day, start)
            if entry is None:
                r = await self._signed(person, "POST", f"/api/activity/{self.tenant_id}/entries",
                                       json={"work_date": str(day), "start": f"{start:%H:%M}",
                                             "end": f"{end:%H:%M}", "submit": True,
                                             "description": "Uji gangguan: entri beban"})
                assert r.status_code in (201, 422), r.text
                entry = r.json() if r.status_code == 201 else None
            return entry is not None

        await persist(f"entry {person.nip} {day} {start}", create)
        assert entry is not None

        async def approve() -> bool:
            nonlocal entry
            assert entry is not None
            if entry["status"] == "approved":
                return True
            r = await self._signed(self.head, "POST",
                                   f"/api/activity/{self.tenant_id}/entries/{entry['id']}/approve",
                                   json={})
            if r.status_code == 200:
                entry = r.json()
            else:  # a lost answer of an earlier attempt: read the entry's state
                entry = await self._find(person, day, start)
            return entry is not None and entry["status"] == "approved"

        await persist(f"approval of {entry['id']}", approve)
        self.approved[uuid.UUID(entry["id"])] = int(entry["minutes"])

    async def approvals(self, pace: float) -> None:
        slots = itertools.product(self.days, range(8 * 60, 15 * 60, 10), sorted(self.staff))
        for day, minute, nip in slots:
            if self.stop.is_set():
                return
            await self._log_and_approve(self.staff[nip], day, dt.time(minute // 60, minute % 60))
            await asyncio.sleep(pace)

    async def run(self, pace: float) -> None:
        tasks = [asyncio.create_task(self.device(pace)),
                 asyncio.create_task(self.approvals(pace))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t
