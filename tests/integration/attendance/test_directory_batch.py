"""Issue 13: a roster reaches attendance's directory copy as batches of events. The own
months of effective days of a batch's new employees are decided together: the regency's
calendar is read once per batch, not twice per employee (a 2,000-row roster took 275 s to
reach the copy when each employee read it twice)."""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from attendance.adapters.orm import EffectiveDays, Employee, Schedule, ScheduleAssignmentRow
from attendance.app import create_app
from attendance.service_layer import directory
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import bind_tenant
from tests.support.apps import running_app

from .conftest import employee, tenant

pytestmark = pytest.mark.integration
_counting: contextvars.ContextVar[bool] = contextvars.ContextVar("counting", default=False)


def nip(i: int) -> str:
    return f"19900101{i:010d}"


async def test_a_batch_of_new_employees_reads_the_calendar_once(
    settings: Settings, tenant_id: str
) -> None:
    app = create_app(settings)
    rt = app.state.runtime
    calendar_reads: list[str] = []
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _counting.get():  # this test's statements, not the app's consumers'
            statements.append(statement)
            if "FROM schedule_assignments" in statement:
                calendar_reads.append(statement)

    async def apply(*events: ev.Event) -> int:
        calendar_reads.clear()
        statements.clear()
        token = _counting.set(True)
        try:
            async with rt.sessionmaker() as session, session.begin():
                await bind_tenant(session, tenant_id)
                await directory.apply_directory_batch(
                    session, list(events), default_tz=rt.settings.default_timezone)
        finally:
            _counting.reset(token)
        return len(calendar_reads)

    async with running_app(app):
        event.listen(rt.engine.sync_engine, "before_cursor_execute", count)
        try:
            # the regency arrives with its first 3 employees, then 60 more in one batch
            first = await apply(tenant(tenant_id), *[
                employee(tenant_id, nip(i), str(100 + i), unit_id="dinas") for i in range(3)])
            more = await apply(*[employee(tenant_id, nip(i), str(100 + i), unit_id="dinas")
                                 for i in range(3, 63)])
            # 60 employees: the regency, their rows, their units (read and written), the
            # PIN lock and waiting lines, the devices, whether anyone may work an own month
            assert len(statements) <= 10, [" ".join(x.split())[:80] for x in statements]
            # every unit works the regency's week: the rest of the calendar is not read
            assert not [x for x in statements if "FROM holidays" in x]
            # an employee moving unit and a stale event of another change nothing else
            moved = await apply(
                employee(tenant_id, nip(5), "105", unit_id="rsud"),
                ev.EmployeeUpserted(**{**employee(tenant_id, nip(6), "106").model_dump(),
                                       "occurred_at": dt.datetime(2020, 1, 1,
                                                                  tzinfo=dt.timezone.utc)}))
        finally:
            event.remove(rt.engine.sync_engine, "before_cursor_execute", count)
        async with rt.uow.in_tenant(tenant_id).read() as s:
            employees = {e.nip: e for e in (await s.scalars(
                select(Employee).where(Employee.tenant_id == tenant_id))).all()}
            months = (await s.scalars(select(EffectiveDays).where(
                EffectiveDays.tenant_id == tenant_id))).all()

    # the tenant's own publication reads the calendar once, the batch's employees' check
    # (any week of a unit or an employee?) once more; a move also re-reads it to re-evaluate the days already judged since its date
    assert (first, more, moved) == (2, 1, 2)
    assert len(employees) == 63
    assert employees[nip(5)].unit_id == "rsud"
    assert employees[nip(6)].unit_id == "dinas"  # the stale state did not win
    # every unit works the regency's week: only the regency's month is published
    assert [m.nip for m in months] == [""]


async def test_a_batch_gives_own_months_where_a_unit_works_its_own_week(
    settings: Settings, tenant_id: str
) -> None:
    """The check that spares the calendar read lets the own months through: a unit with a
    6-day week, a batch of newcomers in it and beside it, a move into it and back out."""
    app = create_app(settings)
    rt = app.state.runtime

    async def apply(*events: ev.Event) -> dict[str, EffectiveDays]:
        async with rt.sessionmaker() as session, session.begin():
            await bind_tenant(session, tenant_id)
            await directory.apply_directory_batch(
                session, list(events), default_tz=rt.settings.default_timezone)
        async with rt.uow.in_tenant(tenant_id).read() as s:
            return {m.nip: m for m in (await s.scalars(select(EffectiveDays).where(
                EffectiveDays.tenant_id == tenant_id))).all()}

    async with running_app(app):
        before = await apply(tenant(tenant_id), employee(tenant_id, nip(0), "100",
                                                         unit_id="dinas"))
        assert list(before) == [""]
        async with rt.uow.in_tenant(tenant_id).transaction() as s:
            week = Schedule(tenant_id=tenant_id, name="6 hari", days={
                d: "07:30-14:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")})
            s.add(week)
            await s.flush()
            s.add(ScheduleAssignmentRow(tenant_id=tenant_id, schedule_id=week.id,
                                        scope="unit", scope_id="puskesmas"))
        months = await apply(employee(tenant_id, nip(1), "101", unit_id="puskesmas"),
                             employee(tenant_id, nip(2), "102", unit_id="dinas"),
                             employee(tenant_id, nip(0), "100", unit_id="puskesmas"))
        regency = months[""].working_dates
        assert sorted(months) == ["", nip(0), nip(1)]
        assert months[nip(1)].working_dates == months[nip(0)].working_dates
        assert len(months[nip(1)].working_dates) > len(regency)  # Saturdays too
        # back in a unit of the regency's week: the own month follows (a new revision)
        months = await apply(employee(tenant_id, nip(0), "100", unit_id="dinas"))
        assert months[nip(0)].working_dates == regency and months[nip(0)].revision == 2
        assert nip(2) not in months
