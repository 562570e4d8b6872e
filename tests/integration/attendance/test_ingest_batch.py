"""Issue 13: an ATTLOG upload is handled as a set. Its punches are inserted with one
statement, so a 200-line upload costs the database as many statements as a 10-line one
(not a few per line); the upload evaluates no day: the consumer of the punches topic
evaluates the employee-days together, and the verdicts are those of the rules."""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from attendance.adapters.orm import DayRecord
from attendance.settings import Settings
from tests.support.apps import eventually

from .test_device_hardening import one_device, row

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 10)  # a Tuesday: 07:30-16:00 by the default week
PINS = [(f"1980010120000{i:05d}", str(5000 + i)) for i in range(100)]
_counting: contextvars.ContextVar[bool] = contextvars.ContextVar("counting", default=False)


def arrive(k: int) -> str:
    return row(PINS[k][1], dt.datetime.combine(DAY, dt.time(7, 20 + k % 30)))


def leave(k: int) -> str:
    return row(PINS[k][1], dt.datetime.combine(DAY, dt.time(16, 5)), "1")


async def test_a_large_upload_costs_the_statements_of_a_small_one(
    settings: Settings, tenant_id: str
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _counting.get():  # the request's own statements (not the relay's, nor a consumer's)
            statements.append(statement)

    async def days(revisions: int) -> dict[str, DayRecord] | None:
        """The day records once the consumer has written ``revisions`` in all."""
        async with rt.uow.in_tenant(tenant_id).read() as s:
            out = {r.nip: r for r in (await s.scalars(
                select(DayRecord).where(DayRecord.tenant_id == tenant_id))).all()}
        return out if sum(r.revision for r in out.values()) >= revisions else None

    async with one_device(settings, tenant_id, *PINS) as (client, rt, serial):
        engine = rt.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            async def upload(lines: list[str]) -> int:
                statements.clear()
                token = _counting.set(True)
                try:
                    r = await client.post("/iclock/cdata", content="\r\n".join(lines) + "\r\n",
                                          params={"SN": serial, "table": "ATTLOG", "Stamp": "1"})
                finally:
                    _counting.reset(token)
                assert r.status_code == 200 and r.text.strip() == f"OK:{len(lines)}", r.text
                return len(statements)

            small = await upload([arrive(k) for k in range(10)])
            assert not [q for q in statements if "day_records" in q], statements
            await eventually(lambda: days(10), timeout=60)  # the consumer's first revisions
            # the first ten leave, ninety more come and leave, the first ten arrivals resent
            large = await upload([leave(k) for k in range(10)]
                                 + [f(k) for k in range(10, 100) for f in (arrive, leave)]
                                 + [arrive(k) for k in range(10)])
            # the request neither reads nor locks nor writes a day record
            assert not [q for q in statements if "day_records" in q], statements
        finally:
            event.remove(engine, "before_cursor_execute", count)
        records = await eventually(lambda: days(10 * 2 + 90), timeout=60)

    assert 10 <= small and large <= small, (small, large)  # 27 and 27 while uploads evaluated
    assert len(records) == 100
    for k, (nip, _) in enumerate(PINS):
        r = records[nip]
        late = max(0, 20 + k % 30 - 30)
        assert (r.status, r.late_minutes, r.early_minutes, r.psw_code) == (
            "present", late, 0, None), (k, r.status, r.late_minutes)
        assert r.revision == (2 if k < 10 else 1)
        assert (r.tl_code is None) == (late == 0)
