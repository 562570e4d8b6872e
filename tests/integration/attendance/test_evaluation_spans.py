"""Issue 13: the evaluation of a chunk of employee-days reads each employee's punches of
the dates evaluated, not of the chunk's whole span of dates. A consumer's batch that mixes
a backlog's old dates with today's punches used to read every employee's punches of every
date in between. The verdicts of a mixed chunk are those of each day evaluated alone,
night shifts (whose punches fall on the next date) included."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import insert

from attendance.adapters.orm import Employee, Punch, ShiftRoster
from attendance.service_layer import evaluation
from attendance.service_layer.context import load_context
from attendance.service_layer.directory import apply_directory_event
from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.timeutil import utcnow, zone
from ekinerja_shared.uow import UnitOfWork

pytestmark = pytest.mark.integration

TZ = "Asia/Makassar"  # WITA
WITA = zone(TZ)
A, B, C = "199001012015011101", "199001012015011102", "199001012015011103"
# ten working days of November 2026 (Monday 2 .. Friday 13), the default week
DAYS = [dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
NIGHT = dt.date(2026, 11, 5)  # C is rostered 22:00-06:00: the shift ends on 6 November
NOW = dt.datetime(2026, 12, 1, tzinfo=WITA)  # every day closed
KEYS = [(A, DAYS[-1]), (A, DAYS[2]), (B, DAYS[0]), (C, NIGHT)]


def _punch(tenant: str, nip: str, pin: str, local: dt.datetime) -> dict[str, Any]:
    return {"tenant_id": tenant, "device_sn": f"SN-{tenant}", "pin": pin, "nip": nip,
            "local_time": local, "punched_at": local.replace(tzinfo=WITA), "raw": "",
            "status_code": 0, "verify_type": 1, "workcode": ""}


async def _seed(uow: UnitOfWork, tenant: str) -> None:
    async def seed(s: Any) -> None:
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant, name="Kab. Spans", timezone=TZ,
            policy_preset="performance60_discipline40"), default_tz=TZ)
        await s.execute(insert(Employee), [
            {"tenant_id": tenant, "nip": nip, "name": f"Pegawai {pin}", "unit_id": "u1",
             "device_pin": pin, "supervisor_nip": None, "active": True,
             "updated_at": utcnow(), "first_seen_on": dt.date(2000, 1, 1)}
            for nip, pin in ((A, "1"), (B, "2"), (C, "3"))])
        rows = [_punch(tenant, A, "1", dt.datetime.combine(d, t))
                for d in DAYS for t in (dt.time(7, 41), dt.time(16, 5))]  # A: late every day
        rows += [_punch(tenant, B, "2", dt.datetime(2026, 11, 2, 7, 20)),
                 _punch(tenant, B, "2", dt.datetime(2026, 11, 2, 15, 30))]  # B: leaves early
        rows += [_punch(tenant, C, "3", dt.datetime(2026, 11, 5, 21, 55)),
                 _punch(tenant, C, "3", dt.datetime(2026, 11, 6, 6, 2))]
        await s.execute(insert(Punch), rows)
        await s.execute(insert(ShiftRoster), [
            {"tenant_id": tenant, "nip": C, "work_date": NIGHT, "hours": "22:00-06:00"}])
    await uow.in_tenant(tenant).run(seed)


async def _evaluate(uow: UnitOfWork, tenant: str,
                    chunks: list[list[tuple[str, dt.date]]]) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for keys in chunks:
        async def run(s: Any, keys: list[tuple[str, dt.date]] = keys) -> None:
            ctx = await load_context(s, tenant, TZ, nips={k[0] for k in keys},
                                     span=(DAYS[0], DAYS[-1]))
            out.update(await evaluation.evaluate_many(s, ctx, keys, now=NOW))
        await uow.in_tenant(tenant).run(run)
    return {k: {c: v for c, v in row.items() if c != "tenant_id"} for k, row in out.items()}


async def test_a_mixed_chunk_reads_its_own_dates_and_judges_as_each_day_alone(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_async("attendance", db_url)
    engine = make_engine(db_url)
    uow = UnitOfWork(make_sessionmaker(engine))
    mixed, alone = f"spans-{uuid.uuid4().hex[:8]}", f"spans-{uuid.uuid4().hex[:8]}"
    read: list[int] = []
    punches = evaluation._punches

    async def counted(*args: Any) -> dict[str, list[tuple[dt.datetime, str]]]:
        found = await punches(*args)
        read.append(sum(len(v) for v in found.values()))
        return found

    monkeypatch.setattr(evaluation, "_punches", counted)
    try:
        for tenant in (mixed, alone):
            await _seed(uow, tenant)
        one_chunk = await _evaluate(uow, mixed, [KEYS])
        assert read == [8], read  # A's 3 and 13 Nov, B's 2 Nov, C's night: two punches each
        each_alone = await _evaluate(uow, alone, [[k] for k in KEYS])
    finally:
        await engine.dispose()

    assert set(one_chunk) == set(KEYS)
    assert one_chunk == each_alone
    a = one_chunk[(A, DAYS[-1])]
    assert (a["status"], a["late_minutes"], a["tl_code"]) == ("present", 11, "TL1")
    assert a["arrival"] == dt.datetime(2026, 11, 13, 7, 41, tzinfo=WITA)
    b = one_chunk[(B, DAYS[0])]
    assert (b["late_minutes"], b["early_minutes"], b["psw_code"]) == (0, 30, "PSW1")
    c = one_chunk[(C, NIGHT)]
    assert c["departure"] == dt.datetime(2026, 11, 6, 6, 2, tzinfo=WITA)
    assert (c["status"], c["late_minutes"], c["early_minutes"]) == ("present", 0, 0)
