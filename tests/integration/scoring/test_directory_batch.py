"""Issue 13: scoring applies a batch of directory events as a set (a few statements per
regency, not a few per employee), with the result of applying the events one after the
other: on the real PostgreSQL, two regencies get the same month of facts, then one gets a
scripted directory batch at once and the other the same events one transaction each; their
directory copies, employment histories and scores are compared."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters.orm import Employee, EmploymentChange, ScoreRow, Tenant
from scoring.service_layer import services
from tests.support.infra import pg_app_url, pg_url, reset_database, unique

pytestmark = pytest.mark.integration

TZ = "Asia/Makassar"
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)
LATER = T0 + dt.timedelta(hours=1)
EMPLOYEES = 30


def nip(i: int) -> str:
    return f"19850101{i:010d}"


def emp(tenant_id: str, i: int, *, at: dt.datetime = T0, since: dt.date | None = None,
        unit: str | None = None, tpp: str = "4000000", **more: Any) -> ev.EmployeeUpserted:
    unit = unit or ("dinas" if i < EMPLOYEES // 2 else "rsud")
    return ev.EmployeeUpserted(
        tenant_id=tenant_id, nip=nip(i), name=f"Pegawai {i}", unit_id=unit,
        unit_name=unit.upper(), tpp_base=Decimal(tpp), effective_from=since, occurred_at=at,
        **more)


def month(tenant_id: str) -> list[ev.Event]:
    """The regency, its employees from 1 October and a few facts of November (so that
    their November scores exist)."""
    out: list[ev.Event] = [ev.TenantUpserted(tenant_id=tenant_id, name="Kota Uji", timezone=TZ,
                                             policy_preset="cilegon", occurred_at=T0)]
    out += [emp(tenant_id, i, since=dt.date(2026, 10, 1)) for i in range(EMPLOYEES)]
    out.append(ev.EffectiveDaysPublished(tenant_id=tenant_id, period="2026-11",
                                         effective_days=Decimal(20), revision=1))
    for i in range(EMPLOYEES):
        out.append(ev.ActivityEntryApproved(
            tenant_id=tenant_id, entry_id=uuid.uuid4(), nip=nip(i),
            work_date=dt.date(2026, 11, 3), minutes=60 * (i % 7 + 1), version=2))
        out.append(ev.AttendanceDayEvaluated(
            tenant_id=tenant_id, nip=nip(i), work_date=dt.date(2026, 11, 3), revision=1,
            deduction_pct=Decimal(i % 3), apel_attended=i % 2 == 0))
    return out


def script(tenant_id: str) -> list[ev.Event]:
    """Changes in one batch: a transfer from a date and a stale statement after it, an
    undated restatement of the same values, two statements at the same instant, an undated
    TPP change, an end of duty, an older date stated later, a stale state whose date loses,
    the preset changed between employee events, new employees and a fact."""
    out: list[ev.Event] = [
        emp(tenant_id, 5, at=LATER, since=dt.date(2026, 11, 16), unit="rsud", tpp="5000000"),
        emp(tenant_id, 5, at=T0 - dt.timedelta(hours=1), since=dt.date(2026, 11, 18)),
        emp(tenant_id, 6, at=LATER),  # the same values again: nothing by date
        emp(tenant_id, 7, at=LATER, tpp="4500000"), emp(tenant_id, 7, at=LATER, tpp="4600000"),
        emp(tenant_id, 8, at=LATER, tpp="3000000"),  # undated: from the day it was stated
        emp(tenant_id, 9, at=LATER, active=False, end_date=dt.date(2026, 11, 20),
            end_reason="pensiun"),
        emp(tenant_id, 10, at=T0 - dt.timedelta(hours=2), since=dt.date(2026, 11, 20),
            unit="rsud"),  # stale: the state and the date both lose
        emp(tenant_id, 11, at=LATER, since=dt.date(2026, 9, 1), unit="rsud"),
        ev.TenantUpserted(tenant_id=tenant_id, name="Kota Uji", timezone=TZ,
                          policy_preset="performance60_discipline40", occurred_at=LATER),
        emp(tenant_id, 12, at=LATER + dt.timedelta(minutes=5), since=dt.date(2026, 11, 10),
            unit="rsud", employment_type="CPNS"),
        emp(tenant_id, 5, at=LATER + dt.timedelta(minutes=5), since=dt.date(2026, 11, 25),
            unit="dinas"),  # and back, later in the batch
        ev.AttendanceDayEvaluated(tenant_id=tenant_id, nip=nip(13),
                                  work_date=dt.date(2026, 11, 4), revision=1,
                                  deduction_pct=Decimal("2.5"), apel_attended=False),
    ]
    out += [emp(tenant_id, i, at=LATER) for i in range(EMPLOYEES, EMPLOYEES + 10)]  # new
    return out


async def copy_of(uow: UnitOfWork) -> dict[str, Any]:
    async with uow.read() as s:
        tenants = (await s.execute(select(Tenant.name, Tenant.timezone, Tenant.policy_preset,
                                          Tenant.updated_at))).all()
        emps = (await s.execute(select(
            Employee.nip, Employee.name, Employee.unit_id, Employee.unit_name,
            Employee.tpp_base, Employee.employment_type, Employee.active, Employee.end_date,
            Employee.end_reason, Employee.updated_at).order_by(Employee.nip))).all()
        history = (await s.execute(select(
            EmploymentChange.nip, EmploymentChange.effective_from, EmploymentChange.unit_id,
            EmploymentChange.employment_type, EmploymentChange.tpp_base,
            EmploymentChange.stated_at).order_by(EmploymentChange.nip,
                                                 EmploymentChange.effective_from))).all()
        scores = (await s.execute(select(
            ScoreRow.nip, ScoreRow.period, ScoreRow.unit_id, ScoreRow.policy_name,
            ScoreRow.components, ScoreRow.flags, ScoreRow.employment_type,
            ScoreRow.final_pct, ScoreRow.tpp_base, ScoreRow.tpp_amount, ScoreRow.segments,
            ScoreRow.memberships).order_by(ScoreRow.nip, ScoreRow.period))).all()
    return {"tenants": [tuple(r) for r in tenants], "employees": [tuple(r) for r in emps],
            "history": [tuple(r) for r in history], "scores": [tuple(r) for r in scores]}


async def test_a_batch_gives_what_the_events_one_by_one_give() -> None:
    await reset_database(pg_url("scoring"))
    await upgrade_async("scoring", pg_url("scoring"))
    engine = make_engine(pg_app_url("scoring"))  # as the service: row-level security applies
    sessions = make_sessionmaker(engine)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    try:
        batch, single = unique("sb"), unique("ss")
        for t in (batch, single):
            await UnitOfWork(sessions).in_tenant(t).run(services.apply_events, month(t))
        directory = [e for e in script(batch) if not isinstance(e, ev.AttendanceDayEvaluated)]
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        await UnitOfWork(sessions).in_tenant(batch).run(services.apply_events, directory)
        event.remove(engine.sync_engine, "before_cursor_execute", count)
        await UnitOfWork(sessions).in_tenant(batch).run(
            services.apply_events, [e for e in script(batch) if e not in directory])
        for e in script(single):
            await UnitOfWork(sessions).in_tenant(single).run(services.apply_events, [e])
        a = await copy_of(UnitOfWork(sessions).in_tenant(batch))
        b = await copy_of(UnitOfWork(sessions).in_tenant(single))
    finally:
        await engine.dispose()

    assert a == b
    # 22 directory events; two runs of employee events around the tenant, each a handful of
    # statements whatever its size, then the recomputation of the changed employees'
    # months (grouped queries) and the whole regency's for the new preset
    assert len(statements) <= 60, len(statements)
    history = {(n, d): (u, t) for n, d, u, _, t, _ in a["history"]}
    assert history[(nip(5), dt.date(2026, 11, 16))] == ("rsud", Decimal("5000000"))
    assert history[(nip(5), dt.date(2026, 11, 25))][0] == "dinas"
    assert (nip(5), dt.date(2026, 11, 18)) not in history  # the stale statement lost
    assert (nip(10), dt.date(2026, 11, 20)) not in history
    assert history[(nip(11), dt.date(2026, 9, 1))][0] == "rsud"
    assert (nip(11), dt.date(2026, 10, 1)) not in history  # dropped by the later statement
    assert history[(nip(7), dt.date(2026, 11, 2))][1] == Decimal("4600000")
    employees = {n: (unit, tpp, active) for n, _, unit, _, tpp, _, active, *_ in a["employees"]}
    assert employees[nip(7)] == ("dinas", Decimal("4600000"), True)  # of equal instants
    assert employees[nip(10)][0] == "dinas" and employees[nip(9)][2] is False
    assert len(employees) == EMPLOYEES + 10
    scores = {n: (u, policy, m) for n, _, u, policy, *_, m in a["scores"]}
    assert scores[nip(5)] == ("dinas", "performance60_discipline40",
                              [["dinas", 21], ["rsud", 9]])
    assert {policy for _, policy, _ in scores.values()} == {"performance60_discipline40"}
    assert nip(EMPLOYEES) not in scores  # a new employee without facts: no score
