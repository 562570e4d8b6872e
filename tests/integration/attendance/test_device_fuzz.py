"""Property tests of the device endpoints on the real PostgreSQL and Kafka: arbitrary
ATTLOG, OPERLOG and command-result bodies (random bytes, field counts, encodings, line
endings, extreme numbers and dates, NUL bytes) and query values never get a 5xx, and every
good line in them is recorded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from attendance.adapters.orm import DeviceCommand, DeviceUser, Punch
from attendance.app import create_app
from attendance.runtime import AttendanceRuntime as Runtime
from attendance.domain.attlog import MAX_AGE_DAYS
from attendance.settings import Settings
from ekinerja_shared.timeutil import zone
from tests.support.apps import from_now_on, running_app
from tests.support.infra import pg_app_url, unique
from tests.support.tokens import TEST_JWKS_JSON, as_hr

from .conftest import apply_directory, employee, tenant

pytestmark = pytest.mark.integration

PINS = ["1", "2", "3", "4", "5"]
WITA = zone("WITA")
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@dataclass
class Fixture:
    client: httpx.AsyncClient
    rt: Runtime
    tenant_id: str
    serial: str


@pytest.fixture(scope="module")
async def device(kafka_bootstrap: str, db_url: str) -> AsyncIterator[Fixture]:
    """One running service, a WITA tenant with five employees and a registered device,
    shared by every example."""
    tenant_id = unique("t")
    # as the application role (row-level security applies), migrated as the owner
    app = create_app(Settings(database_url=pg_app_url("attendance"), migration_database_url=db_url,
                              auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                              consumer_group_prefix=unique("test"), outbox_poll_interval_s=0.2,
                              punch_max_age_days=MAX_AGE_DAYS))
    rt = app.state.runtime
    await from_now_on(app)  # the shared topics' history (the punches' too) is not this module's
    async with running_app(app) as client:
        await apply_directory(rt, tenant(tenant_id, "WITA"),
                              *(employee(tenant_id, f"19900101201501{pin:0>4}", pin)
                                for pin in PINS))
        serial = unique("FZ").upper()
        r = await client.post(f"/api/attendance/{tenant_id}/devices",
                              json={"serial_number": serial, "timezone": "WITA"},
                              headers=as_hr(tenant_id))
        assert r.status_code == 201, r.text
        yield Fixture(client, rt, tenant_id, serial)


# --- strategies -----------------------------------------------------------------------------

extreme_ints = st.one_of(st.integers(), st.sampled_from(
    [2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 1, 2**63, 255, -1, 0]))
odd_dates = st.sampled_from(["0001-01-01 00:00:00", "9999-12-31 23:59:59",
                             "2000-01-01 00:00:00", "2099-12-31 23:59:59",
                             "2026-02-29 07:00:00", "2026-13-01 07:00:00", "", "now"])
fields = st.one_of(st.text(st.characters(codec="utf-8"), max_size=40), odd_dates,
                   extreme_ints.map(str), st.sampled_from(PINS + ["\x00", "\t", " "]))
junk_text = st.lists(fields, max_size=12).map("\t".join).map(lambda s: s.encode("utf-8"))
junk_bytes = st.binary(max_size=200)
junk_latin1 = st.text(st.characters(max_codepoint=255), max_size=80).map(
    lambda s: s.encode("latin-1"))
junk = st.one_of(junk_text, junk_bytes, junk_latin1)
endings = st.sampled_from([b"\n", b"\r\n", b"\r"])
query_values = st.one_of(st.none(), extreme_ints.map(str),
                         st.text(st.characters(codec="utf-8", exclude_characters="\x00"),
                                 max_size=30))


@st.composite
def good_punch(draw: st.DrawFn) -> tuple[str, dt.datetime, bytes]:
    """A well-formed row of a known PIN, within the last 30 days, in a firmware shape."""
    pin = draw(st.sampled_from(PINS))
    now = dt.datetime.now(WITA).replace(tzinfo=None, microsecond=0)
    when = now - dt.timedelta(seconds=draw(st.integers(3600, 30 * 86400)))
    status = draw(st.sampled_from(["0", "1", "255", ""]))
    tail = draw(st.sampled_from(["1", "1\t0\t0\t0", "15\t\t0\t0\t", "1\t0\t0\t0\t0\t0\t0"]))
    return pin, when, f"{pin}\t{when:%Y-%m-%d %H:%M:%S}\t{status}\t{tail}".encode()


def body_of(parts: list[bytes], ending: bytes) -> bytes:
    return ending.join(parts) + ending


def accepted(r: httpx.Response) -> int:
    assert r.status_code == 200, (r.status_code, r.text)
    match = re.fullmatch(r"OK:(\d+)", r.text)
    assert match, r.text
    return int(match.group(1))


@FUZZ
@given(items=st.lists(st.one_of(good_punch(), junk), max_size=12), ending=endings,
       table=st.sampled_from(["ATTLOG", "attlog", "AttLog"]), stamp=query_values)
async def test_attlog_uploads(device: Fixture, items: list[tuple[str, dt.datetime, bytes] | bytes],
                              ending: bytes, table: str, stamp: str | None) -> None:
    good = [item for item in items if isinstance(item, tuple)]
    body = body_of([item[2] if isinstance(item, tuple) else item for item in items], ending)
    params = {"SN": device.serial, "table": table, **({"Stamp": stamp} if stamp else {})}
    r = await device.client.post("/iclock/cdata", params=params, content=body)
    assert accepted(r) >= len(good)
    if not good:
        return
    async with device.rt.uow.in_tenant(device.tenant_id).read() as s:
        stored = set((await s.execute(select(Punch.pin, Punch.local_time).where(
            Punch.device_sn == device.serial,
            tuple_(Punch.pin, Punch.local_time).in_([(p, t) for p, t, _ in good])))).all())
    assert {(p, t) for p, t, _ in good} <= stored


user_names = st.text(st.characters(codec="utf-8"), max_size=250)


@FUZZ
@given(users=st.lists(st.tuples(st.sampled_from(PINS + ["90", "91"]), user_names,
                                extreme_ints.map(str)), max_size=5),
       noise=st.lists(st.one_of(junk, junk.map(lambda b: b"USER " + b),
                                junk.map(lambda b: b"FP PIN=1\tTMP=" + b),
                                junk.map(lambda b: b"OPLOG " + b)), max_size=8),
       ending=endings, op_stamp=query_values)
async def test_operlog_uploads(device: Fixture, users: list[tuple[str, str, str]],
                               noise: list[bytes], ending: bytes, op_stamp: str | None) -> None:
    lines = [f"USER PIN={pin}\tName={name}\tPri={pri}".encode("utf-8", errors="replace")
             for pin, name, pri in users]
    params = {"SN": device.serial, "table": "OPERLOG",
              **({"OpStamp": op_stamp} if op_stamp else {})}
    r = await device.client.post("/iclock/cdata", params=params,
                                 content=body_of([*noise, *lines], ending))
    accepted(r)
    if not users:
        return
    async with device.rt.uow.in_tenant(device.tenant_id).read() as s:
        pins = set((await s.scalars(select(DeviceUser.pin).where(
            DeviceUser.device_sn == device.serial))).all())
    # the PIN comes before the name: a line break or a tab in the name does not lose it
    assert {pin for pin, _, _ in users} <= pins


@FUZZ
@given(answers=st.lists(st.tuples(st.integers(-1002, 0), st.sampled_from(
           ["ID={i}&Return={r}&CMD=DATA", "id={i}&return={r}&cmd=DATA", "Return={r}&ID={i}"])),
           min_size=1, max_size=3),
       noise=st.lists(junk, max_size=6), ending=endings)
async def test_command_results(device: Fixture, answers: list[tuple[int, str]],
                               noise: list[bytes], ending: bytes) -> None:
    async def queue(s: AsyncSession) -> list[int]:
        cmds = [DeviceCommand(device_sn=device.serial, tenant_id=device.tenant_id,
                              command="INFO", status="sent", attempts=1) for _ in answers]
        s.add_all(cmds)
        await s.flush()
        return [c.id for c in cmds]

    ids = await device.rt.uow.in_tenant(device.tenant_id).run(queue)
    results = [form.format(i=i, r=code).encode() for i, (code, form) in zip(ids, answers)]
    r = await device.client.post("/iclock/devicecmd", params={"SN": device.serial},
                                 content=body_of([*noise, *results], ending))
    assert (r.status_code, r.text) == (200, "OK")
    async with device.rt.uow.in_tenant(device.tenant_id).read() as s:
        done = {c.id: (c.status, c.return_code) for c in (await s.scalars(
            select(DeviceCommand).where(DeviceCommand.id.in_(ids)))).all()}
    assert done == {i: ("done" if code == 0 else "failed", code)
                    for i, (code, _) in zip(ids, answers)}
